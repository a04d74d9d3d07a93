// Shared bits of the compress-*.test.ts files: FITS bytes around a compressed HDU, digests that
// match the oracles' conventions, and oracle runners (funpack, astropy) that skip when absent.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { type CompressedHdu, fitsToBytes, type ImageArray } from '../../src/fits/index.ts';
import { hasAstropy } from '../helpers/python.ts';

/** A complete FITS file: empty primary HDU + the compressed extensions, through the writer. */
export function fitsWith(hdus: CompressedHdu[]): Uint8Array {
  return fitsToBytes(
    hdus.map((h) => ({ kind: 'encoded' as const, header: h.header, data: h.data })),
    { checksum: false },
  );
}

/**
 * sha256 of values as big-endian float64. NaN is written with `nanBits` (hi, lo): the oracles
 * differ (numpy's NaN is 7ff8…, a float32 NaN written by cfitsio widens to ffffffffe0000000).
 */
export function f64Sha(
  values: ArrayLike<number | bigint>,
  nanBits: [number, number] = [0x7ff80000, 0],
): string {
  const buf = Buffer.alloc(values.length * 8);
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (Number.isNaN(v)) {
      buf.writeUInt32BE(nanBits[0], i * 8);
      buf.writeUInt32BE(nanBits[1], i * 8 + 4);
    } else buf.writeDoubleBE(v, i * 8);
  }
  return createHash('sha256').update(buf).digest('hex');
}

export const CFITSIO_FLOAT_NAN: [number, number] = [0xffffffff, 0xe0000000];

export function toNumbers(a: ImageArray): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = Number(a[i]);
  return out;
}

let funpackChecked: boolean | undefined;
export function hasFunpack(): boolean {
  funpackChecked ??= spawnSync('sh', ['-c', 'command -v funpack'], { stdio: 'ignore' }).status === 0;
  return funpackChecked;
}

/** funpack -S of a file: the decompressed FITS bytes, or throws with funpack's message. */
export function funpack(path: string): Uint8Array {
  const r = spawnSync('funpack', ['-S', path], { maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`funpack failed: ${r.stderr.toString()}`);
  return new Uint8Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.length);
}

/** astropy's physical values of HDU `index` as float64 (big-endian bytes → numbers). */
export function astropyValues(path: string, index: number): Float64Array {
  if (!hasAstropy()) throw new Error('astropy absent');
  const code =
    'import sys,numpy as np;from astropy.io import fits\n' +
    "d=np.asarray(fits.open(sys.argv[1])[int(sys.argv[2])].data,dtype='>f8')\n" +
    'sys.stdout.buffer.write(d.tobytes())';
  const r = spawnSync('/usr/bin/python3', ['-c', code, path, String(index)], { maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`astropy failed: ${r.stderr.toString()}`);
  const b = Buffer.from(r.stdout);
  const out = new Float64Array(b.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = b.readDoubleBE(i * 8);
  return out;
}

/** astropy's values of HDU 1 of each file, in one python run (its start-up dominates otherwise). */
export function astropyValuesMany(paths: string[]): Float64Array[] {
  if (!hasAstropy()) throw new Error('astropy absent');
  const code =
    'import sys,struct,numpy as np;from astropy.io import fits\n' +
    'for p in sys.argv[1:]:\n' +
    "    d=np.asarray(fits.open(p)[1].data,dtype='>f8').tobytes()\n" +
    "    sys.stdout.buffer.write(struct.pack('>Q',len(d))+d)";
  const r = spawnSync('/usr/bin/python3', ['-c', code, ...paths], { maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`astropy failed: ${r.stderr.toString()}`);
  const b = Buffer.from(r.stdout);
  const out: Float64Array[] = [];
  for (let pos = 0; pos < b.length; ) {
    const len = Number(b.readBigUInt64BE(pos));
    pos += 8;
    const a = new Float64Array(len / 8);
    for (let i = 0; i < a.length; i++) a[i] = b.readDoubleBE(pos + i * 8);
    out.push(a);
    pos += len;
  }
  return out;
}

/** Index of the first element that differs (NaN equals NaN), or -1. */
export function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (!(x === y || (Number.isNaN(x) && Number.isNaN(y)))) return i;
  }
  return -1;
}

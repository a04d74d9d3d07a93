// Files compressed by cfitsio's fpack with every algorithm and option it has (lossy HCOMPRESS
// with scale and smoothing, PLIO, dithering variants, 2-D tiles, 8/16/32-bit and float images)
// must decode exactly as funpack decodes them. Skips when Debian's fpack/funpack are absent.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Header, type ImageArray, openFits } from '../../src/fits/index.ts';
import { withTempDir } from '../helpers/tmp.ts';
import { firstDifference, funpack, hasFunpack, toNumbers } from './compress-helpers.ts';

const NX = 173;
const NY = 67;

/** An uncompressed single-image FITS file (primary HDU) of the given stored values. */
function imageFile(data: ImageArray, bitpix: number): Uint8Array {
  const header = Header.from([
    ['SIMPLE', true],
    ['BITPIX', bitpix],
    ['NAXIS', 2],
    ['NAXIS1', NX],
    ['NAXIS2', NY],
  ]).toBytes();
  const body = new Uint8Array(Math.ceil(data.byteLength / 2880) * 2880);
  const view = new DataView(body.buffer);
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (bitpix === 8) view.setUint8(i, v);
    else if (bitpix === 16) view.setInt16(i * 2, v);
    else if (bitpix === 32) view.setInt32(i * 4, v);
    else if (bitpix === -32) view.setFloat32(i * 4, v);
    else view.setFloat64(i * 8, v);
  }
  const out = new Uint8Array(header.length + body.length);
  out.set(header);
  out.set(body, header.length);
  return out;
}

function scene(i: number): number {
  const x = i % NX;
  const y = Math.floor(i / NX);
  const star = 3000 * Math.exp(-((x - 60) ** 2 + (y - 30) ** 2) / 18);
  return 200 + 0.5 * x + star + (((i * 2654435761) >>> 0) % 41) - 20;
}

const images: Record<string, { bitpix: number; data: ImageArray }> = {
  u8: { bitpix: 8, data: Uint8Array.from({ length: NX * NY }, (_, i) => scene(i) / 16) },
  i16: { bitpix: 16, data: Int16Array.from({ length: NX * NY }, (_, i) => Math.round(scene(i))) },
  i32: { bitpix: 32, data: Int32Array.from({ length: NX * NY }, (_, i) => Math.round(scene(i) * 1000)) },
  f32: { bitpix: -32, data: Float32Array.from({ length: NX * NY }, (_, i) => scene(i) / 3) },
  f64: { bitpix: -64, data: Float64Array.from({ length: NX * NY }, (_, i) => scene(i) / 7) },
};

const cases: [string, string, string[]][] = [
  ['i16', 'rice rows', ['-r']],
  ['u8', 'rice 2-D tiles', ['-r', '-t', '32,16']],
  ['i32', 'rice', ['-r']],
  ['i16', 'gzip1 2-D tiles', ['-g1', '-t', '50,20']],
  ['i16', 'gzip2', ['-g2']],
  ['i32', 'gzip2', ['-g2']],
  ['i16', 'hcompress lossless', ['-h']],
  ['u8', 'hcompress lossless', ['-h']],
  ['i32', 'hcompress lossless', ['-h']],
  ['i16', 'hcompress scale 2.5 (lossy)', ['-h', '-s', '2.5']],
  ['i16', 'hcompress absolute scale 16, 2-D tiles', ['-h', '-s', '-16', '-t', '64,32']],
  ['f32', 'hcompress q=4', ['-h', '-q', '4']],
  ['i16', 'plio', ['-p']],
  ['u8', 'plio 2-D tiles', ['-p', '-t', '40,40']],
  ['f32', 'rice q=4 dither seed 123', ['-r', '-q123', '4']],
  ['f32', 'rice q=2 no dither', ['-r', '-q0', '2']],
  ['f32', 'rice q=4 dither_2', ['-r', '-qz', '4']],
  ['f64', 'rice q=4', ['-r', '-q', '4']],
  ['f32', 'gzip1 lossless', ['-g1', '-q', '0']],
  ['f64', 'gzip2 lossless', ['-g2', '-q', '0']],
  ['f32', 'rice q=-0.25 absolute, 2-D tiles', ['-r', '-q', '-0.25', '-t', '64,16']],
  ['i16', 'int → float (-i2f) q=4', ['-i2f', '-q', '1']],
];

describe('fpack output decodes as funpack decodes it', {
  skip: hasFunpack() ? false : 'Debian fpack/funpack absent',
}, () => {
  for (const [kind, name, args] of cases) {
    test(`${kind} ${name}`, async () => {
      await withTempDir(async (dir) => {
        const src = join(dir, 'in.fits');
        const fz = join(dir, 'in.fits.fz');
        writeFileSync(src, imageFile(images[kind].data, images[kind].bitpix));
        const r = spawnSync('fpack', [...args, '-O', fz, src], { encoding: 'utf8' });
        assert.equal(r.status, 0, `fpack failed: ${r.stderr}`);
        using ours = openFits(new Uint8Array(readFileSync(fz)));
        const hdu = ours.hdus.find((h) => h.kind === 'COMPRESSED_IMAGE');
        assert.ok(hdu, 'fpack wrote a compressed HDU');
        const mine = toNumbers(hdu.readImage().data);
        using theirs = openFits(funpack(fz));
        const want = toNumbers(theirs.hdu(0).readImage().data);
        assert.equal(firstDifference(mine, want), -1);
      });
    });
  }

  test('HCOMPRESS with SMOOTH = 1 (set after fpack) matches funpack', async () => {
    await withTempDir(async (dir) => {
      const src = join(dir, 'in.fits');
      const fz = join(dir, 'in.fits.fz');
      writeFileSync(src, imageFile(images.i16.data, 16));
      const r = spawnSync('fpack', ['-h', '-s', '4', '-O', fz, src], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      // Turn smoothing on in place: the card text 'ZVAL2   =                    0' → 1.
      const bytes = new Uint8Array(readFileSync(fz));
      const text = new TextDecoder('latin1').decode(bytes);
      const at = text.indexOf("ZNAME2  = 'SMOOTH  '");
      assert.ok(at > 0, 'fpack wrote ZNAME2 = SMOOTH');
      const val = text.indexOf('ZVAL2   =', at);
      assert.equal(bytes[val + 29], 0x30, 'SMOOTH was 0');
      bytes[val + 29] = 0x31;
      writeFileSync(fz, bytes);
      using ours = openFits(bytes);
      const mine = toNumbers(ours.hdu(1).readImage().data);
      using theirs = openFits(funpack(fz));
      const want = toNumbers(theirs.hdu(0).readImage().data);
      assert.equal(firstDifference(mine, want), -1);
    });
  });
});

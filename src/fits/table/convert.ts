// Field bytes → values: big-endian → native typed arrays and the stored → physical rules of
// astropy's FITS_rec; logical, bit and character fields.
import { Buffer } from 'node:buffer';
import { type ImageArray, swapToNative } from '../image.ts';
import type { BinCode } from './layout.ts';
import type { ElementKind } from './types.ts';

/** Native-order bytes (as gatherNative returns) → the stored typed array of element code. */
export function viewNative(bytes: Uint8Array, code: BinCode): ImageArray {
  const { buffer, byteOffset, length } = bytes;
  switch (code) {
    case 'B':
      return bytes;
    case 'I':
      return new Int16Array(buffer, byteOffset, length / 2);
    case 'J':
      return new Int32Array(buffer, byteOffset, length / 4);
    case 'K':
      return new BigInt64Array(buffer, byteOffset, length / 8);
    case 'E':
    case 'C':
      return new Float32Array(buffer, byteOffset, length / 4);
    case 'D':
    case 'M':
      return new Float64Array(buffer, byteOffset, length / 8);
    default:
      throw new Error(`not a numeric code: ${code}`);
  }
}

/** Bytes per stored element of a numeric code (complex: per component). */
export function componentBytes(code: BinCode): number {
  return code === 'I'
    ? 2
    : code === 'J' || code === 'E' || code === 'C'
      ? 4
      : code === 'K' || code === 'D' || code === 'M'
        ? 8
        : 1;
}

export function elementKindOf(code: Exclude<BinCode, 'P' | 'Q'>): ElementKind {
  switch (code) {
    case 'L':
      return 'logical';
    case 'X':
      return 'bit';
    case 'A':
      return 'string';
    case 'E':
    case 'D':
      return 'float';
    case 'C':
    case 'M':
      return 'complex';
    default:
      return 'int';
  }
}

/** Big-endian numeric bytes of element code B/I/J/K/E/D/C/M → native stored array (bytes reused). */
export function decodeNumeric(bytes: Uint8Array, code: BinCode): ImageArray {
  const b = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  switch (code) {
    case 'B':
      return b;
    case 'I':
      swapToNative(b, 2);
      return new Int16Array(b.buffer, b.byteOffset, b.length / 2);
    case 'J':
      swapToNative(b, 4);
      return new Int32Array(b.buffer, b.byteOffset, b.length / 4);
    case 'K':
      swapToNative(b, 8);
      return new BigInt64Array(b.buffer, b.byteOffset, b.length / 8);
    case 'E':
    case 'C':
      swapToNative(b, 4);
      return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
    case 'D':
    case 'M':
      swapToNative(b, 8);
      return new Float64Array(b.buffer, b.byteOffset, b.length / 8);
    default:
      throw new Error(`not a numeric code: ${code}`);
  }
}

export interface ColumnScaling {
  bscale?: number;
  bzero?: number | bigint;
}

/** True when TSCAL/TZERO change values (astropy: TSCAL not 1, TZERO not 0). */
export function isScaled(s: ColumnScaling): boolean {
  return (s.bscale !== undefined && s.bscale !== 1) || (s.bzero !== undefined && Number(s.bzero) !== 0);
}

/** True when scaling turns an integer element type into float64 (i.e. not an unsigned convention). */
export function scaledToFloat(code: BinCode, s: ColumnScaling): boolean {
  if (!isScaled(s) || !(code === 'B' || code === 'I' || code === 'J' || code === 'K')) return false;
  const bzero = Number(s.bzero ?? 0);
  const unsigned =
    (code === 'I' && bzero === 2 ** 15) ||
    (code === 'J' && bzero === 2 ** 31) ||
    (code === 'K' && bzero === 2 ** 63);
  return !((s.bscale ?? 1) === 1 && unsigned);
}

/**
 * Stored → physical as astropy's FITS_rec does: unscaled columns as stored; TZERO = 2^15/2^31/2^63
 * on I/J/K (TSCAL 1) → Uint16/Uint32/BigUint64; any other scaling → Float64 of stored·TSCAL + TZERO.
 * The stored array may be reused.
 */
export function toColumnPhysical(stored: ImageArray, code: BinCode, s: ColumnScaling): ImageArray {
  if (!isScaled(s)) return stored;
  const bscale = s.bscale ?? 1;
  const bzero = Number(s.bzero ?? 0);
  if (bscale === 1) {
    if (code === 'I' && bzero === 2 ** 15 && stored instanceof Int16Array) {
      const a = new Uint16Array(stored.buffer, stored.byteOffset, stored.length);
      for (let i = 0; i < a.length; i++) a[i] ^= 0x8000;
      return a;
    }
    if (code === 'J' && bzero === 2 ** 31 && stored instanceof Int32Array) {
      const a = new Uint32Array(stored.buffer, stored.byteOffset, stored.length);
      for (let i = 0; i < a.length; i++) a[i] = (a[i] ^ 0x80000000) >>> 0;
      return a;
    }
    if (code === 'K' && bzero === 2 ** 63 && stored instanceof BigInt64Array) {
      const a = new BigUint64Array(stored.buffer, stored.byteOffset, stored.length);
      const sign = 1n << 63n;
      for (let i = 0; i < a.length; i++) a[i] ^= sign;
      return a;
    }
  }
  const out = new Float64Array(stored.length);
  if (stored instanceof BigInt64Array || stored instanceof BigUint64Array) {
    for (let i = 0; i < out.length; i++) out[i] = Number(stored[i]) * bscale + bzero;
  } else {
    const a = stored as Exclude<ImageArray, BigInt64Array | BigUint64Array>;
    for (let i = 0; i < out.length; i++) out[i] = a[i] * bscale + bzero;
  }
  return out;
}

/** 1 where a stored integer equals TNULL (computed before scaling, which may reuse the array). */
export function nullMask(
  stored: ImageArray,
  tnull: number | bigint | string | undefined,
): Uint8Array | undefined {
  if (tnull === undefined || typeof tnull === 'string') return undefined;
  const out = new Uint8Array(stored.length);
  if (stored instanceof BigInt64Array || stored instanceof BigUint64Array) {
    const t = BigInt(tnull);
    for (let i = 0; i < out.length; i++) if (stored[i] === t) out[i] = 1;
  } else if (!(stored instanceof Float32Array || stored instanceof Float64Array)) {
    const t = Number(tnull);
    const a = stored as Exclude<ImageArray, BigInt64Array | BigUint64Array>;
    for (let i = 0; i < out.length; i++) if (a[i] === t) out[i] = 1;
  } else return undefined;
  return out;
}

/** Logical bytes → true ('T'), null (0x00), false (anything else, as astropy's == 'T'). */
export function decodeLogical(bytes: Uint8Array): (boolean | null)[] {
  const out = new Array<boolean | null>(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    out[i] = b === 0x54 ? true : b === 0 ? null : false;
  }
  return out;
}

/** Bit fields (`nbits` per `width`-byte field, most significant bit first) → one 0/1 byte per bit. */
export function decodeBits(bytes: Uint8Array, nfields: number, width: number, nbits: number): Uint8Array {
  const out = new Uint8Array(nfields * nbits);
  let o = 0;
  for (let r = 0; r < nfields; r++) {
    const base = r * width;
    for (let j = 0; j < nbits; j++) out[o++] = (bytes[base + (j >> 3)] >> (7 - (j & 7))) & 1;
  }
  return out;
}

/**
 * Fixed-width character fields → strings. Trailing NULs are dropped (numpy's bytes semantics,
 * what astropy's arrays hold); `trim` also drops trailing blanks.
 */
export function decodeStrings(bytes: Uint8Array, count: number, width: number, trim = false): string[] {
  const out = new Array<string>(count);
  if (width === 0) return out.fill('');
  // One latin1 decode of the whole column, then substrings: far cheaper than a decode per field.
  const all = Buffer.from(bytes.buffer, bytes.byteOffset, count * width).toString('latin1');
  for (let i = 0; i < count; i++) {
    const start = i * width;
    let end = start + width;
    if (trim) while (end > start && (bytes[end - 1] === 0 || bytes[end - 1] === 0x20)) end--;
    else while (end > start && bytes[end - 1] === 0) end--;
    out[i] = all.substring(start, end);
  }
  return out;
}

// Image data: big-endian stored values to native typed arrays, and stored → physical values
// (BSCALE/BZERO/BLANK) the way astropy.io.fits does it, in place where the type allows.
import { Buffer } from 'node:buffer';
import { FitsError } from './errors.ts';

export type ImageArray =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

export interface Scaling {
  bscale: number;
  bzero: number;
  /** BLANK (integer images only): stored value meaning "undefined". */
  blank?: number | bigint;
}

export interface ImageData {
  /** FITS order: NAXIS1 (fastest) first. */
  naxes: number[];
  /** numpy order: slowest axis first. */
  shape: number[];
  data: ImageArray;
  bitpix: number;
}

/** Which physical form to return. */
export type PhysicalType = 'auto' | 'raw' | 'float32' | 'float64';

/** Allocates the native array for BITPIX of n elements, backed by a fresh aligned buffer. */
export function allocStored(bitpix: number, n: number): ImageArray {
  switch (bitpix) {
    case 8:
      return new Uint8Array(n);
    case 16:
      return new Int16Array(n);
    case 32:
      return new Int32Array(n);
    case 64:
      return new BigInt64Array(n);
    case -32:
      return new Float32Array(n);
    case -64:
      return new Float64Array(n);
    default:
      throw new FitsError(`BITPIX = ${bitpix} is not valid`);
  }
}

/** Swaps big-endian bytes in place to native order (little-endian hosts) with Buffer's native swap. */
export function swapToNative(bytes: Uint8Array, bytesPerValue: number): void {
  if (bytesPerValue === 1 || bytes.length === 0) return;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytesPerValue === 2) buf.swap16();
  else if (bytesPerValue === 4) buf.swap32();
  else buf.swap64();
}

/** Decodes a big-endian byte run into a new native array of stored values. */
export function decodeStored(bytes: Uint8Array, bitpix: number): ImageArray {
  const width = Math.abs(bitpix) / 8;
  if (bytes.length % width !== 0)
    throw new FitsError(`data length ${bytes.length} is not a multiple of ${width}`);
  const out = allocStored(bitpix, bytes.length / width);
  const outBytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  outBytes.set(bytes);
  swapToNative(outBytes, width);
  return out;
}

/** Native array of stored values → big-endian bytes (a new buffer). */
export function encodeStored(data: ImageArray): Uint8Array {
  const bytes = new Uint8Array(data.byteLength);
  bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  swapToNative(bytes, data.BYTES_PER_ELEMENT);
  return bytes;
}

export function readScaling(get: (key: string) => unknown): Scaling {
  const num = (k: string, d: number): number => {
    const v = get(k);
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    return d;
  };
  const blank = get('BLANK');
  return {
    bscale: num('BSCALE', 1),
    bzero: num('BZERO', 0),
    blank: typeof blank === 'number' || typeof blank === 'bigint' ? blank : undefined,
  };
}

/** The unsigned-integer convention (BZERO = 2^(bits-1), BSCALE = 1) that astropy maps to uint arrays. */
export function unsignedKind(bitpix: number, s: Scaling): UnsignedKind | undefined {
  if (s.bscale !== 1) return undefined;
  if (bitpix === 8 && s.bzero === -128) return 'i8';
  if (bitpix === 16 && s.bzero === 32768) return 'u16';
  if (bitpix === 32 && s.bzero === 2147483648) return 'u32';
  if (bitpix === 64 && s.bzero === 2 ** 63) return 'u64';
  return undefined;
}

/**
 * Stored → physical. 'auto' follows astropy: unscaled data as stored, the unsigned conventions
 * as Uint16/Uint32/BigUint64 (Int8 for BITPIX 8 with BZERO -128), otherwise floats with BLANK → NaN
 * (float32 for BITPIX 8/16/-32, float64 for 32/64/-64). The input array may be reused.
 */
export function toPhysical(
  stored: ImageArray,
  bitpix: number,
  s: Scaling,
  type: PhysicalType = 'auto',
): ImageArray {
  if (type === 'raw') return stored;
  const scaled = s.bscale !== 1 || s.bzero !== 0;
  const hasBlank = bitpix > 0 && s.blank !== undefined;
  if (type === 'auto' && !scaled && !hasBlank) return stored;
  if (type === 'auto' && !hasBlank) {
    const u = unsignedKind(bitpix, s);
    if (u) return flipSignBit(stored, u);
  }
  const wide = type === 'float64' || (type === 'auto' && (bitpix === 32 || bitpix === 64 || bitpix === -64));
  const out = wide ? new Float64Array(stored.length) : new Float32Array(stored.length);
  scaleInto(out, stored, s, hasBlank);
  return out;
}

export type UnsignedKind = 'u8' | 'i8' | 'u16' | 'u32' | 'u64';

/** The typed view of already-flipped stored bytes for an unsigned kind. */
export function unsignedView(stored: ImageArray, u: UnsignedKind): ImageArray {
  if (u === 'i8') return new Int8Array(stored.buffer, stored.byteOffset, stored.length);
  if (u === 'u16') return new Uint16Array(stored.buffer, stored.byteOffset, stored.length);
  if (u === 'u32') return new Uint32Array(stored.buffer, stored.byteOffset, stored.length);
  if (u === 'u64') return new BigUint64Array(stored.buffer, stored.byteOffset, stored.length);
  return stored;
}

/**
 * Adds BZERO = 2^(bits−1) to native-endian stored integers by flipping each value's sign bit,
 * 32 bits at a time (a u64's sign bit is in its high, odd-indexed word on little-endian hosts).
 */
export function flipSignBytes(bytes: Uint8Array, u: UnsignedKind): void {
  const aligned = bytes.byteOffset % 4 === 0;
  const nWords = aligned ? bytes.length >>> 2 : 0;
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, nWords);
  if (u === 'u64') {
    for (let i = 1; i < nWords; i += 2) words[i] ^= 0x80000000;
  } else {
    const mask = u === 'i8' ? 0x80808080 : u === 'u16' ? 0x80008000 : 0x80000000;
    for (let i = 0; i < nWords; i++) words[i] ^= mask;
  }
  // Whatever is left (an unaligned range or a final partial word) byte by byte: the sign bit is
  // the top bit of each value's last byte in native (little-endian) order.
  const width = u === 'i8' || u === 'u8' ? 1 : u === 'u16' ? 2 : u === 'u32' ? 4 : 8;
  for (let b = nWords * 4 + width - 1; b < bytes.length; b += width) bytes[b] ^= 0x80;
}

function flipSignBit(stored: ImageArray, u: UnsignedKind): ImageArray {
  flipSignBytes(new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength), u);
  return unsignedView(stored, u);
}

function scaleInto(
  out: Float32Array | Float64Array,
  stored: ImageArray,
  s: Scaling,
  hasBlank: boolean,
): void {
  const { bscale, bzero } = s;
  const n = stored.length;
  if (stored instanceof BigInt64Array) {
    const blank = hasBlank ? BigInt(s.blank as bigint | number) : undefined;
    for (let i = 0; i < n; i++) {
      const v = stored[i];
      out[i] = v === blank ? Number.NaN : bzero + bscale * Number(v);
    }
    return;
  }
  const a = stored as Exclude<ImageArray, BigInt64Array | BigUint64Array>;
  if (hasBlank) {
    const blank = Number(s.blank);
    for (let i = 0; i < n; i++) {
      const v = a[i];
      out[i] = v === blank ? Number.NaN : bzero + bscale * v;
    }
  } else if (bscale === 1 && bzero === 0) {
    out.set(a);
  } else {
    for (let i = 0; i < n; i++) out[i] = bzero + bscale * a[i];
  }
}

export function shapeOf(naxes: number[]): number[] {
  return [...naxes].reverse();
}

export function countOf(naxes: number[]): number {
  return naxes.reduce((a, b) => a * b, naxes.length ? 1 : 0);
}

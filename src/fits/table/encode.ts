// Physical values → big-endian stored bytes for one binary-table field type (the inverse of
// convert.ts): unsigned conventions by flipping the sign bit, other scaling by (v − TZERO) / TSCAL
// rounded for integer types, NaN → TNULL.
import { FitsError } from '../errors.ts';
import { encodeStored, type ImageArray } from '../image.ts';
import type { BinCode } from './layout.ts';

export type NumericInput = ImageArray | number[] | bigint[];

export interface EncodeScaling {
  bscale?: number;
  bzero?: number | bigint;
  null?: number | bigint;
}

const INT_RANGE: Partial<Record<BinCode, [number, number]>> = {
  B: [0, 255],
  I: [-32768, 32767],
  J: [-(2 ** 31), 2 ** 31 - 1],
};

/** Encodes `n` stored elements (complex: 2n components) of `code` from physical values. */
export function encodeNumeric(values: NumericInput, code: BinCode, s: EncodeScaling): Uint8Array {
  if (isStoredAsIs(values, code, s)) return encodeStored(values as ImageArray);
  return encodeStored(toStored(values, code, s));
}

/** Unscaled data already in the stored type: a byte copy and swap, no per-value work. */
export function isStoredAsIs(values: NumericInput, code: BinCode, s: EncodeScaling): boolean {
  if ((s.bscale ?? 1) !== 1 || Number(s.bzero ?? 0) !== 0) return false;
  return values.constructor === allocFor(code, 0).constructor;
}

function allocFor(code: BinCode, n: number): ImageArray {
  switch (code) {
    case 'B':
      return new Uint8Array(n);
    case 'I':
      return new Int16Array(n);
    case 'J':
      return new Int32Array(n);
    case 'K':
      return new BigInt64Array(n);
    case 'E':
    case 'C':
      return new Float32Array(n);
    case 'D':
    case 'M':
      return new Float64Array(n);
    default:
      throw new FitsError(`element type ${code} is not numeric`);
  }
}

function toStored(values: NumericInput, code: BinCode, s: EncodeScaling): ImageArray {
  const n = values.length;
  const out = allocFor(code, n);
  const bscale = s.bscale ?? 1;
  const bzero = s.bzero ?? 0;
  const zero = Number(bzero);
  // Unsigned conventions: the sign bit flip is exact for every value, including beyond 2^53.
  if (bscale === 1 && isUnsignedConvention(code, zero)) return flipUnsigned(values, code, out);
  if (out instanceof BigInt64Array) return toStoredK(values, out, bscale, bzero, s.null);
  const isInt = code === 'B' || code === 'I' || code === 'J';
  const range = INT_RANGE[code];
  const scaled = bscale !== 1 || zero !== 0;
  const a = out as Exclude<ImageArray, BigInt64Array | BigUint64Array>;
  for (let i = 0; i < n; i++) {
    let v = Number(values[i]);
    if (scaled) v = (v - zero) / bscale;
    if (isInt) {
      if (Number.isNaN(v) && s.null !== undefined) v = Number(s.null);
      else v = roundHalfAway(v);
      if (!(range && v >= range[0] && v <= range[1])) {
        throw new FitsError(
          `value ${values[i]} does not fit in TFORM type ${code}${scaled ? ' after scaling' : ''}`,
        );
      }
    }
    a[i] = v;
  }
  return out;
}

function roundHalfAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

export function isUnsignedConvention(code: BinCode, zero: number): boolean {
  return (
    (code === 'I' && zero === 2 ** 15) ||
    (code === 'J' && zero === 2 ** 31) ||
    (code === 'K' && zero === 2 ** 63)
  );
}

function flipUnsigned(values: NumericInput, code: BinCode, out: ImageArray): ImageArray {
  const n = values.length;
  if (code === 'K') {
    const o = out as BigInt64Array;
    const u = new BigUint64Array(o.buffer, o.byteOffset, n);
    for (let i = 0; i < n; i++) {
      const v = toBigInt(values[i]);
      if (v < 0n || v >= 1n << 64n)
        throw new FitsError(`value ${v} does not fit in an unsigned 64-bit column`);
      u[i] = v ^ (1n << 63n);
    }
    return out;
  }
  const bits = code === 'I' ? 16 : 32;
  const max = 2 ** bits;
  const o = out as Int16Array | Int32Array;
  for (let i = 0; i < n; i++) {
    const v = Number(values[i]);
    if (!(Number.isInteger(v) && v >= 0 && v < max))
      throw new FitsError(`value ${values[i]} does not fit in an unsigned ${bits}-bit column`);
    o[i] = v - max / 2;
  }
  return out;
}

function toBigInt(v: number | bigint): bigint {
  if (typeof v === 'bigint') return v;
  if (!Number.isFinite(v)) throw new FitsError(`value ${v} cannot be stored in a 64-bit integer column`);
  return BigInt(roundHalfAway(v));
}

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

function toStoredK(
  values: NumericInput,
  out: BigInt64Array,
  bscale: number,
  bzero: number | bigint,
  tnull?: number | bigint,
): BigInt64Array {
  const exact = bscale === 1 && (typeof bzero === 'bigint' || Number.isSafeInteger(bzero));
  const z = Number(bzero);
  for (let i = 0; i < values.length; i++) {
    const raw = values[i];
    let v: bigint;
    if (typeof raw === 'number' && Number.isNaN(raw) && tnull !== undefined) v = BigInt(tnull);
    else if (exact) v = toBigInt(raw) - BigInt(bzero);
    else v = toBigInt((Number(raw) - z) / bscale);
    if (v < I64_MIN || v > I64_MAX)
      throw new FitsError(`value ${raw} does not fit in a 64-bit integer column`);
    out[i] = v;
  }
  return out;
}

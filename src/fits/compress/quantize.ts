// Quantization of floating-point tiles (FITS standard §10.2): integers i stand for
// (i - r + 0.5)·ZSCALE + ZZERO with subtractive dithering (r from the standard's table of 10000
// uniform numbers), or i·ZSCALE + ZZERO without. ZBLANK marks undefined pixels (NaN).
import { FitsError } from '../errors.ts';

export type DitherMethod = 'NO_DITHER' | 'SUBTRACTIVE_DITHER_1' | 'SUBTRACTIVE_DITHER_2';

export const N_RANDOM = 10000;
/** Quantized value of an undefined pixel as written by cfitsio/fpack. */
export const NULL_VALUE = -2147483647;
/** SUBTRACTIVE_DITHER_2's code for an exact 0.0. */
export const ZERO_VALUE = -2147483646;
const N_RESERVED_VALUES = 10;

let randoms: Float32Array | undefined;

/**
 * The standard's sequence: Park–Miller minimal standard generator, seed 1. The values are kept
 * as single-precision floats, as cfitsio stores them; decoders must use the same numbers.
 */
export function randomTable(): Float32Array {
  if (randoms) return randoms;
  const a = 16807;
  const m = 2147483647;
  const table = new Float32Array(N_RANDOM);
  let seed = 1;
  for (let i = 0; i < N_RANDOM; i++) {
    const temp = a * seed;
    seed = temp - m * Math.trunc(temp / m);
    table[i] = seed / m;
  }
  // The standard gives the 10000th seed as a check on the arithmetic.
  if (seed !== 1043618065)
    throw new FitsError('internal error: dither random sequence does not match the standard');
  randoms = table;
  return table;
}

/** Where the dither sequence starts for tile `row` (1-based) with ZDITHER0 = `zdither0`. */
function seedIndex(row: number, zdither0: number): number {
  return (((row - 1 + zdither0 - 1) % N_RANDOM) + N_RANDOM) % N_RANDOM;
}

export interface QuantParams {
  method: DitherMethod;
  scale: number;
  zero: number;
  /** ZBLANK for this tile, or undefined when no pixel can be null. */
  blank: number | undefined;
  /** 1-based tile number (row of the table). */
  row: number;
  zdither0: number;
}

/** Quantized integers → floats (cfitsio's arithmetic: double, then rounded to the output type). */
export function dequantize(input: Int32Array, out: Float32Array | Float64Array, p: QuantParams): void {
  const n = input.length;
  const { scale, zero } = p;
  const blank = p.blank ?? Number.NaN; // NaN never equals: no null check
  if (p.method === 'NO_DITHER') {
    for (let i = 0; i < n; i++) {
      const v = input[i];
      out[i] = v === blank ? Number.NaN : v * scale + zero;
    }
    return;
  }
  const r = randomTable();
  const two = p.method === 'SUBTRACTIVE_DITHER_2';
  let iseed = seedIndex(p.row, p.zdither0);
  let next = Math.trunc(r[iseed] * 500);
  for (let i = 0; i < n; i++) {
    const v = input[i];
    if (v === blank) out[i] = Number.NaN;
    else if (two && v === ZERO_VALUE) out[i] = 0;
    else out[i] = (v - r[next] + 0.5) * scale + zero;
    if (++next === N_RANDOM) {
      if (++iseed === N_RANDOM) iseed = 0;
      next = Math.trunc(r[iseed] * 500);
    }
  }
}

export interface QuantizeResult {
  values: Int32Array;
  scale: number;
  zero: number;
  hasNull: boolean;
}

/**
 * Floats → quantized integers with step noise/q (q > 0) or |q| (q < 0). Returns undefined
 * when the tile cannot be quantized (constant, non-finite values, or too wide a range): the
 * caller then stores it losslessly.
 */
export function quantize(
  data: Float32Array | Float64Array,
  q: number,
  method: DitherMethod,
  row: number,
  zdither0: number,
): QuantizeResult | undefined {
  const n = data.length;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let ngood = 0;
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (Number.isNaN(v)) continue;
    if (!Number.isFinite(v)) return undefined;
    ngood++;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (ngood === 0) return undefined;
  const delta = q > 0 ? estimateNoise(data) / q : -q;
  if (!(delta > 0) || !Number.isFinite(delta)) return undefined;
  if ((max - min) / delta > 2 * 2147483647 - N_RESERVED_VALUES) return undefined;
  const hasNull = ngood !== n;
  let zero: number;
  if (hasNull) zero = min - delta * (NULL_VALUE + N_RESERVED_VALUES);
  else if (method === 'SUBTRACTIVE_DITHER_2' || (max - min) / delta < 2147483647 - N_RESERVED_VALUES) {
    // A multiple of delta keeps repeated fpack/funpack cycles stable (as cfitsio does).
    zero = Math.trunc(min / delta + 0.5) * delta;
  } else zero = (min + max) / 2;
  const values = new Int32Array(n);
  const r = randomTable();
  const dither = method !== 'NO_DITHER';
  let iseed = seedIndex(row, zdither0);
  let next = Math.trunc(r[iseed] * 500);
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (Number.isNaN(v)) values[i] = NULL_VALUE;
    else if (method === 'SUBTRACTIVE_DITHER_2' && v === 0) values[i] = ZERO_VALUE;
    else values[i] = nint(dither ? (v - zero) / delta + r[next] - 0.5 : (v - zero) / delta);
    if (dither && ++next === N_RANDOM) {
      if (++iseed === N_RANDOM) iseed = 0;
      next = Math.trunc(r[iseed] * 500);
    }
  }
  return { values, scale: delta, zero, hasNull };
}

function nint(x: number): number {
  return x >= 0 ? Math.trunc(x + 0.5) : Math.trunc(x - 0.5);
}

/**
 * Background noise from the median absolute 3rd-order difference (the MAD estimator fpack uses),
 * over finite pixels in storage order; falls back to 1st-order differences for flat data.
 */
export function estimateNoise(data: Float32Array | Float64Array): number {
  const good: number[] = [];
  for (let i = 0; i < data.length; i++) if (Number.isFinite(data[i])) good.push(data[i]);
  const n = good.length;
  if (n < 5) return n >= 2 ? medianAbs(good, 1) * 1.0483579 : 0;
  const d3 = new Float64Array(n - 4);
  for (let i = 2; i < n - 2; i++) d3[i - 2] = Math.abs(2 * good[i] - good[i - 2] - good[i + 2]);
  const noise3 = 0.6052697 * median(d3);
  if (noise3 > 0) return noise3;
  return medianAbs(good, 2) * 1.0483579;
}

function medianAbs(v: number[], step: number): number {
  if (v.length <= step) return 0;
  const d = new Float64Array(v.length - step);
  for (let i = 0; i + step < v.length; i++) d[i] = Math.abs(v[i + step] - v[i]);
  return median(d);
}

function median(d: Float64Array): number {
  d.sort();
  const m = d.length >> 1;
  return d.length % 2 ? d[m] : (d[m - 1] + d[m]) / 2;
}

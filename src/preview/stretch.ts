// The display stretch of CALDP's fitscut call (--clip=0.5-99.5 --asinh-scale): clip limits from
// the 0.5 and 99.5 percentiles of the good pixels (flagged DQ and non-finite ones left out), then
// an asinh curve to 8 bits through a lookup table.
import { quickselect } from '../calib/index.ts';

export interface StretchOptions {
  /** Percentiles of the clip (default 0.5 and 99.5). */
  lowPct?: number;
  highPct?: number;
  /** Non-linearity β of asinh(β t)/asinh(β) (default 10). */
  beta?: number;
  /** Statistics use at most this many pixels, taken on a regular stride (default 2^18). */
  maxSamples?: number;
}

export interface ClipLimits {
  lo: number;
  hi: number;
  /** Good pixels the percentiles were computed from. */
  samples: number;
}

/** Percentile of a sorted array with linear interpolation (numpy's default). */
export function percentileSorted(sorted: ArrayLike<number>, pct: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = (pct / 100) * (n - 1);
  const i = Math.floor(pos);
  const f = pos - i;
  return i + 1 < n ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[i];
}

/**
 * percentileSorted(sorted copy of a, pct) without the sort: the two order statistics it
 * interpolates between, by selection (reorders a; O(n) rather than O(n log n)).
 */
export function percentileOf(a: Float32Array, pct: number): number {
  const n = a.length;
  if (n === 0) return Number.NaN;
  const pos = (pct / 100) * (n - 1);
  const i = Math.floor(pos);
  const f = pos - i;
  const v = quickselect(a, a.length, i);
  if (i + 1 >= n) return v;
  // After selecting the i-th value everything right of i is at least it: the next one is their minimum.
  let next = a[i + 1];
  for (let j = i + 2; j < n; j++) if (a[j] < next) next = a[j];
  return v * (1 - f) + next * f;
}

/**
 * 0.5/99.5 % clip limits over the good pixels of all chips together, from a regular stride of at
 * most `maxSamples` pixels (a full sort of 16 M pixels would cost seconds for no visible gain).
 */
export function clipLimits(
  chips: { data: Float32Array; dq?: ArrayLike<number>; flags?: number }[],
  opts: StretchOptions = {},
): ClipLimits {
  const total = chips.reduce((a, c) => a + c.data.length, 0);
  const max = opts.maxSamples ?? 1 << 18;
  const stride = Math.max(1, Math.floor(total / max));
  const sample = new Float32Array(Math.ceil(total / stride) + chips.length);
  let k = 0;
  let offset = 0;
  for (const c of chips) {
    const d = c.data;
    const dq = c.dq;
    const flags = c.flags ?? 0xffff;
    for (let i = (stride - (offset % stride)) % stride; i < d.length; i += stride) {
      const v = d[i];
      if (Number.isFinite(v) && !(dq && dq[i] & flags)) sample[k++] = v;
    }
    offset += d.length;
  }
  const s = sample.subarray(0, k);
  let lo = percentileOf(s, opts.lowPct ?? 0.5);
  let hi = percentileOf(s, opts.highPct ?? 99.5);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    lo = 0;
    hi = 1;
  }
  if (hi <= lo) hi = lo + 1;
  return { lo, hi, samples: k };
}

const LUT_SIZE = 4096;

/** asinh(β t)/asinh(β) for t in [0, 1], as 8-bit values. */
export function asinhLut(beta = 10): Uint8Array {
  const lut = new Uint8Array(LUT_SIZE + 1);
  const norm = Math.asinh(beta);
  for (let i = 0; i <= LUT_SIZE; i++) lut[i] = Math.round((Math.asinh((beta * i) / LUT_SIZE) / norm) * 255);
  return lut;
}

/**
 * Stretches `src` (nx × ny, FITS row 0 first) into `dst` at (x0, row offset) of a `width`-wide
 * 8-bit canvas whose first row is the top of the picture: FITS rows are flipped so y grows upward.
 */
export function stretchInto(
  src: Float32Array,
  nx: number,
  ny: number,
  dst: Uint8Array,
  width: number,
  x0: number,
  topRow: number,
  lim: ClipLimits,
  lut: Uint8Array,
): void {
  const scale = LUT_SIZE / (lim.hi - lim.lo);
  const lo = lim.lo;
  for (let y = 0; y < ny; y++) {
    // Row views keep the inner loop to one index (measurably faster in V8 than offset arithmetic).
    const start = (topRow + (ny - 1 - y)) * width + x0;
    stretchRow(src.subarray(y * nx, y * nx + nx), dst.subarray(start, start + nx), lo, scale, lut);
  }
}

// A function per row rather than a loop nest in one call: a single long call gets compiled
// on-stack at the inner loop and deoptimizes each time it leaves it (several times slower).
function stretchRow(row: Float32Array, out: Uint8Array, lo: number, scale: number, lut: Uint8Array): void {
  for (let x = 0; x < row.length; x++) {
    const t = (row[x] - lo) * scale;
    out[x] = lut[t > 0 ? (t < LUT_SIZE ? t | 0 : LUT_SIZE) : 0]; // NaN fails t > 0: black
  }
}

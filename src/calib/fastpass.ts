// The CCD sweep's kernels for the usual case (16-bit raw, constant raw DQ, a scalar full well, no
// post-flash or shading): the SIMD kernel's dispatch (row copies in and out, lane results merged)
// and the JavaScript kernel it falls back to, plus the sweeps kept out of the pixel loop
// (statistics rows, the dark sum, 1/flat).
import { DQ_ATODSAT, DQ_BADFLAT, DQ_SATURATED, type SegPlan } from './ccdpass.ts';
import type { ChipGeometry } from './layout.ts';
import { type Placement, refRowBase } from './refimage.ts';
import { CCD_OUT, SIMD_MAX_ROW, type SimdKernels, simdKernels } from './wasm/index.ts';

/**
 * The usual case: 16-bit raw, constant raw DQ, reference images without ERR/DQ planes, a scalar
 * full well, no post-flash or shading. A kernel with only these arrays in flight runs about 3×
 * faster than the general one (fewer live values for V8 to keep in registers).
 */
export function isCommonCase(pl: SegPlan): boolean {
  return (
    pl.raw instanceof Uint16Array &&
    pl.rawDq.length === 0 &&
    pl.bErr.length === 0 &&
    pl.bDq.length === 0 &&
    pl.sMap.length === 0 &&
    pl.dE.length === 0 &&
    pl.dQ.length === 0 &&
    pl.fD.length === 0 &&
    pl.lE.length === 0 &&
    pl.lQ.length === 0 &&
    pl.hD.length === 0 &&
    pl.noise
  );
}

/**
 * The JavaScript kernel for the usual case (the SIMD kernel's fallback and reference), with or
 * without the 2-D terms: without them it subtracts a zero dark and multiplies by a unit flat, both
 * exact, so one kernel serves the CCD-only pass of a CR-SPLIT exposure too.
 */
export function fastSegment(pl: SegPlan, oy: number, acc: Float64Array): void {
  const f = Math.fround;
  const w = pl.width;
  const raw = pl.raw as Uint16Array;
  const src = pl.srcBase + oy * pl.srcStride;
  const dst = pl.dstBase + oy * pl.dstStride;
  // Single-precision arithmetic, every step rounded to float32 as the SIMD kernel computes it.
  const g = f(pl.gain);
  const lvl = f(pl.rowLevel.length > 0 ? pl.rowLevel[pl.rowStart + oy] : 0);
  // Absent terms read a shared row of zeros (or ones for the flat) so the loop has no variants.
  const drift = pl.drift.length > 0 ? pl.drift : filled(0, w);
  const hasBias = pl.bData.length > 0;
  const bias = hasBias ? pl.bData : filled(0, w);
  const bb = hasBias ? pl.bBase + oy * pl.bStride : 0;
  const bScale = f(pl.bScale);
  const hasDark = pl.post && pl.dD.length > 0;
  const dark = hasDark ? pl.dD : filled(0, w);
  const db = hasDark ? pl.dBase + oy * pl.dStride : 0;
  const dt = f(pl.dt);
  const hasFlat = pl.post && pl.lD.length > 0;
  // 1/flat, computed once per reference and kept with it: a multiply instead of a divide per pixel.
  const flat = hasFlat ? pl.lInv : filled(1, w);
  const lb = hasFlat ? pl.lBase + oy * pl.lStride : 0;
  const atod = f(pl.atod);
  const sat = f(pl.sat);
  const base = f(pl.base);
  const dq0 = pl.dqConst;
  // The statistics are taken by rowStats over the row just written (still in cache) rather than
  // in this loop: fewer live values here.
  // Row views keep the inner loop to one index (about 10% faster in V8 than offset arithmetic).
  const rawR = raw.subarray(src, src + w);
  const biasR = bias.subarray(bb, bb + w);
  const darkR = dark.subarray(db, db + w);
  const flatR = flat.subarray(lb, lb + w);
  const sciR = pl.sci.subarray(dst, dst + w);
  const errR = pl.err.subarray(dst, dst + w);
  const dqR = pl.dq.subarray(dst, dst + w);
  let nAtod = 0;
  let nSat = 0;
  for (let k = 0; k < w; k++) {
    const r = rawR[k];
    const s0 = f(f(f(f(r - lvl) - drift[k]) * g) - f(biasR[k] * bScale));
    const atodFlag = r >= atod ? DQ_ATODSAT : 0;
    const satFlag = s0 > sat ? DQ_SATURATED : 0;
    nAtod += atodFlag >> 11;
    nSat += satFlag >> 8;
    const inv = flatR[k];
    sciR[k] = f(s0 - f(darkR[k] * dt)) * inv;
    // Math.max and the SIMD kernel's pmax differ only for -0, which adds to base (≥ +0) the same.
    errR[k] = f(Math.sqrt(f(base + Math.max(s0, 0)))) * Math.abs(inv);
    dqR[k] = dqR[k] | dq0 | atodFlag | satFlag | (inv === 0 ? DQ_BADFLAT : 0);
  }
  acc[9] += nAtod;
  acc[10] += nSat;
  if (pl.post) rowStats(pl.sci, pl.err, pl.dq, dst, dst + w, pl.sdq, acc);
}

/**
 * The thread's SIMD kernels when they can take every plan's rows, else null. They cover the common
 * case plus the bias reference's ERR and DQ planes (real bias files carry both).
 */
export function simdFor(plans: SegPlan[]): SimdKernels | null {
  const ok = plans.every(
    (pl) =>
      pl.raw instanceof Uint16Array &&
      pl.rawDq.length === 0 &&
      pl.sMap.length === 0 &&
      pl.noise &&
      (pl.bErr.length === 0 || pl.bData.length > 0) &&
      (!pl.post ||
        (pl.dE.length === 0 &&
          pl.dQ.length === 0 &&
          pl.fD.length === 0 &&
          pl.lE.length === 0 &&
          pl.lQ.length === 0 &&
          pl.hD.length === 0)) &&
      // Whole 8-pixel groups only: the kernel has no tail loop (odd subarray widths take the JS kernels).
      pl.width <= SIMD_MAX_ROW &&
      pl.width % 8 === 0,
  );
  return ok ? simdKernels() : null;
}

/**
 * fastSegment through the SIMD kernel: the row's inputs are copied into
 * the kernel's buffers, and its SCI/ERR/DQ copied back. Same pixels, bit for bit.
 */
export function simdSegment(k: SimdKernels, pl: SegPlan, oy: number, acc: Float64Array): void {
  const w = pl.width;
  const src = pl.srcBase + oy * pl.srcStride;
  const dst = pl.dstBase + oy * pl.dstStride;
  const a = k.at;
  k.raw.set((pl.raw as Uint16Array).subarray(src, src + w));
  // Absent terms read the kernel's row of zeros; only a missing flat needs its own row (of ones).
  let bias = a.zeros;
  const bb = pl.bBase + oy * pl.bStride;
  if (pl.bData.length > 0) {
    k.bias.set(pl.bData.subarray(bb, bb + w));
    bias = a.bias;
  }
  const biasErr = pl.bErr.length > 0;
  if (biasErr) k.bErr.set(pl.bErr.subarray(bb, bb + w));
  const biasDq = pl.bDq.length > 0;
  if (biasDq) k.bDq.set(pl.bDq.subarray(bb, bb + w));
  let dark = a.zeros;
  let inv = a.zeros;
  if (pl.post) {
    if (pl.dD.length > 0) {
      const db = pl.dBase + oy * pl.dStride;
      k.dark.set(pl.dD.subarray(db, db + w));
      dark = a.dark;
    }
    const lb = pl.lBase + oy * pl.lStride;
    k.inv.set(pl.lD.length > 0 ? pl.lInv.subarray(lb, lb + w) : filled(1, w).subarray(0, w));
    inv = a.inv;
  }
  const dqR = pl.dq.subarray(dst, dst + w);
  if (!pl.dqZero) k.dq.set(dqR);
  const dqIn = pl.dqZero ? a.zeros : a.dq;
  const lvl = pl.rowLevel.length > 0 ? pl.rowLevel[pl.rowStart + oy] : 0;
  const run = k.ccdRow({ post: pl.post, biasErr, biasDq });
  const drift = k.driftAt(pl.drift, w);
  run(
    a.raw,
    drift,
    bias,
    a.bErr,
    a.bDq,
    dark,
    inv,
    a.sci,
    a.err,
    a.dq,
    dqIn,
    a.out,
    w,
    lvl,
    pl.gain,
    pl.bScale,
    pl.dt,
    pl.atod,
    pl.sat,
    pl.base,
    pl.dqConst,
    pl.sdq,
  );
  pl.sci.set(k.sci.subarray(0, w), dst);
  pl.err.set(k.err.subarray(0, w), dst);
  dqR.set(k.dq.subarray(0, w));
  mergeKernelSums(k, pl.post, acc);
}

/** Adds a kernel call's lane results to acc (rowStats's layout, plus the flag counts in 9, 10). */
function mergeKernelSums(k: SimdKernels, post: boolean, acc: Float64Array): void {
  const i32 = k.outI32;
  acc[9] += sum4(i32, CCD_OUT.atod / 4);
  acc[10] += sum4(i32, CCD_OUT.sat / 4);
  if (!post) return;
  const f32 = k.outF32;
  const f64 = k.outF64;
  acc[0] += sum4(i32, CCD_OUT.n / 4);
  mergeExtremes(acc, 1, f32, CCD_OUT.min / 4, CCD_OUT.max / 4);
  acc[3] += f64[CCD_OUT.sum / 8] + f64[CCD_OUT.sum / 8 + 1];
  mergeExtremes(acc, 4, f32, CCD_OUT.smin / 4, CCD_OUT.smax / 4);
  acc[6] += f64[CCD_OUT.ssum / 8] + f64[CCD_OUT.ssum / 8 + 1];
}

function sum4(a: Int32Array, i: number): number {
  return a[i] + a[i + 1] + a[i + 2] + a[i + 3];
}

/** acc[i] = min(acc[i], lanes of f32 at lo), acc[i + 1] = max(acc[i + 1], lanes at hi). */
function mergeExtremes(acc: Float64Array, i: number, f32: Float32Array, lo: number, hi: number): void {
  for (let l = 0; l < 4; l++) {
    if (f32[lo + l] < acc[i]) acc[i] = f32[lo + l];
    if (f32[hi + l] > acc[i + 1]) acc[i + 1] = f32[hi + l];
  }
}

/**
 * GOODMIN/GOODMAX/GOODMEAN and SNRMIN/SNRMAX/SNRMEAN sums (acc[0..6]) over the pixels of
 * [a, b) without serious DQ flags, from the stored (float32) SCI and ERR values as calacs takes them.
 */
export function rowStats(
  sci: Float32Array,
  err: Float32Array,
  dq: Uint16Array,
  a: number,
  b: number,
  sdq: number,
  acc: Float64Array,
): void {
  let n = acc[0];
  let min = acc[1];
  let max = acc[2];
  let smin = acc[4];
  let smax = acc[5];
  // Sums of the even and the odd pixels of [a, b) kept apart and added at the end: the order the
  // SIMD kernel adds in (two lanes), so both give the same GOODMEAN and SNRMEAN to the bit.
  let sumE = 0;
  let sumO = 0;
  let ssumE = 0;
  let ssumO = 0;
  // Plain compares rather than Math.min/max: the extremes rarely move, so the branches predict.
  for (let i = a; i < b; i++) {
    if ((dq[i] & sdq) !== 0) continue;
    const s = sci[i];
    const e = err[i];
    n++;
    if (s < min) min = s;
    if (s > max) max = s;
    // Single-precision division, as the SIMD kernel does it (fround of the double quotient of two
    // float32 values is the correctly rounded float32 quotient).
    const snr = e > 0 ? Math.fround(s / e) : 0;
    if (snr < smin) smin = snr;
    if (snr > smax) smax = snr;
    if (((i - a) & 1) === 0) {
      sumE += s;
      ssumE += snr;
    } else {
      sumO += s;
      ssumO += snr;
    }
  }
  acc[0] = n;
  acc[1] = min;
  acc[2] = max;
  acc[3] += sumE + sumO;
  acc[4] = smin;
  acc[5] = smax;
  acc[6] += ssumE + ssumO;
}

const inverses = new WeakMap<Float32Array, Float32Array>();

/** 1/x of a reference's data (0 for 0), cached for as long as the reference is. */
export function inverseOf(ref: { data: Float32Array; inv?: Float32Array }): Float32Array {
  if (ref.inv && ref.inv.length === ref.data.length) return ref.inv;
  let inv = inverses.get(ref.data);
  if (!inv) {
    const d = ref.data;
    inv = new Float32Array(d.length);
    for (let i = 0; i < d.length; i++) inv[i] = d[i] === 0 ? 0 : 1 / d[i];
    inverses.set(ref.data, inv);
  }
  return inv;
}

const darkSums = new WeakMap<Float32Array, Map<string, number>>();

/** Σ dark × darktime over the chip's pixels (for MEANDARK); the sum is kept with the reference. */
export function darkSum(p: Placement, geom: ChipGeometry, dt: number): number {
  const key = `${p.space} ${p.dx} ${p.dy} ${geom.rowStart} ${geom.outNy} ${geom.amps.map((a) => `${a.srcX0}:${a.outX0}:${a.width}`).join(',')}`;
  let sums = darkSums.get(p.ref.data);
  if (!sums) {
    sums = new Map();
    darkSums.set(p.ref.data, sums);
  }
  let s = sums.get(key);
  if (s === undefined) {
    s = placedSum(p, geom);
    sums.set(key, s);
  }
  return s * dt;
}

function placedSum(p: Placement, geom: ChipGeometry): number {
  let s = 0;
  for (let oy = 0; oy < geom.outNy; oy++) {
    for (let ai = 0; ai < geom.amps.length; ai++) {
      const b = refRowBase(p, geom, ai, oy);
      const d = p.ref.data;
      for (let k = 0; k < geom.amps[ai].width; k++) s += d[b + k];
    }
  }
  return s;
}

const fills = new Map<number, Float32Array>();
/** A shared read-only row of `value` at least `n` long (stands in for an absent term). */
function filled(value: number, n: number): Float32Array {
  let a = fills.get(value);
  if (!a || a.length < n) {
    a = new Float32Array(Math.max(n, 4096)).fill(value);
    fills.set(value, a);
  }
  return a;
}

// The CCD sweep's kernel for the usual case (16-bit raw, constant raw DQ, reference images
// without ERR/DQ planes, a scalar full well, no post-flash or shading), and the small sweeps it
// leaves out of its loop (flag counts, the dark sum, 1/flat).
import { type CcdPassCounts, DQ_ATODSAT, DQ_BADFLAT, DQ_SATURATED, type SegPlan } from './ccdpass.ts';
import type { ChipGeometry } from './layout.ts';
import { type Placement, refRowBase } from './refimage.ts';

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

export function fastSegment(pl: SegPlan, oy: number, acc: Float64Array): void {
  const w = pl.width;
  const raw = pl.raw as Uint16Array;
  const src = pl.srcBase + oy * pl.srcStride;
  const dst = pl.dstBase + oy * pl.dstStride;
  const g = pl.gain;
  const lvl = pl.rowLevel.length > 0 ? pl.rowLevel[pl.rowStart + oy] : 0;
  // Absent terms read a shared row of zeros (or ones for the flat) so the loop has no variants.
  const drift = pl.drift.length > 0 ? pl.drift : filled(0, w);
  const hasBias = pl.bData.length > 0;
  const bias = hasBias ? pl.bData : filled(0, w);
  const bb = hasBias ? pl.bBase + oy * pl.bStride : 0;
  const bScale = pl.bScale;
  const hasDark = pl.post && pl.dD.length > 0;
  const dark = hasDark ? pl.dD : filled(0, w);
  const db = hasDark ? pl.dBase + oy * pl.dStride : 0;
  const dt = pl.dt;
  const hasFlat = pl.post && pl.lD.length > 0;
  // 1/flat, computed once per reference and kept with it: a multiply instead of a divide per pixel.
  const flat = hasFlat ? pl.lInv : filled(1, w);
  const lb = hasFlat ? pl.lBase + oy * pl.lStride : 0;
  const atod = pl.atod;
  const sat = pl.sat;
  const base = pl.base;
  const dq0 = pl.dqConst;
  const sdq = pl.post ? pl.sdq : 0xffff;
  const sci = pl.sci;
  const err = pl.err;
  const dq = pl.dq;
  let n = acc[0];
  let min = acc[1];
  let max = acc[2];
  let sum = acc[3];
  let smin = acc[4];
  let smax = acc[5];
  let ssum = acc[6];
  // Fewer live values than the general kernel: the dark sum and the flag counts are taken in
  // separate cheap sweeps (countFlags, darkMean) rather than in this loop.
  const bOff = bb - dst;
  const dOff = db - dst;
  const lOff = lb - dst;
  const end = dst + w;
  for (let i = dst; i < end; i++) {
    const k = i - dst;
    const r = raw[src + k];
    const s0 = (r - lvl - drift[k]) * g - bias[i + bOff] * bScale;
    const atodFlag = r >= atod ? DQ_ATODSAT : 0;
    const satFlag = s0 > sat ? DQ_SATURATED : 0;
    const v0 = base + Math.max(s0, 0);
    const inv = flat[i + lOff];
    const s = (s0 - dark[i + dOff] * dt) * inv;
    const e = Math.sqrt(v0) * Math.abs(inv);
    const d = dq[i] | dq0 | atodFlag | satFlag | (inv === 0 ? DQ_BADFLAT : 0);
    sci[i] = s;
    err[i] = e;
    dq[i] = d;
    if ((d & sdq) === 0) {
      n++;
      min = Math.min(s, min);
      max = Math.max(s, max);
      sum += s;
      const snr = e > 0 ? s / e : 0;
      smin = Math.min(snr, smin);
      smax = Math.max(snr, smax);
      ssum += snr;
    }
  }
  acc[0] = n;
  acc[1] = min;
  acc[2] = max;
  acc[3] = sum;
  acc[4] = smin;
  acc[5] = smax;
  acc[6] = ssum;
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

export function countFlags(dq: Uint16Array): CcdPassCounts {
  let atodsat = 0;
  let saturated = 0;
  for (let i = 0; i < dq.length; i++) {
    const d = dq[i];
    atodsat += (d >> 11) & 1;
    saturated += (d >> 8) & 1;
  }
  return { atodsat, saturated };
}

/** Σ dark × darktime over the chip's pixels (for MEANDARK). */
export function darkSum(p: Placement, geom: ChipGeometry, dt: number): number {
  let s = 0;
  for (let oy = 0; oy < geom.outNy; oy++) {
    for (let ai = 0; ai < geom.amps.length; ai++) {
      const b = refRowBase(p, geom, ai, oy);
      const d = p.ref.data;
      for (let k = 0; k < geom.amps[ai].width; k++) s += d[b + k];
    }
  }
  return s * dt;
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

// The CCD pass (calacs's ACSCCD part): in one sweep over the science pixels of a raw chip it does
// DQ init's A-to-D saturation flag, BIASCORR, the gain conversion, BLEVCORR's subtraction and trim,
// full-well saturation and the noise model. Each step's inputs were prepared by its own unit;
// a step that is off simply contributes nothing here.
import type { ChipGeometry } from './layout.ts';
import { darkSum, fastSegment, inverseOf, isCommonCase, rowStats, simdFor, simdSegment } from './fastpass.ts';
import { type Placement, refRowBase } from './refimage.ts';

export const DQ_SOFTERR = 1;
export const DQ_DATALOST = 4;
export const DQ_CR = 8192;
export const DQ_BADPIX = 4;
export const DQ_SATURATED = 256;
export const DQ_BADFLAT = 512;
export const DQ_ATODSAT = 2048;
/** calacs's default serious-DQ mask (SDQFLAGS). */
export const DEFAULT_SDQFLAGS = 31743;

export interface AmpTerms {
  gain: number;
  readnoise: number;
  /** DN per raw row (from BLEVCORR), or undefined when BLEVCORR is off. */
  rowLevel?: Float64Array;
  colDrift?: Float32Array;
}

export interface CcdPassInput {
  raw: ArrayLike<number>;
  geom: ChipGeometry;
  amps: AmpTerms[];
  /** Raw DQ: a full raw-size array, or a constant (NAXIS = 0 extension). */
  rawDq: Uint16Array | number;
  /** Raw ERR in DN as a constant (raws carry 0); arrays are not produced by any HST raw. */
  rawErr: number;
  /** DQICORR: raw values at or above flag 2048 (undefined when DQICORR is off). */
  atodsat?: number;
  /** BIASCORR reference and its unit conversion to electrons (gain when it is in DN, else 1). */
  bias?: Placement;
  biasInDn?: boolean;
  /** Full-well saturation in electrons: a scalar (CCDTAB) or a SATUFILE placement. */
  saturate?: number;
  satMap?: Placement;
  /** Compute ERR (noise model); when false ERR stays the raw ERR scaled to electrons. */
  noise: boolean;
}

export interface ChipArrays {
  sci: Float32Array;
  err: Float32Array;
  dq: Uint16Array;
  nx: number;
  ny: number;
}

export interface CcdPassCounts {
  /** Pixels flagged A-to-D saturated (2048) and full-well saturated (256). */
  atodsat: number;
  saturated: number;
}

/**
 * The 2-D terms, when the exposure is not cosmic-ray combined: then DARKCORR, FLSHCORR, FLATCORR
 * and SHADCORR run in the same sweep (one read of the raw, one write of SCI/ERR/DQ).
 */
export interface PostTerms {
  dark?: Placement;
  darktime: number;
  flash?: Placement;
  flashdur: number;
  flat?: Placement;
  shading?: Placement;
  exptime: number;
  sdqflags: number;
}

/** Sums for the statistics keywords over pixels without serious DQ flags. */
export interface StatSums {
  n: number;
  min: number;
  max: number;
  sum: number;
  smin: number;
  smax: number;
  ssum: number;
  dark: number;
  flash: number;
}

/**
 * Runs the pass. `reuse` supplies output arrays of the right size (a streaming caller recycling
 * its buffers avoids the page faults of fresh 80 MB allocations per WFC chip). Its DQ plane is
 * OR-ed into, so it may carry flags set beforehand (BPIXTAB) and must otherwise be zero.
 */
export function ccdPass(
  p: CcdPassInput,
  post?: PostTerms,
  reuse?: ChipArrays,
): { arrays: ChipArrays; counts: CcdPassCounts; sums?: StatSums } {
  const { geom } = p;
  const n = geom.outNx * geom.outNy;
  const fits = reuse && reuse.sci.length === n && reuse.err.length === n && reuse.dq.length === n;
  const out: ChipArrays = fits
    ? { ...reuse, nx: geom.outNx, ny: geom.outNy }
    : {
        sci: new Float32Array(n),
        err: new Float32Array(n),
        dq: new Uint16Array(n),
        nx: geom.outNx,
        ny: geom.outNy,
      };
  // acc: n, min, max, sum, smin, smax, ssum, dark, flash, atodsat, saturated
  const acc = new Float64Array([0, Infinity, -Infinity, 0, Infinity, -Infinity, 0, 0, 0, 0, 0]);
  const plans = geom.amps.map((_, ai) => planSegment(p, post, ai, out, !fits));
  const fast = plans.every(isCommonCase);
  const simd = simdFor(plans);
  simd?.forgetDrift();
  for (let oy = 0; oy < geom.outNy; oy++) {
    for (const plan of plans) {
      if (simd) simdSegment(simd, plan, oy, acc);
      else if (fast) fastSegment(plan, oy, acc);
      else runSegment(plan, oy, acc);
    }
  }
  // MEANDARK's sum from the reference itself (kept with it), whichever kernel ran.
  if (post?.dark) acc[7] = darkSum(post.dark, geom, post.darktime);
  const counts = { atodsat: acc[9], saturated: acc[10] };
  const sums: StatSums = {
    n: acc[0],
    min: acc[1],
    max: acc[2],
    sum: acc[3],
    smin: acc[4],
    smax: acc[5],
    ssum: acc[6],
    dark: acc[7],
    flash: acc[8],
  };
  return { arrays: out, counts, sums: post ? sums : undefined };
}

const NONE = new Float32Array(0);
const NONE16 = new Uint16Array(0);
const NONE64 = new Float64Array(0);

/**
 * Everything one amp's runs need, fixed once per chip: arrays (empty when a term is off), scalar
 * constants, and for each array the index of output row 0 plus its row stride. One object shape
 * for every call keeps the pixel loop monomorphic.
 */
export interface SegPlan {
  raw: ArrayLike<number>;
  rawDq: Uint16Array;
  dqConst: number;
  srcBase: number;
  srcStride: number;
  rowStart: number;
  dstBase: number;
  dstStride: number;
  width: number;
  gain: number;
  rowLevel: Float64Array;
  drift: Float32Array;
  atod: number;
  base: number;
  noise: boolean;
  sat: number;
  sMap: Float32Array;
  sBase: number;
  sStride: number;
  bData: Float32Array;
  bErr: Float32Array;
  bDq: Uint16Array;
  bBase: number;
  bStride: number;
  bScale: number;
  post: boolean;
  dD: Float32Array;
  dE: Float32Array;
  dQ: Uint16Array;
  dBase: number;
  dStride: number;
  dt: number;
  fD: Float32Array;
  fBase: number;
  fStride: number;
  ft: number;
  lD: Float32Array;
  /** 1/flat (0 where the flat is 0), empty when there is no flat. */
  lInv: Float32Array;
  lE: Float32Array;
  lQ: Uint16Array;
  lBase: number;
  lStride: number;
  hD: Float32Array;
  hBase: number;
  hStride: number;
  texp: number;
  sdq: number;
  sci: Float32Array;
  err: Float32Array;
  dq: Uint16Array;
  /** The output DQ was allocated here, so it is all zero before the sweep (need not be read). */
  dqZero: boolean;
}

function place(pl: Placement | undefined, geom: ChipGeometry, ai: number): [number, number] {
  return pl ? [refRowBase(pl, geom, ai, 0), pl.ref.nx] : [0, 0];
}

function planSegment(
  p: CcdPassInput,
  post: PostTerms | undefined,
  ai: number,
  out: ChipArrays,
  dqZero: boolean,
): SegPlan {
  const { geom } = p;
  const a = geom.amps[ai];
  const t = p.amps[ai];
  const g = t.gain;
  const [sBase, sStride] = place(p.satMap, geom, ai);
  const [bBase, bStride] = place(p.bias, geom, ai);
  const [dBase, dStride] = place(post?.dark, geom, ai);
  const [fBase, fStride] = place(post?.flash, geom, ai);
  const [lBase, lStride] = place(post?.flat, geom, ai);
  const [hBase, hStride] = place(post?.shading, geom, ai);
  return {
    raw: p.raw,
    rawDq: typeof p.rawDq === 'number' ? NONE16 : p.rawDq,
    dqConst: typeof p.rawDq === 'number' ? p.rawDq : 0,
    srcBase: geom.rowStart * geom.nx + a.srcX0,
    srcStride: geom.nx,
    rowStart: geom.rowStart,
    dstBase: a.outX0,
    dstStride: geom.outNx,
    width: a.width,
    gain: g,
    rowLevel: t.rowLevel ?? NONE64,
    drift: t.colDrift && t.rowLevel ? t.colDrift : NONE,
    atod: p.atodsat ?? Number.POSITIVE_INFINITY,
    base: p.rawErr * g * p.rawErr * g + (p.noise ? t.readnoise * t.readnoise : 0),
    noise: p.noise,
    sat: p.saturate ?? Number.POSITIVE_INFINITY,
    sMap: p.satMap?.ref.data ?? NONE,
    sBase,
    sStride,
    bData: p.bias?.ref.data ?? NONE,
    bErr: p.bias?.ref.err ?? NONE,
    bDq: p.bias?.ref.dq ?? NONE16,
    bBase,
    bStride,
    bScale: p.biasInDn ? g : 1,
    post: post !== undefined,
    dD: post?.dark?.ref.data ?? NONE,
    dE: post?.dark?.ref.err ?? NONE,
    dQ: post?.dark?.ref.dq ?? NONE16,
    dBase,
    dStride,
    dt: post?.darktime ?? 0,
    fD: post?.flash?.ref.data ?? NONE,
    fBase,
    fStride,
    ft: post?.flashdur ?? 0,
    lD: post?.flat?.ref.data ?? NONE,
    lInv: post?.flat ? inverseOf(post.flat.ref) : NONE,
    lE: post?.flat?.ref.err ?? NONE,
    lQ: post?.flat?.ref.dq ?? NONE16,
    lBase,
    lStride,
    hD: post?.shading?.ref.data ?? NONE,
    hBase,
    hStride,
    texp: post?.exptime ?? 0,
    sdq: post?.sdqflags ?? 0,
    sci: out.sci,
    err: out.err,
    dq: out.dq,
    dqZero,
  };
}

// One amp's run of one output row. Optional terms are tested on loop-invariant flags (predictable
// branches) rather than split into variants.
function runSegment(pl: SegPlan, oy: number, acc: Float64Array): void {
  const raw = pl.raw;
  const src = pl.srcBase + oy * pl.srcStride;
  const dst = pl.dstBase + oy * pl.dstStride;
  const rawDq = pl.rawDq;
  const hasDqArr = rawDq.length > 0;
  const dqConst = pl.dqConst;
  // Single-precision arithmetic throughout (see fastpass.ts): every constant and every step is
  // rounded to float32, which is what the SIMD kernel computes natively.
  const f = Math.fround;
  const g = f(pl.gain);
  const hasLevel = pl.rowLevel.length > 0;
  const lvl = f(hasLevel ? pl.rowLevel[pl.rowStart + oy] : 0);
  const drift = pl.drift;
  const hasDrift = drift.length > 0;
  const atod = f(pl.atod);
  const base = f(pl.base);
  const noise = pl.noise;
  const sat = f(pl.sat);
  const sMap = pl.sMap;
  const hasSMap = sMap.length > 0;
  const sb = pl.sBase + oy * pl.sStride;
  const bData = pl.bData;
  const hasBias = bData.length > 0;
  const bErr = pl.bErr;
  const hasBErr = bErr.length > 0;
  const bDq = pl.bDq;
  const hasBDq = bDq.length > 0;
  const bb = pl.bBase + oy * pl.bStride;
  const bScale = f(pl.bScale);
  const post = pl.post;
  const dD = pl.dD;
  const hasDark = dD.length > 0;
  const dE = pl.dE;
  const hasDE = dE.length > 0;
  const dQ = pl.dQ;
  const hasDQ = dQ.length > 0;
  const db = pl.dBase + oy * pl.dStride;
  const dt = f(pl.dt);
  const fD = pl.fD;
  const hasFlash = fD.length > 0;
  const fb = pl.fBase + oy * pl.fStride;
  const ft = f(pl.ft);
  const lD = pl.lD;
  const hasFlat = lD.length > 0;
  const lE = pl.lE;
  const hasLE = lE.length > 0;
  const lQ = pl.lQ;
  const hasLQ = lQ.length > 0;
  const lb = pl.lBase + oy * pl.lStride;
  const hD = pl.hD;
  const hasShad = hD.length > 0;
  const hb = pl.hBase + oy * pl.hStride;
  const texp = f(pl.texp);
  const sdq = pl.sdq;
  const sci = pl.sci;
  const err = pl.err;
  const dq = pl.dq;
  const w = pl.width;
  let dark = acc[7];
  let flash = acc[8];
  let nAtod = acc[9];
  let nSat = acc[10];
  // Conditional expressions rather than `if (…) x |= …` statements: V8 compiles them to selects,
  // which measured twice as fast here as the branchy form.
  for (let k = 0; k < w; k++) {
    const r = raw[src + k];
    let s = f(f(f(f(r - lvl) - (hasDrift ? drift[k] : 0)) * g) - (hasBias ? f(bData[bb + k] * bScale) : 0));
    const be = hasBErr ? f(bErr[bb + k] * bScale) : 0;
    const satFlag = s > (hasSMap ? sMap[sb + k] : sat) ? DQ_SATURATED : 0;
    const atodFlag = r >= atod ? DQ_ATODSAT : 0;
    let d =
      dq[dst + k] | (hasDqArr ? rawDq[src + k] : dqConst) | atodFlag | satFlag | (hasBDq ? bDq[bb + k] : 0);
    nAtod += atodFlag ? 1 : 0;
    nSat += satFlag ? 1 : 0;
    // Math.max and the SIMD kernel's pmax differ only for -0, which adds to base (≥ +0) the same.
    let v = f(f(base + f(be * be)) + (noise ? Math.max(s, 0) : 0));
    let scale = 1;
    if (post) {
      const dk = hasDark ? f(dD[db + k] * dt) : 0;
      const de = hasDE ? f(dE[db + k] * dt) : 0;
      const fl = hasFlash ? f(fD[fb + k] * ft) : 0;
      s = f(s - f(dk + fl));
      dark += dk;
      flash += fl;
      v = f(v + f(de * de));
      d |= (hasDQ ? dQ[db + k] : 0) | (hasLQ ? lQ[lb + k] : 0);
      if (hasFlat) {
        const fv = lD[lb + k];
        const inv = fv === 0 ? 0 : f(1 / fv);
        s = f(s * inv);
        // Without a flat ERR plane the flat scales ERR after the root (sqrt(v)·|1/flat|), as the
        // SIMD kernel does; with one, its term joins the variance first.
        if (hasLE) {
          const fe = f(f(s * lE[lb + k]) * inv);
          v = f(f(v * f(inv * inv)) + f(fe * fe));
        } else scale = Math.abs(inv);
        d |= fv === 0 ? DQ_BADFLAT : 0;
      }
      if (hasShad) {
        const corr = f(texp / f(texp + hD[hb + k]));
        s = f(s * corr);
        scale = f(scale * corr);
      }
    }
    const e = f(Math.sqrt(v)) * scale;
    sci[dst + k] = s;
    err[dst + k] = e;
    dq[dst + k] = d;
  }
  // Statistics from the stored float32 values, as the fast kernels take them (one shared rule).
  if (post) rowStats(sci, err, dq, dst, dst + w, sdq, acc);
  acc[7] = dark;
  acc[8] = flash;
  acc[9] = nAtod;
  acc[10] = nSat;
}

/** Maps a raw pixel to the trimmed output; undefined when it falls in the overscan. */
export function rawToOut(geom: ChipGeometry, rx: number, ry: number): [number, number] | undefined {
  const oy = ry - geom.rowStart;
  if (oy < 0 || oy >= geom.outNy) return undefined;
  for (const a of geom.amps) {
    if (rx >= a.srcX0 && rx < a.srcX0 + a.width) return [a.outX0 + rx - a.srcX0, oy];
  }
  return undefined;
}

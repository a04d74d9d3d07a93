// CRCORR: cosmic-ray rejection across CR-SPLIT/repeat exposures of the same pointing, following
// ACSREJ's method: sky per exposure, an initial guess of the clean rate (minimum or median over
// exposures), then for each sigma in CRSIGMAS compare every exposure to the guess with the noise
// model (read noise, Poisson, SCALENSE % of the signal), flag outliers, spread the flag to
// neighbours within CRRADIUS that deviate by CRTHRESH·sigma, and re-estimate the guess as the
// exposure-weighted mean of what is left. Works on the CCD-pass products (electrons, trimmed).
import { type ChipArrays, DQ_CR } from './ccdpass.ts';
import { medianInPlace, skyMode } from './numeric.ts';

export interface CrRejParams {
  crsigmas: number[];
  crradius: number;
  crthresh: number;
  /** Percent of the signal added to the noise (ACSREJ's SCALENSE). */
  scalense: number;
  initgues: 'minimum' | 'median';
  skysub: 'mode' | 'none';
  /** DQ bits that exclude an input pixel from the combination. */
  badinpdq: number;
  /** Write DQ 8192 into the inputs' DQ where a pixel was rejected. */
  crmask: boolean;
}

export interface CrRejResult {
  combined: ChipArrays;
  /** Rejected pixels per input (also OR-ed into the inputs' DQ when crmask). */
  masks: Uint8Array[];
  sky: number[];
  rejected: number;
  /** Rejected input pixels per pixel and per second of total exposure. */
  rejRate: number;
  exptime: number;
}

/**
 * Combines `inputs` (same shape) with exposure times `t` and per-pixel read-noise variance given
 * per column (`rn2Col`, electrons²).
 */
export function crReject(
  inputs: ChipArrays[],
  t: number[],
  rn2Col: Float32Array,
  p: CrRejParams,
): CrRejResult {
  const nimg = inputs.length;
  const npix = inputs[0].nx * inputs[0].ny;
  const sky = inputs.map((c) => (p.skysub === 'mode' ? skyMode(c.sci, c.dq, p.badinpdq || 0xffff) : 0));
  // One state byte per input pixel: 0 usable, CORE/HALO rejected as a cosmic ray, BAD by BADINPDQ.
  const state = inputs.map(() => new Uint8Array(npix));
  const guess = new Float32Array(npix);
  if (p.initgues === 'minimum' || nimg < 3) minimumGuess(inputs, t, sky, state, guess, p.badinpdq);
  else {
    markBad(inputs, state, p.badinpdq);
    medianGuess(inputs, t, sky, state, guess);
  }
  const scale2 = (p.scalense / 100) ** 2;
  const offsets = neighbourOffsets(p.crradius);
  const seeds = inputs.map(() => new Seeds());
  p.crsigmas.forEach((sigma, k) => {
    // The re-estimate after sigma k-1 is taken row by row in the same sweep as sigma k's test:
    // both only look at the pixel itself, and the halo spill before has already settled the states.
    flagAll(inputs, t, sky, state, guess, rn2Col, scale2, sigma * sigma, k > 0, seeds);
    for (let j = 0; j < nimg; j++) {
      const model = { c: inputs[j], guess, t: t[j], sky: sky[j], rn2Col, scale2 };
      spill(model, (sigma * p.crthresh) ** 2, state[j], offsets, seeds[j]);
    }
  });
  // The last re-estimate is not needed: combine() uses the guess only where nothing is left.
  const { combined, masks, rejected } = combine(inputs, t, sky, state, guess, p.crmask ? DQ_CR : 0);
  const exptime = t.reduce((a, b) => a + b, 0);
  return { combined, masks, sky, rejected, rejRate: rejected / npix / exptime, exptime };
}

/** A growable list of pixel indices (newly flagged cosmic-ray cores of one image). */
class Seeds {
  buf = new Int32Array(4096);
  n = 0;
  push(i: number): void {
    if (this.n === this.buf.length) {
      const b = new Int32Array(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
    }
    this.buf[this.n++] = i;
  }
}

const CORE = 1;
const HALO = 2;
const BAD = 4;

interface Model {
  c: ChipArrays;
  guess: Float32Array;
  t: number;
  sky: number;
  rn2Col: Float32Array;
  scale2: number;
}

// The whole-image passes run row by row: on each row every exposure's loop runs in turn over
// row-sized float32 sums (still in cache), so a pass reads every input once and fused steps
// (re-estimate + next test, combine + masks) share it. The float32 row sums round at each step
// exactly as the whole-image float32 planes they replace did, so the results are unchanged.

/** Everything a row sweep needs, in one fixed-shape object (the row functions stay monomorphic). */
interface Sweep {
  nimg: number;
  nx: number;
  scis: Float32Array[];
  errs: Float32Array[];
  dqs: Uint16Array[];
  state: Uint8Array[];
  sk: Float64Array;
  tt: Float64Array;
  inv: Float64Array;
  guess: Float32Array;
  /** One row of float32 sums (rounded at each step like the whole-image planes they replace). */
  num: Float32Array;
  den: Float32Array;
  vGood: Float32Array;
  vAll: Float32Array;
  dGood: Uint16Array;
  dAll: Uint16Array;
}

function sweepOf(
  inputs: ChipArrays[],
  t: number[],
  sky: number[],
  state: Uint8Array[],
  guess: Float32Array,
): Sweep {
  const tt = Float64Array.from(t);
  return {
    nimg: inputs.length,
    nx: inputs[0].nx,
    scis: inputs.map((c) => c.sci),
    errs: inputs.map((c) => c.err),
    dqs: inputs.map((c) => c.dq),
    state,
    sk: Float64Array.from(sky),
    tt,
    inv: tt.map((x) => 1 / x),
    guess,
    num: new Float32Array(inputs[0].nx),
    den: new Float32Array(inputs[0].nx),
    vGood: new Float32Array(inputs[0].nx),
    vAll: new Float32Array(inputs[0].nx),
    dGood: new Uint16Array(inputs[0].nx),
    dAll: new Uint16Array(inputs[0].nx),
  };
}

// Each sweep calls a function per row rather than looping over the whole image in one call: a
// single long-running call gets compiled on-stack at an inner loop and deoptimizes every time it
// leaves it (seen with --trace-deopt: "exit from OSR'd inner loop"), several times slower.

/** BADINPDQ states and the minimum-rate initial guess, in one sweep. */
function minimumGuess(
  inputs: ChipArrays[],
  t: number[],
  sky: number[],
  state: Uint8Array[],
  guess: Float32Array,
  bad: number,
): void {
  const sw = sweepOf(inputs, t, sky, state, guess);
  for (let y = 0; y < inputs[0].ny; y++) minimumRow(sw, y * sw.nx, bad);
}

function minimumRow(sw: Sweep, row: number, bad: number): void {
  const { nimg, nx, scis, dqs, state, sk, tt, inv, guess } = sw;
  guess.fill(Number.POSITIVE_INFINITY, row, row + nx);
  for (let j = 0; j < nimg; j++)
    minimumOne(scis[j], dqs[j], state[j], guess, row, row + nx, sk[j], inv[j], bad);
  for (let i = row; i < row + nx; i++) {
    if (guess[i] !== Number.POSITIVE_INFINITY) continue;
    // Pixels bad in every exposure: take the minimum regardless.
    let v = Number.POSITIVE_INFINITY;
    for (let j = 0; j < nimg; j++) v = Math.min(v, (scis[j][i] - sk[j]) / tt[j]);
    guess[i] = v;
  }
}

function minimumOne(
  sci: Float32Array,
  dq: Uint16Array,
  m: Uint8Array,
  guess: Float32Array,
  a: number,
  b: number,
  sk: number,
  inv: number,
  bad: number,
): void {
  const sR = sci.subarray(a, b);
  const qR = dq.subarray(a, b);
  const mR = m.subarray(a, b);
  const gR = guess.subarray(a, b);
  for (let x = 0; x < sR.length; x++) {
    const st = (qR[x] & bad) !== 0 ? BAD : 0;
    mR[x] = st;
    const v = (sR[x] - sk) * inv;
    if (st === 0 && v < gR[x]) gR[x] = v;
  }
}

function markBad(inputs: ChipArrays[], state: Uint8Array[], bad: number): void {
  if (!bad) return;
  inputs.forEach((c, j) => {
    const m = state[j];
    for (let i = 0; i < m.length; i++) m[i] = c.dq[i] & bad ? BAD : 0;
  });
}

function medianGuess(
  inputs: ChipArrays[],
  t: number[],
  sky: number[],
  state: Uint8Array[],
  guess: Float32Array,
): void {
  const npix = guess.length;
  const buf = new Float64Array(inputs.length);
  for (let i = 0; i < npix; i++) {
    let n = 0;
    for (let j = 0; j < inputs.length; j++)
      if (state[j][i] === 0) buf[n++] = (inputs[j].sci[i] - sky[j]) / t[j];
    if (n === 0) for (let j = 0; j < inputs.length; j++) buf[n++] = (inputs[j].sci[i] - sky[j]) / t[j];
    guess[i] = medianInPlace(buf, n);
  }
}

/**
 * One sigma's test of every exposure against the guess (flagging CORE pixels deviating by more
 * than sqrt(thr2) sigmas into `seeds`), preceded per pixel, when `reest`, by the re-estimate of
 * the guess as the exposure-weighted mean of the exposures still usable there.
 */
function flagAll(
  inputs: ChipArrays[],
  t: number[],
  sky: number[],
  state: Uint8Array[],
  guess: Float32Array,
  rn2Col: Float32Array,
  scale2: number,
  thr2: number,
  reest: boolean,
  seeds: Seeds[],
): void {
  const sw = sweepOf(inputs, t, sky, state, guess);
  for (const s of seeds) s.n = 0;
  for (let y = 0; y < inputs[0].ny; y++) flagRow(sw, y * sw.nx, rn2Col, scale2, thr2, reest, seeds);
}

function flagRow(
  sw: Sweep,
  row: number,
  rn2Col: Float32Array,
  scale2: number,
  thr2: number,
  reest: boolean,
  seeds: Seeds[],
): void {
  const { nimg, nx, scis, state, sk, tt, guess, num, den } = sw;
  if (reest) {
    num.fill(0);
    den.fill(0);
    for (let j = 0; j < nimg; j++) reestOne(scis[j], state[j], num, den, row, nx, sk[j], tt[j]);
    for (let x = 0; x < nx; x++) if (den[x] > 0) guess[row + x] = num[x] / den[x];
  }
  for (let j = 0; j < nimg; j++)
    flagOne(scis[j], state[j], guess, row, nx, tt[j], sk[j], rn2Col, scale2, thr2, seeds[j]);
}

/** Sums of one exposure's usable pixels on a row (float32 sums, as ACSREJ's float arrays). */
function reestOne(
  sci: Float32Array,
  m: Uint8Array,
  num: Float32Array,
  den: Float32Array,
  row: number,
  nx: number,
  sk: number,
  tj: number,
): void {
  const sR = sci.subarray(row, row + nx);
  const mR = m.subarray(row, row + nx);
  for (let x = 0; x < nx; x++) {
    const use = mR[x] === 0 ? 1 : 0;
    num[x] += use * (sR[x] - sk);
    den[x] += use * tj;
  }
}

function flagOne(
  sci: Float32Array,
  m: Uint8Array,
  guess: Float32Array,
  row: number,
  nx: number,
  t: number,
  sky: number,
  rn2Col: Float32Array,
  scale2: number,
  thr2: number,
  seeds: Seeds,
): void {
  // Row views: one index in the loop (measurably faster in V8 than offset arithmetic).
  const mR = m.subarray(row, row + nx);
  const sR = sci.subarray(row, row + nx);
  const gR = guess.subarray(row, row + nx);
  for (let x = 0; x < nx; x++) {
    if (mR[x] !== 0) continue;
    const signal = gR[x] * t + sky;
    const variance = rn2Col[x] + Math.max(signal, 0) + scale2 * signal * signal;
    const d = sR[x] - signal;
    if (d * d > thr2 * variance) {
      mR[x] = CORE;
      seeds.push(row + x);
    }
  }
}

function neighbourOffsets(radius: number): [number, number][] {
  const r = Math.floor(radius);
  const out: [number, number][] = [];
  for (let dy = -r; dy <= r; dy++) {
    for (let dx = -r; dx <= r; dx++)
      if ((dx || dy) && dx * dx + dy * dy <= radius * radius) out.push([dx, dy]);
  }
  return out;
}

// Neighbours of a rejected pixel are judged with the lower CRTHRESH·sigma threshold (the halo of a
// cosmic ray is fainter than its core). Newly flagged neighbours do not spread further.
function spill(md: Model, thr2: number, m: Uint8Array, offsets: [number, number][], seeds: Seeds): void {
  if (offsets.length === 0) return;
  const { nx, ny, sci } = md.c;
  const { guess, t, sky, rn2Col, scale2 } = md;
  const { buf, n } = seeds;
  for (let s = 0; s < n; s++) {
    const i = buf[s];
    const x = i % nx;
    const y = (i - x) / nx;
    for (const [dx, dy] of offsets) {
      const xx = x + dx;
      const yy = y + dy;
      if (xx < 0 || yy < 0 || xx >= nx || yy >= ny) continue;
      const k = yy * nx + xx;
      if (m[k] !== 0) continue;
      const signal = guess[k] * t + sky;
      const variance = rn2Col[xx] + Math.max(signal, 0) + scale2 * signal * signal;
      const d = sci[k] - signal;
      if (d * d > thr2 * variance) m[k] = HALO;
    }
  }
}

/**
 * The combined image (exposure-weighted mean of the usable inputs, scaled to the total time, sky
 * added back), the per-input rejection masks and their DQ flag, in one sweep.
 */
function combine(
  inputs: ChipArrays[],
  t: number[],
  sky: number[],
  state: Uint8Array[],
  guess: Float32Array,
  flag: number,
): { combined: ChipArrays; masks: Uint8Array[]; rejected: number } {
  const { nx, ny } = inputs[0];
  const npix = nx * ny;
  const sw = sweepOf(inputs, t, sky, state, guess);
  const masks = inputs.map(() => new Uint8Array(npix));
  const out: ChipArrays = {
    sci: new Float32Array(npix),
    err: new Float32Array(npix),
    dq: new Uint16Array(npix),
    nx,
    ny,
  };
  const total = t.reduce((a, b) => a + b, 0);
  const skysum = sky.reduce((a, b) => a + b, 0);
  let rejected = 0;
  for (let y = 0; y < ny; y++) rejected += combineRow(sw, y * nx, masks, out, total, skysum, flag);
  return { combined: out, masks, rejected };
}

function combineRow(
  sw: Sweep,
  row: number,
  masks: Uint8Array[],
  out: ChipArrays,
  total: number,
  skysum: number,
  flag: number,
): number {
  const { nimg, nx, scis, errs, dqs, state, sk, tt, guess, num, den, vGood, vAll, dGood, dAll } = sw;
  num.fill(0);
  den.fill(0);
  vGood.fill(0);
  vAll.fill(0);
  dGood.fill(0);
  dAll.fill(0);
  let rejected = 0;
  for (let j = 0; j < nimg; j++) {
    combineOne(sw, scis[j], errs[j], dqs[j], state[j], row, sk[j], tt[j]);
    rejected += maskOne(state[j], masks[j], dqs[j], row, nx, flag);
  }
  const { sci, err, dq } = out;
  for (let x = 0; x < nx; x++) {
    const i = row + x;
    if (den[x] > 0) {
      sci[i] = (num[x] / den[x]) * total + skysum;
      err[i] = (Math.sqrt(vGood[x]) / den[x]) * total;
      dq[i] = dGood[x];
    } else {
      // Every exposure rejected or bad here: keep the guess, flag it, and carry all inputs' flags.
      sci[i] = guess[i] * total + skysum;
      err[i] = Math.sqrt(vAll[x]);
      dq[i] = dAll[x] | DQ_CR;
    }
  }
  return rejected;
}

function combineOne(
  sw: Sweep,
  sci: Float32Array,
  err: Float32Array,
  dq: Uint16Array,
  m: Uint8Array,
  row: number,
  sk: number,
  tj: number,
): void {
  const { nx, num, den, vGood, vAll, dGood, dAll } = sw;
  const sR = sci.subarray(row, row + nx);
  const eR = err.subarray(row, row + nx);
  const qR = dq.subarray(row, row + nx);
  const mR = m.subarray(row, row + nx);
  for (let x = 0; x < nx; x++) {
    const e2 = eR[x] * eR[x];
    vAll[x] += e2;
    dAll[x] |= qR[x];
    if (mR[x] !== 0) continue;
    num[x] += sR[x] - sk;
    den[x] += tj;
    vGood[x] += e2;
    dGood[x] |= qR[x];
  }
}

/** The rejection mask of one exposure's row, OR-ed into its DQ (after combineOne read it). */
function maskOne(
  m: Uint8Array,
  mask: Uint8Array,
  dq: Uint16Array,
  row: number,
  nx: number,
  flag: number,
): number {
  const mR = m.subarray(row, row + nx);
  const kR = mask.subarray(row, row + nx);
  const qR = dq.subarray(row, row + nx);
  let n = 0;
  for (let x = 0; x < nx; x++) {
    const hit = mR[x] === CORE || mR[x] === HALO ? 1 : 0;
    kR[x] = hit;
    n += hit;
    qR[x] |= hit * flag;
  }
  return n;
}

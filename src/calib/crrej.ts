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
  const { nx, ny } = inputs[0];
  const npix = nx * ny;
  const sky = inputs.map((c) => (p.skysub === 'mode' ? skyMode(c.sci, c.dq, p.badinpdq || 0xffff) : 0));
  // One state byte per input pixel: 0 usable, CORE/HALO rejected as a cosmic ray, BAD by BADINPDQ.
  const state = inputs.map((c) => {
    const m = new Uint8Array(npix);
    if (p.badinpdq) for (let i = 0; i < npix; i++) m[i] = c.dq[i] & p.badinpdq ? BAD : 0;
    return m;
  });
  const guess = initialGuess(inputs, t, sky, state, p.initgues);
  const scale2 = (p.scalense / 100) ** 2;
  const offsets = neighbourOffsets(p.crradius);
  const num = new Float32Array(npix);
  const den = new Float32Array(npix);
  for (const sigma of p.crsigmas) {
    for (let j = 0; j < nimg; j++) {
      const model = { c: inputs[j], guess, t: t[j], sky: sky[j], rn2Col, scale2 };
      const seeds = flagImage(model, sigma * sigma, state[j]);
      spill(model, (sigma * p.crthresh) ** 2, state[j], offsets, seeds);
    }
    reestimate(inputs, t, sky, state, guess, num, den);
  }
  const combined = combine(inputs, t, sky, state, guess);
  let rejected = 0;
  const masks: Uint8Array[] = [];
  for (let j = 0; j < nimg; j++) {
    const st = state[j];
    const m = new Uint8Array(npix);
    const dq = inputs[j].dq;
    const flag = p.crmask ? DQ_CR : 0;
    for (let i = 0; i < npix; i++) {
      const hit = st[i] === CORE || st[i] === HALO ? 1 : 0;
      m[i] = hit;
      rejected += hit;
      dq[i] |= hit * flag;
    }
    masks.push(m);
  }
  const exptime = t.reduce((a, b) => a + b, 0);
  return { combined, masks, sky, rejected, rejRate: rejected / npix / exptime, exptime };
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

// The per-exposure loops run image by image (not pixel by pixel across images) so each pass
// streams a few arrays linearly.
function initialGuess(
  inputs: ChipArrays[],
  t: number[],
  sky: number[],
  state: Uint8Array[],
  how: 'minimum' | 'median',
): Float32Array {
  const npix = inputs[0].sci.length;
  const guess = new Float32Array(npix);
  if (how === 'minimum' || inputs.length < 3) {
    guess.fill(Number.POSITIVE_INFINITY);
    inputs.forEach((c, j) => {
      const m = state[j];
      const sci = c.sci;
      const sk = sky[j];
      const inv = 1 / t[j];
      for (let i = 0; i < npix; i++) {
        const v = (sci[i] - sk) * inv;
        if (m[i] === 0 && v < guess[i]) guess[i] = v;
      }
    });
    // Pixels bad in every exposure: take the minimum regardless.
    for (let i = 0; i < npix; i++) {
      if (guess[i] !== Number.POSITIVE_INFINITY) continue;
      let v = Number.POSITIVE_INFINITY;
      for (let j = 0; j < inputs.length; j++) v = Math.min(v, (inputs[j].sci[i] - sky[j]) / t[j]);
      guess[i] = v;
    }
    return guess;
  }
  const buf = new Float64Array(inputs.length);
  for (let i = 0; i < npix; i++) {
    let n = 0;
    for (let j = 0; j < inputs.length; j++)
      if (state[j][i] === 0) buf[n++] = (inputs[j].sci[i] - sky[j]) / t[j];
    if (n === 0) for (let j = 0; j < inputs.length; j++) buf[n++] = (inputs[j].sci[i] - sky[j]) / t[j];
    guess[i] = medianInPlace(buf, n);
  }
  return guess;
}

/** Flags pixels deviating by more than sqrt(thr2) sigmas; returns the newly flagged ones. */
function flagImage(md: Model, thr2: number, m: Uint8Array): Int32Array {
  const { nx, ny, sci } = md.c;
  const { guess, t, sky, rn2Col, scale2 } = md;
  const seeds: number[] = [];
  for (let y = 0; y < ny; y++) {
    const row = y * nx;
    for (let x = 0; x < nx; x++) {
      const i = row + x;
      if (m[i] !== 0) continue;
      const signal = guess[i] * t + sky;
      const variance = rn2Col[x] + Math.max(signal, 0) + scale2 * signal * signal;
      const d = sci[i] - signal;
      if (d * d > thr2 * variance) {
        m[i] = CORE;
        seeds.push(i);
      }
    }
  }
  return Int32Array.from(seeds);
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
function spill(md: Model, thr2: number, m: Uint8Array, offsets: [number, number][], seeds: Int32Array): void {
  if (offsets.length === 0) return;
  const { nx, ny, sci } = md.c;
  const { guess, t, sky, rn2Col, scale2 } = md;
  for (const i of seeds) {
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

function reestimate(
  inputs: ChipArrays[],
  t: number[],
  sky: number[],
  state: Uint8Array[],
  guess: Float32Array,
  num: Float32Array,
  den: Float32Array,
): void {
  const npix = guess.length;
  num.fill(0);
  den.fill(0);
  inputs.forEach((c, j) => {
    const m = state[j];
    const sci = c.sci;
    const sk = sky[j];
    const tj = t[j];
    for (let i = 0; i < npix; i++) {
      const use = m[i] === 0 ? 1 : 0;
      num[i] += use * (sci[i] - sk);
      den[i] += use * tj;
    }
  });
  for (let i = 0; i < npix; i++) if (den[i] > 0) guess[i] = num[i] / den[i];
}

function combine(
  inputs: ChipArrays[],
  t: number[],
  sky: number[],
  state: Uint8Array[],
  guess: Float32Array,
): ChipArrays {
  const { nx, ny } = inputs[0];
  const npix = nx * ny;
  const total = t.reduce((a, b) => a + b, 0);
  const skysum = sky.reduce((a, b) => a + b, 0);
  const num = new Float32Array(npix);
  const den = new Float32Array(npix);
  const vGood = new Float32Array(npix);
  const vAll = new Float32Array(npix);
  const dGood = new Uint16Array(npix);
  const dAll = new Uint16Array(npix);
  inputs.forEach((c, j) => {
    const m = state[j];
    const { sci, err, dq } = c;
    const sk = sky[j];
    const tj = t[j];
    for (let i = 0; i < npix; i++) {
      const e2 = err[i] * err[i];
      vAll[i] += e2;
      dAll[i] |= dq[i];
      if (m[i] !== 0) continue;
      num[i] += sci[i] - sk;
      den[i] += tj;
      vGood[i] += e2;
      dGood[i] |= dq[i];
    }
  });
  const sci = new Float32Array(npix);
  const err = new Float32Array(npix);
  const dq = new Uint16Array(npix);
  for (let i = 0; i < npix; i++) {
    if (den[i] > 0) {
      sci[i] = (num[i] / den[i]) * total + skysum;
      err[i] = (Math.sqrt(vGood[i]) / den[i]) * total;
      dq[i] = dGood[i];
    } else {
      // Every exposure rejected or bad here: keep the guess, flag it, and carry all inputs' flags.
      sci[i] = guess[i] * total + skysum;
      err[i] = Math.sqrt(vAll[i]);
      dq[i] = dAll[i] | DQ_CR;
    }
  }
  return { sci, err, dq, nx, ny };
}

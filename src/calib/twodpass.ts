// The 2-D pass (calacs's ACS2D part), in place on the trimmed chip: DARKCORR, FLSHCORR, FLATCORR
// and SHADCORR in one sweep, gathering the statistics keywords on the way.
import { DQ_BADFLAT } from './ccdpass.ts';
import { rowStats } from './fastpass.ts';
import type { ChipArrays } from './ccdpass.ts';
import type { ChipGeometry } from './layout.ts';
import { type Placement, refRowBase } from './refimage.ts';

export interface TwoDInput {
  geom: ChipGeometry;
  /** DARKCORR: dark (electrons/s) × darktime. */
  dark?: Placement;
  darktime: number;
  /** FLSHCORR: post-flash reference (electrons/s) × FLASHDUR. */
  flash?: Placement;
  flashdur: number;
  /** FLATCORR: the combined flat (PFLT·DFLT·LFLT) and its error. */
  flat?: Placement;
  /** SHADCORR: shutter shading (seconds), corrected as EXPTIME / (EXPTIME + shading). */
  shading?: Placement;
  exptime: number;
  /** Serious DQ bits for the statistics. */
  sdqflags: number;
}

export interface ChipStats {
  ngoodpix: number;
  goodmin: number;
  goodmax: number;
  goodmean: number;
  snrmin: number;
  snrmax: number;
  snrmean: number;
  meandark: number;
  meanflsh: number;
}

export function twoDPass(c: ChipArrays, p: TwoDInput): ChipStats {
  const acc = new Float64Array([0, Infinity, -Infinity, 0, Infinity, -Infinity, 0, 0, 0]);
  const plans = p.geom.amps.map((_, ai) => plan(c, p, ai));
  const fast = plans.every(isDarkFlatOnly);
  for (let oy = 0; oy < p.geom.outNy; oy++) {
    for (const pl of plans) {
      if (fast) darkFlatSegment(pl, oy, acc);
      else runSegment(pl, oy, acc);
    }
  }
  const npix = c.nx * c.ny;
  const any = acc[0] > 0;
  return {
    ngoodpix: acc[0],
    goodmin: any ? acc[1] : 0,
    goodmax: any ? acc[2] : 0,
    goodmean: any ? acc[3] / acc[0] : 0,
    snrmin: any ? acc[4] : 0,
    snrmax: any ? acc[5] : 0,
    snrmean: any ? acc[6] / acc[0] : 0,
    meandark: p.dark ? acc[7] / npix : 0,
    meanflsh: p.flash ? acc[8] / npix : 0,
  };
}

const NONE = new Float32Array(0);
const NONE16 = new Uint16Array(0);

/** One amp's constants with a fixed shape (absent terms are empty arrays), built once per chip. */
interface Plan {
  o0: number;
  nx: number;
  w: number;
  sci: Float32Array;
  err: Float32Array;
  dq: Uint16Array;
  dD: Float32Array;
  dE: Float32Array;
  dQ: Uint16Array;
  dB: number;
  dS: number;
  dt: number;
  fD: Float32Array;
  fB: number;
  fS: number;
  ft: number;
  lD: Float32Array;
  lE: Float32Array;
  lQ: Uint16Array;
  lB: number;
  lS: number;
  hD: Float32Array;
  hB: number;
  hS: number;
  t: number;
  sdq: number;
}

function plan(c: ChipArrays, p: TwoDInput, ai: number): Plan {
  const at = (pl: Placement | undefined): [number, number] =>
    pl ? [refRowBase(pl, p.geom, ai, 0), pl.ref.nx] : [0, 0];
  const [dB, dS] = at(p.dark);
  const [fB, fS] = at(p.flash);
  const [lB, lS] = at(p.flat);
  const [hB, hS] = at(p.shading);
  return {
    o0: p.geom.amps[ai].outX0,
    nx: c.nx,
    w: p.geom.amps[ai].width,
    sci: c.sci,
    err: c.err,
    dq: c.dq,
    dD: p.dark?.ref.data ?? NONE,
    dE: p.dark?.ref.err ?? NONE,
    dQ: p.dark?.ref.dq ?? NONE16,
    dB,
    dS,
    dt: p.darktime,
    fD: p.flash?.ref.data ?? NONE,
    fB,
    fS,
    ft: p.flashdur,
    lD: p.flat?.ref.data ?? NONE,
    lE: p.flat?.ref.err ?? NONE,
    lQ: p.flat?.ref.dq ?? NONE16,
    lB,
    lS,
    hD: p.shading?.ref.data ?? NONE,
    hB,
    hS,
    t: p.exptime,
    sdq: p.sdqflags,
  };
}

function runSegment(pl: Plan, oy: number, acc: Float64Array): void {
  const o = oy * pl.nx + pl.o0;
  const { sci, err, dq, dD, dE, dQ, fD, lD, lE, lQ, hD } = pl;
  const hasDark = dD.length > 0;
  const hasDE = dE.length > 0;
  const hasDQ = dQ.length > 0;
  const hasFlash = fD.length > 0;
  const hasFlat = lD.length > 0;
  const hasLE = lE.length > 0;
  const hasLQ = lQ.length > 0;
  const hasShad = hD.length > 0;
  const dB = pl.dB + oy * pl.dS;
  const fB = pl.fB + oy * pl.fS;
  const lB = pl.lB + oy * pl.lS;
  const hB = pl.hB + oy * pl.hS;
  const dt = pl.dt;
  const ft = pl.ft;
  const t = pl.t;
  const sdq = pl.sdq;
  const w = pl.w;
  let dark = acc[7];
  let flash = acc[8];
  for (let k = 0; k < w; k++) {
    const i = o + k;
    const dk = hasDark ? dD[dB + k] * dt : 0;
    const de = hasDE ? dE[dB + k] * dt : 0;
    const fl = hasFlash ? fD[fB + k] * ft : 0;
    const f = hasFlat ? lD[lB + k] : 1;
    const inv = f === 0 ? 0 : 1 / f;
    let s = (sci[i] - dk - fl) * inv;
    const e0 = err[i];
    const fe = hasLE ? s * lE[lB + k] * inv : 0;
    let v = (e0 * e0 + de * de) * inv * inv + fe * fe;
    const corr = hasShad ? t / (t + hD[hB + k]) : 1;
    s *= corr;
    v *= corr * corr;
    const d = dq[i] | (hasDQ ? dQ[dB + k] : 0) | (hasLQ ? lQ[lB + k] : 0) | (f === 0 ? DQ_BADFLAT : 0);
    const e = Math.sqrt(v);
    sci[i] = s;
    err[i] = e;
    dq[i] = d;
    dark += dk;
    flash += fl;
  }
  rowStats(sci, err, dq, o, o + w, sdq, acc);
  acc[7] = dark;
  acc[8] = flash;
}

/** The usual case: a dark and a flat without ERR/DQ planes, no post-flash, no shading. */
function isDarkFlatOnly(pl: Plan): boolean {
  return (
    pl.dD.length > 0 &&
    pl.lD.length > 0 &&
    pl.dE.length === 0 &&
    pl.dQ.length === 0 &&
    pl.fD.length === 0 &&
    pl.lE.length === 0 &&
    pl.lQ.length === 0 &&
    pl.hD.length === 0
  );
}

// runSegment with only the dark and flat terms: the same arithmetic (the absent terms added 0 or
// multiplied by 1, which is exact), with a fraction of the live values.
function darkFlatSegment(pl: Plan, oy: number, acc: Float64Array): void {
  const o = oy * pl.nx + pl.o0;
  const w = pl.w;
  // Row views: one index in the loop (measurably faster in V8 than offset arithmetic).
  const dR = pl.dD.subarray(pl.dB + oy * pl.dS, pl.dB + oy * pl.dS + w);
  const lR = pl.lD.subarray(pl.lB + oy * pl.lS, pl.lB + oy * pl.lS + w);
  const sR = pl.sci.subarray(o, o + w);
  const eR = pl.err.subarray(o, o + w);
  const qR = pl.dq.subarray(o, o + w);
  const dt = pl.dt;
  let dark = acc[7];
  for (let k = 0; k < w; k++) {
    const dk = dR[k] * dt;
    const f = lR[k];
    const inv = f === 0 ? 0 : 1 / f;
    const e0 = eR[k];
    sR[k] = (sR[k] - dk) * inv;
    eR[k] = Math.sqrt(e0 * e0 * inv * inv);
    qR[k] = qR[k] | (f === 0 ? DQ_BADFLAT : 0);
    dark += dk;
  }
  rowStats(pl.sci, pl.err, pl.dq, o, o + w, pl.sdq, acc);
  acc[7] = dark;
}

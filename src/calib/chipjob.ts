// Per-chip work units, run on a worker thread or inline: the CCD pass (DQICORR, BIASCORR, gain,
// BLEVCORR, saturation, noise), cosmic-ray rejection of one chip's stack, and the 2-D pass
// (DARKCORR, FLSHCORR, FLATCORR, SHADCORR, statistics). Jobs carry file paths or in-memory
// images; a worker reads its own chip so reading runs in parallel too.
import { performance } from 'node:perf_hooks';
import { openFits } from '../fits/index.ts';
import { type CcdPassCounts, type ChipArrays, ccdPass, type PostTerms, type StatSums } from './ccdpass.ts';
import { type CrRejParams, type CrRejResult, crReject } from './crrej.ts';
import { CalibError } from './errors.ts';
import { chipGeometry, type ChipGeometry, type OscnRow } from './layout.ts';
import { type AmpBias, measureAmpBias } from './overscan.ts';
import { type Placement, placeRef, type RefImage, refRowBase } from './refimage.ts';
import { type BpixRun, readRefImage } from './refs.ts';
import { type ChipStats, twoDPass } from './twodpass.ts';
import { runWrite, type WriteJob, type WriteResult, writeTransferables } from './writejob.ts';

/** A reference to load (path and chip) or one already in memory. */
export type RefSource = { path: string; chip: number } | RefImage;

/** The raw chip: where it is in a file, or the values themselves (benchmarks, tests). */
export type RawSource =
  | { path: string; sci: number; err: number; dq: number }
  | { data: ArrayLike<number>; nx: number; ny: number; dq: Uint16Array | number; err: number };

export interface CcdJob {
  kind: 'ccd';
  raw: RawSource;
  oscn: OscnRow;
  amps: string[];
  gain: number[];
  readnoise: number[];
  /** CCDTAB bias per amp (DN), the BLEVCORR fallback. */
  ccdbias: number[];
  rawLtv: [number, number];
  /** LTM1_1/LTM2_2 (1/binning); default 1. */
  rawLtm?: [number, number];
  dqicorr: boolean;
  atodsat: number;
  bpix: BpixRun[];
  biascorr: boolean;
  bias?: RefSource;
  biasInDn: boolean;
  blevcorr: boolean;
  saturate: number;
  satufile?: RefSource;
  noise: boolean;
  /** The 2-D steps, run in the same sweep when the exposure is not cosmic-ray combined. */
  post?: PostSpec;
  /** Output arrays to fill (recycled buffers); allocated when absent. */
  reuse?: ChipArrays;
}

/** DARKCORR/FLSHCORR/FLATCORR/SHADCORR inputs shared by the fused and the separate 2-D pass. */
export interface PostSpec {
  dark?: RefSource;
  darktime: number;
  flash?: RefSource;
  flashdur: number;
  flats: RefSource[];
  shading?: RefSource;
  exptime: number;
  sdqflags: number;
}

export interface AmpBiasSummary extends Omit<AmpBias, 'rowLevel' | 'colDrift'> {}

export interface CcdResult {
  arrays: ChipArrays;
  counts: CcdPassCounts;
  bpixFlagged: number;
  ampBias: AmpBiasSummary[];
  ms: Record<string, number>;
  /** Present when the 2-D steps ran in the same sweep. */
  stats?: ChipStats;
}

export interface TwoDJob extends PostSpec {
  kind: '2d';
  arrays: ChipArrays;
  oscn: OscnRow;
  amps: string[];
  rawLtv: [number, number];
}

export interface TwoDResult {
  arrays: ChipArrays;
  stats: ChipStats;
  ms: Record<string, number>;
}

export interface CrJob {
  kind: 'crrej';
  inputs: ChipArrays[];
  exptimes: number[];
  rn2Col: Float32Array;
  params: CrRejParams;
}

export type Job = CcdJob | TwoDJob | CrJob | WriteJob;
/** CR rejection hands its inputs back: their DQ now carries 8192 where a pixel was rejected. */
export type CrResult = CrRejResult & { inputs: ChipArrays[] };
export type JobResult = CcdResult | TwoDResult | CrResult | WriteResult;

const refCache = new Map<string, RefImage>();

function loadRef(src: RefSource, step: string): RefImage {
  if (!('path' in src)) return src;
  const key = `${src.path}#${src.chip}`;
  let r = refCache.get(key);
  if (!r) {
    r = readRefImage(src.path, src.chip, step);
    if (refCache.size > 16) refCache.clear();
    refCache.set(key, r);
  }
  return r;
}

export function runJob(job: Job): JobResult {
  if (job.kind === 'ccd') return runCcd(job);
  if (job.kind === '2d') return runTwoD(job);
  if (job.kind === 'write') return runWrite(job);
  return { ...crReject(job.inputs, job.exptimes, job.rn2Col, job.params), inputs: job.inputs };
}

interface RawChip {
  data: ArrayLike<number>;
  nx: number;
  ny: number;
  dq: Uint16Array | number;
  err: number;
}

function readRaw(src: RawSource): RawChip {
  if (!('path' in src)) return src;
  const f = openFits(src.path);
  try {
    const sci = f.hdus[src.sci];
    const img = sci.readImage({ type: 'auto' });
    const [nx, ny] = img.naxes;
    const dqh = f.hdus[src.dq];
    let dq: Uint16Array | number = 0;
    if (dqh?.isConstantImage) dq = dqh.header.number('PIXVALUE', 0);
    else if (dqh && dqh.layout.naxes.length === 2)
      dq = Uint16Array.from(dqh.readImage({ type: 'raw' }).data as ArrayLike<number>);
    const errh = f.hdus[src.err];
    const err = errh?.isConstantImage ? errh.header.number('PIXVALUE', 0) : 0;
    return { data: img.data as ArrayLike<number>, nx, ny, dq, err };
  } finally {
    f.close();
  }
}

function timed<T>(ms: Record<string, number>, step: string, fn: () => T): T {
  const t0 = performance.now();
  const r = fn();
  ms[step] = (ms[step] ?? 0) + performance.now() - t0;
  return r;
}

function runCcd(job: CcdJob): CcdResult {
  const ms: Record<string, number> = {};
  const raw = timed(ms, 'read', () => readRaw(job.raw));
  const file = 'path' in job.raw ? job.raw.path : 'raw';
  if (raw.nx !== job.oscn.nx || raw.ny !== job.oscn.ny) {
    throw new CalibError(
      'E_CALIB_INPUT',
      'BLEVCORR',
      `raw chip is ${raw.nx}x${raw.ny} but the overscan layout is for ${job.oscn.nx}x${job.oscn.ny}`,
      file,
    );
  }
  const geom = chipGeometry(job.oscn, job.amps);
  const bias =
    job.biascorr && job.bias
      ? timed(ms, 'BIASCORR', () => placeRef(loadRef(job.bias!, 'BIASCORR'), geom, job.rawLtv, 'BIASCORR'))
      : undefined;
  const satMap = job.satufile
    ? placeRef(loadRef(job.satufile, 'SATUFILE'), geom, job.rawLtv, 'SATUFILE')
    : undefined;
  const atodsat = job.dqicorr ? job.atodsat : Number.POSITIVE_INFINITY;
  const ampBias: AmpBias[] = job.blevcorr
    ? timed(ms, 'BLEVCORR', () =>
        geom.amps.map((_, i) =>
          measureAmpBias(raw.data, geom, i, {
            atodsat,
            bias,
            biasToDn: job.biasInDn ? 1 : 1 / job.gain[i],
            fallbackLevel: job.ccdbias[i],
          }),
        ),
      )
    : [];
  // BPIXTAB flags go in first so that the statistics of a fused pass leave those pixels out.
  const n = geom.outNx * geom.outNy;
  const out: ChipArrays = job.reuse ?? {
    sci: new Float32Array(n),
    err: new Float32Array(n),
    dq: new Uint16Array(n),
    nx: geom.outNx,
    ny: geom.outNy,
  };
  if (job.reuse) out.dq.fill(0);
  const bpixFlagged = job.dqicorr
    ? timed(ms, 'DQICORR', () => applyBpix(out.dq, geom, job.bpix, job.rawLtv, job.rawLtm))
    : 0;
  const post = job.post ? timed(ms, '2dprep', () => postTerms(job.post!, geom, job.rawLtv, ms)) : undefined;
  const { arrays, counts, sums } = timed(ms, job.post ? 'fusedpass' : 'ccdpass', () =>
    ccdPass(
      {
        raw: raw.data,
        geom,
        amps: geom.amps.map((_, i) => ({
          gain: job.gain[i],
          readnoise: job.readnoise[i],
          rowLevel: ampBias[i]?.rowLevel,
          colDrift: ampBias[i]?.colDrift,
        })),
        rawDq: raw.dq,
        rawErr: raw.err,
        atodsat: job.dqicorr ? job.atodsat : undefined,
        bias,
        biasInDn: job.biasInDn,
        saturate: job.saturate,
        satMap,
        noise: job.noise,
      },
      post,
      out,
    ),
  );
  const stats = sums ? statsFromSums(sums, n, post!) : undefined;
  const summaries = ampBias.map(({ rowLevel: _r, colDrift: _c, ...rest }) => rest);
  return { arrays, counts, bpixFlagged, ampBias: summaries, ms, stats };
}

/**
 * BPIXTAB runs: physical 1-based pixels → trimmed output through the trimmed chip's LTV (the
 * physical grid has no overscan, so this also holds across WFC3's central overscan); OR VALUE in.
 */
export function applyBpix(
  dq: Uint16Array,
  geom: ChipGeometry,
  runs: BpixRun[],
  rawLtv: [number, number],
  ltm: [number, number] = [1, 1],
): number {
  let n = 0;
  const ltv1 = rawLtv[0] - geom.amps[0].srcX0;
  const ltv2 = rawLtv[1] - geom.rowStart;
  // image = LTM·physical + LTV (1-based); a binned pixel takes the flags of every physical pixel in it.
  const toImage = (p: number, m: number, v: number) => Math.floor(m * (p - 0.5) + v + 0.5) - 1;
  for (const r of runs) {
    for (let k = 0; k < r.length; k++) {
      const ox = toImage(r.pix1 + (r.axis === 1 ? k : 0), ltm[0], ltv1);
      const oy = toImage(r.pix2 + (r.axis === 2 ? k : 0), ltm[1], ltv2);
      if (ox < 0 || oy < 0 || ox >= geom.outNx || oy >= geom.outNy) continue;
      dq[oy * geom.outNx + ox] |= r.value;
      n++;
    }
  }
  return n;
}

function postTerms(
  spec: PostSpec,
  geom: ChipGeometry,
  rawLtv: [number, number],
  ms: Record<string, number>,
): PostTerms {
  const place = (src: RefSource | undefined, step: string): Placement | undefined =>
    src ? timed(ms, step, () => placeRef(loadRef(src, step), geom, rawLtv, step)) : undefined;
  return {
    dark: place(spec.dark, 'DARKCORR'),
    darktime: spec.darktime,
    flash: place(spec.flash, 'FLSHCORR'),
    flashdur: spec.flashdur,
    flat: spec.flats.length ? timed(ms, 'FLATCORR', () => combinedFlat(spec.flats, geom, rawLtv)) : undefined,
    shading: place(spec.shading, 'SHADCORR'),
    exptime: spec.exptime,
    sdqflags: spec.sdqflags,
  };
}

function statsFromSums(a: StatSums, npix: number, post: PostTerms): ChipStats {
  const any = a.n > 0;
  return {
    ngoodpix: a.n,
    goodmin: any ? a.min : 0,
    goodmax: any ? a.max : 0,
    goodmean: any ? a.sum / a.n : 0,
    snrmin: any ? a.smin : 0,
    snrmax: any ? a.smax : 0,
    snrmean: any ? a.ssum / a.n : 0,
    meandark: post.dark ? a.dark / npix : 0,
    meanflsh: post.flash ? a.flash / npix : 0,
  };
}

function runTwoD(job: TwoDJob): TwoDResult {
  const ms: Record<string, number> = {};
  const geom = chipGeometry(job.oscn, job.amps);
  const p = postTerms(job, geom, job.rawLtv, ms);
  const stats = timed(ms, '2dpass', () => twoDPass(job.arrays, { geom, ...p }));
  return { arrays: job.arrays, stats, ms };
}

// PFLT·DFLT·LFLT: one flat is used as is; several are multiplied on the trimmed grid first, with
// relative errors added in quadrature and DQ OR-ed.
function combinedFlat(srcs: RefSource[], geom: ChipGeometry, rawLtv: [number, number]): Placement {
  const placed = srcs.map((s) => placeRef(loadRef(s, 'FLATCORR'), geom, rawLtv, 'FLATCORR'));
  if (placed.length === 1) return placed[0];
  const n = geom.outNx * geom.outNy;
  const data = new Float32Array(n).fill(1);
  const rel2 = new Float32Array(n);
  const dq = new Uint16Array(n);
  for (const p of placed) {
    for (let oy = 0; oy < geom.outNy; oy++) {
      for (const [ai, a] of geom.amps.entries()) {
        const base = refRowBase(p, geom, ai, oy);
        for (let k = 0; k < a.width; k++) {
          const o = oy * geom.outNx + a.outX0 + k;
          const f = p.ref.data[base + k];
          data[o] *= f;
          if (p.ref.err && f !== 0) rel2[o] += (p.ref.err[base + k] / f) ** 2;
          if (p.ref.dq) dq[o] |= p.ref.dq[base + k];
        }
      }
    }
  }
  const err = new Float32Array(n);
  for (let i = 0; i < n; i++) err[i] = Math.abs(data[i]) * Math.sqrt(rel2[i]);
  const ref: RefImage = {
    data,
    err,
    dq,
    nx: geom.outNx,
    ny: geom.outNy,
    ltv1: rawLtv[0] - geom.amps[0].srcX0,
    ltv2: rawLtv[1] - geom.rowStart,
    file: placed.map((p) => p.ref.file).join('*'),
  };
  return { ref, space: 'out', dx: 0, dy: 0 };
}

/** Buffers to transfer (not copy) when a result crosses threads. */
export function transferables(r: JobResult | Job): ArrayBuffer[] {
  if (('kind' in r && r.kind === 'write') || 'written' in r)
    return writeTransferables(r as WriteJob | WriteResult);
  const out: ArrayBuffer[] = [];
  const add = (c: ChipArrays) => {
    for (const a of [c.sci, c.err, c.dq])
      if (a.buffer instanceof ArrayBuffer && !out.includes(a.buffer)) out.push(a.buffer);
  };
  if ('kind' in r) {
    if (r.kind === 'ccd' && r.reuse) add(r.reuse);
    if (r.kind === '2d') add(r.arrays);
    if (r.kind === 'crrej') r.inputs.forEach(add);
    return out;
  }
  if ('combined' in r) {
    add(r.combined);
    r.inputs.forEach(add);
    for (const m of r.masks) if (m.buffer instanceof ArrayBuffer) out.push(m.buffer);
    return out;
  }
  add(r.arrays);
  return out;
}

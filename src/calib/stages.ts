// The stages of calibrate(): the CCD sweep of every chip (with the 2-D steps fused in when there
// is no cosmic-ray combination), CRCORR per chip across exposures, the separate 2-D sweep for
// CR-SPLIT products, and PHOTCORR; each reports its steps to the trailer.
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Association } from './asn.ts';
import { DEFAULT_SDQFLAGS } from './ccdpass.ts';
import type { CcdJob, CcdResult, CrResult, PostSpec, RefSource, TwoDJob, TwoDResult } from './chipjob.ts';
import type { CrRejParams } from './crrej.ts';
import { CalibError } from './errors.ts';
import type { RawExposure, StepSwitch } from './exposure.ts';
import { chipGeometry } from './layout.ts';
import { lookupPhot, type PhotKeywords, photMode } from './phot.ts';
import type { ChipResult, Product } from './pipeline.ts';
import { darktimeOf, exptimeOf, oscnFor, type Plan, type Refs } from './plan.ts';
import type { ChipPool } from './pool.ts';
import { bpixRuns, type TableRow } from './refs.ts';
import type { Trailer } from './trailer.ts';
import type { ChipStats } from './twodpass.ts';

export async function runCcdStage(
  exps: RawExposure[],
  refs: Refs,
  plan: Plan,
  pool: ChipPool,
  trailer: Trailer,
  fuse: boolean,
): Promise<CcdResult[][]> {
  const t0 = performance.now();
  const sdq = exps[0].chips[0].header.number('SDQFLAGS', DEFAULT_SDQFLAGS);
  const jobs = exps.map((e) =>
    e.chips.map((c, ci) => {
      const { row, amps } = oscnFor(e, refs, ci);
      const gain = amps.map((a) => refs.ccd.atodgain[a]);
      if (gain.some((g) => !(g > 0)))
        throw new CalibError(
          'E_CALIB_REF_TABLE',
          'CCDTAB',
          `ATODGN is not positive for amps ${amps.join('')}`,
          refs.ccdPath,
        );
      const job: CcdJob = {
        kind: 'ccd',
        raw: { path: e.path, sci: c.sci, err: c.err, dq: c.dq },
        oscn: row,
        amps,
        gain,
        readnoise: amps.map((a) => refs.ccd.readnoise[a]),
        ccdbias: amps.map((a) => refs.ccd.ccdbias[a]),
        rawLtv: c.ltv,
        rawLtm: [c.header.number('LTM1_1', 1), c.header.number('LTM2_2', 1)],
        dqicorr: plan.get('DQICORR')!.run,
        atodsat: refs.ccd.atodsat,
        bpix: refs.bpix ? bpixRuns(refs.bpix.rows, c.chip, refs.bpix.path) : [],
        biascorr: plan.get('BIASCORR')!.run,
        bias: refs.bias ? ({ path: refs.bias, chip: c.chip } satisfies RefSource) : undefined,
        biasInDn: false,
        blevcorr: plan.get('BLEVCORR')!.run,
        saturate: refs.ccd.saturate,
        satufile: refs.satufile ? { path: refs.satufile, chip: c.chip } : undefined,
        noise: true,
        post: fuse
          ? postSpec(
              { exposure: e, darktime: darktimeOf(e, refs.ccd), exptime: exptimeOf(e), ncombine: 1 },
              ci,
              refs,
              plan,
              sdq,
            )
          : undefined,
      };
      return pool.run<CcdResult>(job, `chip${c.chip}`);
    }),
  );
  const results = await Promise.all(jobs.map((j) => Promise.all(j)));
  const wall = performance.now() - t0;
  const sum = (k: string) => results.flat().reduce((a, r) => a + (r.ms[k] ?? 0), 0);
  const flat = results.flat();
  const report = (step: StepSwitch, detail: string, ms: number, ref?: string) => {
    const p = plan.get(step)!;
    trailer.step(
      p.run
        ? { step, status: 'COMPLETE', detail, ms, ref }
        : { step, status: p.reason === 'OMIT' ? 'OMIT' : 'SKIPPED', detail: p.reason, ms: 0 },
    );
  };
  const atod = flat.reduce((a, r) => a + r.counts.atodsat, 0);
  const bp = flat.reduce((a, r) => a + r.bpixFlagged, 0);
  trailer.log(`read raw chips: ${sum('read').toFixed(1)} ms (summed over chips)`);
  report(
    'DQICORR',
    `ATODSAT >= ${refs.ccd.atodsat} DN flagged ${atod} pixels (2048); BPIXTAB flagged ${bp} pixels`,
    sum('DQICORR'),
    refs.bpix?.path ? basename(refs.bpix.path) : undefined,
  );
  report('ATODCORR', '', 0);
  const levels = flat.flatMap((r) =>
    r.ampBias.map(
      (b) =>
        `${b.amp}=${b.mean.toFixed(2)}${b.source === 'ccdtab' ? `(CCDTAB: ${b.note})` : ''} slope ${b.slope.toExponential(2)}/row`,
    ),
  );
  report(
    'BLEVCORR',
    `bias levels (DN) ${levels.join(', ')}; trimmed to ${flat[0].arrays.nx}x${flat[0].arrays.ny}`,
    sum('BLEVCORR'),
    basename(refs.oscnPath),
  );
  report(
    'BIASCORR',
    'bias image subtracted; ERR in quadrature; DQ OR-ed',
    sum('BIASCORR'),
    refs.bias ? basename(refs.bias) : undefined,
  );
  trailer.step({
    step: 'GAIN',
    status: 'DONE',
    detail: `to electrons, ATODGN ${JSON.stringify(refs.ccd.atodgain)}`,
    ms: 0,
    ref: basename(refs.ccdPath),
  });
  const sat = flat.reduce((a, r) => a + r.counts.saturated, 0);
  trailer.step({
    step: 'NOISE',
    status: 'DONE',
    detail: `ERR = sqrt(max(SCI,0) + RN^2 + ERR^2); ${sat} pixels above full well ${refs.ccd.saturate} e- (256)`,
    ms: 0,
  });
  trailer.step({
    step: 'CCDPASS',
    status: 'DONE',
    detail: `one sweep per chip: ATODSAT/BIAS/gain/BLEV/trim/saturation/noise${fuse ? ' + dark/flash/flat/shading/statistics' : ''}, ${flat.length} chip(s), wall ${wall.toFixed(1)} ms`,
    ms: sum('ccdpass') + sum('fusedpass'),
  });
  return results;
}

export function baseProduct(
  kind: 'flt' | 'crj',
  rootname: string,
  e: RawExposure,
  ccd: CcdResult[],
  exptime: number,
  darktime: number,
  ncombine: number,
): Product {
  const chips: ChipResult[] = ccd.map((r, i) => {
    const c = e.chips[i];
    return {
      ver: c.ver,
      chip: c.chip,
      arrays: r.arrays,
      trimX: 0,
      trimY: 0,
      ampBias: r.ampBias,
      stats: r.stats ?? (undefined as unknown as ChipStats),
      fusedMs: r.stats ? r.ms : undefined,
      atodsat: r.counts.atodsat,
      saturated: r.counts.saturated,
      bpixFlagged: r.bpixFlagged,
    };
  });
  return { kind, rootname, exposure: e, chips, exptime, darktime, ncombine, keywords: {} };
}

export function crParams(rows: TableRow[], nexp: number, path: string): CrRejParams {
  const row =
    rows.find((r) => r.CRSPLIT === nexp) ?? rows.find((r) => typeof r.CRSPLIT !== 'number') ?? rows[0];
  if (!row) throw new CalibError('E_CALIB_REF_TABLE', 'CRCORR', 'CRREJTAB has no rows', path);
  const sig = String(row.CRSIGMAS ?? '')
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(Number);
  if (sig.length === 0 || sig.some((x) => !(x > 0)))
    throw new CalibError('E_CALIB_REF_TABLE', 'CRCORR', `bad CRSIGMAS '${String(row.CRSIGMAS)}'`, path);
  const g = String(row.INITGUES ?? 'minimum').toLowerCase();
  const mask = row.CRMASK;
  return {
    crsigmas: sig,
    crradius: Number(row.CRRADIUS ?? 0),
    crthresh: Number(row.CRTHRESH ?? 0),
    scalense: Number(row.SCALENSE ?? 0),
    initgues: g.startsWith('med') ? 'median' : 'minimum',
    skysub: String(row.SKYSUB ?? 'mode')
      .toLowerCase()
      .startsWith('mode')
      ? 'mode'
      : 'none',
    badinpdq: Number(row.BADINPDQ ?? 0),
    crmask:
      mask === undefined ||
      mask === 1 ||
      String(mask).toLowerCase().startsWith('y') ||
      String(mask).toUpperCase() === 'T',
  };
}

export async function runCrStage(
  exps: RawExposure[],
  ccd: CcdResult[][],
  refs: Refs,
  pool: ChipPool,
  trailer: Trailer,
  asn: Association,
): Promise<Product> {
  const t0 = performance.now();
  const params = crParams(refs.crrej!.rows, exps.length, refs.crrej!.path);
  const t = exps.map(exptimeOf);
  const first = exps[0];
  const results = await Promise.all(
    first.chips.map((_, ci) => {
      const { row, amps } = oscnFor(first, refs, ci);
      const geom = chipGeometry(row, amps);
      const rn2Col = new Float32Array(geom.outNx);
      for (const [ai, a] of geom.amps.entries()) {
        rn2Col.fill(refs.ccd.readnoise[amps[ai]] ** 2, a.outX0, a.outX0 + a.width);
      }
      return pool.run<CrResult>({
        kind: 'crrej',
        inputs: ccd.map((perExp) => perExp[ci].arrays),
        exptimes: t,
        rn2Col,
        params,
      });
    }),
  );
  // The inputs came back with 8192 in their DQ; put them back into the per-exposure results.
  results.forEach((r, ci) => {
    r.inputs.forEach((arr, j) => {
      ccd[j][ci].arrays = arr;
    });
  });
  const rejected = results.reduce((a, r) => a + r.rejected, 0);
  const npix = results.reduce((a, r) => a + r.combined.sci.length, 0);
  const exptime = t.reduce((a, b) => a + b, 0);
  const darktime = exps.reduce((a, e) => a + darktimeOf(e, refs.ccd), 0);
  const comb: CcdResult[] = results.map((r, ci) => ({ ...ccd[0][ci], arrays: r.combined }));
  const product = baseProduct(
    'crj',
    asn.crjProduct ?? asn.asnId,
    first,
    comb,
    exptime,
    darktime,
    exps.length,
  );
  product.crRejected = rejected;
  product.rejRate = rejected / npix / exptime;
  product.crParams = params;
  trailer.step({
    step: 'CRCORR',
    status: 'COMPLETE',
    detail: `${exps.length} exposures, CRSIGMAS ${params.crsigmas.join(',')} CRRADIUS ${params.crradius} CRTHRESH ${params.crthresh} SCALENSE ${params.scalense} INITGUES ${params.initgues}; sky ${results.map((r) => r.sky.map((s) => s.toFixed(1)).join('/')).join(' ')} e-; ${rejected} pixels rejected`,
    ms: performance.now() - t0,
    ref: basename(refs.crrej!.path),
  });
  return product;
}

/** The 2-D steps' inputs for one product's chip (used by the fused and the separate pass). */
function postSpec(
  p: { exposure: RawExposure; darktime: number; exptime: number; ncombine: number },
  ci: number,
  refs: Refs,
  plan: Plan,
  sdq: number,
): PostSpec {
  const e = p.exposure;
  const chip = e.chips[ci].chip;
  const src = (path: string | undefined, on: StepSwitch): RefSource | undefined =>
    path && plan.get(on)!.run ? { path, chip } : undefined;
  return {
    dark: src(refs.dark, 'DARKCORR'),
    darktime: p.darktime,
    flash: src(refs.flash, 'FLSHCORR'),
    flashdur: e.primary.number('FLASHDUR', 0) * p.ncombine,
    flats: plan.get('FLATCORR')!.run ? refs.flats.map((path) => ({ path, chip })) : [],
    shading: src(refs.shading, 'SHADCORR'),
    exptime: p.exptime,
    sdqflags: sdq,
  };
}

export async function run2dStage(
  products: Product[],
  refs: Refs,
  plan: Plan,
  pool: ChipPool,
  trailer: Trailer,
): Promise<void> {
  const t0 = performance.now();
  const ms: Record<string, number> = {};
  const sdq = products[0].exposure.chips[0].header.number('SDQFLAGS', DEFAULT_SDQFLAGS);
  const jobs = products.flatMap((p) =>
    p.chips.map(async (c, ci) => {
      const e = p.exposure;
      const { row, amps } = oscnFor(e, refs, ci);
      const geom = chipGeometry(row, amps);
      c.trimX = geom.amps[0].srcX0;
      c.trimY = geom.rowStart;
      if (c.fusedMs) {
        // Already done inside the CCD sweep (no CR combination for this product).
        for (const [k, v] of Object.entries(c.fusedMs)) ms[k] = (ms[k] ?? 0) + v;
        return;
      }
      const job: TwoDJob = {
        kind: '2d',
        arrays: c.arrays,
        oscn: row,
        amps,
        rawLtv: e.chips[ci].ltv,
        ...postSpec(p, ci, refs, plan, sdq),
      };
      const r = await pool.run<TwoDResult>(job, `chip${e.chips[ci].chip}`);
      c.arrays = r.arrays;
      c.stats = r.stats;
      for (const [k, v] of Object.entries(r.ms)) ms[k] = (ms[k] ?? 0) + v;
    }),
  );
  await Promise.all(jobs);
  const wall = performance.now() - t0;
  const report = (step: StepSwitch, detail: string, ref?: string) => {
    const p = plan.get(step)!;
    trailer.step(
      p.run
        ? { step, status: 'COMPLETE', detail, ms: ms[step] ?? 0, ref }
        : { step, status: p.reason === 'OMIT' ? 'OMIT' : 'SKIPPED', detail: p.reason, ms: 0 },
    );
  };
  const md = products.map(
    (p) =>
      `${p.rootname}: ${(p.chips.reduce((a, c) => a + c.stats.meandark, 0) / p.chips.length).toFixed(3)}`,
  );
  report(
    'DARKCORR',
    `dark x DARKTIME (${products.map((p) => p.darktime.toFixed(1)).join(', ')} s); MEANDARK ${md.join(', ')} e-`,
    refs.dark && basename(refs.dark),
  );
  report('FLSHCORR', 'post-flash x FLASHDUR subtracted', refs.flash && basename(refs.flash));
  report(
    'FLATCORR',
    'divided by the flat; ERR propagated; DQ 512 where the flat is 0',
    refs.flats.map((f) => basename(f)).join('*'),
  );
  report('SHADCORR', 'scaled by EXPTIME / (EXPTIME + shading)', refs.shading && basename(refs.shading));
  trailer.step({
    step: '2DPASS',
    status: 'DONE',
    detail: `dark/flash/flat/shading/statistics: ${ms.fusedpass ? 'inside the CCD sweep' : 'separate sweep'}, wall ${wall.toFixed(1)} ms`,
    ms: (ms['2dpass'] ?? 0) + (ms.fusedpass ?? 0),
  });
}

export function photStage(products: Product[], refs: Refs, plan: Plan, trailer: Trailer): void {
  const t0 = performance.now();
  const p = plan.get('PHOTCORR')!;
  if (!p.run || !refs.imphttab) {
    trailer.step({
      step: 'PHOTCORR',
      status: p.reason === 'OMIT' ? 'OMIT' : 'SKIPPED',
      detail: p.reason,
      ms: 0,
    });
    return;
  }
  const e = products[0].exposure;
  const filters = ['FILTER1', 'FILTER2', 'FILTER'].map((k) => e.primary.string(k, ''));
  const cache = new Map<number, PhotKeywords>();
  for (const prod of products) {
    for (const c of prod.chips) {
      if (!cache.has(c.chip))
        cache.set(c.chip, lookupPhot(refs.imphttab, photMode(e.detector, c.chip, filters)));
      c.phot = cache.get(c.chip);
    }
  }
  const desc = [...cache.values()].map(
    (k) => `${k.photmode}: PHOTFLAM ${k.photflam.toExponential(4)} PHOTPLAM ${k.photplam.toFixed(1)}`,
  );
  trailer.step({
    step: 'PHOTCORR',
    status: 'COMPLETE',
    detail: desc.join('; '),
    ms: performance.now() - t0,
    ref: basename(refs.imphttab),
  });
}

// calibrate(): a raw exposure or an association through the chain in calacs order. Reads switches
// and reference keywords, resolves references, runs the chip jobs (CCD pass, CR rejection, 2-D
// pass) on worker threads, fills in the keywords and writes _flt/_crj files and the .tra trailer.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Association, isAssociation, readAssociation } from './asn.ts';
import type { ChipArrays } from './ccdpass.ts';
import type { CcdResult } from './chipjob.ts';
import type { CrRejParams } from './crrej.ts';
import { CalibError } from './errors.ts';
import { type RawExposure, readExposure } from './exposure.ts';
import { writeProductsParallel } from './output.ts';
import type { PhotKeywords } from './phot.ts';
import { darktimeOf, exptimeOf, finalSwitches, oscnFor, planSteps, resolveRefs } from './plan.ts';
import { ChipPool } from './pool.ts';
import type { RefLocations } from './refs.ts';
import { baseProduct, photStage, run2dStage, runCcdStage, runCrStage } from './stages.ts';
import { type StepReport, Trailer } from './trailer.ts';
import type { ChipStats } from './twodpass.ts';

export { crParams } from './stages.ts';
export { darktimeOf } from './plan.ts';

export interface CalibrateOptions extends RefLocations {
  /** Output folder (default: the input's folder). */
  outDir?: string;
  /** Worker threads for the chips (0 = run on this thread; default: cores, at most 4). */
  workers?: number;
  /** Write the products and trailer (default true). */
  write?: boolean;
}

export interface ChipResult {
  ver: number;
  chip: number;
  arrays: ChipArrays;
  /** Output geometry: raw → trimmed offsets (for header updates). */
  trimX: number;
  trimY: number;
  ampBias: CcdResult['ampBias'];
  stats: ChipStats;
  atodsat: number;
  saturated: number;
  bpixFlagged: number;
  phot?: PhotKeywords;
  /** Step timings when the 2-D steps ran inside the CCD sweep. */
  fusedMs?: Record<string, number>;
}

export interface Product {
  kind: 'flt' | 'crj';
  rootname: string;
  path?: string;
  exposure: RawExposure;
  chips: ChipResult[];
  exptime: number;
  darktime: number;
  /** CRCORR results (crj only; flts get the count of their own rejected pixels). */
  crRejected?: number;
  rejRate?: number;
  crParams?: CrRejParams;
  ncombine: number;
  /** Primary-header keywords from the calibration (ATODGNx, READNSEx). */
  keywords: Record<string, number | string | boolean>;
}

export interface CalibrateResult {
  input: string;
  detector: string;
  products: Product[];
  steps: StepReport[];
  switches: Record<string, string>;
  trailerPath?: string;
  trailer: string;
  ms: number;
}

export async function calibrate(input: string, opts: CalibrateOptions = {}): Promise<CalibrateResult> {
  const t0 = performance.now();
  const trailer = new Trailer();
  trailer.log(`caldera calibrate ${basename(input)}`);
  const asn: Association | undefined = isAssociation(input) ? readAssociation(input) : undefined;
  const paths = asn ? asn.exposures : [input];
  const exps = paths.map(readExposure);
  const first = exps[0];
  for (const e of exps) {
    if (e.detector !== first.detector || e.chips.length !== first.chips.length) {
      throw new CalibError(
        'E_CALIB_ASN',
        'ASN',
        `${basename(e.path)} does not match ${basename(first.path)} (detector or chips)`,
        input,
      );
    }
  }
  const plan = planSteps(first, exps.length, trailer);
  const refs = resolveRefs(first, plan, opts, trailer);
  const size = opts.workers ?? Math.min(4, availableParallelism(), exps.length * first.chips.length);
  const pool = new ChipPool(size);
  try {
    const ccd = await runCcdStage(exps, refs, plan, pool, trailer, !plan.get('CRCORR')!.run);
    // CR rejection first: it hands back the exposures' arrays with 8192 in their DQ.
    const crj = plan.get('CRCORR')!.run ? await runCrStage(exps, ccd, refs, pool, trailer, asn!) : undefined;
    if (!crj)
      trailer.step({
        step: 'CRCORR',
        status: plan.get('CRCORR')!.reason === 'OMIT' ? 'OMIT' : 'SKIPPED',
        detail: plan.get('CRCORR')!.reason,
        ms: 0,
      });
    const products: Product[] = exps.map((e, i) =>
      baseProduct('flt', e.rootname, e, ccd[i], exptimeOf(e), darktimeOf(e, refs.ccd), 1),
    );
    if (crj) products.push(crj);
    const amps = [...new Set(first.chips.flatMap((_, ci) => oscnFor(first, refs, ci).amps))];
    for (const p of products) {
      for (const a of amps) {
        p.keywords[`ATODGN${a}`] = refs.ccd.atodgain[a];
        p.keywords[`READNSE${a}`] = refs.ccd.readnoise[a];
      }
    }
    await run2dStage(products, refs, plan, pool, trailer);
    photStage(products, refs, plan, trailer);
    const switches = finalSwitches(first, plan);
    const result: CalibrateResult = {
      input,
      detector: first.detector,
      products,
      steps: trailer.steps,
      switches,
      trailer: '',
      ms: 0,
    };
    if (opts.write !== false) {
      const outDir = opts.outDir ?? dirname(input);
      mkdirSync(outDir, { recursive: true });
      const tw = performance.now();
      await writeProductsParallel(products, outDir, switches, trailer.history(), pool);
      trailer.step({
        step: 'OUTPUT',
        status: 'DONE',
        detail: products.map((p) => basename(p.path!)).join(', '),
        ms: performance.now() - tw,
      });
      result.ms = performance.now() - t0;
      trailer.log(`total ${result.ms.toFixed(1)} ms on ${size || 'no'} worker thread(s)`);
      result.trailerPath = join(outDir, `${asn ? asn.asnId : first.rootname}.tra`);
      result.trailer = trailer.text();
      writeFileSync(result.trailerPath, result.trailer);
    } else {
      result.ms = performance.now() - t0;
      trailer.log(`total ${result.ms.toFixed(1)} ms on ${size || 'no'} worker thread(s)`);
      result.trailer = trailer.text();
    }
    return result;
  } finally {
    await pool.close();
  }
}

// A small simulated ACS/WFC CR-SPLIT association with its CRDS cache, made once per test file and
// copied per test, and helpers to run `processDataset` on it and read what it left.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { simulate } from '../../src/calib/index.ts';
import { type ProcessOptions, type ProcessResult, processDataset } from '../../src/process/index.ts';

export const DATASET = 'j8cb010b0';

export interface Sim {
  /** Folder with the asn and raws only. */
  inDir: string;
  crdsPath: string;
  pmap: string;
  files: string[];
}

export function makeSim(dir: string): Sim {
  const r = simulate(DATASET, { outDir: join(dir, 'sim'), exposures: 2, size: 'small', seed: 3 });
  const inDir = join(dir, 'in');
  mkdirSync(inDir, { recursive: true });
  const files = [r.asn!, ...r.exposures.map((e) => e.raw)];
  for (const f of files) cpSync(f, join(inDir, f.split('/').pop()!));
  return { inDir, crdsPath: r.crdsPath, pmap: r.pmap, files: files.map((f) => f.split('/').pop()!) };
}

/** A private copy of the CRDS cache (for tests that damage it). */
export function copyCache(sim: Sim, dir: string): string {
  const to = join(dir, 'crds');
  cpSync(sim.crdsPath, to, { recursive: true });
  return to;
}

export function envFor(sim: Sim, dir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CRDS_PATH: sim.crdsPath, CALDP_HOME: join(dir, 'home') };
  for (const k of [
    'CALDP_SIMULATE_ERROR',
    'CRDS_CONTEXT',
    'CRDS_SERVER_URL',
    'MAST_URL',
    'CRDS_READONLY_CACHE',
    'CRDS_MODE',
  ])
    delete env[k];
  return { ...env, ...extra };
}

export function run(
  sim: Sim,
  dir: string,
  o: Partial<ProcessOptions> & { extraEnv?: NodeJS.ProcessEnv } = {},
): Promise<ProcessResult> {
  return processDataset({
    dataset: DATASET,
    input: `file:${sim.inDir}`,
    output: `file:${join(dir, 'out')}`,
    config: 'onsite',
    workers: 0,
    env: envFor(sim, dir, o.extraEnv),
    ...o,
  });
}

/** Relative paths of every file under `root` (sorted), or [] when it does not exist. */
export function listTree(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

export const PRODUCTS = [
  'j8cb010b0.tra',
  'j8cb010b0_asn.fits',
  'j8cb010b1_crj.fits',
  'j8cb01aaq_flt.fits',
  'j8cb01aaq_raw.fits',
  'j8cb01abq_flt.fits',
  'j8cb01abq_raw.fits',
];
export const PREVIEWS = [
  'j8cb010b1_crj',
  'j8cb01aaq_flt',
  'j8cb01aaq_raw',
  'j8cb01abq_flt',
  'j8cb01abq_raw',
].flatMap((b) => [`previews/${b}.jpg`, `previews/${b}_thumb.jpg`]);
export const LOGS = ['logs/process.txt', 'logs/process_metrics.txt', 'logs/result.json'];

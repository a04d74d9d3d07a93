// Reference selection through CRDS: when a CRDS cache is given, its context (CRDS_CONTEXT or the
// newest hst_*.pmap in the cache) chooses each reference from the raw's headers, as CALDP's
// bestrefs step does before calacs runs; the choices replace the *FILE/*TAB keywords.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryLoader, getRecommendations } from '../crds/index.ts';
import { CalibError } from './errors.ts';
import type { RawExposure } from './exposure.ts';

export interface BestrefsChoice {
  context: string;
  /** Upper-case keyword (BIASFILE, CCDTAB, ...) → file name, or 'N/A'. */
  refs: Record<string, string>;
}

export function pickContext(crdsPath: string, context?: string): string | undefined {
  if (context) return context;
  if (process.env.CRDS_CONTEXT) return process.env.CRDS_CONTEXT;
  const dir = join(crdsPath, 'mappings', 'hst');
  if (!existsSync(dir)) return undefined;
  const pmaps = readdirSync(dir)
    .filter((f) => /^hst_\d+\.pmap$/.test(f))
    .sort();
  return pmaps.at(-1);
}

export function crdsBestrefs(e: RawExposure, crdsPath: string, context: string): BestrefsChoice {
  const loader = new DirectoryLoader({ dirs: [join(crdsPath, 'mappings', 'hst')] });
  const header: Record<string, unknown> = {};
  for (const h of [e.chips[0].header, e.primary]) {
    for (const [k, v] of h.entries())
      if (k && v !== null && v !== undefined && typeof v !== 'object')
        header[k] = typeof v === 'bigint' ? Number(v) : v;
  }
  let recs: Record<string, unknown>;
  try {
    recs = getRecommendations(loader.load(context), header);
  } catch (err) {
    throw new CalibError(
      'E_CALIB_MISSING_REF',
      'BESTREFS',
      `CRDS context ${context} could not select references: ${(err as Error).message}`,
      join(crdsPath, 'mappings', 'hst', context),
    );
  }
  const refs: Record<string, string> = {};
  for (const [type, v] of Object.entries(recs)) {
    const key = type.toUpperCase();
    if (typeof v !== 'string') continue;
    if (v === 'NOT FOUND n/a') refs[key] = 'N/A';
    else if (v.startsWith('NOT FOUND')) refs[key] = v;
    else refs[key] = v;
  }
  return { context, refs };
}

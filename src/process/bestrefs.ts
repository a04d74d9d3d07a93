// The CRDS step: best references for every raw of the dataset from its headers, written into the
// raws' primary headers (as `crds bestrefs --update-bestrefs` does) together with the version
// keywords, and each reference made present in the CRDS cache (fetched unless the cache is
// read-only). Returns where calibration finds the references and their SHA-1s for provenance.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  CacheLayout,
  clientFor,
  CrdsReadOnlyCacheError,
  Fetcher,
  getRecommendations,
  loadConfig,
  type Mapping,
  openContext,
} from '../crds/index.ts';
import { type CardValue, type HduSpec, openFits, writeFits } from '../fits/index.ts';
import { isNetworkError } from '../storage/index.ts';
import type { DatasetId } from './dataset.ts';
import { ProcessError } from './errors.ts';
import { EXIT } from './exit-codes.ts';
import { startHash } from './hash.ts';
import type { ProcessLog } from './logs.ts';
import { retry } from './steps.ts';

export interface RefRecord {
  reftype: string;
  keyword: string;
  file: string;
  path: string;
  sha1?: string;
  size?: number;
}

export interface BestrefsResult {
  context: string;
  readonly: boolean;
  serverUrl: string | null;
  refs: RefRecord[];
  /** Reference locations for calibration. */
  prefixes: Record<string, string>;
  dirs: string[];
  crdsPath: string;
  /** Resolves when every RefRecord has its sha1. */
  hashed: Promise<void>;
}

type Params = Record<string, string | number | boolean>;

function plain(v: CardValue): string | number | boolean | undefined {
  if (v === null || typeof v === 'object') return undefined;
  if (typeof v === 'bigint') return Number(v);
  return v;
}

/** Union of the primary and first extension headers (primary wins), as CRDS reads HST files. */
export function headerParams(path: string): Params {
  const f = openFits(path);
  try {
    const out: Params = {};
    for (const h of [f.hdus[1], f.hdus[0]]) {
      if (!h) continue;
      for (const [k, v] of h.header.entries()) {
        const p = plain(v);
        if (k && p !== undefined && k !== 'COMMENT' && k !== 'HISTORY') out[k] = p;
      }
    }
    return out;
  } finally {
    f.close();
  }
}

function newestPmap(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const pmaps = readdirSync(dir).filter((n) => /^hst_\d+\.pmap$/.test(n));
  return pmaps.sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0])).pop();
}

/** Rewrites the primary header of `path` with `updates` (atomically, data copied verbatim). */
export function updatePrimary(path: string, updates: Record<string, string>): void {
  const f = openFits(path);
  try {
    const hdr = f.hdus[0].header.clone();
    for (const [k, v] of Object.entries(updates)) hdr.set(k, v);
    const specs: HduSpec[] = f.hdus.map((h, i) =>
      i === 0 ? { kind: 'copy', hdu: h, header: hdr } : { kind: 'copy', hdu: h },
    );
    writeFits(path, specs, { fsync: false });
  } finally {
    f.close();
  }
}

/**
 * With references on an S3 mirror (CONFIG aws) there is no server to sync mappings from: fetch the
 * context and the mappings it names, level by level, through the configured download path.
 */
async function syncMappingsFromMirror(layout: CacheLayout, name: string, log: ProcessLog): Promise<void> {
  const fetcher = new Fetcher(layout, {});
  const seen = new Set<string>();
  let level = [name];
  while (level.length) {
    for (const n of level) seen.add(n);
    const got = await Promise.all(
      level.map((n) => retry(() => fetcher.fetch('hst', n, null), { log, what: `fetching ${n}` })),
    );
    const next = new Set<string>();
    for (const g of got) {
      for (const m of readFileSync(g.path, 'utf8').matchAll(/'([A-Za-z0-9_]+\.(?:imap|rmap))'/g))
        if (!seen.has(m[1])) next.add(m[1]);
    }
    level = [...next];
  }
  log.info(`CRDS: ${seen.size} mappings of ${name} present in ${layout.mappingDir('hst')}`);
}

async function resolveContext(
  env: NodeJS.ProcessEnv,
  log: ProcessLog,
): Promise<{ ctx: Mapping; name: string }> {
  const config = loadConfig(env);
  const client = clientFor(config);
  const layout = new CacheLayout(config);
  let name = config.context ?? undefined;
  if (!name && client)
    name = await retry(() => client.getDefaultContext('hst'), { log, what: 'CRDS default context' });
  if (!name) name = newestPmap(layout.mappingDir('hst'));
  if (!name) {
    const hint = config.s3Enabled
      ? 'set CRDS_CONTEXT (or CRDSCONTEXT) to the context on the mirror'
      : `set CRDS_CONTEXT, or put a hst_*.pmap in ${layout.mappingDir('hst')}`;
    throw new ProcessError(`no CRDS context: ${hint}`, EXIT.BESTREFS_ERROR);
  }
  if (config.s3Enabled && !config.readonly) await syncMappingsFromMirror(layout, name, log);
  const ctx = await retry(() => openContext(name, config), {
    log,
    what: `loading ${name}`,
    retryable: isNetworkError,
  });
  return { ctx, name: ctx.name ?? name };
}

export async function assignBestrefs(
  raws: string[],
  ds: DatasetId,
  env: NodeJS.ProcessEnv,
  log: ProcessLog,
): Promise<BestrefsResult> {
  const config = loadConfig(env);
  const layout = new CacheLayout(config);
  const { ctx, name } = await resolveContext(env, log);
  log.info(`CRDS context ${name}; cache ${config.path}${config.readonly ? ' (read-only)' : ''}`);
  const perRaw = raws.map((raw) => ({ raw, recs: getRecommendations(ctx, headerParams(raw)) }));
  const wanted = new Map<string, string>(); // file → reftype
  const problems: string[] = [];
  for (const { raw, recs } of perRaw) {
    for (const [type, v] of Object.entries(recs)) {
      if (typeof v !== 'string') continue;
      if (/^NOT FOUND n\/a/i.test(v) || /^N\/A$/i.test(v)) continue;
      if (v.startsWith('NOT FOUND')) problems.push(`${raw.split('/').pop()} ${type.toUpperCase()}: ${v}`);
      else wanted.set(v, type);
    }
  }
  if (problems.length)
    throw new ProcessError(`bestrefs found no match: ${problems.join('; ')}`, EXIT.BESTREFS_ERROR);
  const fetcher = new Fetcher(layout, { client: clientFor(config) });
  const refs = await Promise.all(
    [...wanted].map(async ([file, reftype]): Promise<RefRecord> => {
      const candidates = [
        layout.referenceDir('hst', ds.instrument),
        join(config.referenceRoot, 'hst'),
        env[ds.refPrefix],
      ]
        .filter((d): d is string => Boolean(d))
        .map((d) => join(d, file));
      let path = candidates.find((c) => existsSync(c));
      if (!path) {
        if (config.readonly) {
          throw new CrdsReadOnlyCacheError(
            `${file} (${reftype.toUpperCase()}) is not in the read-only CRDS cache ${config.path}; sync it there first`,
          );
        }
        const r = await retry(() => fetcher.fetch('hst', file, null, ds.instrument), {
          log,
          what: `fetching ${file}`,
        });
        path = r.path;
        log.info(`CRDS: fetched ${file} (${r.bytes} bytes)`);
      }
      return { reftype, keyword: reftype.toUpperCase(), file, path };
    }),
  );
  const hashes = await Promise.all(refs.map((r) => startHash(r.path, 'sha1')));
  const hashed = Promise.all(
    hashes.map(async (h, i) => {
      const d = await h.done;
      refs[i].sha1 = d.hex;
      refs[i].size = d.size;
    }),
  ).then(() => undefined);
  const versions = {
    CSYS_VER: env.CSYS_VER ?? 'UNDEFINED',
    AWSDPVER: env.AWSDPVER ?? 'UNDEFINED',
    AWSYSVER: env.AWSYSVER ?? 'UNDEFINED',
  };
  for (const { raw, recs } of perRaw) {
    const updates: Record<string, string> = { ...versions, CRDS_CTX: name };
    for (const [type, v] of Object.entries(recs)) {
      if (typeof v !== 'string') continue;
      updates[type.toUpperCase()] =
        v.startsWith('NOT FOUND') || /^N\/A$/i.test(v) ? 'N/A' : `${ds.refPrefix}$${v}`;
    }
    updatePrimary(raw, updates);
  }
  log.info(
    `CRDS: ${refs.map((r) => `${r.keyword}=${r.file}`).join(' ') || 'no references'}; version keywords ${JSON.stringify(versions)}`,
  );
  const dirs = [...new Set(refs.map((r) => dirname(r.path)))];
  return {
    context: name,
    readonly: config.readonly,
    serverUrl: config.serverUrl,
    refs,
    prefixes: dirs.length ? { [ds.refPrefix]: dirs[0] } : {},
    dirs,
    crdsPath: config.path,
    hashed,
  };
}

// Public face of the CRDS layer: mapping rules, bestrefs, cache configuration, downloads, the JSON-RPC
// client and server.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CrdsClient } from './client.ts';
import { CacheLayout, type CrdsConfig, loadConfig, observatoryOf } from './config.ts';
import { CrdsConfigError, CrdsDownloadError } from './errors.ts';
import { defaultObjectReader, type ObjectReaderFactory } from './fetch.ts';
import { DirectoryLoader } from './loader.ts';
import type { Mapping } from './mapping.ts';
import { CacheSyncer } from './sync.ts';

export { type BestRefs, BestrefsEngine, getRecommendations } from './bestrefs.ts';
export { CrdsClient, type FileInfo, type ServerInfo } from './client.ts';
export { conditionHeader, conditionValue } from './condition.ts';
export { CacheLayout, type CrdsConfig, loadConfig, observatoryOf } from './config.ts';
export { diffMappings, flattenRules, type RuleChange } from './diff.ts';
export * from './errors.ts';
export { Fetcher, type ObjectReader, type ObjectReaderFactory, sha1File } from './fetch.ts';
export { DirectoryLoader, mappingFromText } from './loader.ts';
export { type BestRef, type Mapping, ReferenceMapping, setWarningHandler } from './mapping.ts';
export { InstrumentContext, PipelineContext } from './contexts.ts';
export { mappingChecksum, parseMapping, verifyChecksum } from './parser.ts';
export { pyFloatRepr } from './py.ts';
export { exportLines, s3Environment } from './s3env.ts';
export { createCrdsApp, type RunningServer, startServer } from './server.ts';
export { CacheSyncer, collectReferences, type SyncOptions, type SyncReport } from './sync.ts';
export { reformatDate } from './timestamp.ts';

/** A CRDS client for the configured server, or null when none is configured / CRDS_MODE=local. */
export function clientFor(config: CrdsConfig): CrdsClient | null {
  if (!config.serverUrl || config.mode === 'local') return null;
  return new CrdsClient(config.serverUrl, {
    retryCount: config.retryCount,
    retryDelaySeconds: config.retryDelaySeconds,
    timeoutSeconds: config.timeoutSeconds,
  });
}

/**
 * Resolves the context name (argument, CRDS_CONTEXT, server default, newest cached .pmap) and loads it
 * from the cache, syncing its mappings from the server first when they are missing (auto/remote mode).
 */
export async function openContext(
  name: string | null | undefined,
  config: CrdsConfig = loadConfig(),
): Promise<Mapping> {
  const layout = new CacheLayout(config);
  const client = clientFor(config);
  let ctx = name ?? config.context ?? null;
  if (ctx && !/\.(pmap|imap|rmap)$/.test(ctx)) {
    // Symbolic (hst-operational) or date-based (hst-2019-09-01T00:00:00) names: the server translates.
    if (!client)
      throw new CrdsConfigError(`Context '${ctx}' needs a CRDS server to translate; set CRDS_SERVER_URL`);
    const obs = ctx.replace(/-.*$/, '');
    ctx = /-(operational|latest)$/.test(ctx)
      ? await client.getDefaultContext(obs)
      : await client.getContextByDate(ctx);
  }
  if (!ctx && client) ctx = await client.getDefaultContext(config.observatory ?? 'hst');
  if (!ctx) throw new CrdsConfigError('No context given: use --context, CRDS_CONTEXT or CRDS_SERVER_URL');
  if (ctx.includes('/'))
    return new DirectoryLoader({ dirs: [dirname(ctx)], ignoreChecksum: config.ignoreMappingChecksum }).load(
      ctx,
    );
  const obs = observatoryOf(ctx, config.observatory);
  const loader = new DirectoryLoader({
    dirs: [layout.mappingDir(obs)],
    ignoreChecksum: config.ignoreMappingChecksum,
  });
  try {
    const m = loader.load(ctx);
    m.mappingNames(); // force the closure so a missing nested mapping shows now
    return m;
  } catch (e) {
    if (!client || config.mode === 'local') throw e;
  }
  await new CacheSyncer(layout, client).sync({ contexts: [ctx] });
  return new DirectoryLoader({
    dirs: [layout.mappingDir(obs)],
    ignoreChecksum: config.ignoreMappingChecksum,
  }).load(ctx);
}

export interface S3GetOptions {
  source: string;
  output: string;
  size?: number | null;
  sha1sum?: string | null;
  objectReader?: ObjectReaderFactory;
}

/** `crds_s3_get`: copy one S3 object to a local path, verified by size and sha1, via temp + rename. */
export async function s3Get(opts: S3GetOptions): Promise<{ path: string; bytes: number }> {
  if (!opts.source.startsWith('s3://')) throw new CrdsConfigError(`Not an s3:// URI: ${opts.source}`);
  const data = await (opts.objectReader ?? defaultObjectReader)(opts.source).read(opts.source);
  if (opts.size != null && data.length !== opts.size) {
    throw new CrdsDownloadError(
      `${opts.source}: size ${data.length} does not match the expected ${opts.size}`,
    );
  }
  if (opts.sha1sum) {
    const got = createHash('sha1').update(data).digest('hex');
    if (got !== opts.sha1sum)
      throw new CrdsDownloadError(`${opts.source}: sha1 ${got} does not match ${opts.sha1sum}`);
  }
  mkdirSync(dirname(opts.output), { recursive: true });
  const tmp = `${opts.output}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, opts.output);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw e;
  }
  return { path: opts.output, bytes: data.length };
}

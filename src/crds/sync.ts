// `crds sync`: bring contexts (their mapping closure) and optionally their references into the cache,
// check or repair cached files against the server's size/sha1, purge files no synced context uses.
import { existsSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { CrdsClient, FileInfo } from './client.ts';
import { type CacheLayout, observatoryOf } from './config.ts';
import { CrdsReadOnlyCacheError, CrdsServiceError } from './errors.ts';
import { Fetcher, type ObjectReaderFactory, sha1File } from './fetch.ts';
import { DirectoryLoader } from './loader.ts';
import { ReferenceMapping } from './mapping.ts';
import { InstrumentContext, PipelineContext } from './contexts.ts';

export interface SyncOptions {
  contexts?: string[];
  all?: boolean;
  fetchReferences?: boolean;
  checkFiles?: boolean;
  checkSha1sum?: boolean;
  repairFiles?: boolean;
  purgeMappings?: boolean;
  purgeReferences?: boolean;
  /** Parallel downloads. */
  concurrency?: number;
  onProgress?: (done: number, total: number, name: string) => void;
  objectReader?: ObjectReaderFactory;
}

export interface SyncReport {
  contexts: string[];
  mappings: number;
  references: number;
  downloaded: string[];
  bytes: number;
  bad: string[];
  repaired: string[];
  purged: string[];
  errors: string[];
}

async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(n, items.length)) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}

export class CacheSyncer {
  readonly layout: CacheLayout;
  readonly client: CrdsClient | null;
  constructor(layout: CacheLayout, client: CrdsClient | null) {
    this.layout = layout;
    this.client = client;
  }

  private async fileInfos(obs: string, names: string[]): Promise<Map<string, FileInfo | null>> {
    const out = new Map<string, FileInfo | null>();
    if (!this.client) {
      for (const n of names) out.set(n, null);
      return out;
    }
    for (let i = 0; i < names.length; i += 1000) {
      const chunk = names.slice(i, i + 1000);
      const infos = await this.client.getFileInfoMap(obs, chunk, ['size', 'sha1sum']);
      for (const n of chunk) {
        const info = infos[n];
        out.set(n, info && typeof info === 'object' ? info : null);
      }
    }
    return out;
  }

  async sync(opts: SyncOptions): Promise<SyncReport> {
    const report: SyncReport = {
      contexts: [],
      mappings: 0,
      references: 0,
      downloaded: [],
      bytes: 0,
      bad: [],
      repaired: [],
      purged: [],
      errors: [],
    };
    const cfg = this.layout.config;
    const serverInfo = this.client ? await this.client.getServerInfo() : null;
    let contexts = opts.contexts ?? [];
    if (opts.all) {
      const listed = (serverInfo?.mappings as string[] | undefined)?.filter((m) => m.endsWith('.pmap'));
      contexts = listed?.length ? listed : [serverInfo?.operational_context ?? ''].filter(Boolean);
    }
    if (!contexts.length) {
      if (cfg.context) contexts = [cfg.context];
      else if (serverInfo) contexts = [serverInfo.operational_context];
      else
        throw new CrdsServiceError(
          'No contexts to sync: give --contexts, set CRDS_CONTEXT or CRDS_SERVER_URL',
        );
    }
    report.contexts = contexts;
    const fetcher = new Fetcher(this.layout, {
      client: this.client,
      serverInfo,
      objectReader: opts.objectReader,
    });
    const conc = opts.concurrency ?? 4;
    const wantMappings = new Map<string, Set<string>>();
    const wantRefs = new Map<string, Map<string, string>>(); // obs -> name -> instrument

    // 1. mapping closures
    for (const ctx of contexts) {
      const obs = observatoryOf(ctx, cfg.observatory);
      const names = this.client ? await this.client.getMappingNames(ctx) : [ctx];
      const infos = await this.fileInfos(obs, names);
      const set = wantMappings.get(obs) ?? new Set();
      wantMappings.set(obs, set);
      let done = 0;
      await pool(names, conc, async (n) => {
        set.add(n);
        await this.one(fetcher, obs, n, infos.get(n) ?? null, null, opts, report);
        opts.onProgress?.(++done, names.length, n);
      });
      report.mappings += names.length;
    }

    // 2. references named by the (now cached) contexts
    if (opts.fetchReferences || opts.purgeReferences) {
      for (const ctx of contexts) {
        const obs = observatoryOf(ctx, cfg.observatory);
        const refs = wantRefs.get(obs) ?? new Map<string, string>();
        wantRefs.set(obs, refs);
        const loader = new DirectoryLoader({
          dirs: [this.layout.mappingDir(obs)],
          ignoreChecksum: cfg.ignoreMappingChecksum,
        });
        collectReferences(loader.load(ctx), refs);
      }
    }
    if (opts.fetchReferences) {
      for (const [obs, refs] of wantRefs) {
        const names = [...refs.keys()].sort();
        const infos = await this.fileInfos(obs, names);
        let done = 0;
        await pool(names, conc, async (n) => {
          if (infos.get(n) === null && this.client) {
            report.errors.push(`${n}: not known to the server`);
          } else {
            await this.one(fetcher, obs, n, infos.get(n) ?? null, refs.get(n) ?? null, opts, report);
          }
          opts.onProgress?.(++done, names.length, n);
        });
        report.references += names.length;
      }
    }

    // 3. purges
    if (opts.purgeMappings) {
      for (const [obs, keep] of wantMappings) this.purge(this.layout.mappingDir(obs), keep, report);
    }
    if (opts.purgeReferences) {
      for (const [obs, refs] of wantRefs) {
        const keep = new Set(refs.keys());
        const base = join(cfg.referenceRoot, obs);
        this.purge(base, keep, report);
        if (existsSync(base)) {
          for (const d of readdirSync(base)) {
            const p = join(base, d);
            if (statSync(p).isDirectory()) this.purge(p, keep, report);
          }
        }
      }
    }
    return report;
  }

  private async one(
    fetcher: Fetcher,
    obs: string,
    name: string,
    info: FileInfo | null,
    instrument: string | null,
    opts: SyncOptions,
    report: SyncReport,
  ): Promise<void> {
    const path = this.layout.locate(obs, name, instrument);
    try {
      if ((opts.checkFiles || opts.checkSha1sum) && existsSync(path) && info) {
        if (!fetcher.isCached(path, info, Boolean(opts.checkSha1sum))) {
          report.bad.push(name);
          if (!opts.repairFiles) return;
          if (this.layout.config.readonly)
            throw new CrdsReadOnlyCacheError(`CRDS_READONLY_CACHE is set: not repairing ${path}`);
          unlinkSync(path);
          const r = await fetcher.fetch(obs, name, info, instrument);
          report.repaired.push(name);
          report.bytes += r.bytes;
          return;
        }
      }
      const r = await fetcher.fetch(obs, name, info, instrument);
      if (r.downloaded) {
        report.downloaded.push(name);
        report.bytes += r.bytes;
      }
    } catch (e) {
      report.errors.push(`${name}: ${(e as Error).message}`);
    }
  }

  private purge(dir: string, keep: Set<string>, report: SyncReport): void {
    if (!existsSync(dir)) return;
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (keep.has(f) || !statSync(p).isFile()) continue;
      if (this.layout.config.readonly) {
        report.errors.push(`CRDS_READONLY_CACHE is set: not purging ${p}`);
        continue;
      }
      unlinkSync(p);
      report.purged.push(f);
    }
  }
}

/** reference name -> instrument, for every reference a context names. */
export function collectReferences(m: unknown, out: Map<string, string>): void {
  if (m instanceof PipelineContext) {
    for (const k of m.normalKeys()) collectReferences(m.getImap(k), out);
  } else if (m instanceof InstrumentContext) {
    for (const k of m.normalKeys()) collectReferences(m.getRmap(k), out);
  } else if (m instanceof ReferenceMapping) {
    for (const r of m.referenceNames()) out.set(r, m.instrument);
  }
}

export { sha1File };

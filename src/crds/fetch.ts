// Downloads into a CRDS cache by HTTP (CRDS server), by plugin command (CRDS_DOWNLOAD_PLUGIN) or from S3
// (CRDS_S3_ENABLED + CRDS_*_URI). Every file is written under a unique temp name next to its final
// path, verified by size and SHA-1, then renamed into place, so concurrent syncs of one cache never
// expose partial or corrupt files. A read-only cache is never written.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { getObjectStore } from '../storage/index.ts';
import { type CrdsClient, type FileInfo, type ServerInfo, sleep } from './client.ts';
import type { CacheLayout } from './config.ts';
import { CrdsDownloadError, CrdsReadOnlyCacheError } from './errors.ts';

/** The small slice of an object store CRDS needs (the storage layer's ObjectStore satisfies it). */
export interface ObjectReader {
  read(uri: string): Promise<Uint8Array>;
}
export type ObjectReaderFactory = (uri: string) => ObjectReader;

export const defaultObjectReader: ObjectReaderFactory = (uri) => getObjectStore(uri);

export interface FetchOptions {
  client?: CrdsClient | null;
  serverInfo?: ServerInfo | null;
  objectReader?: ObjectReaderFactory;
}

export interface FetchResult {
  path: string;
  downloaded: boolean;
  bytes: number;
}

export function sha1File(path: string): string {
  return createHash('sha1').update(readFileSync(path)).digest('hex');
}

/** Shell single-quoting for plugin command substitution. */
function shq(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

export class Fetcher {
  readonly layout: CacheLayout;
  private readonly opts: FetchOptions;
  private readonly inflight = new Map<string, Promise<FetchResult>>();
  constructor(layout: CacheLayout, opts: FetchOptions = {}) {
    this.layout = layout;
    this.opts = opts;
  }

  private get cfg() {
    return this.layout.config;
  }

  /** Is the cached copy present and (when info is known) of the right size / sha1? */
  isCached(path: string, info: FileInfo | null, checkSha1: boolean): boolean {
    if (!existsSync(path)) return false;
    if (!info) return true;
    if (statSync(path).size !== Number(info.size)) return false;
    return !checkSha1 || sha1File(path) === info.sha1sum;
  }

  /** Ensures `name` is in the cache; downloads it if missing. Concurrent calls share one download. */
  fetch(obs: string, name: string, info: FileInfo | null, instrument?: string | null): Promise<FetchResult> {
    const dest = this.layout.locate(obs, name, instrument);
    let p = this.inflight.get(dest);
    if (!p) {
      p = this.fetchOnce(obs, name, info, dest).finally(() => this.inflight.delete(dest));
      this.inflight.set(dest, p);
    }
    return p;
  }

  private async fetchOnce(
    obs: string,
    name: string,
    info: FileInfo | null,
    dest: string,
  ): Promise<FetchResult> {
    if (this.isCached(dest, info, false)) return { path: dest, downloaded: false, bytes: 0 };
    if (this.cfg.readonly) {
      throw new CrdsReadOnlyCacheError(
        `CRDS_READONLY_CACHE is set: not downloading ${name} into ${dest}. Unset it or sync the cache elsewhere.`,
      );
    }
    mkdirSync(dirname(dest), { recursive: true });
    const attempts = Math.max(1, this.cfg.retryCount);
    let last: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await sleep(this.cfg.retryDelaySeconds * 1000 * 2 ** (attempt - 1));
      const tmp = `${dest}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        await this.download(obs, name, info, tmp);
        const bytes = this.verify(tmp, name, info);
        renameSync(tmp, dest); // atomic within the directory: readers see old or complete new file
        return { path: dest, downloaded: true, bytes };
      } catch (e) {
        last = e;
        if (existsSync(tmp)) unlinkSync(tmp);
        if (e instanceof CrdsReadOnlyCacheError) throw e;
      }
    }
    const why = last instanceof Error ? last.message : String(last);
    throw new CrdsDownloadError(`Failed to fetch ${name} after ${attempts} attempt(s): ${why}`);
  }

  private verify(tmp: string, name: string, info: FileInfo | null): number {
    const size = statSync(tmp).size;
    if (!info) return size;
    if (size !== Number(info.size)) {
      throw new CrdsDownloadError(`${name}: size ${size} does not match the expected ${info.size}`);
    }
    if (this.cfg.downloadChecksums && info.sha1sum && info.sha1sum !== 'none') {
      const got = sha1File(tmp);
      if (got !== info.sha1sum)
        throw new CrdsDownloadError(`${name}: sha1 ${got} does not match the expected ${info.sha1sum}`);
    }
    return size;
  }

  /** Source URL the configured mode downloads from. */
  sourceUrl(obs: string, name: string): string {
    const isMap = /\.(pmap|imap|rmap)$/.test(name);
    if (this.cfg.s3Enabled) {
      const base = isMap ? this.cfg.mappingUri : this.cfg.referenceUri;
      if (!base) {
        throw new CrdsDownloadError(
          `CRDS_S3_ENABLED is set but ${isMap ? 'CRDS_MAPPING_URI' : 'CRDS_REFERENCE_URI'} is not; cannot locate ${name}`,
        );
      }
      return `${base.replace(/\/+$/, '')}/${name}`;
    }
    const client = this.opts.client;
    if (!client) throw new CrdsDownloadError(`No CRDS_SERVER_URL configured; cannot download ${name}`);
    return client.fileUrl(obs, name, this.opts.serverInfo ?? undefined);
  }

  private async download(obs: string, name: string, info: FileInfo | null, tmp: string): Promise<void> {
    const url = this.sourceUrl(obs, name);
    if (this.cfg.downloadMode === 'plugin') return this.runPlugin(url, tmp, name, info);
    if (url.startsWith('s3://')) {
      const reader = (this.opts.objectReader ?? defaultObjectReader)(url);
      writeFileSync(tmp, await reader.read(url));
      return;
    }
    const res = await fetch(url, { signal: AbortSignal.timeout(this.cfg.timeoutSeconds * 1000) });
    if (!res.ok) throw new CrdsDownloadError(`HTTP ${res.status} fetching ${url}`);
    writeFileSync(tmp, new Uint8Array(await res.arrayBuffer()));
  }

  private runPlugin(url: string, tmp: string, name: string, info: FileInfo | null): Promise<void> {
    const template = this.cfg.downloadPlugin;
    if (!template)
      throw new CrdsDownloadError('CRDS_DOWNLOAD_MODE=plugin but CRDS_DOWNLOAD_PLUGIN is not set');
    const vars: Record<string, string> = {
      SOURCE_URL: url,
      OUTPUT_PATH: tmp,
      FILE_SIZE: info ? String(info.size) : '',
      FILE_SHA1SUM: info?.sha1sum ?? '',
      FILENAME: name,
    };
    const cmd = template.replace(/\$\{(\w+)\}/g, (m, k: string) => (k in vars ? shq(vars[k]) : m));
    return new Promise((resolve, reject) => {
      const child = spawn('sh', ['-c', cmd], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d) => {
        err += d;
      });
      child.on('error', reject);
      child.on('close', (code) => {
        if (code === 0 && existsSync(tmp)) resolve();
        else
          reject(new CrdsDownloadError(`download plugin failed (exit ${code}) for ${name}: ${err.trim()}`));
      });
    });
  }
}

// Product downloads the way astroquery lays them out (<dir>/mastDownload/<collection>/<obs_id>/<file>)
// and reports them (a manifest of Local Path, Status, Message, URL) — plus what it lacks: bytes land
// in `<file>.part` and are renamed only when the size matches the HEAD Content-Length, an interrupted
// transfer resumes with a Range request, and several files download in parallel.
import { createWriteStream } from 'node:fs';
import { mkdir, rename, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import {
  getObjectStore,
  IntegrityError,
  isNetworkError,
  NotFoundError,
  type ObjectStore,
  StorageError,
  TransferError,
  withRetry,
} from '../storage/index.ts';
import { hstCloudUri } from './cloud.ts';
import type { MastClient } from './client.ts';
import { USER_AGENT } from './client.ts';
import type { MastTable, Row } from './table.ts';

export interface ManifestRow {
  'Local Path': string;
  Status: 'COMPLETE' | 'ERROR' | 'SKIPPED';
  Message: string | null;
  URL: string | null;
}

export interface FileProgress {
  file: string;
  loaded: number;
  total?: number;
}

export interface TransferOptions {
  /** Reuse a complete local file of the right size instead of downloading again (astroquery's cache). */
  cache?: boolean;
  maxAttempts?: number;
  retryBaseMs?: number;
  onProgress?: (p: FileProgress) => void;
}

export interface DownloadOptions extends TransferOptions {
  downloadDir?: string;
  /** Files in flight at once. */
  parallel?: number;
  /** Try the public S3 bucket first (HST via path_lookup), falling back to HTTP. */
  cloud?: boolean;
  /** With cloud: do not fall back to HTTP; products not in the cloud are SKIPPED. */
  cloudOnly?: boolean;
  /** Store used for s3:// reads (default: unsigned for stpubdata). */
  cloudStore?: ObjectStore;
}

export type TransferResult = { status: 'downloaded' | 'resumed' | 'cached'; size: number };

type Opener = (start: number) => Promise<{ stream: Readable; start: number }>;

async function sizeOf(path: string): Promise<number | undefined> {
  return (await stat(path).catch(() => undefined))?.size;
}

/**
 * Streams into `<dest>.part`, resuming from its current size after failures, and renames it to
 * `dest` once `total` bytes are there.
 */
export async function transferToFile(
  dest: string,
  total: number | undefined,
  open: Opener,
  opts: TransferOptions & { label?: string } = {},
): Promise<TransferResult> {
  const label = opts.label ?? dest;
  if (opts.cache !== false && total !== undefined && (await sizeOf(dest)) === total)
    return { status: 'cached', size: total };
  const part = `${dest}.part`;
  let resumed = false;
  await withRetry(
    async () => {
      let have = (await sizeOf(part)) ?? 0;
      if (total !== undefined && have > total) {
        await truncate(part, 0);
        have = 0;
      }
      if (total !== undefined && have === total) return;
      const { stream, start } = await open(have);
      if (start !== have) await truncate(part, start).catch(() => {});
      if (start > 0) resumed = true;
      let loaded = start;
      const counter = async function* (src: AsyncIterable<Buffer>) {
        for await (const c of src) {
          loaded += c.length;
          opts.onProgress?.({ file: label, loaded, total });
          yield c;
        }
      };
      await pipeline(stream, counter, createWriteStream(part, { flags: start > 0 ? 'a' : 'w' }));
      if (total !== undefined && loaded < total)
        throw new TransferError(label, `connection closed after ${loaded} of ${total} bytes`);
    },
    {
      attempts: opts.maxAttempts ?? 6,
      baseMs: opts.retryBaseMs ?? 250,
      retryable: (e) => isNetworkError(e) || (e instanceof TransferError && !(e instanceof IntegrityError)),
    },
  );
  const got = (await sizeOf(part)) ?? 0;
  if (total !== undefined && got !== total)
    throw new IntegrityError(label, 'size', String(total), String(got));
  await rename(part, dest);
  return { status: resumed ? 'resumed' : 'downloaded', size: got };
}

async function fetchOk(url: string, init: RequestInit, opts: TransferOptions): Promise<Response> {
  const res = await withRetry(
    async () => {
      const r = await fetch(url, init);
      if (r.status >= 500) {
        await r.body?.cancel();
        throw new TransferError(url, `HTTP ${r.status}`);
      }
      return r;
    },
    {
      attempts: opts.maxAttempts ?? 6,
      baseMs: opts.retryBaseMs ?? 250,
      retryable: (e) => isNetworkError(e) || e instanceof TransferError,
    },
  );
  if (res.status === 404) throw new NotFoundError(url);
  if (!res.ok) throw new TransferError(url, `HTTP ${res.status} ${res.statusText}`);
  return res;
}

/** GET a URL to a file: HEAD for the size first, Range to resume, size check before the rename. */
export async function downloadHttp(
  url: string,
  dest: string,
  opts: TransferOptions = {},
): Promise<TransferResult> {
  const headers = { 'User-Agent': USER_AGENT, Accept: '*/*' };
  const head = await fetchOk(url, { method: 'HEAD', headers }, opts);
  const len = head.headers.get('content-length');
  const total = len === null ? undefined : Number(len);
  const ranges = head.headers.get('accept-ranges') === 'bytes';
  return transferToFile(
    dest,
    total,
    async (start) => {
      const from = ranges ? start : 0;
      const res = await fetchOk(
        url,
        {
          headers:
            from > 0
              ? { ...headers, Range: `bytes=${from}-${total === undefined ? '' : total - 1}` }
              : headers,
        },
        opts,
      );
      const begin = res.status === 206 ? from : 0;
      return { stream: Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), start: begin };
    },
    { ...opts, label: url },
  );
}

/** Copies an object from any store URI to a local file with the same resume and size rules. */
export async function downloadObject(
  store: ObjectStore,
  uri: string,
  dest: string,
  opts: TransferOptions = {},
): Promise<TransferResult> {
  const st = await store.stat(uri);
  if (!st) throw new NotFoundError(uri);
  return transferToFile(
    dest,
    st.size,
    async (start) => ({ stream: await store.readStream(uri, start > 0 ? { start } : undefined), start }),
    {
      ...opts,
      label: uri,
    },
  );
}

/** Where astroquery puts a product: <dir>/mastDownload/<obs_collection>/<obs_id>/<productFilename>. */
export function productPath(downloadDir: string, p: Row): string {
  for (const k of ['obs_collection', 'obs_id', 'productFilename']) {
    const v = p[k];
    if (typeof v !== 'string' || v === '' || v.includes('/') || v.includes('\\') || v === '..' || v === '.') {
      throw new StorageError(`product has an unusable ${k}: ${JSON.stringify(v)}`, {
        code: 'E_MAST_PRODUCT',
        exitCode: 65,
      });
    }
  }
  return join(
    downloadDir,
    'mastDownload',
    p.obs_collection as string,
    p.obs_id as string,
    p.productFilename as string,
  );
}

async function pool<T>(items: T[], n: number, fn: (t: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
}

/** Observations.download_products: one manifest row per product, in input order. */
export async function downloadProducts(
  client: MastClient,
  products: MastTable | Row[],
  opts: DownloadOptions = {},
): Promise<ManifestRow[]> {
  const rows = Array.isArray(products) ? products : products.rows;
  const dir = opts.downloadDir ?? '.';
  const manifest: ManifestRow[] = new Array(rows.length);
  let cloudUris = new Map<string, string | undefined>();
  if (opts.cloud) cloudUris = await hstCloudUris(client, rows);
  await pool(rows, opts.parallel ?? 4, async (p, i) => {
    const url = `${client.downloadUrl}?uri=${p.dataURI}`;
    let local = '';
    try {
      local = productPath(dir, p);
      await mkdir(join(local, '..'), { recursive: true });
      const s3 = cloudUris.get(String(p.dataURI));
      if (opts.cloud && s3) {
        try {
          await downloadObject(opts.cloudStore ?? getObjectStore(s3), s3, local, opts);
          manifest[i] = { 'Local Path': local, Status: 'COMPLETE', Message: null, URL: null };
          return;
        } catch (e) {
          if (opts.cloudOnly) {
            manifest[i] = {
              'Local Path': local,
              Status: 'SKIPPED',
              Message: `not in the cloud: ${(e as Error).message}`,
              URL: url,
            };
            return;
          }
        }
      } else if (opts.cloudOnly) {
        manifest[i] = {
          'Local Path': local,
          Status: 'SKIPPED',
          Message: 'Product not found in cloud',
          URL: url,
        };
        return;
      }
      await downloadHttp(url, local, opts);
      manifest[i] = { 'Local Path': local, Status: 'COMPLETE', Message: null, URL: null };
    } catch (e) {
      manifest[i] = { 'Local Path': local, Status: 'ERROR', Message: (e as Error).message, URL: url };
    }
  });
  return manifest;
}

async function hstCloudUris(client: MastClient, rows: Row[]): Promise<Map<string, string | undefined>> {
  const uris = rows.map((r) => String(r.dataURI)).filter((u) => u.startsWith('mast:'));
  let looked = new Map<string, string | undefined>();
  try {
    looked = await client.pathLookup(uris);
  } catch {
    // path_lookup unavailable: derive the standard layout below
  }
  const out = new Map<string, string | undefined>();
  for (const u of uris) {
    const p = looked.get(u);
    out.set(u, p ? `s3://stpubdata/${p.replace(/^\/+/, '')}` : hstCloudUri(u));
  }
  return out;
}

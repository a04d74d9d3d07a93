// `caldera archive serve`: a MAST-protocol HTTP server (hono on node) over a directory or bucket of FITS
// files. Same endpoints as mast.stsci.edu: /api/v0/invoke, the columnsconfig call, Download/file
// (HEAD, Range) and path_lookup — so our client and astroquery both talk to it via MAST_URL.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { getObjectStore, type ObjectStore, parseUri, type StoreOptions } from '../../storage/index.ts';
import { columnsConfig, OBS_COLUMNS, PRODUCT_COLUMNS } from './columns.ts';
import { ArchiveIndex, type IndexStats } from './indexer.ts';
import { invoke, type MashupRequest } from './services.ts';

export function createArchiveApp(index: ArchiveIndex, store: ObjectStore): Hono {
  const app = new Hono();

  app.post('/portal/Mashup/Mashup.asmx/columnsconfig', async (c) => {
    const id = new URLSearchParams(await c.req.text()).get('colConfigId') ?? '';
    const cols = id === 'Mast.Caom.Products' ? PRODUCT_COLUMNS : OBS_COLUMNS;
    return c.json(columnsConfig(cols));
  });

  app.post('/api/v0/invoke', async (c) => {
    const raw = new URLSearchParams(await c.req.text()).get('request');
    let req: MashupRequest;
    try {
      req = JSON.parse(raw ?? '');
    } catch {
      return c.json(
        { status: 'ERROR', msg: 'request must be form field request=<JSON>', data: [], fields: [] },
        400,
      );
    }
    return c.json(invoke(index, req));
  });

  app.get('/api/v0.1/path_lookup/', (c) => {
    const out: Record<string, { status_code: number; path: string | null }> = {};
    for (const u of c.req.queries('uri') ?? []) {
      const p = index.productUri(u);
      out[u] = p ? { status_code: 200, path: `/${p.rel}` } : { status_code: 404, path: null };
    }
    return c.json(out);
  });

  app.on(['GET', 'HEAD'], '/api/v0.1/Download/file', async (c) => {
    const uri = c.req.query('uri') ?? '';
    const p = index.productUri(uri);
    if (!p) return c.text(`no such product: ${uri}`, 404);
    const name = uri.slice(uri.lastIndexOf('/') + 1);
    const headers: Record<string, string> = {
      'content-type': 'application/octet-stream',
      'content-disposition': `attachment; filename="${name}"`,
      'accept-ranges': 'bytes',
    };
    const m = /^bytes=(\d*)-(\d*)$/.exec(c.req.header('range') ?? '');
    let start = 0;
    let end = p.size - 1;
    let status: 200 | 206 = 200;
    if (m && (m[1] || m[2])) {
      start = m[1] ? Number(m[1]) : Math.max(0, p.size - Number(m[2]));
      end = m[1] && m[2] ? Math.min(Number(m[2]), p.size - 1) : p.size - 1;
      if (start >= p.size || end < start) {
        return c.body(null, 416, { 'content-range': `bytes */${p.size}` });
      }
      status = 206;
      headers['content-range'] = `bytes ${start}-${end}/${p.size}`;
    }
    headers['content-length'] = String(end - start + 1);
    if (c.req.method === 'HEAD') return c.body(null, status, headers);
    const stream = await store.readStream(p.uri, status === 206 ? { start, end } : undefined);
    return c.body(Readable.toWeb(stream) as ReadableStream, status, headers);
  });

  app.notFound((c) => c.text('not a MAST endpoint', 404));
  return app;
}

export interface ArchiveServerOptions {
  /** Directory path, file: URI or s3://bucket/prefix of the FITS files. */
  source: string;
  /** SQLite file for the index (default in memory). */
  dbPath?: string;
  host?: string;
  port?: number;
  store?: ObjectStore;
  storeOptions?: StoreOptions;
  onFile?: (uri: string) => void;
}

export interface ArchiveServer {
  url: string;
  port: number;
  stats: IndexStats;
  index: ArchiveIndex;
  /** Re-scans the source (unchanged files are not re-read). */
  reindex(): Promise<IndexStats>;
  close(): Promise<void>;
}

/** Indexes the source, then listens (127.0.0.1 and a free port unless told otherwise). */
export async function startArchiveServer(o: ArchiveServerOptions): Promise<ArchiveServer> {
  const parsed = parseUri(o.source);
  const source = parsed.uri.endsWith('/') ? parsed.uri : `${parsed.uri}/`;
  const store = o.store ?? getObjectStore(source, o.storeOptions);
  const index = new ArchiveIndex(o.dbPath);
  const stats = await index.build(store, source, o.onFile);
  const app = createArchiveApp(index, store);
  const host = o.host ?? '127.0.0.1';
  const { server, info } = await new Promise<{ server: ReturnType<typeof serve>; info: AddressInfo }>(
    (resolve) => {
      const s = serve({ fetch: app.fetch, port: o.port ?? 0, hostname: host }, (info) =>
        resolve({ server: s, info }),
      );
    },
  );
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const result: ArchiveServer = {
    url: `http://${urlHost}:${info.port}`,
    port: info.port,
    stats,
    index,
    async reindex() {
      result.stats = await index.build(store, source, o.onFile);
      return result.stats;
    },
    close: () =>
      new Promise<void>((resolve) => {
        const s = server as unknown as { closeAllConnections?: () => void; close: (cb: () => void) => void };
        s.closeAllConnections?.();
        s.close(() => {
          index.close();
          resolve();
        });
      }),
  };
  return result;
}

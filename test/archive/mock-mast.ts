// A loopback mock of MAST answering with astroquery's own fixtures (like capture_astroquery.py), and
// recording every request. Knobs: EXECUTING replies before the answer, page splitting, a socket cut
// after N bytes of a download, a full stop/restart.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface Recorded {
  method: string;
  path: string;
  query: Record<string, string[]>;
  headers: Record<string, string>;
  body: string;
  request?: Record<string, unknown>;
}

export interface MockOptions {
  mastDir: string;
  fitsPath: string;
  executing?: number;
  /** Cut the connection after this many body bytes of the first n GET downloads. */
  cutAfter?: number;
  cuts?: number;
}

const SERVICE_FIXTURE: Record<string, string> = {
  'Mast.Caom.Filtered': 'advSearch.json',
  'Mast.Caom.Filtered.Position': 'advSearchPos.json',
  'Mast.Caom.Cone': 'caom.json',
  'Mast.Caom.Products': 'products.json',
};

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startMockMast(o: MockOptions) {
  const log: Recorded[] = [];
  let executing = o.executing ?? 0;
  let cuts = o.cuts ?? 0;
  const fits = readFileSync(o.fitsPath);
  const handler = async (req: IncomingMessage, res: import('node:http').ServerResponse) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const query: Record<string, string[]> = {};
    for (const k of new Set(u.searchParams.keys())) query[k] = u.searchParams.getAll(k);
    const text = await body(req);
    const rec: Recorded = { method: req.method ?? '', path: u.pathname, query, headers: {}, body: text };
    for (const h of ['content-type', 'accept', 'user-agent', 'content-length', 'range']) {
      if (req.headers[h]) rec.headers[h] = String(req.headers[h]);
    }
    const form = new URLSearchParams(text);
    if (form.has('request')) rec.request = JSON.parse(form.get('request')!);
    log.push(rec);
    if (req.method === 'POST' && u.pathname.endsWith('/columnsconfig')) {
      return void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(readFileSync(join(o.mastDir, 'columnsconfig.json')));
    }
    if (req.method === 'POST' && u.pathname === '/api/v0/invoke') {
      if (executing > 0) {
        executing--;
        return void res
          .writeHead(200, { 'content-type': 'application/json' })
          .end('{"status": "EXECUTING", "msg": "", "data": []}');
      }
      const svc = String(rec.request?.service);
      const fx = JSON.parse(readFileSync(join(o.mastDir, SERVICE_FIXTURE[svc] ?? 'advSearch.json'), 'utf8'));
      const size = Number(rec.request?.pagesize ?? 50000);
      const page = Number(rec.request?.page ?? 1);
      const all = fx.data as unknown[];
      fx.data = all.slice((page - 1) * size, page * size);
      fx.paging = {
        page,
        pageSize: size,
        pagesFiltered: Math.max(1, Math.ceil(all.length / size)),
        rows: fx.data.length,
        rowsFiltered: all.length,
        rowsTotal: all.length,
      };
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(fx));
    }
    if (u.pathname === '/api/v0.1/path_lookup/') {
      const out: Record<string, unknown> = {};
      const known = JSON.parse(readFileSync(join(o.mastDir, 'mast_relative_path.json'), 'utf8'));
      for (const uri of query.uri ?? []) out[uri] = known[uri] ?? { status_code: 404, path: null };
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
    }
    if (u.pathname === '/api/v0.1/Download/file') {
      const name = (query.uri?.[0] ?? 'x').split('/').pop();
      const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
      const start = range ? Number(range[1]) : 0;
      const end = range?.[2] ? Number(range[2]) : fits.length - 1;
      const headers: Record<string, string | number> = {
        'content-type': 'application/octet-stream',
        'content-disposition': `attachment; filename="${name}"`,
        'accept-ranges': 'bytes',
        'content-length': end - start + 1,
      };
      if (range) headers['content-range'] = `bytes ${start}-${end}/${fits.length}`;
      res.writeHead(range ? 206 : 200, headers);
      if (req.method === 'HEAD') return void res.end();
      const slice = fits.subarray(start, end + 1);
      if (o.cutAfter !== undefined && cuts > 0) {
        cuts--;
        res.write(slice.subarray(0, o.cutAfter));
        // simulate the server dying mid-transfer
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      return void res.end(slice);
    }
    res.writeHead(404).end();
  };
  let server: Server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`,
    log,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
    async start() {
      server = createServer((req, res) => void handler(req, res));
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    },
  };
}

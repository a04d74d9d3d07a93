// `caldera crds serve`: a CRDS server for private/offline sites and tests. Serves the JSON-RPC methods
// the CRDS client uses and the file downloads from a local CRDS cache directory. Loopback by default.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { getRecommendations } from './bestrefs.ts';
import { CacheLayout, loadConfig } from './config.ts';
import { CrdsError } from './errors.ts';
import { DirectoryLoader } from './loader.ts';
import type { Mapping } from './mapping.ts';

export interface ServeOptions {
  cache: string;
  host?: string;
  port?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

class CacheIndex {
  readonly layout: CacheLayout;
  private readonly loaders = new Map<string, DirectoryLoader>();
  private readonly infos = new Map<string, { size: number; sha1sum: string; path: string }>();
  constructor(cache: string) {
    this.layout = new CacheLayout(loadConfig({ CRDS_PATH: cache }));
  }

  observatories(): string[] {
    const dir = this.layout.config.mappingRoot;
    return existsSync(dir) ? readdirSync(dir).sort() : [];
  }

  loader(obs: string): DirectoryLoader {
    let l = this.loaders.get(obs);
    if (!l) {
      l = new DirectoryLoader({ dirs: [this.layout.mappingDir(obs)] });
      this.loaders.set(obs, l);
    }
    return l;
  }

  context(name: string): Mapping {
    const obs = this.observatoryOf(name);
    return this.loader(obs).load(name);
  }

  observatoryOf(name: string): string {
    const m = /^([a-z]+)/.exec(name.toLowerCase());
    const obs = m?.[1] ?? '';
    if (!this.observatories().includes(obs))
      throw new CrdsError(`Unknown observatory for '${name}'`, 'E_CRDS_INPUT', 2);
    return obs;
  }

  defaultContext(obs: string): string {
    const cfg = this.layout.serverConfig(obs);
    const op = cfg?.operational_context;
    if (typeof op === 'string' && existsSync(join(this.layout.mappingDir(obs), op))) return op;
    const pmaps = readdirSync(this.layout.mappingDir(obs))
      .filter((f) => f.endsWith('.pmap'))
      .sort();
    if (!pmaps.length) throw new CrdsError(`No .pmap in the ${obs} cache`, 'E_CRDS_INPUT', 2);
    return pmaps[pmaps.length - 1];
  }

  private readonly refIndex = new Map<string, Map<string, string>>();

  /**
   * `hst-2019-09-01T00:00:00` -> the context that was operational then, from server_config's
   * context_history ([[date, context, description], ...]); `hst-operational`/`-edit` -> default.
   */
  contextByDate(spec: string): string {
    const m = /^([a-z]+)-(.+)$/.exec(spec.toLowerCase());
    if (!m) throw new CrdsError(`Bad date-based context '${spec}'`, 'E_CRDS_INPUT', 2);
    const [, obs, when] = m;
    if (['operational', 'edit', 'latest', 'versions'].includes(when)) return this.defaultContext(obs);
    const date = when.replace('t', ' ');
    const history = (this.layout.serverConfig(obs)?.context_history ?? []) as [string, string, string?][];
    const earlier = history.filter(([d]) => String(d) <= date).sort((a, b) => (a[0] < b[0] ? 1 : -1));
    if (!earlier.length)
      throw new CrdsError(`No ${obs} context was operational at ${when}`, 'E_CRDS_INPUT', 2);
    return earlier[0][1];
  }

  /** Finds a mapping or reference in the cache (flat or per-instrument reference layout). */
  find(obs: string, name: string): string | null {
    if (/\.(pmap|imap|rmap)$/.test(name)) {
      const p = join(this.layout.mappingDir(obs), name);
      return existsSync(p) ? p : null;
    }
    let index = this.refIndex.get(obs);
    if (!index) {
      index = new Map();
      const base = join(this.layout.config.referenceRoot, obs);
      if (existsSync(base)) {
        for (const d of readdirSync(base, { withFileTypes: true })) {
          if (d.isFile()) index.set(d.name, join(base, d.name));
          else if (d.isDirectory()) {
            for (const f of readdirSync(join(base, d.name)))
              if (!index.has(f)) index.set(f, join(base, d.name, f));
          }
        }
      }
      this.refIndex.set(obs, index);
    }
    const p = index.get(name);
    return p && existsSync(p) ? p : null;
  }

  info(obs: string, name: string): { size: number; sha1sum: string } | null {
    const key = `${obs}/${name}`;
    const hit = this.infos.get(key);
    const path = hit?.path ?? this.find(obs, name);
    if (!path) return null;
    const size = statSync(path).size;
    if (hit && hit.size === size) return { size: hit.size, sha1sum: hit.sha1sum };
    const sha1sum = createHash('sha1').update(readFileSync(path)).digest('hex');
    this.infos.set(key, { size, sha1sum, path });
    return { size, sha1sum };
  }
}

type Rpc = (idx: CacheIndex, params: unknown[], baseUrl: string) => unknown;

const METHODS: Record<string, Rpc> = {
  get_default_context: (idx, [obs]) => idx.defaultContext(String(obs ?? idx.observatories()[0])),
  get_server_info: (idx, _p, base) => {
    const obs = idx.observatories()[0];
    const cfg = idx.layout.serverConfig(obs) ?? {};
    return {
      ...cfg,
      observatory: obs,
      operational_context: idx.defaultContext(obs),
      edit_context: idx.defaultContext(obs),
      connected: true,
      crds_version: { str: 'caldera' },
      mapping_url: { [obs]: `${base}/unchecked_get/mappings/${obs}/` },
      reference_url: { [obs]: `${base}/unchecked_get/references/${obs}/` },
      mappings: idx.loader(obs).listMappings(),
      bad_files_list: [...idx.layout.badFiles(obs)],
      bad_files: [...idx.layout.badFiles(obs)].join(' '),
    };
  },
  get_file_info_map: (idx, [obs, files]) => {
    const names = Array.isArray(files) ? files.map(String) : [];
    return Object.fromEntries(names.map((n) => [n, idx.info(String(obs), n) ?? 'NOT FOUND']));
  },
  get_file_info: (idx, [context, file]) => {
    const info = idx.info(idx.observatoryOf(String(context)), String(file));
    if (!info) throw new CrdsError(`File '${file}' is not known`, 'E_CRDS_INPUT', 2);
    return info;
  },
  get_context_by_date: (idx, [spec]) => idx.contextByDate(String(spec)),
  get_mapping_names: (idx, [context]) => [...idx.context(String(context)).mappingNames()].sort(),
  get_reference_names: (idx, [context]) => [...idx.context(String(context)).referenceNames()].sort(),
  get_best_references: (idx, [context, header, reftypes]) =>
    getRecommendations(
      idx.context(String(context)),
      (header ?? {}) as Record<string, unknown>,
      Array.isArray(reftypes) ? reftypes.map(String) : null,
    ),
};

export function createCrdsApp(cache: string): Hono {
  const idx = new CacheIndex(cache);
  const app = new Hono();
  app.post('/json/', async (c) => {
    let body: { method?: string; params?: unknown[]; id?: unknown };
    try {
      body = await c.req.json();
    } catch {
      return c.json({
        jsonrpc: '1.0',
        id: null,
        result: null,
        error: { name: 'ParseError', message: 'invalid JSON' },
      });
    }
    const fn = body.method ? METHODS[body.method] : undefined;
    if (!fn) {
      const error = { name: 'MethodNotFound', message: `unknown method ${JSON.stringify(body.method)}` };
      return c.json({ jsonrpc: '1.0', id: body.id ?? null, result: null, error });
    }
    try {
      const base = new URL(c.req.url).origin;
      const result = fn(idx, Array.isArray(body.params) ? body.params : [], base);
      return c.json({ jsonrpc: '1.0', id: body.id ?? null, result, error: null });
    } catch (e) {
      const err = e as Error;
      return c.json({
        jsonrpc: '1.0',
        id: body.id ?? null,
        result: null,
        error: { name: err.name, message: err.message },
      });
    }
  });
  app.get('/unchecked_get/:kind/:obs/:name', (c) => {
    const { kind, obs, name } = c.req.param();
    if (
      !['mappings', 'references'].includes(kind) ||
      !/^[a-z]+$/.test(obs) ||
      name.includes('/') ||
      name.startsWith('.')
    ) {
      return c.text('not found', 404);
    }
    const path = idx.find(obs, name);
    if (!path || /\.(pmap|imap|rmap)$/.test(name) !== (kind === 'mappings')) return c.text('not found', 404);
    const data = readFileSync(path);
    return c.body(new Uint8Array(data), 200, { 'content-type': 'application/octet-stream' });
  });
  return app;
}

/** Starts the server; resolves once listening. Port 0 picks a free port. */
export function startServer(opts: ServeOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const app = createCrdsApp(opts.cache);
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: host, port: opts.port ?? 0 }, (info) => {
      const url = `http://${host}:${info.port}`;
      resolve({
        url,
        port: info.port,
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    });
  });
}

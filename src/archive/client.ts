// A client for MAST's Portal API that speaks what astroquery 0.4.6 speaks: form-encoded
// `request=<json.dumps(...)>` POSTs to /api/v0/invoke, EXECUTING polling, paging, the columnsconfig call
// whose column types decide discrete/continuous/freeText filters. MAST_URL re-points it (e.g. at
// `caldera archive serve`).
import { randomUUID } from 'node:crypto';
import { isNetworkError, withRetry } from '../storage/index.ts';
import { InvalidQueryError, MastError, RemoteServiceError } from './errors.ts';
import { pyFloatRepr, pyJsonDumps, pyQuote } from './pyjson.ts';
import { type ColumnsConfig, type MashupReply, type MastTable, mashupToTable, type Row } from './table.ts';

export const DEFAULT_MAST_URL = 'https://mast.stsci.edu';
export const USER_AGENT = 'caldera/0.1.0 (MAST Portal API client)';

export const SERVICES = {
  cone: 'Mast.Caom.Cone',
  filtered: 'Mast.Caom.Filtered',
  filteredPosition: 'Mast.Caom.Filtered.Position',
  products: 'Mast.Caom.Products',
} as const;

export interface MastClientOptions {
  /** Base URL; defaults to $MAST_URL, then https://mast.stsci.edu. */
  baseUrl?: string;
  userAgent?: string;
  /** Source of cacheBreaker values (tests pin it to compare bodies byte for byte). */
  cacheBreaker?: () => string;
  pollIntervalMs?: number;
  timeoutMs?: number;
  maxAttempts?: number;
}

export type CriterionValue = string | number | (string | number)[] | { min: number; max: number };
export type Criteria = Record<string, CriterionValue>;

export interface MashupFilter {
  paramName: string;
  separator?: string;
  values: (string | { min: number; max: number })[];
  freeText?: string;
}

export interface Position {
  ra: number;
  dec: number;
  /** Degrees (astroquery's default is 0.2). */
  radius?: number;
}

const CONTINUOUS = new Set(['double', 'float', 'numeric']);

export class MastClient {
  readonly baseUrl: string;
  private readonly opts: MastClientOptions;
  private readonly configs = new Map<string, ColumnsConfig>();

  constructor(opts: MastClientOptions = {}) {
    this.baseUrl = (opts.baseUrl ?? process.env.MAST_URL ?? DEFAULT_MAST_URL).replace(/\/+$/, '');
    this.opts = opts;
  }

  get invokeUrl(): string {
    return `${this.baseUrl}/api/v0/invoke`;
  }
  get columnsConfigUrl(): string {
    return `${this.baseUrl}/portal/Mashup/Mashup.asmx/columnsconfig`;
  }
  get downloadUrl(): string {
    return `${this.baseUrl}/api/v0.1/Download/file`;
  }
  get pathLookupUrl(): string {
    return `${this.baseUrl}/api/v0.1/path_lookup/`;
  }

  /** astroquery's header set for Portal POSTs. */
  private headers(): Record<string, string> {
    return {
      'User-Agent': this.opts.userAgent ?? USER_AGENT,
      'Content-type': 'application/x-www-form-urlencoded',
      Accept: 'text/plain',
    };
  }

  private async post(url: string, body: string): Promise<unknown> {
    const res = await withRetry(
      async () => {
        const r = await fetch(url, { method: 'POST', headers: this.headers(), body });
        if (r.status >= 500 || r.status === 429) {
          await r.body?.cancel();
          throw new RemoteServiceError(`MAST answered HTTP ${r.status} for ${url}`);
        }
        return r;
      },
      {
        attempts: this.opts.maxAttempts ?? 4,
        baseMs: 200,
        retryable: (e) => isNetworkError(e) || e instanceof RemoteServiceError,
      },
    ).catch((e) => {
      if (e instanceof MastError) throw e;
      throw new RemoteServiceError(`cannot reach MAST at ${url}: ${(e as Error).message}`);
    });
    if (!res.ok)
      throw new RemoteServiceError(`MAST answered HTTP ${res.status} ${res.statusText} for ${url}`);
    try {
      return await res.json();
    } catch {
      throw new RemoteServiceError(`MAST sent a non-JSON reply from ${url}`);
    }
  }

  /** The column definitions of a service (cached), from POST columnsconfig colConfigId=<service>. */
  async columnsConfig(service: string): Promise<ColumnsConfig> {
    let c = this.configs.get(service);
    if (!c) {
      c = (await this.post(this.columnsConfigUrl, `colConfigId=${service}`)) as ColumnsConfig;
      this.configs.set(service, c);
    }
    return c;
  }

  /** One Portal service call, polling while EXECUTING and following pages unless `page` is given. */
  async serviceRequest(
    service: string,
    params: Record<string, unknown>,
    opts: { pagesize?: number; page?: number } = {},
  ): Promise<MashupReply[]> {
    const retrieveAll = !opts.page;
    const request: Record<string, unknown> = {
      service,
      params,
      format: 'json',
      pagesize: opts.pagesize ?? 50000,
      page: opts.page ?? 1,
      cacheBreaker: (this.opts.cacheBreaker ?? randomUUID)(),
    };
    const start = Date.now();
    const replies: MashupReply[] = [];
    for (;;) {
      let reply: MashupReply;
      for (;;) {
        reply = (await this.post(this.invokeUrl, `request=${pyQuote(pyJsonDumps(request))}`)) as MashupReply;
        if (reply?.status !== 'EXECUTING') break;
        if (Date.now() - start > (this.opts.timeoutMs ?? 600_000))
          throw new RemoteServiceError(`${service} still EXECUTING after timeout`);
        await new Promise((r) => setTimeout(r, this.opts.pollIntervalMs ?? 500));
      }
      if (reply.status === 'ERROR')
        throw new RemoteServiceError(`${service} failed: ${reply.msg ?? 'no message'}`);
      replies.push(reply);
      if (reply.status !== 'COMPLETE' || !retrieveAll || !reply.paging) break;
      if (reply.paging.page >= reply.paging.pagesFiltered) break;
      request.page = reply.paging.page + 1;
    }
    return replies;
  }

  /** Mashup filters from criteria, typed by the Mast.Caom.Cone column config as astroquery does. */
  async buildFilters(criteria: Criteria): Promise<MashupFilter[]> {
    const config = await this.columnsConfig(SERVICES.cone);
    const filters: MashupFilter[] = [];
    for (const [col, value] of Object.entries(criteria)) {
      const info = config[col] as Record<string, unknown> | undefined;
      if (!info)
        throw new InvalidQueryError(`Filter '${col}' does not exist; see the columns of ${SERVICES.cone}`);
      const dtype = String(info['vot.datatype'] ?? info.type ?? '');
      const separator = typeof info.separator === 'string' && info.separator ? info.separator : undefined;
      // key order matters for byte-identical bodies: paramName, separator, values, freeText
      const f: MashupFilter = { paramName: col, separator, values: [] };
      if (CONTINUOUS.has(dtype) || info.treatNumeric) {
        f.values = [continuousRange(col, value)];
        filters.push(f);
        continue;
      }
      // discrete values travel as strings, even numbers
      const values = (Array.isArray(value) ? value : [value]).map(String);
      for (const v of values) {
        if (v.includes('*') || v.includes('%')) {
          if (f.freeText !== undefined)
            throw new InvalidQueryError(`Only one wildcarded value may be used per filter (${col}).`);
          f.freeText = v.replaceAll('*', '%');
        }
      }
      f.values = values.filter((v) => !(v.includes('*') || v.includes('%')));
      filters.push(f);
    }
    return filters;
  }

  /** Observations.query_criteria: Mast.Caom.Filtered, or .Position when a position is given. */
  async queryCriteria(
    criteria: Criteria,
    opts: { position?: Position; pagesize?: number; page?: number } = {},
  ): Promise<MastTable> {
    const filters = await this.buildFilters(criteria);
    if (filters.length === 0)
      throw new InvalidQueryError('At least one non-positional criterion must be supplied.');
    const params: Record<string, unknown> = { columns: '*', filters };
    let service: string = SERVICES.filtered;
    if (opts.position) {
      const p = opts.position;
      params.position = [p.ra, p.dec, p.radius ?? 0.2].map(pyFloatRepr).join(', ');
      service = SERVICES.filteredPosition;
    }
    const replies = await this.serviceRequest(service, params, opts);
    return mashupToTable(replies, await this.columnsConfig(SERVICES.cone));
  }

  /** Observations.query_region: Mast.Caom.Cone around ra/dec (degrees). */
  async queryRegion(pos: Position, opts: { pagesize?: number; page?: number } = {}): Promise<MastTable> {
    const replies = await this.serviceRequest(
      SERVICES.cone,
      { ra: pos.ra, dec: pos.dec, radius: pos.radius ?? 0.2 },
      opts,
    );
    return mashupToTable(replies, await this.columnsConfig(SERVICES.cone));
  }

  /** Observations.get_product_list: Mast.Caom.Products for observations (rows with `obsid`, or ids). */
  async getProductList(observations: (Row | string | number)[]): Promise<MastTable> {
    const ids = observations
      .map((o) => (typeof o === 'object' && o !== null ? o.obsid : o))
      .filter((x) => x !== null && x !== undefined && x !== '')
      .map(String);
    if (ids.length === 0) throw new InvalidQueryError('Observation list is empty, no associated products.');
    const config = await this.columnsConfig(SERVICES.products);
    const replies = await this.serviceRequest(SERVICES.products, { obsid: ids.join(',') });
    return mashupToTable(replies, config);
  }

  /** MAST's path_lookup: where each mast: URI lives in the public buckets (50 per request). */
  async pathLookup(uris: string[]): Promise<Map<string, string | undefined>> {
    const out = new Map<string, string | undefined>();
    for (let i = 0; i < uris.length; i += 50) {
      const chunk = uris.slice(i, i + 50);
      const qs = chunk.map((u) => `uri=${encodeURIComponent(u)}`).join('&');
      const res = await fetch(`${this.pathLookupUrl}?${qs}`, {
        headers: { 'User-Agent': this.opts.userAgent ?? USER_AGENT },
      });
      if (!res.ok) throw new RemoteServiceError(`path_lookup answered HTTP ${res.status}`);
      const body = (await res.json()) as Record<string, { status_code?: number; path?: string | null }>;
      for (const u of chunk) {
        const p = body[u];
        out.set(u, p && p.status_code === 200 && p.path ? p.path : undefined);
      }
    }
    return out;
  }
}

function continuousRange(col: string, value: CriterionValue): { min: number; max: number } {
  if (typeof value === 'object' && !Array.isArray(value)) return value;
  if (Array.isArray(value) && value.length >= 2) {
    const [min, max] = value.map(Number);
    if (Number.isNaN(min) || Number.isNaN(max))
      throw new InvalidQueryError(`${col} range must be numeric: ${JSON.stringify(value)}`);
    return { min, max };
  }
  throw new InvalidQueryError(
    `${col} is continuous and filters on [min, max]; give two values (e.g. ${col}=[1, 2000])`,
  );
}

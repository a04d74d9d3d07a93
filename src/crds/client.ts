// JSON-RPC client for the CRDS server methods the CRDS client uses (POST <server>/json/), plus the
// plain-HTTP file URLs (<server>/unchecked_get/{mappings,references}/<obs>/<name>).
import { CrdsServiceError } from './errors.ts';

export interface FileInfo {
  size: number;
  sha1sum: string;
  [key: string]: unknown;
}

export interface ServerInfo {
  observatory: string;
  operational_context: string;
  edit_context?: string;
  crds_version?: { str: string };
  mapping_url?: Record<string, string>;
  reference_url?: Record<string, string>;
  bad_files_list?: string[];
  [key: string]: unknown;
}

export interface ClientOptions {
  retryCount?: number;
  retryDelaySeconds?: number;
  timeoutSeconds?: number;
}

let rpcId = 0;

export class CrdsClient {
  readonly serverUrl: string;
  private readonly opts: Required<ClientOptions>;
  constructor(serverUrl: string, opts: ClientOptions = {}) {
    this.serverUrl = serverUrl.replace(/\/+$/, '');
    this.opts = {
      retryCount: Math.max(1, opts.retryCount ?? 1),
      retryDelaySeconds: opts.retryDelaySeconds ?? 0,
      timeoutSeconds: opts.timeoutSeconds ?? 300,
    };
  }

  /** One JSON-RPC call; network failures are retried (CRDS_CLIENT_RETRY_COUNT), server errors are not. */
  async call<T>(method: string, ...params: unknown[]): Promise<T> {
    const body = JSON.stringify({ jsonrpc: '1.0', method, params, id: ++rpcId });
    let lastErr: unknown;
    for (let attempt = 0; attempt < this.opts.retryCount; attempt++) {
      if (attempt > 0) await sleep(this.opts.retryDelaySeconds * 1000 * 2 ** (attempt - 1));
      let res: Response;
      try {
        res = await fetch(`${this.serverUrl}/json/`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(this.opts.timeoutSeconds * 1000),
        });
      } catch (e) {
        lastErr = e;
        continue;
      }
      if (res.status >= 500) {
        lastErr = new Error(`HTTP ${res.status}`);
        continue;
      }
      const text = await res.text();
      let reply: { result?: T; error?: { name?: string; message?: string } | string | null };
      try {
        reply = JSON.parse(text);
      } catch {
        throw new CrdsServiceError(
          `CRDS server ${this.serverUrl} sent a non-JSON reply to ${method} (HTTP ${res.status})`,
        );
      }
      if (reply.error) {
        const err = reply.error;
        const msg = typeof err === 'string' ? err : `${err.name ?? 'Error'}: ${err.message ?? ''}`;
        throw new CrdsServiceError(`CRDS server error in ${method}: ${msg}`);
      }
      return reply.result as T;
    }
    throw new CrdsServiceError(
      `CRDS server ${this.serverUrl} unreachable for ${method} after ${this.opts.retryCount} attempt(s): ${(lastErr as Error)?.message ?? lastErr}. Check CRDS_SERVER_URL or use CRDS_MODE=local.`,
    );
  }

  getDefaultContext(observatory: string): Promise<string> {
    return this.call('get_default_context', observatory);
  }
  getServerInfo(): Promise<ServerInfo> {
    return this.call('get_server_info');
  }
  getFileInfoMap(
    observatory: string,
    files: string[],
    fields?: string[],
  ): Promise<Record<string, FileInfo | string>> {
    return this.call('get_file_info_map', observatory, files, fields ?? null);
  }
  getFileInfo(context: string, file: string): Promise<FileInfo> {
    return this.call('get_file_info', context, file);
  }
  getContextByDate(spec: string): Promise<string> {
    return this.call('get_context_by_date', spec);
  }
  getMappingNames(context: string): Promise<string[]> {
    return this.call('get_mapping_names', context);
  }
  getBestReferences(context: string, header: Record<string, unknown>, reftypes?: string[] | null) {
    return this.call<Record<string, unknown>>('get_best_references', context, header, reftypes ?? null);
  }

  /** Plain-HTTP download URL for a mapping or reference. */
  fileUrl(observatory: string, name: string, info?: ServerInfo): string {
    const isMap = /\.(pmap|imap|rmap)$/.test(name);
    const base = (isMap ? info?.mapping_url : info?.reference_url)?.[observatory];
    if (base) return `${base.replace(/\/+$/, '')}/${name}`;
    return `${this.serverUrl}/unchecked_get/${isMap ? 'mappings' : 'references'}/${observatory}/${name}`;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

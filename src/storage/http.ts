// http(s):// backend: read-only (GET, HEAD, Range). Retries connection failures, 429 and 5xx with
// back-off and jitter. Listing is not part of plain HTTP, so list() throws UnsupportedError.
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import {
  AccessDeniedError,
  NotFoundError,
  ReadOnlyError,
  type StorageError,
  TransferError,
  UnsupportedError,
} from './errors.ts';
import type {
  ByteRange,
  ListEntry,
  ObjectStat,
  ObjectStore,
  ReadOptions,
  StoreOptions,
  WriteResult,
} from './types.ts';
import { parseUri } from './uri.ts';
import { collect, isNetworkError, verifyBuffer, withRetry } from './util.ts';

class RetryableStatus extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`HTTP ${status}`);
    this.status = status;
  }
}

export function httpStatusError(uri: string, status: number, statusText = ''): StorageError {
  if (status === 404 || status === 410) return new NotFoundError(uri);
  if (status === 401 || status === 403) return new AccessDeniedError(uri, `HTTP ${status}`);
  return new TransferError(uri, `HTTP ${status} ${statusText}`.trim());
}

export class HttpStore implements ObjectStore {
  readonly scheme: 'http' | 'https';
  readonly readOnly = true;
  private readonly opts: StoreOptions;

  constructor(scheme: 'http' | 'https', opts: StoreOptions = {}) {
    this.scheme = scheme;
    this.opts = opts;
  }

  private async fetch(uri: string, method: 'GET' | 'HEAD', range?: ByteRange): Promise<Response> {
    const url = parseUri(uri).uri;
    const headers: Record<string, string> = { 'user-agent': 'caldera', ...this.opts.headers };
    if (range && (range.start !== undefined || range.end !== undefined)) {
      headers.range = `bytes=${range.start ?? 0}-${range.end ?? ''}`;
    }
    try {
      return await withRetry(
        async () => {
          const res = await fetch(url, { method, headers, redirect: 'follow' });
          if (res.status === 429 || res.status >= 500) {
            await res.body?.cancel();
            throw new RetryableStatus(res.status);
          }
          return res;
        },
        {
          attempts: this.opts.maxAttempts ?? 4,
          baseMs: this.opts.retryBaseMs ?? 100,
          retryable: (e) => e instanceof RetryableStatus || isNetworkError(e),
        },
      );
    } catch (e) {
      if (e instanceof RetryableStatus) throw httpStatusError(uri, e.status);
      throw new TransferError(uri, (e as Error).message, e);
    }
  }

  private async ok(uri: string, method: 'GET' | 'HEAD', range?: ByteRange): Promise<Response> {
    const res = await this.fetch(uri, method, range);
    if (res.status === 416) return res;
    if (!res.ok) {
      await res.body?.cancel();
      throw httpStatusError(uri, res.status, res.statusText);
    }
    return res;
  }

  async read(uri: string, opts?: ReadOptions): Promise<Uint8Array> {
    const data = await collect(await this.readStream(uri));
    verifyBuffer(uri, data, opts);
    return data;
  }

  async readStream(uri: string, range?: ByteRange): Promise<Readable> {
    const res = await this.ok(uri, 'GET', range);
    if (res.status === 416 || !res.body) {
      await res.body?.cancel();
      return Readable.from([]);
    }
    // a server that ignores Range answers 200 with the whole body: cut it down ourselves
    const stream = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
    if (range && res.status === 200 && ((range.start ?? 0) > 0 || range.end !== undefined)) {
      return Readable.from(sliceStream(stream, range.start ?? 0, range.end));
    }
    return stream;
  }

  async readRange(uri: string, start: number, end: number): Promise<Uint8Array> {
    return collect(await this.readStream(uri, { start, end }));
  }

  async write(uri: string): Promise<WriteResult> {
    throw new ReadOnlyError(uri, 'write');
  }

  async stat(uri: string): Promise<ObjectStat | undefined> {
    const res = await this.fetch(uri, 'HEAD');
    if (res.status === 404 || res.status === 410) return undefined;
    if (!res.ok) throw httpStatusError(uri, res.status, res.statusText);
    const len = res.headers.get('content-length');
    const lm = res.headers.get('last-modified');
    return {
      size: len === null ? Number.NaN : Number(len),
      mtime: lm ? new Date(lm) : undefined,
      etag: res.headers.get('etag') ?? undefined,
    };
  }

  async exists(uri: string): Promise<boolean> {
    return (await this.stat(uri)) !== undefined;
  }

  // biome-ignore lint/correctness/useYield: plain HTTP has no listing; the generator only throws
  async *list(prefixUri: string): AsyncIterable<ListEntry> {
    throw new UnsupportedError(prefixUri, 'listing');
  }

  async delete(uri: string): Promise<void> {
    throw new ReadOnlyError(uri, 'delete');
  }

  async copy(_src: string, dstUri: string): Promise<void> {
    throw new ReadOnlyError(dstUri, 'copy');
  }
}

async function* sliceStream(src: Readable, start: number, end: number | undefined): AsyncGenerator<Buffer> {
  let pos = 0;
  for await (const c of src as AsyncIterable<Buffer>) {
    const from = Math.max(0, start - pos);
    const to = end === undefined ? c.length : Math.min(c.length, end + 1 - pos);
    if (to > from) yield c.subarray(from, to);
    pos += c.length;
    if (end !== undefined && pos > end) {
      src.destroy();
      return;
    }
  }
}

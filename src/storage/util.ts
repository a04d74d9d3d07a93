// Shared helpers: hashing pass-through, byte collection, retries with back-off and jitter.
import { createHash, type Hash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { IntegrityError } from './errors.ts';
import type { Progress, ReadOptions, WriteOptions } from './types.ts';

/**
 * Counts and hashes bytes as they pass; if the caller stated a size or checksum, the stream errors in
 * flush() — before it ends — so consumers (rename, multipart completion) never publish bad data.
 */
export class VerifyingStream extends Transform {
  loaded = 0;
  sha256hex = '';
  private readonly h256: Hash = createHash('sha256');
  private readonly h1: Hash | undefined;
  private readonly uri: string;
  private readonly expect: ReadOptions;
  private readonly onProgress: ((p: Progress) => void) | undefined;
  private readonly total: number | undefined;

  constructor(uri: string, expect: ReadOptions & Pick<WriteOptions, 'onProgress'>, total?: number) {
    super();
    this.uri = uri;
    this.expect = expect;
    this.h1 = expect.sha1 ? createHash('sha1') : undefined;
    this.onProgress = expect.onProgress;
    this.total = total ?? expect.size;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.h256.update(chunk);
    this.h1?.update(chunk);
    this.loaded += chunk.length;
    this.onProgress?.({ loaded: this.loaded, total: this.total });
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.sha256hex = this.h256.digest('hex');
    cb(verifyDigests(this.uri, this.expect, this.loaded, this.sha256hex, this.h1?.digest('hex')));
  }
}

export function verifyDigests(
  uri: string,
  expect: ReadOptions,
  size: number,
  sha256: string | undefined,
  sha1: string | undefined,
): IntegrityError | null {
  if (expect.size !== undefined && expect.size !== size)
    return new IntegrityError(uri, 'size', String(expect.size), String(size));
  if (expect.sha256 && sha256 && expect.sha256.toLowerCase() !== sha256) {
    return new IntegrityError(uri, 'SHA-256', expect.sha256.toLowerCase(), sha256);
  }
  if (expect.sha1 && sha1 && expect.sha1.toLowerCase() !== sha1)
    return new IntegrityError(uri, 'SHA-1', expect.sha1.toLowerCase(), sha1);
  return null;
}

/** Checks a whole buffer against the expectations, throwing IntegrityError. */
export function verifyBuffer(uri: string, data: Uint8Array, expect: ReadOptions | undefined): void {
  if (!expect || (expect.size === undefined && !expect.sha256 && !expect.sha1)) return;
  const s256 = expect.sha256 ? createHash('sha256').update(data).digest('hex') : undefined;
  const s1 = expect.sha1 ? createHash('sha1').update(data).digest('hex') : undefined;
  const err = verifyDigests(uri, expect, data.length, s256, s1);
  if (err) throw err;
}

export function toReadable(data: Uint8Array | Readable): Readable {
  if (data instanceof Uint8Array)
    return Readable.from([Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
  return data;
}

export async function collect(stream: Readable): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Full-jitter exponential back-off: random in [0, min(cap, base·2^attempt)). */
export function backoffMs(attempt: number, baseMs = 100, capMs = 5000): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** attempt);
}

/** Retries `fn` while `retryable(err)` holds, up to `attempts` tries in all. */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  opts: { attempts?: number; baseMs?: number; retryable: (e: unknown) => boolean },
): Promise<T> {
  const attempts = opts.attempts ?? 5;
  for (let i = 0; ; i++) {
    try {
      return await fn(i);
    } catch (e) {
      if (i + 1 >= attempts || !opts.retryable(e)) throw e;
      await sleep(backoffMs(i, opts.baseMs));
    }
  }
}

const NET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'ENOTFOUND',
  'UND_ERR_CLOSED',
]);

/** True for connection-level failures worth retrying. */
export function isNetworkError(e: unknown): boolean {
  let cur: unknown = e;
  for (let depth = 0; cur && depth < 5; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && NET_CODES.has(code)) return true;
    if (cur instanceof TypeError && /fetch failed|terminated/i.test(cur.message)) return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

// s3:// backend over @aws-sdk/client-s3 v3. Uploads are multipart via @aws-sdk/lib-storage (an object
// becomes visible only when the upload completes, so an interrupted transfer leaves nothing behind).
// Open buckets (stpubdata) are read with unsigned requests; AWS_ENDPOINT_URL selects S3-compatible
// stores with path-style addressing.
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import { AccessDeniedError, NotFoundError, StorageError, TransferError } from './errors.ts';
import type {
  ByteRange,
  ListEntry,
  ListOptions,
  ObjectStat,
  ObjectStore,
  ReadOptions,
  StoreOptions,
  WriteOptions,
  WriteResult,
} from './types.ts';
import { parseUri } from './uri.ts';
import { collect, isNetworkError, toReadable, VerifyingStream, verifyBuffer, withRetry } from './util.ts';

/** Buckets that need no account; requests to them are sent unsigned. */
export const OPEN_BUCKETS = new Set(['stpubdata']);

const MIN_PART = 5 * 1024 * 1024;

interface S3Loc {
  Bucket: string;
  Key: string;
}

function loc(uri: string): S3Loc {
  const p = parseUri(uri);
  if (p.scheme !== 's3' || !p.bucket)
    throw new StorageError(`not an s3:// URI: ${uri}`, { code: 'E_INVALID_URI', exitCode: 64, uri });
  return { Bucket: p.bucket, Key: p.key };
}

/** Maps SDK errors onto the storage error classes. */
export function mapS3Error(e: unknown, uri: string): unknown {
  if (e instanceof StorageError) return e;
  const err = e as {
    name?: string;
    Code?: string;
    $metadata?: { httpStatusCode?: number };
    message?: string;
  };
  const name = err.name ?? err.Code ?? '';
  const status = err.$metadata?.httpStatusCode;
  if (name === 'NoSuchBucket') return new NotFoundError(uri, 'bucket', e);
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404)
    return new NotFoundError(uri, 'object', e);
  if (
    name === 'AccessDenied' ||
    name === 'Forbidden' ||
    name === 'InvalidAccessKeyId' ||
    status === 403 ||
    status === 401
  ) {
    return new AccessDeniedError(uri, name, e);
  }
  if (name === 'CredentialsProviderError') return new AccessDeniedError(uri, 'no AWS credentials found', e);
  return new TransferError(uri, `${name || 'error'}: ${err.message ?? String(e)}`, e);
}

function endpointFromEnv(): string | undefined {
  return process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || undefined;
}

// Auth scheme whose signer passes requests through untouched: anonymous access without a credential chain.
const unsignedAuthSchemes = [
  {
    schemeId: 'aws.auth#sigv4',
    identityProvider: () => async () => ({}),
    signer: { sign: async (req: unknown) => req },
  },
] as unknown as S3ClientConfig['httpAuthSchemes'];

export class S3Store implements ObjectStore {
  readonly scheme = 's3' as const;
  readonly readOnly = false;
  private readonly opts: StoreOptions;
  private signed: S3Client | undefined;
  private unsigned: S3Client | undefined;

  constructor(opts: StoreOptions = {}) {
    this.opts = opts;
  }

  private config(anon: boolean): S3ClientConfig {
    const endpoint = this.opts.endpoint ?? endpointFromEnv();
    const cfg: S3ClientConfig = {
      region: this.opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      // only compute/validate checksums when an operation requires them: S3-compatible stores (s3rver)
      // reject the SDK's default CRC32 trailers
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // the SDK's standard mode retries throttling/5xx/network errors with exponential back-off + full jitter
      maxAttempts: this.opts.maxAttempts ?? 5,
      retryMode: 'standard',
    };
    if (endpoint) {
      cfg.endpoint = endpoint;
      cfg.forcePathStyle = true;
    }
    if (anon) cfg.httpAuthSchemes = unsignedAuthSchemes;
    else if (this.opts.credentials) cfg.credentials = this.opts.credentials;
    return cfg;
  }

  /** The client for a bucket: unsigned for open buckets or when asked, otherwise the credential chain. */
  client(bucket: string): S3Client {
    const anon =
      this.opts.unsigned ??
      (process.env.AWS_NO_SIGN_REQUEST === 'true' || (OPEN_BUCKETS.has(bucket) && !this.opts.credentials));
    if (anon) {
      this.unsigned ??= new S3Client(this.config(true));
      return this.unsigned;
    }
    this.signed ??= new S3Client(this.config(false));
    return this.signed;
  }

  async read(uri: string, opts?: ReadOptions): Promise<Uint8Array> {
    const data = await collect(await this.readStream(uri));
    verifyBuffer(uri, data, opts);
    return data;
  }

  async readStream(uri: string, range?: ByteRange): Promise<Readable> {
    const l = loc(uri);
    const Range =
      range && (range.start !== undefined || range.end !== undefined)
        ? `bytes=${range.start ?? 0}-${range.end ?? ''}`
        : undefined;
    try {
      const out = await this.client(l.Bucket).send(new GetObjectCommand({ ...l, Range }));
      return out.Body as Readable;
    } catch (e) {
      if ((e as { name?: string }).name === 'InvalidRange') return Readable.from([]);
      throw mapS3Error(e, uri);
    }
  }

  async readRange(uri: string, start: number, end: number): Promise<Uint8Array> {
    return collect(await this.readStream(uri, { start, end }));
  }

  async write(uri: string, data: Uint8Array | Readable, opts: WriteOptions = {}): Promise<WriteResult> {
    const l = loc(uri);
    // a buffer can be replayed, so a failed upload is retried whole; a stream gets one (multipart) go
    const attempts = data instanceof Uint8Array ? (this.opts.maxAttempts ?? 5) : 1;
    try {
      return await withRetry(() => this.upload(uri, l, data, opts), {
        attempts,
        baseMs: this.opts.retryBaseMs ?? 200,
        retryable: (e) =>
          isNetworkError(e) ||
          (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 503,
      });
    } catch (e) {
      throw mapS3Error(e, uri);
    }
  }

  private async upload(
    uri: string,
    l: S3Loc,
    data: Uint8Array | Readable,
    opts: WriteOptions,
  ): Promise<WriteResult> {
    const total = data instanceof Uint8Array ? data.length : opts.size;
    const verify = new VerifyingStream(uri, { ...opts, onProgress: undefined }, total);
    const src = toReadable(data);
    src.on('error', (e) => verify.destroy(e));
    const up = new Upload({
      client: this.client(l.Bucket),
      params: { ...l, Body: src.pipe(verify), ContentType: opts.contentType },
      partSize: Math.max(MIN_PART, this.opts.partSize ?? 8 * 1024 * 1024),
      queueSize: this.opts.queueSize ?? 4,
      leavePartsOnError: false,
    });
    up.on('httpUploadProgress', (p) => opts.onProgress?.({ loaded: p.loaded ?? 0, total: p.total ?? total }));
    await up.done();
    const head = await this.client(l.Bucket).send(new HeadObjectCommand(l));
    if (head.ContentLength !== verify.loaded) {
      // the store truncated or padded the object: do not leave it under the final name
      await this.client(l.Bucket)
        .send(new DeleteObjectCommand(l))
        .catch(() => {});
      throw new TransferError(
        uri,
        `stored size ${head.ContentLength} differs from ${verify.loaded} bytes sent`,
      );
    }
    return { size: verify.loaded, sha256: verify.sha256hex };
  }

  async stat(uri: string): Promise<ObjectStat | undefined> {
    const l = loc(uri);
    try {
      const h = await this.client(l.Bucket).send(new HeadObjectCommand(l));
      return { size: h.ContentLength ?? 0, mtime: h.LastModified, etag: h.ETag?.replace(/"/g, '') };
    } catch (e) {
      const m = mapS3Error(e, uri);
      // HEAD has no body, so a missing bucket looks like a missing key: both mean "absent"
      if (m instanceof NotFoundError) return undefined;
      throw m;
    }
  }

  async exists(uri: string): Promise<boolean> {
    return (await this.stat(uri)) !== undefined;
  }

  async *list(prefixUri: string, opts: ListOptions = {}): AsyncIterable<ListEntry> {
    const { Bucket, Key: Prefix } = loc(prefixUri);
    let ContinuationToken: string | undefined;
    do {
      let out: ListObjectsV2CommandOutput;
      try {
        out = await this.client(Bucket).send(
          new ListObjectsV2Command({
            Bucket,
            Prefix,
            Delimiter: opts.delimiter,
            ContinuationToken,
            MaxKeys: 1000,
          }),
        );
      } catch (e) {
        throw mapS3Error(e, prefixUri);
      }
      // S3 returns files and prefixes in separate arrays; merge them back into key order (this also
      // repairs s3rver, which lists in filesystem-walk order rather than byte order; docs/storage.md)
      const items: ListEntry[] = [];
      for (const c of out.Contents ?? []) {
        if (!c.Key) continue;
        items.push({
          uri: `s3://${Bucket}/${c.Key}`,
          key: c.Key,
          size: c.Size ?? 0,
          mtime: c.LastModified,
          etag: c.ETag?.replace(/"/g, ''),
        });
      }
      for (const p of out.CommonPrefixes ?? []) {
        if (p.Prefix)
          items.push({ uri: `s3://${Bucket}/${p.Prefix}`, key: p.Prefix, size: 0, isPrefix: true });
      }
      items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      yield* items;
      ContinuationToken = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  async delete(uri: string): Promise<void> {
    const l = loc(uri);
    try {
      await this.client(l.Bucket).send(new DeleteObjectCommand(l));
    } catch (e) {
      const m = mapS3Error(e, uri);
      if (m instanceof NotFoundError && m.code !== 'E_NO_BUCKET') return;
      throw m;
    }
  }

  async copy(srcUri: string, dstUri: string): Promise<void> {
    const s = loc(srcUri);
    const d = loc(dstUri);
    const source = `${s.Bucket}/${s.Key.split('/').map(encodeURIComponent).join('/')}`;
    try {
      await this.client(d.Bucket).send(new CopyObjectCommand({ ...d, CopySource: source }));
    } catch (e) {
      throw mapS3Error(e, srcUri);
    }
  }

  /** Creates a bucket (tests, private sites); an existing bucket you own is fine. */
  async createBucket(bucket: string): Promise<void> {
    try {
      await this.client(bucket).send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (e) {
      const name = (e as { name?: string }).name;
      if (name === 'BucketAlreadyOwnedByYou' || name === 'BucketAlreadyExists') return;
      throw mapS3Error(e, `s3://${bucket}/`);
    }
  }

  destroy(): void {
    this.signed?.destroy();
    this.unsigned?.destroy();
  }
}

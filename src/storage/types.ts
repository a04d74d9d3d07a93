// The ObjectStore contract every backend implements (file:, memory:, s3://, http(s):// read-only).
import type { Readable } from 'node:stream';
import type { Scheme } from './uri.ts';

export interface ObjectStat {
  size: number;
  mtime: Date | undefined;
  etag: string | undefined;
}

export interface ListEntry {
  uri: string;
  /** Object key (s3/memory) or absolute path (file). Common prefixes end with the delimiter. */
  key: string;
  size: number;
  mtime?: Date;
  etag?: string;
  /** True for a common prefix ("directory") reported because of a delimiter. */
  isPrefix?: boolean;
}

export interface Progress {
  loaded: number;
  total?: number;
}

export interface WriteOptions {
  onProgress?: (p: Progress) => void;
  /** Expected SHA-256 (hex) of the data; on mismatch nothing is stored and IntegrityError is thrown. */
  sha256?: string;
  /** Expected SHA-1 (hex). */
  sha1?: string;
  /** Expected size in bytes. */
  size?: number;
  contentType?: string;
}

export interface WriteResult {
  size: number;
  sha256: string;
}

export interface ReadOptions {
  sha256?: string;
  sha1?: string;
  size?: number;
}

/** Inclusive byte range, like HTTP Range and fs.createReadStream. */
export interface ByteRange {
  start?: number;
  end?: number;
}

export interface ListOptions {
  /** Group keys by this delimiter (usually '/'): entries past it collapse to one prefix entry. */
  delimiter?: string;
}

export interface ObjectStore {
  readonly scheme: Scheme;
  readonly readOnly: boolean;
  read(uri: string, opts?: ReadOptions): Promise<Uint8Array>;
  readStream(uri: string, range?: ByteRange): Promise<Readable>;
  /** Bytes start..end inclusive. */
  readRange(uri: string, start: number, end: number): Promise<Uint8Array>;
  write(uri: string, data: Uint8Array | Readable, opts?: WriteOptions): Promise<WriteResult>;
  stat(uri: string): Promise<ObjectStat | undefined>;
  exists(uri: string): Promise<boolean>;
  /** Keys starting with the prefix, in byte order, paging transparently. */
  list(prefixUri: string, opts?: ListOptions): AsyncIterable<ListEntry>;
  /** Idempotent: deleting a missing object is not an error. */
  delete(uri: string): Promise<void>;
  /** Copy within this store. */
  copy(srcUri: string, dstUri: string): Promise<void>;
}

export interface StoreOptions {
  /** S3 endpoint (S3-compatible stores); defaults to AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL. */
  endpoint?: string;
  region?: string;
  /** Force unsigned (anonymous) S3 requests; by default only known open buckets go unsigned. */
  unsigned?: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Attempts per request (S3 and HTTP), with exponential back-off and full jitter. */
  maxAttempts?: number;
  /** Multipart part size in bytes (S3), minimum 5 MiB. */
  partSize?: number;
  /** Parallel part uploads (S3). */
  queueSize?: number;
  /** Extra HTTP headers (http backend). */
  headers?: Record<string, string>;
  /** Base delay of retries in ms. */
  retryBaseMs?: number;
}

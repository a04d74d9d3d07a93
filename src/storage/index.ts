// Public face of the storage layer: one URI vocabulary (file:, s3://, http(s)://, memory:) and one
// ObjectStore interface over all of them.
import type { Readable } from 'node:stream';
import { FileStore } from './file.ts';
import { HttpStore } from './http.ts';
import { MemoryStore } from './memory.ts';
import { S3Store } from './s3.ts';
import type {
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

export * from './errors.ts';
export type * from './types.ts';
export { baseName, joinUri, type ParsedUri, parseUri, type Scheme } from './uri.ts';
export { FileStore, TEMP_MARK } from './file.ts';
export { HttpStore, httpStatusError } from './http.ts';
export { clearMemory, MemoryStore } from './memory.ts';
export { mapS3Error, OPEN_BUCKETS, S3Store } from './s3.ts';
export { backoffMs, collect, isNetworkError, withRetry } from './util.ts';

const defaults = new Map<string, ObjectStore>();

/** The store that serves `uri`'s scheme. Without options, one shared instance per scheme. */
export function getObjectStore(uri: string, opts?: StoreOptions): ObjectStore {
  const { scheme } = parseUri(uri);
  if (opts) return makeStore(scheme, opts);
  let s = defaults.get(scheme);
  if (!s) {
    s = makeStore(scheme, {});
    defaults.set(scheme, s);
  }
  return s;
}

function makeStore(scheme: string, opts: StoreOptions): ObjectStore {
  switch (scheme) {
    case 'file':
      return new FileStore();
    case 'memory':
      return new MemoryStore();
    case 's3':
      return new S3Store(opts);
    default:
      return new HttpStore(scheme as 'http' | 'https', opts);
  }
}

export function readUri(uri: string, opts?: ReadOptions & { store?: StoreOptions }): Promise<Uint8Array> {
  return getObjectStore(uri, opts?.store).read(uri, opts);
}

export function writeUri(
  uri: string,
  data: Uint8Array | Readable,
  opts?: WriteOptions & { store?: StoreOptions },
): Promise<WriteResult> {
  return getObjectStore(uri, opts?.store).write(uri, data, opts);
}

export function statUri(uri: string, store?: StoreOptions): Promise<ObjectStat | undefined> {
  return getObjectStore(uri, store).stat(uri);
}

export function existsUri(uri: string, store?: StoreOptions): Promise<boolean> {
  return getObjectStore(uri, store).exists(uri);
}

export function listUri(
  prefixUri: string,
  opts?: ListOptions & { store?: StoreOptions },
): AsyncIterable<ListEntry> {
  return getObjectStore(prefixUri, opts?.store).list(prefixUri, opts);
}

export function deleteUri(uri: string, store?: StoreOptions): Promise<void> {
  return getObjectStore(uri, store).delete(uri);
}

/**
 * Copies between any two URIs: server-side within one store, otherwise streamed (read → atomic write),
 * with the source size checked at the destination.
 */
export async function copyUri(
  src: string,
  dst: string,
  opts: WriteOptions & { store?: StoreOptions; srcStore?: ObjectStore; dstStore?: ObjectStore } = {},
): Promise<void> {
  const from = opts.srcStore ?? getObjectStore(src, opts.store);
  const to = opts.dstStore ?? getObjectStore(dst, opts.store);
  if (from === to || (from.scheme === to.scheme && from.scheme !== 's3')) {
    await to.copy(src, dst);
    return;
  }
  const st = await from.stat(src);
  await to.write(dst, await from.readStream(src), {
    ...opts,
    size: opts.size ?? (st && Number.isFinite(st.size) ? st.size : undefined),
  });
}

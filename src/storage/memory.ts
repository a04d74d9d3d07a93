// memory: backend for tests: one process-wide sorted map. Writes are buffered and only inserted once
// complete and verified, like the other backends' atomic publish.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { NotFoundError } from './errors.ts';
import type {
  ByteRange,
  ListEntry,
  ListOptions,
  ObjectStat,
  ObjectStore,
  ReadOptions,
  WriteOptions,
  WriteResult,
} from './types.ts';
import { parseUri } from './uri.ts';
import { collect, toReadable, VerifyingStream, verifyBuffer } from './util.ts';

interface Entry {
  data: Uint8Array;
  mtime: Date;
  etag: string;
}

const objects = new Map<string, Entry>();

function keyOf(uri: string): string {
  return parseUri(uri).key;
}

export class MemoryStore implements ObjectStore {
  readonly scheme = 'memory' as const;
  readonly readOnly = false;

  private get(uri: string): Entry {
    const e = objects.get(keyOf(uri));
    if (!e) throw new NotFoundError(uri);
    return e;
  }

  async read(uri: string, opts?: ReadOptions): Promise<Uint8Array> {
    const data = this.get(uri).data;
    verifyBuffer(uri, data, opts);
    return data;
  }

  async readStream(uri: string, range?: ByteRange): Promise<Readable> {
    const d = this.get(uri).data;
    return Readable.from([
      Buffer.from(d.subarray(range?.start ?? 0, range?.end === undefined ? undefined : range.end + 1)),
    ]);
  }

  async readRange(uri: string, start: number, end: number): Promise<Uint8Array> {
    return this.get(uri).data.slice(start, end + 1);
  }

  async write(uri: string, data: Uint8Array | Readable, opts: WriteOptions = {}): Promise<WriteResult> {
    const key = keyOf(uri);
    const verify = new VerifyingStream(uri, opts, data instanceof Uint8Array ? data.length : opts.size);
    const chunks: Buffer[] = [];
    await pipeline(toReadable(data), verify, async (src: AsyncIterable<Buffer>) => {
      for await (const c of src) chunks.push(c);
    });
    const buf = Buffer.concat(chunks);
    objects.set(key, { data: buf, mtime: new Date(), etag: createHash('md5').update(buf).digest('hex') });
    return { size: verify.loaded, sha256: verify.sha256hex };
  }

  async stat(uri: string): Promise<ObjectStat | undefined> {
    const e = objects.get(keyOf(uri));
    return e ? { size: e.data.length, mtime: e.mtime, etag: e.etag } : undefined;
  }

  async exists(uri: string): Promise<boolean> {
    return objects.has(keyOf(uri));
  }

  async *list(prefixUri: string, opts: ListOptions = {}): AsyncIterable<ListEntry> {
    const prefix = keyOf(prefixUri);
    const keys = [...objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    let last: string | undefined;
    for (const k of keys) {
      const e = objects.get(k);
      if (!e) continue;
      const cut = opts.delimiter ? k.indexOf(opts.delimiter, prefix.length) : -1;
      if (cut >= 0 && opts.delimiter) {
        const p = k.slice(0, cut + opts.delimiter.length);
        if (p !== last) yield { uri: `memory:${p}`, key: p, size: 0, isPrefix: true };
        last = p;
        continue;
      }
      yield { uri: `memory:${k}`, key: k, size: e.data.length, mtime: e.mtime, etag: e.etag };
    }
  }

  async delete(uri: string): Promise<void> {
    objects.delete(keyOf(uri));
  }

  async copy(srcUri: string, dstUri: string): Promise<void> {
    const e = this.get(srcUri);
    objects.set(keyOf(dstUri), { ...e, mtime: new Date() });
  }
}

/** Drops every memory: object whose key starts with prefix (test isolation). */
export function clearMemory(prefix = ''): void {
  for (const k of [...objects.keys()]) if (k.startsWith(prefix)) objects.delete(k);
}

export { collect };

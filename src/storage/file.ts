// file: backend. Writes go to a hidden temp file beside the target and are renamed into place, so a
// reader never sees a half-written file under its final name.
import { randomBytes } from 'node:crypto';
import { createWriteStream, type Dirent } from 'node:fs';
import { copyFile, mkdir, open, opendir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AccessDeniedError, NotFoundError, StorageError } from './errors.ts';
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

/** Temp files carry this marker; listings skip them. */
export const TEMP_MARK = '.caldera-tmp-';

export function mapFsError(e: unknown, uri: string): unknown {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return new NotFoundError(uri, 'file', e);
  if (code === 'EACCES' || code === 'EPERM') return new AccessDeniedError(uri, code, e);
  if (e instanceof StorageError) return e;
  return new StorageError(`I/O error on ${uri}: ${(e as Error).message}`, {
    code: 'E_IO',
    exitCode: 74,
    uri,
    cause: e,
  });
}

function pathOf(uri: string): string {
  const p = parseUri(uri);
  if (p.scheme !== 'file')
    throw new StorageError(`not a file: URI: ${uri}`, { code: 'E_INVALID_URI', exitCode: 64, uri });
  return p.key;
}

export function tempPathFor(path: string): string {
  return join(
    dirname(path),
    `${TEMP_MARK}${randomBytes(6).toString('hex')}-${path.slice(dirname(path).length + 1)}`,
  );
}

export class FileStore implements ObjectStore {
  readonly scheme = 'file' as const;
  readonly readOnly = false;

  async read(uri: string, opts?: ReadOptions): Promise<Uint8Array> {
    const data = await readFile(pathOf(uri)).catch((e) => {
      throw mapFsError(e, uri);
    });
    verifyBuffer(uri, data, opts);
    return data;
  }

  async readStream(uri: string, range?: ByteRange): Promise<Readable> {
    const path = pathOf(uri);
    // open first so a missing file is a typed error now, not a stream 'error' later
    const fh = await open(path, 'r').catch((e) => {
      throw mapFsError(e, uri);
    });
    const st = await fh.stat();
    if (st.isDirectory()) {
      await fh.close();
      throw new NotFoundError(uri, 'file');
    }
    return fh.createReadStream({ start: range?.start, end: range?.end, autoClose: true });
  }

  async readRange(uri: string, start: number, end: number): Promise<Uint8Array> {
    const fh = await open(pathOf(uri), 'r').catch((e) => {
      throw mapFsError(e, uri);
    });
    try {
      const st = await fh.stat();
      const last = Math.min(end, st.size - 1);
      const buf = Buffer.alloc(Math.max(0, last - start + 1));
      let off = 0;
      while (off < buf.length) {
        const { bytesRead } = await fh.read(buf, off, buf.length - off, start + off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
      return buf.subarray(0, off);
    } finally {
      await fh.close();
    }
  }

  async write(uri: string, data: Uint8Array | Readable, opts: WriteOptions = {}): Promise<WriteResult> {
    const path = pathOf(uri);
    await mkdir(dirname(path), { recursive: true }).catch((e) => {
      throw mapFsError(e, uri);
    });
    const tmp = tempPathFor(path);
    const verify = new VerifyingStream(uri, opts, data instanceof Uint8Array ? data.length : opts.size);
    try {
      await pipeline(toReadable(data), verify, createWriteStream(tmp, { flags: 'wx' }));
      await rename(tmp, path);
    } catch (e) {
      await unlink(tmp).catch(() => {});
      throw mapFsError(e, uri);
    }
    return { size: verify.loaded, sha256: verify.sha256hex };
  }

  async stat(uri: string): Promise<ObjectStat | undefined> {
    try {
      const st = await stat(pathOf(uri));
      if (!st.isFile()) return undefined;
      return {
        size: st.size,
        mtime: st.mtime,
        etag: `${st.ino.toString(16)}-${st.size.toString(16)}-${st.mtimeMs.toString(16)}`,
      };
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw mapFsError(e, uri);
    }
  }

  async exists(uri: string): Promise<boolean> {
    return (await this.stat(uri)) !== undefined;
  }

  async *list(prefixUri: string, opts: ListOptions = {}): AsyncIterable<ListEntry> {
    const prefix = pathOf(prefixUri);
    // the directory to walk is the prefix up to its last '/'; the rest filters names
    const dir = prefix.endsWith('/') ? prefix.slice(0, -1) || '/' : dirname(prefix);
    const delim = opts.delimiter;
    let lastPrefix: string | undefined;
    for await (const e of walk(dir, prefix, delim === '/')) {
      if (delim && !e.isPrefix) {
        const cut = e.key.indexOf(delim, prefix.length);
        if (cut >= 0) {
          const p = e.key.slice(0, cut + delim.length);
          if (p !== lastPrefix) yield { uri: `file:${p}`, key: p, size: 0, isPrefix: true };
          lastPrefix = p;
          continue;
        }
      }
      yield e;
    }
  }

  async delete(uri: string): Promise<void> {
    await unlink(pathOf(uri)).catch((e) => {
      if ((e as { code?: string }).code !== 'ENOENT') throw mapFsError(e, uri);
    });
  }

  async copy(srcUri: string, dstUri: string): Promise<void> {
    const src = pathOf(srcUri);
    const dst = pathOf(dstUri);
    await mkdir(dirname(dst), { recursive: true });
    const tmp = tempPathFor(dst);
    try {
      await copyFile(src, tmp);
      await rename(tmp, dst);
    } catch (e) {
      await unlink(tmp).catch(() => {});
      throw mapFsError(e, srcUri);
    }
  }
}

/**
 * Depth-first walk in byte order of full paths: a directory sorts as `name/`, which is exactly where its
 * contents fall among its siblings' paths, so output order equals S3's key order without a global sort.
 */
async function* walk(dir: string, prefix: string, shallowDirs: boolean): AsyncGenerator<ListEntry> {
  let entries: Dirent[];
  try {
    entries = [];
    for await (const d of await opendir(dir)) entries.push(d);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return;
    throw mapFsError(e, `file:${dir}`);
  }
  const base = dir === '/' ? '/' : `${dir}/`;
  const items = entries
    .filter((d) => !d.name.startsWith(TEMP_MARK))
    .map((d) => ({ d, sortKey: base + d.name + (d.isDirectory() ? '/' : '') }));
  items.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
  for (const { d, sortKey } of items) {
    const full = base + d.name;
    if (d.isDirectory()) {
      // descend only if the prefix could match something inside
      if (!(sortKey.startsWith(prefix) || prefix.startsWith(sortKey))) continue;
      if (shallowDirs && sortKey.startsWith(prefix) && sortKey.length > prefix.length) {
        yield { uri: `file:${sortKey}`, key: sortKey, size: 0, isPrefix: true };
        continue;
      }
      yield* walk(full, prefix, shallowDirs);
    } else if (d.isFile() && full.startsWith(prefix)) {
      const st = await stat(full).catch(() => undefined);
      if (st) yield { uri: `file:${full}`, key: full, size: st.size, mtime: st.mtime };
    }
  }
}

export { collect };

// The ObjectStore contract: the same tests run against every backend (see contract.test.ts).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import {
  collect,
  IntegrityError,
  InvalidUriError,
  type ListEntry,
  NotFoundError,
  type ObjectStore,
  ReadOnlyError,
  StorageError,
  UnsupportedError,
} from '../../src/storage/index.ts';

export interface Backend {
  store: ObjectStore;
  /** Prefix URI ending in '/', unique to this run. */
  base: string;
  /** Puts bytes under base+rel bypassing the store (read-only backends). */
  seed?: (rel: string, data: Uint8Array) => Promise<void>;
  cleanup: () => Promise<void>;
}

const enc = (s: string) => new TextEncoder().encode(s);
const sha256 = (d: Uint8Array) => createHash('sha256').update(d).digest('hex');

function pattern(n: number, seed = 7): Uint8Array {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

async function all(it: AsyncIterable<ListEntry>): Promise<ListEntry[]> {
  const out: ListEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

/** Registers the contract suite for one backend; `make` is called once per test. */
export function objectStoreContract(
  name: string,
  make: () => Promise<Backend>,
  opts: { skip?: string | false } = {},
): void {
  const use = async (fn: (b: Backend) => Promise<void>) => {
    const b = await make();
    try {
      await fn(b);
    } finally {
      await b.cleanup();
    }
  };
  const put = async (b: Backend, rel: string, data: Uint8Array) => {
    if (b.store.readOnly) await b.seed!(rel, data);
    else await b.store.write(b.base + rel, data);
  };

  describe(`ObjectStore contract: ${name}`, { skip: opts.skip }, () => {
    it('reads back what was put, whole and as a stream', () =>
      use(async (b) => {
        const data = pattern(100_000);
        await put(b, 'dir/obj.bin', data);
        assert.deepEqual(Buffer.from(await b.store.read(b.base + 'dir/obj.bin')), Buffer.from(data));
        const s = await collect(await b.store.readStream(b.base + 'dir/obj.bin'));
        assert.equal(sha256(s), sha256(data));
      }));

    it('reads byte ranges (inclusive end) by stream and readRange', () =>
      use(async (b) => {
        const data = pattern(5000);
        await put(b, 'r.bin', data);
        const mid = await collect(await b.store.readStream(b.base + 'r.bin', { start: 100, end: 199 }));
        assert.deepEqual(Buffer.from(mid), Buffer.from(data.subarray(100, 200)));
        const tail = await collect(await b.store.readStream(b.base + 'r.bin', { start: 4990 }));
        assert.deepEqual(Buffer.from(tail), Buffer.from(data.subarray(4990)));
        assert.deepEqual(
          Buffer.from(await b.store.readRange(b.base + 'r.bin', 0, 9)),
          Buffer.from(data.subarray(0, 10)),
        );
      }));

    it('stat and exists report size; missing objects are undefined/false, and read throws NotFoundError', () =>
      use(async (b) => {
        await put(b, 's.txt', enc('hello'));
        const st = await b.store.stat(b.base + 's.txt');
        assert.equal(st?.size, 5);
        assert.ok(st?.mtime instanceof Date);
        assert.equal(await b.store.exists(b.base + 's.txt'), true);
        assert.equal(await b.store.stat(b.base + 'missing.txt'), undefined);
        assert.equal(await b.store.exists(b.base + 'missing.txt'), false);
        await assert.rejects(b.store.read(b.base + 'missing.txt'), NotFoundError);
        await assert.rejects(
          b.store.readStream(b.base + 'missing.txt'),
          (e: unknown) => e instanceof NotFoundError && e.exitCode === 66,
        );
      }));

    it('rejects keys with `..` before touching the backend', () =>
      use(async (b) => {
        await assert.rejects(b.store.read(b.base + 'a/../../etc/passwd'), InvalidUriError);
        await assert.rejects(
          b.store.stat(b.base + '../x'),
          (e: unknown) => e instanceof InvalidUriError && e.code === 'E_INVALID_URI',
        );
      }));

    it('checks size and SHA-256 on read when the caller knows them', () =>
      use(async (b) => {
        const data = enc('integrity');
        await put(b, 'i.txt', data);
        await b.store.read(b.base + 'i.txt', { sha256: sha256(data), size: data.length });
        await assert.rejects(
          b.store.read(b.base + 'i.txt', { sha256: sha256(enc('other')) }),
          IntegrityError,
        );
        await assert.rejects(b.store.read(b.base + 'i.txt', { size: 3 }), IntegrityError);
      }));

    if (name.startsWith('http')) {
      it('is read-only: write, delete and copy throw ReadOnlyError; list is unsupported', () =>
        use(async (b) => {
          await assert.rejects(b.store.write(b.base + 'w.txt', enc('x')), ReadOnlyError);
          await assert.rejects(b.store.delete(b.base + 'w.txt'), ReadOnlyError);
          await assert.rejects(b.store.copy(b.base + 'a', b.base + 'b'), ReadOnlyError);
          await assert.rejects(all(b.store.list(b.base)), UnsupportedError);
        }));
      return;
    }

    it('writes from a stream, reports progress, and returns size and SHA-256', () =>
      use(async (b) => {
        const data = pattern(12 * 1024 * 1024 + 17); // > one 5 MiB part: multipart on S3
        let last = 0;
        const chunks = Array.from({ length: Math.ceil(data.length / 65536) }, (_, i) =>
          Buffer.from(data.subarray(i * 65536, (i + 1) * 65536)),
        );
        const r = await b.store.write(b.base + 'big.bin', Readable.from(chunks), {
          onProgress: (p) => {
            last = Math.max(last, p.loaded);
          },
        });
        assert.equal(r.size, data.length);
        assert.equal(r.sha256, sha256(data));
        assert.equal(last, data.length);
        assert.equal((await b.store.stat(b.base + 'big.bin'))?.size, data.length);
        assert.equal(sha256(await b.store.read(b.base + 'big.bin')), sha256(data));
      }));

    it('overwrites atomically: an existing object is replaced whole', () =>
      use(async (b) => {
        await b.store.write(b.base + 'o.txt', enc('first version'));
        await b.store.write(b.base + 'o.txt', enc('2nd'));
        assert.equal(Buffer.from(await b.store.read(b.base + 'o.txt')).toString(), '2nd');
      }));

    it('a wrong expected SHA-256/SHA-1/size leaves nothing under the final name', () =>
      use(async (b) => {
        const data = pattern(70_000);
        await assert.rejects(
          b.store.write(b.base + 'bad.bin', data, { sha256: sha256(enc('nope')) }),
          IntegrityError,
        );
        await assert.rejects(
          b.store.write(b.base + 'bad.bin', Readable.from([Buffer.from(data)]), { sha1: '0'.repeat(40) }),
          IntegrityError,
        );
        await assert.rejects(b.store.write(b.base + 'bad.bin', data, { size: 5 }), IntegrityError);
        assert.equal(await b.store.exists(b.base + 'bad.bin'), false);
        assert.deepEqual(
          (await all(b.store.list(b.base))).map((e) => e.key),
          [],
        );
        const ok = await b.store.write(b.base + 'good.bin', data, {
          sha256: sha256(data),
          sha1: createHash('sha1').update(data).digest('hex'),
        });
        assert.equal(ok.size, data.length);
      }));

    it('an interrupted source stream fails the write and publishes nothing', () =>
      use(async (b) => {
        async function* broken() {
          yield Buffer.from(pattern(6 * 1024 * 1024));
          throw new Error('connection lost');
        }
        await assert.rejects(
          b.store.write(b.base + 'partial.bin', Readable.from(broken())),
          (e: unknown) => e instanceof Error,
        );
        assert.equal(await b.store.exists(b.base + 'partial.bin'), false);
        assert.deepEqual(await all(b.store.list(b.base)), []);
      }));

    it('lists by prefix in key order, with delimiter grouping', () =>
      use(async (b) => {
        for (const k of ['a/b/c.txt', 'a/b.txt', 'a-c.txt', 'a/x/y/z.txt', 'b.txt', 'a/b/d.txt'])
          await put(b, k, enc(k));
        const keys = (await all(b.store.list(b.base))).map((e) => e.key.slice(keyBase(b).length));
        assert.deepEqual(keys, ['a-c.txt', 'a/b.txt', 'a/b/c.txt', 'a/b/d.txt', 'a/x/y/z.txt', 'b.txt']);
        const top = await all(b.store.list(b.base, { delimiter: '/' }));
        assert.deepEqual(
          top.map((e) => [e.key.slice(keyBase(b).length), Boolean(e.isPrefix)]),
          [
            ['a-c.txt', false],
            ['a/', true],
            ['b.txt', false],
          ],
        );
        const inA = await all(b.store.list(b.base + 'a/b', { delimiter: '/' }));
        assert.deepEqual(
          inA.map((e) => e.key.slice(keyBase(b).length)),
          ['a/b.txt', 'a/b/'],
        );
        const sized = await all(b.store.list(b.base + 'a/b/'));
        assert.deepEqual(
          sized.map((e) => e.size),
          [9, 9],
        );
        assert.ok(sized.every((e) => e.uri.startsWith(b.base)));
      }));

    it('pages through more than 1000 keys', () =>
      use(async (b) => {
        const n = 1234;
        for (let i = 0; i < n; i += 50) {
          await Promise.all(
            Array.from({ length: Math.min(50, n - i) }, (_, j) =>
              b.store.write(`${b.base}p/k${String(i + j).padStart(5, '0')}`, enc('.')),
            ),
          );
        }
        const got = await all(b.store.list(b.base + 'p/'));
        assert.equal(got.length, n);
        assert.equal(new Set(got.map((e) => e.key)).size, n);
        assert.ok(got.every((e, i) => i === 0 || got[i - 1].key < e.key));
      }));

    it('deletes idempotently and copies within the store', () =>
      use(async (b) => {
        await b.store.write(b.base + 'c/src.txt', enc('copy me'));
        await b.store.copy(b.base + 'c/src.txt', b.base + 'c/dst/copied.txt');
        assert.equal(Buffer.from(await b.store.read(b.base + 'c/dst/copied.txt')).toString(), 'copy me');
        await b.store.delete(b.base + 'c/src.txt');
        await b.store.delete(b.base + 'c/src.txt');
        assert.equal(await b.store.exists(b.base + 'c/src.txt'), false);
        await assert.rejects(
          b.store.copy(b.base + 'c/none.txt', b.base + 'c/x.txt'),
          (e: unknown) => e instanceof StorageError && e.code === 'E_NOT_FOUND',
        );
      }));
  });
}

function keyBase(b: Backend): string {
  if (b.store.scheme === 's3') return b.base.replace(/^s3:\/\/[^/]+\//, '');
  return b.base.replace(/^[a-z]+:/, '');
}

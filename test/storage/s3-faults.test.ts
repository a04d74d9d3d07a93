// Faults on loopback against a real s3rver: restarts and crashes mid-upload, missing buckets, unsigned
// access, and cross-store copies.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  copyUri,
  NotFoundError,
  readUri,
  S3Store,
  StorageError,
  TransferError,
  writeUri,
} from '../../src/storage/index.ts';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.ts';
import { withTempDir } from '../helpers/tmp.ts';

const MiB = 1024 * 1024;
const sha = (d: Uint8Array) => createHash('sha256').update(d).digest('hex');

function chunks(total: number, size = MiB): Buffer[] {
  return Array.from({ length: Math.ceil(total / size) }, (_, i) =>
    Buffer.alloc(Math.min(size, total - i * size), i % 251),
  );
}

describe('s3 faults (s3rver on loopback)', () => {
  let h: S3rverHandle;
  before(async () => {
    h = await startS3rver({ buckets: ['faults'] });
  });
  after(async () => {
    await h.stop();
  });

  it('s3rver restarted mid-upload: the upload is retried and completes, or fails typed with nothing published', async (t) => {
    const store = h.store({ partSize: 5 * MiB, queueSize: 1, maxAttempts: 8 });
    const parts = chunks(26 * MiB);
    const all = Buffer.concat(parts);
    let restarted: Promise<void> | undefined;
    let outcome: unknown;
    try {
      await store.write('s3://faults/restart.bin', Readable.from(parts), {
        onProgress: (p) => {
          if (!restarted && p.loaded >= 5 * MiB) restarted = h.restart(300);
        },
      });
      outcome = 'ok';
    } catch (e) {
      outcome = e;
    }
    await restarted;
    assert.ok(restarted, 'the server was restarted during the upload');
    t.diagnostic(`outcome after restart: ${outcome === 'ok' ? 'completed after retries' : String(outcome)}`);
    if (outcome === 'ok') {
      assert.equal(sha(await store.read('s3://faults/restart.bin')), sha(all));
    } else {
      assert.ok(outcome instanceof StorageError, `typed error expected, got ${outcome}`);
      assert.equal(await store.exists('s3://faults/restart.bin'), false);
    }
  });

  it('s3rver killed mid-upload: TransferError, and no object appears once it is back', async () => {
    const store = h.store({ partSize: 5 * MiB, queueSize: 1, maxAttempts: 2, retryBaseMs: 10 });
    let killed: Promise<void> | undefined;
    await assert.rejects(
      store.write('s3://faults/killed.bin', Readable.from(chunks(21 * MiB)), {
        onProgress: (p) => {
          if (!killed && p.loaded >= 5 * MiB) killed = h.kill();
        },
      }),
      (e: unknown) => e instanceof TransferError && e.exitCode === 75,
    );
    await killed;
    await h.restart();
    assert.equal(await store.exists('s3://faults/killed.bin'), false);
    const listed: string[] = [];
    for await (const e of store.list('s3://faults/killed')) listed.push(e.key);
    assert.deepEqual(listed, []);
  });

  it('a buffer upload is retried whole while the server is briefly down', async () => {
    const store = h.store({ maxAttempts: 8, retryBaseMs: 100 });
    await h.kill();
    const back = new Promise((r) => setTimeout(r, 400)).then(() => h.restart());
    const data = Buffer.alloc(100_000, 3);
    await store.write('s3://faults/retried.bin', data);
    await back;
    assert.equal(sha(await store.read('s3://faults/retried.bin')), sha(data));
  });

  it('missing bucket: NotFoundError with E_NO_BUCKET', async () => {
    const store = h.store();
    await assert.rejects(
      store.read('s3://no-such-bucket/x'),
      (e: unknown) => e instanceof NotFoundError && e.code === 'E_NO_BUCKET',
    );
    await assert.rejects(
      store.write('s3://no-such-bucket/x', Buffer.from('x')),
      (e: unknown) => e instanceof NotFoundError,
    );
  });

  it('unsigned requests reach an open bucket', async () => {
    await h.store().write('s3://faults/open.txt', Buffer.from('public'));
    const anon = new S3Store({ endpoint: h.endpoint, unsigned: true });
    try {
      assert.equal(Buffer.from(await anon.read('s3://faults/open.txt')).toString(), 'public');
    } finally {
      anon.destroy();
    }
  });

  it('copyUri streams between file: and s3:// in both directions, checking size', async () => {
    await withTempDir(async (dir) => {
      const s3 = h.store();
      const data = Buffer.alloc(3 * MiB + 5, 9);
      await writeUri(`file:${dir}/a.bin`, data);
      await copyUri(`file:${dir}/a.bin`, 's3://faults/copied.bin', { dstStore: s3 });
      await copyUri('s3://faults/copied.bin', `file:${dir}/back/b.bin`, { srcStore: s3 });
      assert.equal(sha(await readUri(`file:${dir}/back/b.bin`)), sha(data));
    });
  });
});

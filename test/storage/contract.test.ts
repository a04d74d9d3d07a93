// Runs the one ObjectStore contract against every backend: file:, memory:, s3 (real s3rver on
// loopback) and http (read-only, a loopback directory server).
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after } from 'node:test';
import { clearMemory, FileStore, HttpStore, MemoryStore } from '../../src/storage/index.ts';
import { makeTempDir } from '../helpers/tmp.ts';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.ts';
import { objectStoreContract } from './contract.ts';
import { serveDirectory } from './http-dir-server.ts';

objectStoreContract('file', async () => {
  const dir = await makeTempDir();
  return {
    store: new FileStore(),
    base: `file:${dir}/`,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

objectStoreContract('memory', async () => {
  const p = `run-${randomUUID()}/`;
  return { store: new MemoryStore(), base: `memory:${p}`, cleanup: async () => clearMemory(p) };
});

let s3: Promise<S3rverHandle> | undefined;
after(async () => {
  if (s3) await (await s3).stop();
});

objectStoreContract('s3 (s3rver)', async () => {
  s3 ??= startS3rver({ buckets: ['contract'] });
  const h = await s3;
  const store = h.store({ partSize: 5 * 1024 * 1024 });
  const base = `s3://contract/${randomUUID()}/`;
  return {
    store,
    base,
    cleanup: async () => {
      for await (const e of store.list(base)) await store.delete(e.uri);
    },
  };
});

objectStoreContract('http (read-only)', async () => {
  const dir = await makeTempDir();
  const srv = await serveDirectory(dir);
  return {
    store: new HttpStore('http', { maxAttempts: 2, retryBaseMs: 10 }),
    base: srv.base,
    seed: async (rel, data) => {
      await mkdir(dirname(join(dir, rel)), { recursive: true });
      await writeFile(join(dir, rel), data);
    },
    cleanup: async () => {
      await srv.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

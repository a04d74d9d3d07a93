// Storage benchmark: listing many keys and copying ~1 GB through each backend, against plain fs copy
// (the physical limit here). Standalone: `node bench/storage.ts [--keys N] [--mb N]
// [--file-mb N] [--s3-puts N] [--backends file,memory,s3,http]`. Defaults keep the run near 2 minutes on 2 cores.
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import {
  clearMemory,
  copyUri,
  FileStore,
  HttpStore,
  MemoryStore,
  type ObjectStore,
} from '../src/storage/index.ts';
import { startS3rver } from '../test/helpers/s3rver.ts';
import { serveDirectory } from '../test/storage/http-dir-server.ts';

const { values: args } = parseArgs({
  options: {
    keys: { type: 'string', default: '100000' },
    's3-puts': { type: 'string', default: '500' },
    mb: { type: 'string', default: '1024' },
    'file-mb': { type: 'string', default: '64' },
    backends: { type: 'string', default: 'file,memory,s3,http' },
  },
});
const KEYS = Number(args.keys);
const S3_PUTS = Number(args['s3-puts']);
const TOTAL = Number(args.mb) * 1024 * 1024;
const FILE = Math.min(TOTAL, Number(args['file-mb']) * 1024 * 1024);
const NFILES = Math.max(1, Math.round(TOTAL / FILE));
const BACKENDS = new Set(String(args.backends).split(','));
const MB = 1024 * 1024;

const results: { bench: string; backend: string; value: string; seconds: number }[] = [];
function report(bench: string, backend: string, value: string, seconds: number) {
  results.push({ bench, backend, value, seconds });
  console.log(`${bench.padEnd(34)} ${backend.padEnd(22)} ${value.padStart(16)}   (${seconds.toFixed(2)} s)`);
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await fn();
  return [r, (performance.now() - t0) / 1000];
}

async function pool(n: number, width: number, fn: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

async function countList(store: ObjectStore, prefix: string): Promise<number> {
  let n = 0;
  for await (const _ of store.list(prefix)) n++;
  return n;
}

const keyOf = (i: number) =>
  `k${String(Math.floor(i / 1000)).padStart(4, '0')}/obj${String(i).padStart(7, '0')}`;

async function makeSources(dir: string): Promise<string[]> {
  const block = Buffer.alloc(MB);
  for (let i = 0; i < MB; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i);
  const files: string[] = [];
  for (let f = 0; f < NFILES; f++) {
    const p = join(dir, `src${f}.bin`);
    const fh = await open(p, 'w');
    for (let off = 0; off < FILE; off += MB) await fh.write(block, 0, Math.min(MB, FILE - off));
    await fh.close();
    files.push(p);
  }
  return files;
}

async function main() {
  const root = await mkdtemp(join(tmpdir(), 'caldera-bench-'));
  const s3 = BACKENDS.has('s3') ? await startS3rver({ buckets: ['bench'] }) : undefined;
  const s3store = s3?.store({ partSize: 16 * MB, queueSize: 4 });
  try {
    console.log(
      `listing ${KEYS} keys (s3rver PUT sample: ${S3_PUTS}); copying ${NFILES} × ${FILE / MB} MiB = ${(NFILES * FILE) / MB} MiB`,
    );
    // ---- listing ----
    if (BACKENDS.has('file')) {
      const d = join(root, 'list');
      for (let b = 0; b * 1000 < KEYS; b++)
        await mkdir(join(d, keyOf(b * 1000).split('/')[0]), { recursive: true });
      await pool(KEYS, 64, (i) => writeFile(join(d, keyOf(i)), ''));
      const [n, s] = await timed(() => countList(new FileStore(), `file:${d}/`));
      report('list keys', 'file:', `${Math.round(n / s)} keys/s`, s);
      await rm(d, { recursive: true });
    }
    if (BACKENDS.has('memory')) {
      const m = new MemoryStore();
      for (let i = 0; i < KEYS; i++) await m.write(`memory:bench/${keyOf(i)}`, new Uint8Array(0));
      const [n, s] = await timed(() => countList(m, 'memory:bench/'));
      report('list keys', 'memory:', `${Math.round(n / s)} keys/s`, s);
      clearMemory('bench/');
    }
    if (s3store && s3) {
      // s3rver accepts ~300 PUTs/s, so PUT only a sample and lay the rest out in its on-disk format
      const [, put] = await timed(() =>
        pool(S3_PUTS, 32, async (i) => {
          await s3store.write(`s3://bench/put/${keyOf(i)}`, new Uint8Array(0));
        }),
      );
      report('put tiny objects', 's3 (s3rver)', `${Math.round(S3_PUTS / put)} obj/s`, put);
      const bucketDir = join(s3.directory, 'bench', 'list');
      for (let b = 0; b * 1000 < KEYS; b++)
        await mkdir(join(bucketDir, keyOf(b * 1000).split('/')[0]), { recursive: true });
      await pool(KEYS, 64, async (i) => {
        const p = join(bucketDir, `${keyOf(i)}._S3rver_object`);
        await writeFile(p, '');
        await writeFile(`${p}.md5`, 'd41d8cd98f00b204e9800998ecf8427e');
      });
      const [n, s] = await timed(() => countList(s3store, 's3://bench/list/'));
      if (n !== KEYS) throw new Error(`s3rver listed ${n} of ${KEYS} keys`);
      report('list keys', 's3 (s3rver)', `${Math.round(n / s)} keys/s`, s);
    }
    // ---- copying ----
    const srcDir = join(root, 'src');
    await mkdir(srcDir);
    const files = await makeSources(srcDir);
    const bytes = NFILES * FILE;
    const rate = (s: number) => `${(bytes / MB / s).toFixed(0)} MB/s`;
    const out = join(root, 'out');
    await mkdir(out);
    const fresh = async () => {
      await rm(out, { recursive: true, force: true });
      await mkdir(out);
    };
    let [, s] = await timed(() => Promise.all(files.map((f, i) => copyFile(f, join(out, `fs${i}`)))));
    report('copy (baseline)', 'fs.copyFile', rate(s), s);
    await fresh();
    [, s] = await timed(async () => {
      for (const [i, f] of files.entries())
        await pipeline(createReadStream(f), createWriteStream(join(out, `st${i}`)));
    });
    report('copy (baseline)', 'fs stream pipeline', rate(s), s);
    await fresh();
    if (BACKENDS.has('file')) {
      [, s] = await timed(() => Promise.all(files.map((f, i) => copyUri(`file:${f}`, `file:${out}/c${i}`))));
      report('copy file: → file: (copy)', 'FileStore', rate(s), s);
      await fresh();
      const fsx = new FileStore();
      [, s] = await timed(async () => {
        for (const [i, f] of files.entries())
          await fsx.write(`file:${out}/w${i}`, await fsx.readStream(`file:${f}`));
      });
      report('stream file: → file: (write)', 'FileStore + sha256', rate(s), s);
      await fresh();
    }
    if (BACKENDS.has('memory')) {
      const m = new MemoryStore();
      [, s] = await timed(async () => {
        for (const [i, f] of files.entries())
          await copyUri(`file:${f}`, `memory:bench/c${i}`, { dstStore: m });
      });
      report('copy file: → memory:', 'MemoryStore', rate(s), s);
      clearMemory('bench/');
    }
    if (s3store) {
      [, s] = await timed(async () => {
        for (const [i, f] of files.entries())
          await copyUri(`file:${f}`, `s3://bench/copy/c${i}`, { dstStore: s3store });
      });
      report('upload file: → s3 (multipart)', 's3 (s3rver)', rate(s), s);
      [, s] = await timed(async () => {
        for (let i = 0; i < files.length; i++)
          await copyUri(`s3://bench/copy/c${i}`, `file:${out}/s${i}`, { srcStore: s3store });
      });
      report('download s3 → file:', 's3 (s3rver)', rate(s), s);
      await fresh();
    }
    if (BACKENDS.has('http')) {
      const srv = await serveDirectory(srcDir);
      const h = new HttpStore('http');
      try {
        [, s] = await timed(async () => {
          for (const [i, f] of files.entries())
            await copyUri(`${srv.base}${f.split('/').pop()}`, `file:${out}/h${i}`, { srcStore: h });
        });
        report('download http → file:', 'HttpStore (loopback)', rate(s), s);
      } finally {
        await srv.close();
      }
    }
  } finally {
    await s3?.stop();
    await rm(root, { recursive: true, force: true });
  }
  console.log(JSON.stringify({ results }, null, 0));
}

await main();

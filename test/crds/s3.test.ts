// S3 downloads (CRDS_S3_ENABLED + CRDS_*_URI) and `caldera crds s3-get` as a download plugin, against
// s3rver on 127.0.0.1; file metadata comes from `crds serve` as it would from the CRDS server.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  CacheLayout,
  CacheSyncer,
  CrdsClient,
  CrdsDownloadError,
  Fetcher,
  loadConfig,
  type RunningServer,
  s3Get,
  sha1File,
  startServer,
} from '../../src/crds/index.ts';
import { S3RVER_CREDENTIALS, type S3rverHandle, startS3rver } from '../helpers/s3rver.ts';
import { projectRoot, skipUnlessShared } from '../helpers/shared-data.ts';
import { makeTempDir } from '../helpers/tmp.ts';
import { copyCache } from './helpers.ts';

const skip = skipUnlessShared('crds', 'mappings', 'hst', 'hst_0729.pmap');
let s3: S3rverHandle;
let src = '';
let server: RunningServer;
const temps: string[] = [];
const REF = 'z1q2219el_2zx.fits';

before(async () => {
  if (skip) return;
  src = await copyCache();
  server = await startServer({ cache: src, port: 0 });
  s3 = await startS3rver({ buckets: ['crds'] });
  const store = s3.store();
  const dir = join(src, 'mappings', 'hst');
  await Promise.all(
    readdirSync(dir).map((f) => store.write(`s3://crds/mappings/hst/${f}`, readFileSync(join(dir, f)))),
  );
  await store.write(`s3://crds/references/hst/${REF}`, readFileSync(join(src, 'references', 'hst', REF)));
  await store.write('s3://crds/references/hst/corrupt.fits', new Uint8Array([1, 2, 3]));
});
after(async () => {
  await server?.close();
  await s3?.stop();
  for (const d of [src, ...temps]) if (d) rmSync(d, { recursive: true, force: true });
});

async function emptyCache(): Promise<string> {
  const d = await makeTempDir();
  temps.push(d);
  return d;
}

const s3env = (dest: string) => ({
  CRDS_PATH: dest,
  CRDS_S3_ENABLED: '1',
  CRDS_MAPPING_URI: 's3://crds/mappings/hst',
  CRDS_REFERENCE_URI: 's3://crds/references/hst/',
  CRDS_REF_SUBDIR_MODE: 'flat',
});

test('sync reads mappings from S3, verified against the server file info', { skip }, async () => {
  const dest = await emptyCache();
  const layout = new CacheLayout(loadConfig(s3env(dest)));
  const reader = () => s3.store();
  const report = await new CacheSyncer(layout, new CrdsClient(server.url)).sync({
    contexts: ['hst_0729.pmap'],
    objectReader: reader,
  });
  assert.deepEqual(report.errors, []);
  assert.equal(report.downloaded.length, 137);
  const f = 'hst_acs_darkfile_0363.rmap';
  assert.equal(sha1File(join(dest, 'mappings', 'hst', f)), sha1File(join(src, 'mappings', 'hst', f)));
});

test('an S3 object that does not match the expected sha1/size is rejected', { skip }, async () => {
  const dest = await emptyCache();
  const layout = new CacheLayout(loadConfig(s3env(dest)));
  const fetcher = new Fetcher(layout, { objectReader: () => s3.store() });
  const info = { size: 2880, sha1sum: 'a'.repeat(40) };
  await assert.rejects(fetcher.fetch('hst', 'corrupt.fits', info), CrdsDownloadError);
  assert.deepEqual(readdirSync(join(dest, 'references', 'hst')), []);
  const good = {
    size: readFileSync(join(src, 'references', 'hst', REF)).length,
    sha1sum: sha1File(join(src, 'references', 'hst', REF)),
  };
  const r = await fetcher.fetch('hst', REF, good);
  assert.equal(sha1File(r.path), good.sha1sum);
});

test('s3Get verifies and writes atomically', { skip }, async () => {
  const dest = await emptyCache();
  const out = join(dest, 'x', REF);
  const sha1sum = sha1File(join(src, 'references', 'hst', REF));
  const r = await s3Get({
    source: `s3://crds/references/hst/${REF}`,
    output: out,
    sha1sum,
    objectReader: () => s3.store(),
  });
  assert.equal(sha1File(r.path), sha1sum);
  await assert.rejects(
    s3Get({
      source: 's3://crds/references/hst/corrupt.fits',
      output: join(dest, 'c.fits'),
      size: 99,
      objectReader: () => s3.store(),
    }),
    /size 3/,
  );
  assert.deepEqual(readdirSync(dest).sort(), ['x']);
});

test('`caldera crds s3-get` works as CRDS_DOWNLOAD_PLUGIN for a sync', { skip }, async () => {
  const dest = await emptyCache();
  const plugin = `'${join(projectRoot, 'bin', 'caldera')}' crds s3-get \${SOURCE_URL} -d \${OUTPUT_PATH} --file-size \${FILE_SIZE} --file-sha1sum \${FILE_SHA1SUM}`;
  const env = {
    ...process.env,
    ...s3env(dest),
    PATH: `${join(projectRoot, 'node_modules', '.bin')}:${process.env.PATH}`,
    CRDS_SERVER_URL: server.url,
    CRDS_DOWNLOAD_MODE: 'plugin',
    CRDS_DOWNLOAD_PLUGIN: plugin,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
  };
  const res = await new Promise<{ code: number; err: string }>((resolve) => {
    const child = spawn(
      join(projectRoot, 'bin', 'caldera'),
      ['crds', 'sync', '--contexts', 'hst_acs_0421.imap'],
      { env },
    );
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('close', (code) => resolve({ code: code ?? -1, err }));
  });
  assert.equal(res.code, 0, res.err);
  const got = readdirSync(join(dest, 'mappings', 'hst'));
  assert.equal(got.length, 23); // the imap and its 22 rmaps, one plugin run each
  for (const f of got)
    assert.equal(sha1File(join(dest, 'mappings', 'hst', f)), sha1File(join(src, 'mappings', 'hst', f)));
});

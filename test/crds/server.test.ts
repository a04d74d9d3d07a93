// `crds serve` + JSON-RPC client + downloads (HTTP, plugin), verification, retries, read-only caches
// and concurrent syncs — all against real servers on 127.0.0.1.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  CacheLayout,
  CacheSyncer,
  CrdsClient,
  CrdsDownloadError,
  CrdsReadOnlyCacheError,
  CrdsServiceError,
  DirectoryLoader,
  Fetcher,
  getRecommendations,
  loadConfig,
  type RunningServer,
  sha1File,
  startServer,
} from '../../src/crds/index.ts';
import { projectRoot, skipUnlessShared } from '../helpers/shared-data.ts';
import { makeTempDir } from '../helpers/tmp.ts';
import { ACS_HEADER, copyCache } from './helpers.ts';

const skip = skipUnlessShared('crds', 'mappings', 'hst', 'hst_0729.pmap');
let src = '';
let server: RunningServer;
const temps: string[] = [];

before(async () => {
  if (skip) return;
  src = await copyCache();
  server = await startServer({ cache: src, port: 0 });
});
after(async () => {
  await server?.close();
  for (const d of [src, ...temps]) if (d) rmSync(d, { recursive: true, force: true });
});

async function emptyCache(): Promise<string> {
  const d = await makeTempDir();
  temps.push(d);
  return d;
}

const REF = 'z1q2219el_2zx.fits'; // one of the five real references in the shared cache

test('JSON-RPC methods answer from the served cache', { skip }, async () => {
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const client = new CrdsClient(server.url);
  assert.equal(await client.getDefaultContext('hst'), 'hst_0729.pmap');
  const info = await client.getServerInfo();
  assert.equal(info.observatory, 'hst');
  assert.equal(info.operational_context, 'hst_0729.pmap');
  assert.equal((await client.getMappingNames('hst_0729.pmap')).length, 137);
  const map = await client.getFileInfoMap('hst', ['hst_acs_0421.imap', REF, 'nope.fits']);
  assert.equal(map['nope.fits'], 'NOT FOUND');
  const refInfo = map[REF] as { size: number; sha1sum: string };
  assert.equal(refInfo.sha1sum, sha1File(join(src, 'references', 'hst', REF)));
  const fi = await client.getFileInfo('hst_0729.pmap', 'hst_acs_0421.imap');
  assert.equal(fi.size, readFileSync(join(src, 'mappings', 'hst', 'hst_acs_0421.imap')).length);
  const remote = await client.getBestReferences('hst_0729.pmap', ACS_HEADER, null);
  const local = getRecommendations(
    new DirectoryLoader({ dirs: [join(src, 'mappings', 'hst')] }).load('hst_0729.pmap'),
    ACS_HEADER,
  );
  assert.deepEqual(remote, local);
  assert.equal(remote.biasfile, 'm4r1753rj_bia.fits');
  await assert.rejects(client.call('no_such_method'), CrdsServiceError);
  assert.equal(await client.getContextByDate('hst-2019-09-05T00:00:00'), 'hst_0728.pmap');
  assert.equal(await client.getContextByDate('hst-2019-09-10T00:00:00'), 'hst_0729.pmap');
  await assert.rejects(client.getContextByDate('hst-1980-01-01T00:00:00'), /No hst context/);
  await assert.rejects(client.getFileInfo('hst_0729.pmap', 'missing.fits'), /not known/);
});

test('sync over HTTP fills an empty cache with verified files', { skip }, async () => {
  const dest = await emptyCache();
  const config = loadConfig({ CRDS_PATH: dest, CRDS_SERVER_URL: server.url });
  const layout = new CacheLayout(config);
  const report = await new CacheSyncer(layout, new CrdsClient(server.url)).sync({
    contexts: ['hst_0729.pmap'],
  });
  assert.deepEqual(report.errors, []);
  assert.equal(report.downloaded.length, 137);
  for (const f of readdirSync(join(dest, 'mappings', 'hst'))) {
    assert.equal(sha1File(join(dest, 'mappings', 'hst', f)), sha1File(join(src, 'mappings', 'hst', f)));
  }
  // Second sync (--all: every context the server lists): nothing to download.
  const all = await new CacheSyncer(layout, new CrdsClient(server.url)).sync({ all: true });
  assert.deepEqual(all.contexts, ['hst_0729.pmap']);
  assert.equal(all.downloaded.length, 0);
  const again = await new CacheSyncer(layout, new CrdsClient(server.url)).sync({
    contexts: ['hst_0729.pmap'],
  });
  assert.equal(again.downloaded.length, 0);
  const ctx = new DirectoryLoader({ dirs: [join(dest, 'mappings', 'hst')] }).load('hst_0729.pmap');
  assert.equal(getRecommendations(ctx, ACS_HEADER).darkfile, 'n3o1059hj_drk.fits');
});

test('references land in references/<obs>/<instrument>/ per ref_cache_subdir_mode; files are checked', {
  skip,
}, async () => {
  const dest = await emptyCache();
  const client = new CrdsClient(server.url);
  const layout = new CacheLayout(loadConfig({ CRDS_PATH: dest, CRDS_REF_SUBDIR_MODE: 'instrument' }));
  const info = (await client.getFileInfoMap('hst', [REF]))[REF] as { size: number; sha1sum: string };
  const fetcher = new Fetcher(layout, { client });
  const r = await fetcher.fetch('hst', REF, info, 'cos');
  assert.equal(r.path, join(dest, 'references', 'hst', 'cos', REF));
  assert.equal(sha1File(r.path), info.sha1sum);
  const flat = new CacheLayout(loadConfig({ CRDS_PATH: dest, CRDS_REF_SUBDIR_MODE: 'flat' }));
  assert.equal(flat.referenceDir('hst', 'cos'), join(dest, 'references', 'hst'));
});

test('a wrong sha1 or size is rejected and never left in the cache', { skip }, async () => {
  const dest = await emptyCache();
  const client = new CrdsClient(server.url);
  const layout = new CacheLayout(loadConfig({ CRDS_PATH: dest, CRDS_REF_SUBDIR_MODE: 'flat' }));
  const good = (await client.getFileInfoMap('hst', [REF]))[REF] as { size: number; sha1sum: string };
  const fetcher = new Fetcher(layout, { client });
  await assert.rejects(fetcher.fetch('hst', REF, { ...good, sha1sum: '0'.repeat(40) }), CrdsDownloadError);
  await assert.rejects(fetcher.fetch('hst', REF, { ...good, size: good.size + 1 }), /size/);
  const dir = join(dest, 'references', 'hst');
  assert.deepEqual(existsSync(dir) ? readdirSync(dir) : [], []);
});

test('a read-only cache is never written and says so', { skip }, async () => {
  const dest = await emptyCache();
  const layout = new CacheLayout(loadConfig({ CRDS_PATH: dest, CRDS_READONLY_CACHE: '1' }));
  const client = new CrdsClient(server.url);
  await assert.rejects(
    new Fetcher(layout, { client }).fetch('hst', 'hst_acs_0421.imap', null),
    CrdsReadOnlyCacheError,
  );
  const report = await new CacheSyncer(layout, client).sync({ contexts: ['hst_0729.pmap'] });
  assert.ok(report.errors.length > 0 && report.errors.every((e) => e.includes('CRDS_READONLY_CACHE')));
  assert.deepEqual(readdirSync(dest), []);
});

test('plugin downloads substitute SOURCE_URL, OUTPUT_PATH, FILE_SIZE, FILE_SHA1SUM and FILENAME', {
  skip,
}, async () => {
  const dest = await emptyCache();
  const script =
    'const [u,o,s,h,n]=process.argv.slice(1);if(!s||h.length!==40||!u.endsWith(n))process.exit(3);' +
    "fetch(u).then(r=>r.arrayBuffer()).then(b=>require('fs').writeFileSync(o,Buffer.from(b)))";
  const plugin = `'${process.execPath}' -e "${script}" \${SOURCE_URL} \${OUTPUT_PATH} \${FILE_SIZE} \${FILE_SHA1SUM} \${FILENAME}`;
  const config = loadConfig({
    CRDS_PATH: dest,
    CRDS_DOWNLOAD_MODE: 'plugin',
    CRDS_DOWNLOAD_PLUGIN: plugin,
  });
  const client = new CrdsClient(server.url);
  const info = (await client.getFileInfoMap('hst', ['hst_acs_0421.imap']))['hst_acs_0421.imap'] as {
    size: number;
    sha1sum: string;
  };
  const r = await new Fetcher(new CacheLayout(config), { client }).fetch('hst', 'hst_acs_0421.imap', info);
  assert.ok(r.downloaded);
  assert.equal(sha1File(r.path), info.sha1sum);
  const failing = loadConfig({
    CRDS_PATH: dest,
    CRDS_DOWNLOAD_MODE: 'plugin',
    CRDS_DOWNLOAD_PLUGIN: 'exit 7',
  });
  await assert.rejects(
    new Fetcher(new CacheLayout(failing), { client }).fetch('hst', 'hst_acs_0000.imap', null),
    /exit 7/,
  );
});

test('transient server failures are retried with back-off (CRDS_CLIENT_RETRY_COUNT)', { skip }, async () => {
  let hits = 0;
  const flaky = createServer((req, res) => {
    hits++;
    if (hits % 2 === 1) {
      res.statusCode = 503;
      res.end('busy');
      return;
    }
    fetch(`${server.url}${req.url}`).then(async (r) => {
      res.statusCode = r.status;
      res.end(Buffer.from(await r.arrayBuffer()));
    });
  });
  await new Promise<void>((r) => flaky.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}`;
  try {
    const dest = await emptyCache();
    const retrying = loadConfig({
      CRDS_PATH: dest,
      CRDS_CLIENT_RETRY_COUNT: '3',
      CRDS_CLIENT_RETRY_DELAY_SECONDS: '0.01',
    });
    const client = new CrdsClient(url, { retryCount: 3, retryDelaySeconds: 0.01 });
    const r = await new Fetcher(new CacheLayout(retrying), { client }).fetch(
      'hst',
      'hst_acs_0421.imap',
      null,
    );
    assert.ok(r.downloaded);
    const once = loadConfig({ CRDS_PATH: await emptyCache(), CRDS_CLIENT_RETRY_COUNT: '1' });
    hits = 0;
    await assert.rejects(
      new Fetcher(new CacheLayout(once), { client: new CrdsClient(url) }).fetch(
        'hst',
        'hst_acs_0421.imap',
        null,
      ),
      /after 1 attempt/,
    );
  } finally {
    await new Promise<void>((r) => flaky.close(() => r()));
  }
});

function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(join(projectRoot, 'bin', 'caldera'), args, {
      env: {
        ...process.env,
        PATH: `${join(projectRoot, 'node_modules', '.bin')}:${process.env.PATH}`,
        ...env,
      },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

test('two concurrent `caldera crds sync` processes on one cache end with a correct cache', {
  skip,
}, async () => {
  const dest = await emptyCache();
  const env = { CRDS_PATH: dest, CRDS_SERVER_URL: server.url };
  const args = ['crds', 'sync', '--contexts', 'hst_0729.pmap', '--json'];
  const [a, b] = await Promise.all([runCli(args, env), runCli(args, env)]);
  assert.equal(a.code, 0, a.err);
  assert.equal(b.code, 0, b.err);
  const files = readdirSync(join(dest, 'mappings', 'hst'));
  assert.equal(files.length, 137, files.filter((f) => f.endsWith('.tmp')).join(' '));
  for (const f of files)
    assert.equal(sha1File(join(dest, 'mappings', 'hst', f)), sha1File(join(src, 'mappings', 'hst', f)));
  const check = await runCli(
    ['crds', 'sync', '--contexts', 'hst_0729.pmap', '--check-sha1sum', '--json'],
    env,
  );
  assert.equal(check.code, 0, check.err);
  assert.deepEqual(JSON.parse(check.out).bad, []);
});

test('bestrefs in CRDS_MODE=remote asks the server; auto mode syncs missing mappings first', {
  skip,
}, async () => {
  const dest = await emptyCache();
  const headers = join(dest, 'h.json');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(headers, JSON.stringify({ ds: ACS_HEADER }));
  const args = ['crds', 'bestrefs', '--headers', headers, '--types', 'biasfile', 'darkfile', '--json'];
  const remote = await runCli(args, { CRDS_PATH: dest, CRDS_SERVER_URL: server.url, CRDS_MODE: 'remote' });
  assert.equal(remote.code, 0, remote.err);
  assert.deepEqual(JSON.parse(remote.out), {
    ds: { biasfile: 'm4r1753rj_bia.fits', darkfile: 'n3o1059hj_drk.fits' },
  });
  assert.ok(!existsSync(join(dest, 'mappings')));
  const auto = await runCli(args, { CRDS_PATH: dest, CRDS_SERVER_URL: server.url, CRDS_MODE: 'auto' });
  assert.equal(auto.code, 0, auto.err);
  assert.deepEqual(JSON.parse(auto.out), JSON.parse(remote.out));
  assert.equal(readdirSync(join(dest, 'mappings', 'hst')).length, 137);
});

// `caldera process` end to end on a small simulated ACS/WFC CR-SPLIT association, for every input
// mode (file: folder, file: tarball, archive: against `caldera archive serve`, s3:// against
// s3rver) and both output modes; the tree, messages and result.json are checked exactly.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startArchiveServer } from '../../src/archive/index.ts';
import { startServer } from '../../src/crds/index.ts';
import { openFits } from '../../src/fits/index.ts';
import { type ResultJson, readTarGz, writeTarGz } from '../../src/process/index.ts';
import { runPython, skipUnlessAstropy } from '../helpers/python.ts';
import { S3RVER_CREDENTIALS, type S3rverHandle, startS3rver } from '../helpers/s3rver.ts';
import { DATASET, LOGS, listTree, makeSim, PREVIEWS, PRODUCTS, readText, run, type Sim } from './fixture.ts';

let root: string;
let sim: Sim;
let n = 0;
const fresh = () => {
  const d = join(root, `t${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
};

before(() => {
  root = makeTempDir_sync();
  sim = makeSim(root);
});

function makeTempDir_sync(): string {
  const d = join(process.env.TMPDIR ?? '/tmp', `caldera-e2e-${process.pid}-${Date.now()}`);
  mkdirSync(d, { recursive: true });
  return d;
}

after(async () => {
  const { rm } = await import('node:fs/promises');
  await rm(root, { recursive: true, force: true });
});

const dataDir = (out: string) => join(out, 'data', 'acs', DATASET);

function checkSuccessTree(out: string, extra: string[] = []): void {
  assert.deepEqual(listTree(dataDir(out)), [...PRODUCTS, ...LOGS, ...PREVIEWS, ...extra].sort());
  assert.deepEqual(listTree(join(out, 'messages')), [`datasets-processed/${DATASET}`]);
}

function checkResult(out: string, via: string, extraSteps: [string, string][] = []): ResultJson {
  const r = JSON.parse(readText(join(dataDir(out), 'logs', 'result.json'))) as ResultJson;
  assert.equal(r.exitCode, 0);
  assert.equal(r.exitName, 'SUCCESS');
  assert.equal(r.failedStep, null);
  assert.equal(r.input.via, via);
  assert.deepEqual(
    r.input.files.map((f) => f.name),
    sim.files,
  );
  for (const f of r.input.files) assert.match(f.sha256!, /^[0-9a-f]{64}$/);
  assert.equal(r.crds!.context, sim.pmap);
  assert.equal(r.crds!.readonlyCache, true);
  assert.deepEqual(r.crds!.references.map((x) => x.keyword).sort(), [
    'BIASFILE',
    'BPIXTAB',
    'CCDTAB',
    'CRREJTAB',
    'DARKFILE',
    'IMPHTTAB',
    'OSCNTAB',
    'PFLTFILE',
  ]);
  for (const ref of r.crds!.references) assert.match(ref.sha1!, /^[0-9a-f]{40}$/);
  assert.deepEqual(
    r.steps.map((s) => [s.step, s.status]).filter(([s]) => !s.startsWith('fetch.')),
    [
      ['messages.start', 'ok'],
      ['fetch', 'ok'],
      ['bestrefs', 'ok'],
      ['calibrate', 'ok'],
      ['drizzle', 'skipped'],
      ['previews', 'ok'],
      ['output', 'ok'],
      ...extraSteps,
    ],
  );
  for (const s of r.steps) assert.ok(s.wallMs >= 0 && s.cpuMs >= 0 && s.peakRssMb > 0);
  assert.equal(r.previews.length, 5);
  assert.equal(r.versions.caldera, '0.1.0');
  return r;
}

describe('process: file: inputs', () => {
  it('folder → folder: tree, messages, logs, stamped raws and version keywords', async () => {
    const d = fresh();
    const res = await run(sim, d, {
      workers: undefined,
      extraEnv: { CSYS_VER: 'hstdp-2026.1', AWSDPVER: '1.2.3', AWSYSVER: 'v9' },
    });
    assert.equal(res.exitCode, 0, res.reason ?? '');
    const out = join(d, 'out');
    checkSuccessTree(out);
    checkResult(out, 'folder');
    const processed = readText(join(out, 'messages', 'datasets-processed', DATASET))
      .trim()
      .split('\n');
    assert.equal(processed.length, PRODUCTS.length + PREVIEWS.length);
    assert.ok(processed.every((l) => l.startsWith(`file:${dataDir(out)}/`)));
    const f = openFits(join(dataDir(out), 'j8cb01aaq_raw.fits'));
    const h = f.hdus[0].header;
    assert.equal(h.string('CSYS_VER'), 'hstdp-2026.1');
    assert.equal(h.string('AWSDPVER'), '1.2.3');
    assert.equal(h.string('BIASFILE'), 'jref$j8cb010b0_bia.fits');
    assert.equal(h.string('CRDS_CTX'), sim.pmap);
    f.close();
    const metrics = readText(join(dataDir(out), 'logs', 'process_metrics.txt'));
    for (const k of [
      'Elapsed (wall clock) time (h:mm:ss or m:ss)',
      'Maximum resident set size (kbytes)',
      'User time (seconds)',
    ])
      assert.ok(metrics.includes(`\t${k}: `), k);
    assert.match(metrics, /\tExit status: 0\n$/);
    const log = readText(join(dataDir(out), 'logs', 'process.txt'));
    assert.match(log, /step calibrate: ok in [\d.]+ ms/);
    assert.equal(res.scratch, undefined);
    assert.deepEqual(listTree(join(d, 'home')), [], 'scratch removed on success');
  });

  it('folder with <dataset>.tar.gz, --tarball output, and a cal_env file applied and copied', async () => {
    const d = fresh();
    const inDir = join(d, 'tarin');
    mkdirSync(inDir);
    const entries = [...sim.files, `${DATASET}_cal_env.txt`].map((name) => ({
      name: `${DATASET}/${name}`,
      data: name.endsWith('.txt')
        ? Buffer.from('CALDERA_TEST_ENV=yes\nthis is not a pair\n')
        : readFileSync(join(sim.inDir, name)),
    }));
    entries.push({
      name: `${DATASET}/j8cb01zzq_raw.fits`,
      data: Buffer.from('not in the association: never read'),
    });
    writeFileSync(join(inDir, `${DATASET}.tar.gz`), await writeTarGz(entries));
    const res = await run(sim, d, { input: `file:${inDir}`, tarball: true });
    assert.equal(res.exitCode, 0, res.reason ?? '');
    const out = join(d, 'out');
    checkSuccessTree(out, [`env/${DATASET}_cal_env.txt`]);
    checkResult(out, 'tarball', [['tarball', 'ok']]);
    const log = readText(join(dataDir(out), 'logs', 'process.txt'));
    assert.match(log, /cal_env: setting CALDERA_TEST_ENV=yes/);
    assert.match(log, /line 2 is not a valid KEY=VALUE pair, skipped/);
    assert.equal(process.env.CALDERA_TEST_ENV, undefined, 'cal_env does not leak out of the job');
    const tar = await readTarGz(readFileSync(join(out, 'outputs', DATASET, `${DATASET}.tar.gz`)));
    const names = tar.map((m) => m.name);
    assert.ok(
      names.includes(`${DATASET}/j8cb010b1_crj.fits`) &&
        names.includes(`${DATASET}/previews/j8cb010b1_crj.jpg`),
    );
  });

  it('outputs open in astropy', { skip: skipUnlessAstropy() }, async () => {
    const d = fresh();
    const res = await run(sim, d);
    assert.equal(res.exitCode, 0, res.reason ?? '');
    const py = `import sys
from astropy.io import fits
for p in sys.argv[1:]:
    with fits.open(p, checksum=True) as h:
        h.verify('exception')
        print(p.split('/')[-1], len(h), h[1].data.shape)`;
    const files = PRODUCTS.filter((p) => p.endsWith('.fits')).map((p) => join(dataDir(join(d, 'out')), p));
    const lines = runPython(py, files).trim().split('\n');
    assert.equal(lines.length, files.length);
  });
});

describe('process: archive: input against caldera archive serve', () => {
  it('downloads RAW and ASN products through the MAST client', async () => {
    const d = fresh();
    const server = await startArchiveServer({ source: sim.inDir });
    try {
      const res = await run(sim, d, { input: 'archive:', extraEnv: { MAST_URL: server.url } });
      assert.equal(res.exitCode, 0, res.reason ?? '');
      checkSuccessTree(join(d, 'out'));
      checkResult(join(d, 'out'), 'archive');
      const res2 = await run(sim, fresh(), { input: 'astroquery:', extraEnv: { MAST_URL: server.url } });
      assert.equal(res2.exitCode, 0, res2.reason ?? '');
    } finally {
      await server.close();
    }
  });
});

describe('process: s3:// against s3rver', () => {
  let s3: S3rverHandle;
  let storeOptions: {
    endpoint: string;
    region: string;
    credentials: typeof S3RVER_CREDENTIALS;
    maxAttempts: number;
    retryBaseMs: number;
  };
  before(async () => {
    s3 = await startS3rver({ buckets: ['inputs', 'outputs', 'crds'] });
    storeOptions = {
      endpoint: s3.endpoint,
      region: 'us-east-1',
      credentials: S3RVER_CREDENTIALS,
      maxAttempts: 2,
      retryBaseMs: 5,
    };
    const store = s3.store();
    for (const f of sim.files)
      await store.write(`s3://inputs/objects/${f}`, readFileSync(join(sim.inDir, f)));
    const tar = await writeTarGz(sim.files.map((f) => ({ name: f, data: readFileSync(join(sim.inDir, f)) })));
    await store.write(`s3://inputs/tarred/${DATASET}.tar.gz`, tar);
  });
  after(async () => {
    await s3.stop();
  });

  async function s3Keys(prefix: string): Promise<string[]> {
    const entries = await Array.fromAsync(s3.store().list(prefix));
    return entries.map((e) => e.uri.slice(prefix.length)).sort();
  }

  it('tarball object → s3 output under a prefix', async () => {
    const d = fresh();
    const res = await run(sim, d, {
      input: 's3://inputs/tarred',
      output: 's3://outputs/batch-1',
      storeOptions,
      tarball: true,
    });
    assert.equal(res.exitCode, 0, res.reason ?? '');
    assert.deepEqual(
      await s3Keys('s3://outputs/batch-1/'),
      [
        ...[...PRODUCTS, ...LOGS, ...PREVIEWS].map((p) => `data/acs/${DATASET}/${p}`),
        `messages/datasets-processed/${DATASET}`,
        `outputs/${DATASET}/${DATASET}.tar.gz`,
      ].sort(),
    );
    const tar = await readTarGz(
      await s3.store().read(`s3://outputs/batch-1/outputs/${DATASET}/${DATASET}.tar.gz`),
    );
    assert.equal(tar.length, PRODUCTS.length + PREVIEWS.length);
    const r = JSON.parse(
      new TextDecoder().decode(
        await s3.store().read(`s3://outputs/batch-1/data/acs/${DATASET}/logs/result.json`),
      ),
    ) as ResultJson;
    assert.equal(r.exitCode, 0);
    assert.equal(r.input.via, 's3-tarball');
  });

  it('CONFIG aws: mappings and references from an S3 mirror (read in-process)', async () => {
    const d = fresh();
    const store = s3.store();
    for (const f of listTree(sim.crdsPath))
      await store.write(`s3://crds/mirror/${f}`, readFileSync(join(sim.crdsPath, f)));
    const saved = { ...process.env };
    // CRDS_DOWNLOAD_MODE=http reads the s3:// mirror in-process; the default plugin mode spawns
    // `caldera crds s3-get` per file (18 Node starts: too slow for a unit test, see units.test.ts)
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
    });
    try {
      const cache = join(d, 'crds_cache');
      const res = await run(sim, d, {
        config: 'aws',
        extraEnv: {
          ...process.env,
          CRDS_DOWNLOAD_MODE: 'http',
          CRDSBUCKET: 's3://crds/mirror',
          CRDSCONTEXT: sim.pmap,
          CRDS_PATH: cache,
          CALDP_HOME: join(d, 'home'),
        },
      });
      assert.equal(res.exitCode, 0, res.reason ?? '');
      const r = JSON.parse(readText(join(dataDir(join(d, 'out')), 'logs', 'result.json'))) as ResultJson;
      assert.equal(r.config.name, 'aws');
      assert.equal(r.crds!.context, sim.pmap);
      assert.equal(listTree(join(cache, 'references')).length, 8);
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  it('S3 settings from a CONFIG file reach the S3 client', async () => {
    const d = fresh();
    const cfg = join(d, 's3.cfg');
    writeFileSync(
      cfg,
      [
        `CRDS_PATH=${sim.crdsPath}`,
        'CRDS_READONLY_CACHE=1',
        `AWS_ENDPOINT_URL_S3=${s3.endpoint}`,
        'AWS_REGION=us-east-1',
        'AWS_ACCESS_KEY_ID=S3RVER',
        'AWS_SECRET_ACCESS_KEY=S3RVER',
        '',
      ].join('\n'),
    );
    const res = await run(sim, d, {
      input: 's3://inputs/objects',
      output: 's3://outputs/from-config',
      config: cfg,
    });
    assert.equal(res.exitCode, 0, res.reason ?? '');
    assert.ok((await s3Keys('s3://outputs/from-config/')).includes(`messages/datasets-processed/${DATASET}`));
  });

  it('FITS objects chosen by the association → file output', async () => {
    const d = fresh();
    const res = await run(sim, d, { input: 's3://inputs/objects/', storeOptions });
    assert.equal(res.exitCode, 0, res.reason ?? '');
    checkSuccessTree(join(d, 'out'));
    checkResult(join(d, 'out'), 's3-objects');
    assert.ok(!existsSync(join(d, 'out', 'outputs')));
  });
});

describe('process: offsite config against a CRDS server', () => {
  it('syncs the context and references into an empty writable cache', async () => {
    const d = fresh();
    const server = await startServer({ cache: sim.crdsPath });
    const cache = join(d, 'crds_cache');
    try {
      const res = await run(sim, d, {
        config: 'offsite',
        extraEnv: { CRDS_PATH: cache, CRDS_SERVER_URL: server.url },
      });
      assert.equal(res.exitCode, 0, res.reason ?? '');
      const r = JSON.parse(readText(join(dataDir(join(d, 'out')), 'logs', 'result.json'))) as ResultJson;
      assert.equal(r.crds!.readonlyCache, false);
      assert.equal(r.crds!.serverUrl, server.url);
      assert.equal(r.crds!.context, sim.pmap);
      const cached = listTree(cache);
      assert.ok(cached.includes(`mappings/hst/${sim.pmap}`), cached.join(' '));
      assert.equal(cached.filter((f) => f.startsWith('references/')).length, 8);
    } finally {
      await server.close();
    }
  });
});

describe('process: CONFIG as a KEY=VALUE file', () => {
  it('applies it and keeps credentials out of result.json', async () => {
    const d = fresh();
    const cfg = join(d, 'my.cfg');
    writeFileSync(
      cfg,
      `CRDS_PATH=${sim.crdsPath}\nCRDS_READONLY_CACHE=1\nCRDS_MODE=local\nAWS_SECRET_ACCESS_KEY=hunter2\n`,
    );
    const res = await run(sim, d, { config: cfg, extraEnv: { CRDS_PATH: join(d, 'not-this-one') } });
    assert.equal(res.exitCode, 0, res.reason ?? '');
    const text = readText(join(dataDir(join(d, 'out')), 'logs', 'result.json'));
    const r = JSON.parse(text) as ResultJson;
    assert.equal(r.config.name, 'file');
    assert.equal(r.config.vars.CRDS_PATH, sim.crdsPath);
    assert.equal(r.config.vars.AWS_SECRET_ACCESS_KEY, '<redacted>');
    assert.ok(!text.includes('hunter2'));
  });
});

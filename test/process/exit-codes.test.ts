// One test per exit code of `caldera process`, driven by real faults where possible (missing input,
// corrupt or unsafe tarball, unknown dataset at the archive, unsupported instrument, bad raw
// header, cache without the reference, dead S3 server, unwritable output) and CALDP_SIMULATE_ERROR
// otherwise. Each leaves the error message state and no products under final names.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startArchiveServer } from '../../src/archive/index.ts';
import { main } from '../../src/cli/main.ts';
import {
  type ProcessResult,
  type ResultJson,
  updatePrimary,
  writeTar,
  writeTarGz,
} from '../../src/process/index.ts';
import { S3RVER_CREDENTIALS, type S3rverHandle, startS3rver } from '../helpers/s3rver.ts';
import { copyCache, DATASET, listTree, makeSim, PRODUCTS, readText, run, type Sim } from './fixture.ts';
import { gzipSync } from 'node:zlib';

let root: string;
let sim: Sim;
let n = 0;
const fresh = () => {
  const d = join(root, `t${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
};

before(() => {
  root = join(process.env.TMPDIR ?? '/tmp', `caldera-exit-${process.pid}-${Date.now()}`);
  mkdirSync(root, { recursive: true });
  sim = makeSim(root);
});
after(() => rmSync(root, { recursive: true, force: true }));

function folderWith(d: string, files: Record<string, Uint8Array | string>): string {
  const dir = join(d, 'in');
  mkdirSync(dir, { recursive: true });
  for (const [k, v] of Object.entries(files)) writeFileSync(join(dir, k), v);
  return dir;
}

const simFiles = () => Object.fromEntries(sim.files.map((f) => [f, readFileSync(join(sim.inDir, f))]));

/** The error state is left, nothing else of ours, and no product or preview under a final name. */
function checkFailed(
  res: ProcessResult,
  d: string,
  code: number,
  step: string,
  reason: RegExp,
  ds = DATASET,
  inst = 'acs',
): void {
  assert.equal(res.exitCode, code, `${res.failedStep}: ${res.reason}`);
  assert.equal(res.failedStep, step);
  assert.match(res.reason ?? '', reason);
  const out = join(d, 'out');
  assert.deepEqual(listTree(join(out, 'messages')), [`dataset-error/${ds}`]);
  const msg = readText(join(out, 'messages', 'dataset-error', ds));
  assert.match(
    msg,
    new RegExp(`^exit_code=${code}\\nexit_name=\\w+\\nstep=${step.replace('.', '\\.')}\\nreason=`),
  );
  const data = join(out, 'data', inst, ds);
  assert.deepEqual(listTree(data), ['logs/process.txt', 'logs/process_metrics.txt', 'logs/result.json']);
  const r = JSON.parse(readText(join(data, 'logs', 'result.json'))) as ResultJson;
  assert.equal(r.exitCode, code);
  assert.equal(r.failedStep, step);
  assert.match(
    readText(join(data, 'logs', 'process_metrics.txt')),
    new RegExp(`\\tExit status: ${code}\\n$`),
  );
  assert.ok(res.scratch && existsSync(res.scratch), 'scratch is kept after a failure');
}

describe('exit 2 CMDLINE_ERROR: before anything is written', () => {
  for (const bad of ['../x', '', 'j8cb010b0/../..', 'j8cb010b0j8cb010b0', 'x8cb010b0']) {
    it(`dataset ${JSON.stringify(bad)}`, async () => {
      const d = fresh();
      await assert.rejects(run(sim, d, { dataset: bad }), (e: { exitCode: number }) => e.exitCode === 2);
      assert.deepEqual(listTree(d), []);
    });
  }
  it('bad output, input and config; the CLI returns 2', async () => {
    const d = fresh();
    await assert.rejects(
      run(sim, d, { output: 'https://example.invalid/x' }),
      (e: { exitCode: number }) => e.exitCode === 2,
    );
    await assert.rejects(run(sim, d, { input: 'ftp://x' }), (e: { exitCode: number }) => e.exitCode === 2);
    await assert.rejects(
      run(sim, d, { config: join(d, 'no-such-config') }),
      (e: { exitCode: number }) => e.exitCode === 2,
    );
    const err: string[] = [];
    const code = await main(['process', '../etc', `file:${sim.inDir}`, `file:${join(d, 'out')}`], {
      out: () => {},
      err: (t) => err.push(t),
      interactive: false,
    });
    assert.equal(code, 2);
    assert.match(err.join(''), /not an HST dataset id/);
    assert.deepEqual(listTree(d), []);
  });
});

describe('exit 21 INPUT_TAR_FILE_ERROR', () => {
  it('missing input folder', async () => {
    const d = fresh();
    checkFailed(await run(sim, d, { input: `file:${join(d, 'nope')}` }), d, 21, 'fetch', /does not exist/);
  });
  it('folder without the dataset', async () => {
    const d = fresh();
    checkFailed(
      await run(sim, d, { input: `file:${folderWith(d, { 'other.fits': 'x' })}` }),
      d,
      21,
      'fetch',
      /no j8cb010b0_asn\.fits/,
    );
  });
  it('association member missing', async () => {
    const d = fresh();
    const files = simFiles();
    delete files['j8cb01abq_raw.fits'];
    checkFailed(
      await run(sim, d, { input: `file:${folderWith(d, files)}` }),
      d,
      21,
      'fetch',
      /j8cb01abq_raw\.fits .*missing/,
    );
  });
  it('corrupt tarball', async () => {
    const d = fresh();
    const good = await writeTarGz(
      sim.files.map((f) => ({ name: f, data: readFileSync(join(sim.inDir, f)) })),
    );
    const cut = good.subarray(0, Math.floor(good.length / 2));
    checkFailed(
      await run(sim, d, { input: `file:${folderWith(d, { [`${DATASET}.tar.gz`]: cut })}` }),
      d,
      21,
      'fetch',
      /gzip|truncated/,
    );
  });
  it("tarball with a '../' member", async () => {
    const d = fresh();
    const tar = writeTar(sim.files.map((f) => ({ name: f, data: readFileSync(join(sim.inDir, f)) })));
    const evil = Buffer.from(tar);
    evil.write('../j8cb010b0_asn.fits\0', 0, 'latin1'); // rename the first member in place, fix its checksum
    evil.fill(32, 148, 156);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += evil[i];
    evil.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    checkFailed(
      await run(sim, d, { input: `file:${folderWith(d, { [`${DATASET}.tar.gz`]: gzipSync(evil) })}` }),
      d,
      21,
      'fetch',
      /'\.\.' segment/,
    );
    assert.ok(
      !existsSync(join(d, 'j8cb010b0_asn.fits')) && !existsSync(join(d, 'home', 'j8cb010b0_asn.fits')),
    );
  });
});

describe('exit 22 ASTROQUERY_ERROR', () => {
  it('dataset unknown to the archive, and the archive down', async () => {
    const server = await startArchiveServer({ source: sim.inDir });
    const d = fresh();
    try {
      const ds = 'j8cb99990';
      checkFailed(
        await run(sim, d, { dataset: ds, input: 'archive:', extraEnv: { MAST_URL: server.url } }),
        d,
        22,
        'fetch',
        /no observation/,
        ds,
      );
    } finally {
      await server.close();
    }
    const d2 = fresh();
    checkFailed(
      await run(sim, d2, {
        input: 'astroquery:',
        extraEnv: { MAST_URL: server.url, CALDERA_RETRY_BASE_MS: '1' },
      }),
      d2,
      22,
      'fetch',
      /./,
    );
  });
});

describe('exit 23 STAGE1_ERROR', () => {
  it('an instrument that is not supported yet (STIS)', async () => {
    const d = fresh();
    const ds = 'odfa01010';
    const res = await run(sim, d, {
      dataset: ds,
      input: `file:${folderWith(d, { [`${ds}_raw.fits`]: readFileSync(join(sim.inDir, 'j8cb01aaq_raw.fits')) })}`,
    });
    checkFailed(res, d, 23, 'calibrate', /STIS calibration is not supported yet/, ds, 'stis');
  });
  it('a raw the calibration cannot use (bad CCDAMP)', async () => {
    const d = fresh();
    const dir = folderWith(d, simFiles());
    updatePrimary(join(dir, 'j8cb01aaq_raw.fits'), { CCDAMP: 'Q' });
    checkFailed(await run(sim, d, { input: `file:${dir}` }), d, 23, 'calibrate', /./);
  });
});

describe('simulated codes (CALDP_SIMULATE_ERROR)', () => {
  const cases: [number, string, RegExp][] = [
    [24, 'drizzle', /Simulating error = 24/],
    [27, 'bestrefs', /Simulating error = 27/],
    [31, 'calibrate', /SUBPROCESS_MEMORY_ERROR: .*memory limit/],
    [32, 'calibrate', /CALDP_MEMORY_ERROR: .*Array buffer allocation failed/],
    [34, 'calibrate', /OS_MEMORY_ERROR: .*Cannot allocate memory/],
    [21, 'fetch', /Simulating error = 21/],
    [23, 'calibrate', /Simulating error = 23/],
  ];
  for (const [code, step, re] of cases) {
    it(`${code} fails in ${step}`, async () => {
      const d = fresh();
      checkFailed(await run(sim, d, { extraEnv: { CALDP_SIMULATE_ERROR: String(code) } }), d, code, step, re);
    });
  }
  it('28: previews fail after the products are safe', async () => {
    const d = fresh();
    const res = await run(sim, d, { extraEnv: { CALDP_SIMULATE_ERROR: '28' } });
    assert.equal(res.exitCode, 28);
    assert.equal(res.failedStep, 'previews');
    const data = join(d, 'out', 'data', 'acs', DATASET);
    assert.deepEqual(
      listTree(data),
      [...PRODUCTS, 'logs/process.txt', 'logs/process_metrics.txt', 'logs/result.json'].sort(),
    );
    assert.deepEqual(listTree(join(d, 'out', 'messages')), [`dataset-error/${DATASET}`]);
    assert.match(
      readText(join(d, 'out', 'messages', 'dataset-error', DATASET)),
      /^exit_code=28\nexit_name=CREATE_PREVIEWS_ERROR\nstep=previews\n/,
    );
    const r = JSON.parse(readText(join(data, 'logs', 'result.json'))) as ResultJson;
    assert.deepEqual(r.steps.map((s) => [s.step, s.status]).slice(-2), [
      ['previews', 'failed'],
      ['output', 'ok'],
    ]);
  });
});

describe('exit 27 BESTREFS_ERROR (real faults)', () => {
  it('the read-only CRDS cache lacks a reference', async () => {
    const d = fresh();
    const cache = copyCache(sim, d);
    rmSync(join(cache, 'references', 'hst', 'j8cb010b0_drk.fits'));
    checkFailed(
      await run(sim, d, { extraEnv: { CRDS_PATH: cache } }),
      d,
      27,
      'bestrefs',
      /j8cb010b0_drk\.fits \(DARKFILE\) is not in the read-only CRDS cache/,
    );
  });
  it('no context in the cache', async () => {
    const d = fresh();
    const cache = copyCache(sim, d);
    rmSync(join(cache, 'mappings'), { recursive: true });
    checkFailed(await run(sim, d, { extraEnv: { CRDS_PATH: cache } }), d, 27, 'bestrefs', /no CRDS context/);
  });
});

describe('exit 1 GENERIC_ERROR: unwritable file: output', () => {
  it('fails before calibrating and writes nothing', async () => {
    const d = fresh();
    writeFileSync(join(d, 'blocker'), 'a file where a folder should be');
    const res = await run(sim, d, { output: `file:${join(d, 'blocker', 'out')}` });
    assert.equal(res.exitCode, 1);
    assert.equal(res.failedStep, 'messages.start');
    assert.deepEqual(
      listTree(d).filter((f) => !f.startsWith('home/')),
      ['blocker'],
    );
  });
});

describe('S3 faults', () => {
  let s3: S3rverHandle;
  const opts = () => ({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    credentials: S3RVER_CREDENTIALS,
    maxAttempts: 2,
    retryBaseMs: 5,
  });
  before(async () => {
    process.env.CALDERA_RETRY_BASE_MS = '5';
    s3 = await startS3rver({ buckets: ['inputs', 'outputs'] });
    for (const f of sim.files) await s3.store().write(`s3://inputs/p/${f}`, readFileSync(join(sim.inDir, f)));
  });
  after(async () => {
    delete process.env.CALDERA_RETRY_BASE_MS;
    await s3.stop();
  });

  it('25: simulated upload failure leaves the error state on S3 and no products', async () => {
    const d = fresh();
    const res = await run(sim, d, {
      output: 's3://outputs/b25',
      storeOptions: opts(),
      extraEnv: { CALDP_SIMULATE_ERROR: '25' },
    });
    assert.equal(res.exitCode, 25);
    assert.equal(res.failedStep, 'output');
    const keys = (await Array.fromAsync(s3.store().list('s3://outputs/b25/')))
      .map((e) => e.uri.slice('s3://outputs/b25/'.length))
      .sort();
    assert.deepEqual(keys, [
      `data/acs/${DATASET}/logs/process.txt`,
      `data/acs/${DATASET}/logs/process_metrics.txt`,
      `data/acs/${DATASET}/logs/result.json`,
      `messages/dataset-error/${DATASET}`,
    ]);
  });

  it('26: S3 input server stopped (file: output keeps the error state)', async () => {
    const d = fresh();
    const dead = await startS3rver({ buckets: ['inputs'] });
    const o = {
      endpoint: dead.endpoint,
      region: 'us-east-1',
      credentials: S3RVER_CREDENTIALS,
      maxAttempts: 2,
      retryBaseMs: 5,
    };
    await dead.kill();
    try {
      checkFailed(
        await run(sim, d, { input: 's3://inputs/p', storeOptions: o }),
        d,
        26,
        'fetch.download',
        /./,
      );
    } finally {
      await dead.stop();
    }
  });

  it('25: S3 output server stopped: not reported as success, nothing written', async () => {
    const d = fresh();
    const dead = await startS3rver({ buckets: ['outputs'] });
    const o = {
      endpoint: dead.endpoint,
      region: 'us-east-1',
      credentials: S3RVER_CREDENTIALS,
      maxAttempts: 2,
      retryBaseMs: 5,
    };
    await dead.kill();
    try {
      const res = await run(sim, d, { output: 's3://outputs/x', storeOptions: o });
      assert.equal(res.exitCode, 25);
      assert.equal(res.failedStep, 'messages.start');
    } finally {
      await dead.stop();
    }
  });
});

describe('a copy that fails midway (real fault)', () => {
  it('removes the products already copied and leaves the error state', async () => {
    const d = fresh();
    const data = join(d, 'out', 'data', 'acs', DATASET);
    mkdirSync(join(data, 'j8cb01abq_flt.fits', 'occupied'), { recursive: true });
    const res = await run(sim, d);
    assert.equal(res.exitCode, 1);
    assert.equal(res.failedStep, 'output');
    assert.deepEqual(
      listTree(data).filter((f) => !f.startsWith('logs/')),
      [],
    );
    assert.deepEqual(listTree(join(d, 'out', 'messages')), [`dataset-error/${DATASET}`]);
  });
});

it('33, 40 and 41 are explained but never produced', async () => {
  const out: string[] = [];
  const io = { out: (t: string) => out.push(t), err: () => {}, interactive: false };
  assert.equal(await main(['explain-exit', '33'], io), 0);
  assert.equal(await main(['explain-exit', '40'], io), 0);
  assert.equal(await main(['explain-exit', 'MVM_ERROR'], io), 0);
  assert.equal(await main(['explain-exit', '99'], io), 1);
  assert.match(
    out.join('\n'),
    /CONTAINER_MEMORY_ERROR\[33\][\s\S]*SVM_ERROR\[40\][\s\S]*MVM_ERROR\[41\][\s\S]*unhandled exit code: 99/,
  );
});

// Units of `caldera process`: dataset ids, exit codes, CONFIG/cal_env parsing, the strict tar
// reader/writer, the step runner (innermost code wins, simulation, real memory faults) and retries.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  EXIT,
  exitTable,
  explainExit,
  memoryExitCode,
  parseCalEnv,
  parseDataset,
  parseInput,
  ProcessLog,
  readTar,
  readTarGz,
  resolveConfig,
  retry,
  type StepFailure,
  StepRunner,
  TarError,
  tarGzStream,
  writeTar,
} from '../../src/process/index.ts';
import { withTempDir } from '../helpers/tmp.ts';

describe('dataset ids', () => {
  it('accepts ipppssoots case-insensitively and names the instrument', () => {
    assert.deepEqual(parseDataset('J8CB010B0'), { id: 'j8cb010b0', instrument: 'acs', refPrefix: 'jref' });
    assert.equal(parseDataset('iacs01t4q').instrument, 'wfc3');
    assert.equal(parseDataset('odfa01010').instrument, 'stis');
    assert.equal(parseDataset('lcw303050').instrument, 'cos');
  });
  for (const bad of [
    '',
    '../x',
    'j8cb010b',
    'j8cb010b00',
    'x8cb010b0',
    'j8cb0/0b0',
    'j8cb010b0 ',
    'a'.repeat(300),
  ]) {
    it(`rejects ${JSON.stringify(bad.slice(0, 20))} with CMDLINE_ERROR`, () => {
      assert.throws(
        () => parseDataset(bad),
        (e: { exitCode: number }) => e.exitCode === 2,
      );
    });
  }
});

describe('exit codes', () => {
  it("has CALDP's table and wording", () => {
    assert.deepEqual(
      exitTable().map((r) => r.code),
      [0, 1, 2, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32, 33, 34, 40, 41],
    );
    assert.match(explainExit(23), /^EXIT - STAGE1_ERROR\[23\]: /);
    assert.match(explainExit('BESTREFS_ERROR'), /^EXIT - BESTREFS_ERROR\[27\]/);
    assert.equal(explainExit(999), 'EXIT - unhandled exit code: 999');
  });
  it('maps memory failures', () => {
    assert.equal(memoryExitCode(Object.assign(new Error('x'), { code: 'ERR_WORKER_OUT_OF_MEMORY' })), 31);
    assert.equal(memoryExitCode(new RangeError('Array buffer allocation failed')), 32);
    const fromWorker = Object.assign(new RangeError('Array buffer allocation failed'), { fromWorker: true });
    assert.equal(memoryExitCode(fromWorker), 31);
    assert.equal(memoryExitCode(Object.assign(new Error('spawn failed'), { code: 'ENOMEM' })), 34);
    assert.equal(memoryExitCode(new Error('other')), undefined);
  });
});

describe('CONFIG and cal_env', () => {
  it('onsite is a read-only cache without a server', () => {
    const c = resolveConfig('onsite', { CRDS_PATH: '/c' }, '/h');
    assert.equal(c.vars.CRDS_READONLY_CACHE, '1');
    assert.equal(c.vars.CRDS_MODE, 'local');
    assert.equal(c.vars.jref, '/c/references/hst');
    assert.equal(resolveConfig('caldp-config-onsite', {}, '/h').name, 'onsite');
  });
  it('offsite uses a server and a writable cache; aws an S3 mirror', () => {
    const o = resolveConfig('offsite', {}, '/h');
    assert.equal(o.vars.CRDS_PATH, '/h/crds_cache');
    assert.equal(o.vars.CRDS_READONLY_CACHE, '0');
    assert.match(o.vars.CRDS_SERVER_URL, /^https:/);
    const a = resolveConfig('aws', { CRDSBUCKET: 's3://mirror/crds' }, '/h');
    assert.equal(a.vars.CRDS_REFERENCE_URI, 's3://mirror/crds/references/hst/');
    assert.equal(a.vars.CRDS_DOWNLOAD_MODE, 'plugin');
    assert.match(
      a.vars.CRDS_DOWNLOAD_PLUGIN,
      /run\.ts' crds s3-get \$\{SOURCE_URL\} \$\{OUTPUT_PATH\} \$\{FILE_SIZE\} \$\{FILE_SHA1SUM\}$/,
    );
    assert.throws(() => resolveConfig('aws', {}, '/h'), /CRDSBUCKET/);
  });
  it('reads a KEY=VALUE file with expansion and refuses bad lines', async () => {
    await withTempDir(async (dir) => {
      const f = join(dir, 'cfg');
      writeFileSync(
        f,
        [
          '# comment',
          'export CRDS_PATH=/x',
          'CRDS_CONTEXT="hst_0001.pmap"',
          'jref=$' + '{CRDS_PATH}/references/hst/acs/',
          '',
        ].join('\n'),
      );
      assert.deepEqual(resolveConfig(f, {}, '/h').vars, {
        CRDS_PATH: '/x',
        CRDS_CONTEXT: 'hst_0001.pmap',
        jref: '/x/references/hst/acs/',
      });
      writeFileSync(f, 'OK=1\nnot a pair\n');
      assert.throws(() => resolveConfig(f, {}, '/h'), /line 2/);
      assert.throws(
        () => resolveConfig(join(dir, 'missing'), {}, '/h'),
        (e: { exitCode: number }) => e.exitCode === 2,
      );
    });
  });
  it('cal_env keeps good lines and reports bad ones', () => {
    const r = parseCalEnv('A=1\nbad line\n\nB = two words\n');
    assert.deepEqual(r.vars, { A: '1', B: 'two words' });
    assert.deepEqual(r.bad, [{ line: 2, text: 'bad line' }]);
  });
  it('parses INPUT kinds', () => {
    assert.equal(parseInput('astroquery:').kind, 'archive');
    assert.equal(parseInput('archive:').kind, 'archive');
    assert.equal(parseInput('s3://bucket/pre').kind, 's3');
    assert.equal(parseInput('file:.').kind, 'file');
    assert.throws(
      () => parseInput('ftp://x'),
      (e: { exitCode: number }) => e.exitCode === 2,
    );
  });
});

/** A hand-made ustar header block (for members our writer refuses to make). */
function rawHeader(name: string, type: string, size = 0, linkname = ''): Uint8Array {
  const h = new Uint8Array(512);
  const put = (off: number, s: string) => h.set(Buffer.from(s), off);
  put(0, name);
  put(100, '0000644\0');
  put(108, '0000000\0');
  put(116, '0000000\0');
  put(124, `${size.toString(8).padStart(11, '0')}\0`);
  put(136, '00000000000\0');
  h[156] = type.charCodeAt(0);
  put(157, linkname);
  put(257, 'ustar\0');
  put(263, '00');
  h.fill(32, 148, 156);
  const sum = h.reduce((a, b) => a + b, 0);
  put(148, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

function archive(...blocks: Uint8Array[]): Uint8Array {
  return Buffer.concat([...blocks, new Uint8Array(1024)]);
}

describe('tar', () => {
  it('round-trips files, directories and long names', async () => {
    const long = `${'d'.repeat(80)}/${'f'.repeat(90)}.fits`;
    const tar = writeTar([
      { name: 'dir', dir: true },
      { name: 'dir/a.txt', data: Buffer.from('hello') },
      { name: long, data: new Uint8Array(1000).fill(7) },
    ]);
    const m = readTar(tar);
    assert.deepEqual(
      m.map((x) => [x.name, x.type, x.data.length]),
      [
        ['dir', 'dir', 0],
        ['dir/a.txt', 'file', 5],
        [long, 'file', 1000],
      ],
    );
    assert.equal(Buffer.from(m[1].data).toString(), 'hello');
    const gz = (await readTarGz(gzipSync(tar))).map((x) => x.name);
    assert.equal(gz.length, 3);
  });
  const refused: [string, Uint8Array, RegExp][] = [
    ['absolute paths', archive(rawHeader('/etc/passwd', '0')), /absolute path/],
    ['.. segments', archive(rawHeader('../evil.fits', '0')), /'\.\.' segment/],
    ['nested ..', archive(rawHeader('a/../../evil', '0')), /'\.\.' segment/],
    ['symbolic links', archive(rawHeader('link', '2', 0, '/etc/passwd')), /symbolic link/],
    ['hard links', archive(rawHeader('hl', '1', 0, 'x')), /hard link/],
    ['character devices', archive(rawHeader('dev', '3')), /character device/],
    ['block devices', archive(rawHeader('blk', '4')), /block device/],
    ['FIFOs', archive(rawHeader('fifo', '6')), /FIFO/],
    ['duplicates', archive(rawHeader('a', '0'), rawHeader('a', '0')), /twice/],
  ];
  for (const [what, buf, re] of refused) {
    it(`refuses ${what}`, () => {
      assert.throws(
        () => readTar(buf),
        (e: Error) => e instanceof TarError && re.test(e.message) && (e as TarError).exitCode === 21,
      );
    });
  }
  it('refuses bad checksums, truncation and non-gzip data', async () => {
    const good = writeTar([{ name: 'a.fits', data: new Uint8Array(2000) }]);
    const bad = Uint8Array.from(good);
    bad[10] ^= 1;
    assert.throws(() => readTar(bad), /bad checksum/);
    assert.throws(() => readTar(good.subarray(0, 1024)), /truncated/);
    assert.throws(() => readTar(good.subarray(0, 512 * 5)), /no end-of-archive/);
    await assert.rejects(readTarGz(Buffer.from('not gzip at all')), /not a valid gzip/);
  });
});

describe('step runner', () => {
  const quiet = () => new StepRunner(new ProcessLog());
  it('maps a failure to the step code; the innermost step wins', async () => {
    const r = quiet();
    await assert.rejects(
      r.run('outer', 21, () =>
        r.run('inner', 26, async () => {
          throw new Error('boom');
        }),
      ),
      (e: StepFailure) => e.exitCode === 26 && e.step === 'inner' && e.reason === 'boom',
    );
    assert.deepEqual(
      r.records.map((x) => [x.step, x.status, x.exitCode]),
      [
        ['outer', 'failed', 26],
        ['inner', 'failed', 26],
      ],
    );
  });
  it('records timings of successful steps', async () => {
    const r = quiet();
    assert.equal(await r.run('s', 23, async () => 5), 5);
    assert.equal(r.records[0].status, 'ok');
    assert.ok(r.records[0].wallMs >= 0 && r.records[0].peakRssMb > 0);
  });
  it('CALDP_SIMULATE_ERROR fails only the step owning the code', async () => {
    const r = new StepRunner(new ProcessLog(), '27');
    let ran = 0;
    await r.run('fetch', 21, async () => ran++);
    await assert.rejects(
      r.run('bestrefs', 27, async () => ran++),
      (e: StepFailure) => e.exitCode === 27 && /Simulating error = 27/.test(e.reason),
    );
    assert.equal(ran, 1);
  });
  it('a worker thread out of memory is 31 (real fault)', async () => {
    const r = new StepRunner(new ProcessLog(), '31');
    await assert.rejects(
      r.run('calibrate', 23, async () => 0, { memory: true }),
      (e: StepFailure) => e.exitCode === 31 && /memory limit/.test(e.reason),
    );
  });
  it('a failed ArrayBuffer allocation on the main thread is 32 (real fault)', async () => {
    const r = new StepRunner(new ProcessLog(), '32');
    await assert.rejects(
      r.run('calibrate', 23, async () => 0, { memory: true }),
      (e: StepFailure) => e.exitCode === 32 && /Array buffer allocation failed/.test(e.reason),
    );
    const r2 = quiet();
    await assert.rejects(
      r2.run('previews', 28, async () => new Float64Array(2 ** 50)),
      (e: StepFailure) => e.exitCode === 32,
    );
  });
  it('ENOMEM is 34', async () => {
    const r = new StepRunner(new ProcessLog(), '34');
    await assert.rejects(
      r.run('calibrate', 23, async () => 0, { memory: true }),
      (e: StepFailure) => e.exitCode === 34,
    );
  });
});

describe('retry', () => {
  it('tries three times with back-off, then gives up', async () => {
    let n = 0;
    await assert.rejects(
      retry(
        async () => {
          n++;
          throw new Error('down');
        },
        { baseMs: 1 },
      ),
      /down/,
    );
    assert.equal(n, 3);
    n = 0;
    assert.equal(await retry(async () => (++n < 3 ? Promise.reject(new Error('x')) : n), { baseMs: 1 }), 3);
  });
  it('does not retry what is not retryable', async () => {
    let n = 0;
    await assert.rejects(
      retry(async () => Promise.reject(new Error(`e${++n}`)), { baseMs: 1, retryable: () => false }),
      /e1/,
    );
  });
});

it('EXIT names match numbers', () => {
  assert.equal(EXIT.CREATE_PREVIEWS_ERROR, 28);
});

describe('tarGzStream', () => {
  it('streams files from disk into a gzipped ustar that readTarGz accepts', async () => {
    await withTempDir(async (dir) => {
      const a = join(dir, 'a.fits');
      writeFileSync(a, new Uint8Array(70000).fill(3));
      writeFileSync(join(dir, 'b.txt'), 'bee');
      const chunks: Buffer[] = [];
      for await (const c of tarGzStream([
        { name: 'ds/a.fits', path: a },
        { name: 'ds/logs/b.txt', path: join(dir, 'b.txt') },
      ]))
        chunks.push(c as Buffer);
      const m = await readTarGz(Buffer.concat(chunks));
      assert.deepEqual(
        m.map((x) => [x.name, x.data.length]),
        [
          ['ds/a.fits', 70000],
          ['ds/logs/b.txt', 3],
        ],
      );
    });
  });
  it('errors (does not hang) when a file is missing', async () => {
    await assert.rejects(async () => {
      for await (const _ of tarGzStream([{ name: 'x', path: '/nonexistent/file' }])) {
        // drain
      }
    }, /ENOENT/);
  });
});

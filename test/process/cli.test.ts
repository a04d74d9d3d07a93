// The CLI faces: `caldera process`, `caldera explain-exit`, `caldera demo` and the `caldp-process`
// alias with CALDP's positional order.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.ts';
import { DATASET, envFor, listTree, makeSim, type Sim } from './fixture.ts';

let root: string;
let sim: Sim;
before(() => {
  root = join(process.env.TMPDIR ?? '/tmp', `caldera-cli-${process.pid}-${Date.now()}`);
  mkdirSync(root, { recursive: true });
  sim = makeSim(root);
});
after(() => rmSync(root, { recursive: true, force: true }));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), interactive: false },
    out,
    err,
  };
}

describe('caldera explain-exit', () => {
  it('explains one code, a name, or prints the table', async () => {
    const c = capture();
    assert.equal(await main(['explain-exit', '27'], c.io), 0);
    assert.equal(await main(['explain-exit', 'STAGE1_ERROR', '--json'], c.io), 0);
    assert.equal(await main(['explain-exit'], c.io), 0);
    assert.match(c.out[0], /^EXIT - BESTREFS_ERROR\[27\]: /);
    assert.deepEqual(JSON.parse(c.out[1]).code, 23);
    assert.equal(c.out[2].split('\n').length, 18);
  });
});

describe('caldera process', () => {
  it('runs with CALDP positional arguments and prints the step table; --json prints result.json', async () => {
    const out = join(root, 'out1');
    const saved = { ...process.env };
    Object.assign(process.env, envFor(sim, root));
    try {
      const c = capture();
      const code = await main(
        ['process', DATASET.toUpperCase(), `file:${sim.inDir}`, `file:${out}`, 'onsite', '--workers', '0'],
        c.io,
      );
      assert.equal(code, 0, c.err.join(''));
      const text = c.out.join('\n');
      assert.match(text, /^step\s+status\s+wall ms/m);
      assert.match(text, /calibrate\s+ok/);
      assert.match(text, /EXIT - SUCCESS\[0\]/);
      const c2 = capture();
      assert.equal(
        await main(
          [
            'process',
            DATASET,
            `file:${sim.inDir}`,
            `file:${join(root, 'out2')}`,
            'onsite',
            '--json',
            '--workers',
            '0',
          ],
          c2.io,
        ),
        0,
      );
      assert.equal(JSON.parse(c2.out.join('')).exitName, 'SUCCESS');
      process.env.CALDP_SIMULATE_ERROR = '24';
      const c4 = capture();
      assert.equal(
        await main(
          ['process', DATASET, `file:${sim.inDir}`, `file:${join(root, 'out4')}`, 'onsite', '--workers', '0'],
          c4.io,
        ),
        24,
      );
      assert.match(c4.out.join('\n'), /failed step: drizzle: Simulating error = 24/);
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});

describe('caldp-process alias', () => {
  it('maps CALDP positional order and caldp-config-* names', () => {
    const script = fileURLToPath(new URL('../../src/cli/caldp-process.ts', import.meta.url));
    const out = join(root, 'caldp-out');
    const env = envFor(sim, root);
    const r = spawnSync(
      process.execPath,
      [script, DATASET, `file:${sim.inDir}`, `file:${out}`, 'caldp-config-onsite'],
      { env, encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.ok(listTree(out).includes(`messages/datasets-processed/${DATASET}`));
    const u = spawnSync(process.execPath, [script], { env, encoding: 'utf8' });
    assert.equal(u.status, 2);
    assert.match(u.stderr, /usage: caldp-process <ipppssoot>/);
    const bad = spawnSync(process.execPath, [script, 'nope'], { env, encoding: 'utf8' });
    assert.equal(bad.status, 2);
  });
});

describe('caldera demo', () => {
  it('simulates, processes and prints the tree, exit code, timings and previews (small frames)', async () => {
    const c = capture();
    const dir = join(root, 'demo');
    const code = await main(['demo', '--size', 'small', '--dir', dir], c.io);
    assert.equal(code, 0, c.out.join('\n'));
    const text = c.out.join('\n');
    assert.match(text, /data\/acs\/j8cb010b0\/j8cb010b1_crj\.fits/);
    assert.match(text, /messages\/datasets-processed\/j8cb010b0/);
    assert.match(text, /exit code 0: EXIT - SUCCESS\[0\]/);
    assert.match(text, /^previews:\n(\s+\S+\.jpg\n?){10}/m);
    assert.match(text, /^calibrate\s+ok\s+[\d.]+/m);
  });
});

// `caldera fits …` end to end through the CLI entry point: outputs, --json shapes and exit codes.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fitsToBytes, Header, writeFits } from '../../src/fits/index.ts';
import { runCli } from '../helpers/cli.ts';
import { withTempDir } from '../helpers/tmp.ts';

function sample(dir: string, name = 'a.fits', scale = 1): string {
  const path = join(dir, name);
  writeFits(path, [
    { kind: 'image', header: Header.from([['OBJECT', 'test', 'target']]) },
    {
      kind: 'image',
      data: new Float32Array([1, 2, Number.NaN, 4 * scale, 5, 6]),
      naxes: [3, 2],
      name: 'SCI',
      ver: 1,
    },
    {
      kind: 'bintable',
      name: 'CAT',
      columns: [
        { name: 'ID', format: '1J', data: new Int32Array([1, 2]) },
        { name: 'NAME', format: '10A', data: ['alpha', 'beta, "b"'] },
        { name: 'FLUX', format: '1D', data: new Float64Array([1.5, 2.5]) },
      ],
    },
  ]);
  return path;
}

describe('caldera fits', () => {
  test('info lists HDUs, --json gives types and shapes', async () => {
    await withTempDir(async (dir) => {
      const f = sample(dir);
      const text = await runCli(['fits', 'info', f]);
      assert.equal(text.code, 0);
      assert.match(text.out, /SCI\s+1\s+IMAGE\s+\d+\s+\(2, 3\)\s+float32/);
      const json = JSON.parse((await runCli(['fits', 'info', f, '--json'])).out);
      assert.deepEqual(
        json.map((h: { type: string }) => h.type),
        ['PRIMARY', 'IMAGE', 'BINTABLE'],
      );
      assert.equal(json[2].rows, 2);
    });
  });

  test('header --json is [[key, value, comment]], -k filters', async () => {
    await withTempDir(async (dir) => {
      const r = await runCli(['fits', 'header', sample(dir), '--hdu', '0', '--json', '-k', 'OBJECT']);
      assert.deepEqual(JSON.parse(r.out), [['OBJECT', 'test', 'target']]);
      const byName = await runCli(['fits', 'header', sample(dir, 'b.fits'), '--hdu', 'SCI,1']);
      assert.match(byName.out, /^XTENSION= 'IMAGE {3}'/);
    });
  });

  test('stats ignores NaN', async () => {
    await withTempDir(async (dir) => {
      const r = JSON.parse((await runCli(['fits', 'stats', sample(dir), '--hdu', 'SCI', '--json'])).out);
      assert.deepEqual(r.shape, [2, 3]);
      assert.equal(r.n_nan, 1);
      assert.equal(r.sum, 18);
      assert.equal(r.min, 1);
      assert.equal(r.max, 6);
    });
  });

  test('table as JSON and CSV (quoted)', async () => {
    await withTempDir(async (dir) => {
      const f = sample(dir);
      const rows = JSON.parse((await runCli(['fits', 'table', f, '--hdu', 'CAT'])).out);
      assert.deepEqual(rows[0], { ID: 1, NAME: 'alpha', FLUX: 1.5 });
      const csv = (await runCli(['fits', 'table', f, '--format', 'csv', '--columns', 'ID,NAME'])).out
        .trim()
        .split('\n');
      assert.deepEqual(csv, ['ID,NAME', '1,alpha', '2,"beta, ""b"""']);
      const bad = await runCli(['fits', 'table', f, '--format', 'xml']);
      assert.equal(bad.code, 2);
    });
  });

  test('verify: 0 for a good file, 1 with located errors for a corrupted one', async () => {
    await withTempDir(async (dir) => {
      const f = sample(dir);
      assert.equal((await runCli(['fits', 'verify', f])).code, 0);
      const bytes = fitsToBytes([{ kind: 'image', data: new Int16Array([1, 2, 3]) }]);
      bytes[2880] ^= 1;
      const bad = join(dir, 'bad.fits');
      writeFileSync(bad, bytes);
      const r = await runCli(['fits', 'verify', bad, '--json']);
      assert.equal(r.code, 1);
      const report = JSON.parse(r.out);
      assert.ok(report.problems.some((p: { keyword?: string }) => p.keyword === 'DATASUM'));
    });
  });

  test('diff: 0 when equal within tolerance, 1 when different', async () => {
    await withTempDir(async (dir) => {
      const a = sample(dir, 'a.fits');
      const b = sample(dir, 'b.fits', 1.001);
      assert.equal((await runCli(['fits', 'diff', a, a])).code, 0);
      const d = await runCli(['fits', 'diff', a, b, '-k', 'CHECKSUM,DATASUM']);
      assert.equal(d.code, 1);
      assert.match(d.out, /Data differs at \[1, 0\]/);
      assert.equal(
        (await runCli(['fits', 'diff', a, b, '--rtol', '0.01', '-k', 'CHECKSUM,DATASUM'])).code,
        0,
      );
      assert.equal((await runCli(['fits', 'diff', a, b, '--rtol', 'x'])).code, 2);
    });
  });

  test('errors: missing file is exit 1 with a message, unknown command exit 2', async () => {
    const r = await runCli(['fits', 'info', '/nonexistent/x.fits']);
    assert.equal(r.code, 1);
    assert.match(r.err, /cannot open/);
    assert.equal((await runCli(['fits', 'frobnicate'])).code, 2);
    assert.equal((await runCli(['--help'])).code, 0);
  });
});

describe('caldera fits compress/decompress', () => {
  test('round trip restores the same data; funpack agrees when installed', async () => {
    await withTempDir(async (dir) => {
      const src = join(dir, 'in.fits');
      const sci = new Uint16Array(64 * 40).map((_, i) => 1000 + ((i * 7919) % 300));
      writeFits(src, [
        { kind: 'image', header: Header.from([['INSTRUME', 'ACS']]) },
        { kind: 'image', data: sci, naxes: [64, 40], name: 'SCI', ver: 1 },
      ]);
      const fz = join(dir, 'in.fits.fz');
      const packed = await runCli(['fits', 'compress', src, fz, '--json']);
      assert.equal(packed.code, 0, packed.err);
      assert.equal(JSON.parse(packed.out).compressed, 1);
      const info = JSON.parse((await runCli(['fits', 'info', fz, '--json'])).out);
      assert.equal(info[1].type, 'COMPRESSED_IMAGE');
      const back = join(dir, 'back.fits');
      assert.equal((await runCli(['fits', 'decompress', fz, back])).code, 0);
      const diff = await runCli(['fits', 'diff', src, back, '-k', 'CHECKSUM,DATASUM', '--ignore-comments']);
      assert.equal(diff.code, 0, diff.out);
      assert.equal((await runCli(['fits', 'verify', fz])).code, 0);
    });
  });

  test('bad options are usage errors (exit 2)', async () => {
    await withTempDir(async (dir) => {
      const src = join(dir, 'in.fits');
      writeFits(src, [{ kind: 'image', data: new Int16Array(4), naxes: [2, 2] }]);
      assert.equal((await runCli(['fits', 'compress', src, join(dir, 'o.fz'), '--type', 'ZIP'])).code, 2);
      assert.equal((await runCli(['fits', 'compress', src, join(dir, 'o.fz'), '--tile', '0,2'])).code, 2);
      assert.equal((await runCli(['fits', 'compress', src, join(dir, 'o.fz'), '--seed', '0'])).code, 2);
    });
  });
});

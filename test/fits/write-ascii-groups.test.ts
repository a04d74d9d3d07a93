// ASCII tables and random groups written by us read back identically, through our reader and
// through astropy, and pass fitsverify.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  FitsError,
  fitsToBytes,
  formatAsciiField,
  openFits,
  readGroups,
  readTable,
  verifyFits,
  writeFits,
} from '../../src/fits/index.ts';
import { hasCommand, runPython, skipUnlessAstropy } from '../helpers/python.ts';
import { withTempDir } from '../helpers/tmp.ts';

const asciiSpec = {
  kind: 'asciitable' as const,
  name: 'CAT',
  columns: [
    { name: 'NAME', format: 'A8', data: ['alpha', 'beta', "o'hara"] },
    { name: 'ID', format: 'I6', data: new Int32Array([1, -20, 300]) },
    { name: 'FLUX', format: 'F10.3', unit: 'Jy', data: new Float64Array([1.5, -0.25, 1234.5]) },
    { name: 'MAG', format: 'E12.4', data: new Float64Array([1.234e-5, Number.NaN, 6.02e23]), null: 'NULL' },
    { name: 'D', format: 'D14.6', data: new Float64Array([2.71234567, -2.5e-100, 0]) },
  ],
};

describe('ASCII tables', () => {
  test('round trip through our reader; blank fill; checksums verify', () => {
    const bytes = fitsToBytes([asciiSpec]);
    const f = openFits(bytes);
    const hdu = f.hdu('CAT');
    assert.equal(hdu.kind, 'TABLE');
    const t = readTable(hdu, { trimStrings: true });
    assert.deepEqual(t.column('NAME').values, ['alpha', 'beta', "o'hara"]);
    assert.deepEqual(Array.from(t.column('ID').values as ArrayLike<number>), [1, -20, 300]);
    assert.deepEqual(Array.from(t.column('FLUX').values as ArrayLike<number>), [1.5, -0.25, 1234.5]);
    const mag = Array.from(t.column('MAG').values as ArrayLike<number>);
    assert.ok(Math.abs(mag[0] - 1.234e-5) < 1e-9 && Math.abs(mag[2] / 6.02e23 - 1) < 1e-4);
    assert.equal(t.column('MAG').nulls?.[1], 1);
    const pad = hdu.readPaddedData().subarray(hdu.dataSize);
    assert.ok(
      pad.every((b) => b === 0x20),
      'ASCII table data are padded with blanks',
    );
    assert.equal(verifyFits(bytes).errors, 0);
  });

  test('values that do not fit are errors naming column and row', () => {
    assert.throws(
      () => fitsToBytes([{ kind: 'asciitable', columns: [{ name: 'X', format: 'I3', data: [1, 12345] }] }]),
      (e: unknown) =>
        e instanceof FitsError && /column 1 'X', row 1: value '12345' does not fit in I3/.test(e.message),
    );
    assert.equal(formatAsciiField(0.5, { code: 'E', width: 10, decimals: 3 }, ''), ' 5.000E-01');
    assert.equal(formatAsciiField(null, { code: 'I', width: 4 }, '-'), '-   ');
  });
});

describe('random groups', () => {
  test('round trip: parameters with PSCAL/PZERO and the arrays', () => {
    const data = new Int16Array(3 * 4 * 2).map((_, i) => i - 10);
    const bytes = fitsToBytes([
      {
        kind: 'groups',
        data,
        naxes: [4, 2],
        params: [
          { name: 'UU', values: [0.5, 1.0, 1.5], pscal: 0.5 },
          { name: 'VV', values: [100, 200, 300], pzero: 100 },
        ],
      },
    ]);
    const g = readGroups(openFits(bytes).hdus[0]);
    assert.equal(g.gcount, 3);
    assert.deepEqual(Array.from(g.params[0].values), [0.5, 1.0, 1.5]);
    assert.deepEqual(Array.from(g.params[1].values), [100, 200, 300]);
    assert.deepEqual(Array.from(g.data as Int16Array), Array.from(data));
    assert.equal(verifyFits(bytes).errors, 0);
    assert.throws(
      () => fitsToBytes([{ kind: 'image' }, { kind: 'groups', data, naxes: [4, 2], params: [] }]),
      /only be the primary/,
    );
  });
});

describe('interoperability', { skip: skipUnlessAstropy() }, () => {
  test('astropy reads our ASCII table and random groups; fitsverify passes them', async () => {
    await withTempDir(async (dir) => {
      const a = join(dir, 'ascii.fits');
      const g = join(dir, 'groups.fits');
      writeFits(a, [asciiSpec]);
      writeFits(g, [
        {
          kind: 'groups',
          data: new Float32Array(2 * 3).map((_, i) => i / 2),
          naxes: [3],
          params: [{ name: 'TIME', values: [10, 20] }],
        },
      ]);
      const out = JSON.parse(
        runPython(
          `
import sys, json
from astropy.io import fits
with fits.open(sys.argv[1], checksum=True) as f:
    t = f['CAT'].data
    r = {"names": [str(x) for x in t['NAME']], "ids": [int(x) for x in t['ID']], "flux": [float(x) for x in t['FLUX']], "d": float(t['D'][0])}
with fits.open(sys.argv[2], checksum=True) as f:
    r["time"] = [float(x) for x in f[0].data.par('TIME')]
    r["g1"] = [float(x) for x in f[0].data.data[1]]
print(json.dumps(r))`,
          [a, g],
        ),
      );
      assert.deepEqual(out.names, ['alpha', 'beta', "o'hara"]);
      assert.deepEqual(out.ids, [1, -20, 300]);
      assert.deepEqual(out.flux, [1.5, -0.25, 1234.5]);
      assert.ok(Math.abs(out.d - 2.71234567) < 1e-6);
      assert.deepEqual(out.time, [10, 20]);
      assert.deepEqual(out.g1, [1.5, 2, 2.5]);
      if (hasCommand('fitsverify')) {
        for (const p of [a, g]) {
          const v = spawnSync('fitsverify', ['-q', '-e', p], { encoding: 'utf8' });
          assert.match(v.stdout + v.stderr, /verification OK/, v.stdout + v.stderr);
        }
      }
    });
  });
});

// Writing: every image type round-trips exactly (property test), streamed writes equal whole ones,
// checksums verify, failures leave nothing under the final name, and astropy + fitsverify accept
// what we write.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  FitsError,
  FitsWriter,
  fitsToBytes,
  Header,
  type ImageArray,
  openFits,
  verifyFits,
  writeFits,
} from '../../src/fits/index.ts';
import { hasCommand, runPython, skipUnlessAstropy } from '../helpers/python.ts';
import { withTempDir } from '../helpers/tmp.ts';

const arrays = {
  u8: fc.uint8Array({ minLength: 1, maxLength: 300 }),
  i8: fc.int8Array({ minLength: 1, maxLength: 300 }),
  i16: fc.int16Array({ minLength: 1, maxLength: 300 }),
  u16: fc.uint16Array({ minLength: 1, maxLength: 300 }),
  i32: fc.int32Array({ minLength: 1, maxLength: 300 }),
  u32: fc.uint32Array({ minLength: 1, maxLength: 300 }),
  i64: fc.bigInt64Array({ minLength: 1, maxLength: 100 }),
  u64: fc.bigUint64Array({ minLength: 1, maxLength: 100 }),
  f32: fc.float32Array({ minLength: 1, maxLength: 300 }),
  f64: fc.float64Array({ minLength: 1, maxLength: 300 }),
};

function sameValues(a: ImageArray, b: ImageArray): boolean {
  if (a.constructor !== b.constructor || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i]) && !(a[i] === b[i])) return false;
  return true;
}

describe('image round trips', () => {
  for (const [name, arb] of Object.entries(arrays)) {
    test(`${name} images come back identical with the same array type`, () => {
      fc.assert(
        fc.property(arb, fc.integer({ min: 1, max: 4 }), (data: ImageArray, ncols) => {
          const nrows = Math.floor(data.length / ncols);
          if (nrows === 0) return;
          const sub = data.subarray(0, nrows * ncols) as ImageArray;
          const bytes = fitsToBytes([
            { kind: 'image', data: new Uint8Array(0) },
            { kind: 'image', data: sub, naxes: [ncols, nrows], name: 'SCI', ver: 2 },
          ]);
          const f = openFits(bytes);
          const img = f.hdu('SCI', 2).readImage();
          assert.deepEqual(img.naxes, [ncols, nrows]);
          assert.ok(sameValues(img.data, sub), `${name} values differ`);
          assert.equal(verifyFits(bytes).errors, 0);
        }),
        { numRuns: 60 },
      );
    });
  }

  test('floats stored as scaled 16-bit integers, NaN through BLANK', () => {
    const data = new Float64Array([0, 0.5, 1000.25, Number.NaN, -3.75]);
    const bytes = fitsToBytes([{ kind: 'image', data, bitpix: 16, bscale: 0.25, bzero: 100 }]);
    const f = openFits(bytes);
    const h = f.hdus[0].header;
    assert.equal(h.get('BITPIX'), 16);
    assert.equal(h.get('BSCALE'), 0.25);
    assert.equal(typeof h.get('BLANK'), 'number');
    const back = f.hdus[0].readImage({ type: 'float64' }).data as Float64Array;
    assert.deepEqual(Array.from(back), [0, 0.5, 1000.25, Number.NaN, -3.75]);
  });

  test('user cards are kept, structural ones rebuilt', () => {
    const header = Header.from([
      ['NAXIS', 7],
      ['OBJECT', 'M13', 'target'],
      ['HISTORY', 'made by a test'],
    ]);
    const bytes = fitsToBytes([{ kind: 'image', data: new Int16Array(6), naxes: [3, 2], header }]);
    const h = openFits(bytes).hdus[0].header;
    assert.deepEqual(
      h.cards.slice(0, 6).map((c) => c.key),
      ['SIMPLE', 'BITPIX', 'NAXIS', 'NAXIS1', 'NAXIS2', 'EXTEND'],
    );
    assert.equal(h.get('NAXIS'), 2);
    assert.equal(h.get('OBJECT'), 'M13');
    assert.equal(h.getAll('HISTORY').length, 1);
    assert.ok(h.has('CHECKSUM') && h.has('DATASUM'));
  });
});

describe('files', () => {
  test('streamed rows equal a whole write, and checksums verify', async () => {
    await withTempDir(async (dir) => {
      const w = 64;
      const h = 50;
      const all = new Float32Array(w * h).map((_, i) => Math.sin(i) * 1000);
      writeFits(join(dir, 'whole.fits'), [{ kind: 'image', data: all, naxes: [w, h] }]);
      const writer = FitsWriter.create(join(dir, 'stream.fits'));
      const stream = writer.beginImage({ kind: 'image', naxes: [w, h], sample: new Float32Array(0) });
      for (let y = 0; y < h; y += 7) stream.write(all.subarray(y * w, Math.min(h, y + 7) * w));
      stream.end();
      writer.close();
      const a = openFits(join(dir, 'whole.fits')).hdus[0].readRawData();
      const b = openFits(join(dir, 'stream.fits')).hdus[0].readRawData();
      assert.deepEqual(a, b);
      assert.equal(verifyFits(join(dir, 'stream.fits')).errors, 0);
      assert.deepEqual(readdirSync(dir).sort(), ['stream.fits', 'whole.fits']);
    });
  });

  test('a failed write leaves no file, not even a temporary one', async () => {
    await withTempDir(async (dir) => {
      const target = join(dir, 'out.fits');
      assert.throws(
        () => writeFits(target, [{ kind: 'image', data: new Float32Array(10), naxes: [3, 3] }]),
        (e: unknown) => e instanceof FitsError && /10 values/.test(e.message),
      );
      assert.deepEqual(readdirSync(dir), []);
      const writer = FitsWriter.create(target);
      const s = writer.beginImage({ kind: 'image', naxes: [4, 4], sample: new Int16Array(0) });
      s.write(new Int16Array(8));
      assert.throws(() => s.end(), /ended after 16 of 32 bytes/);
      writer.abort();
      assert.deepEqual(readdirSync(dir), []);
    });
  });

  test('noClobber refuses to replace an existing file', async () => {
    await withTempDir(async (dir) => {
      const target = join(dir, 'keep.fits');
      writeFileSync(target, 'precious');
      assert.throws(
        () => writeFits(target, [{ kind: 'image' }], { noClobber: true }),
        /overwriting was not allowed/,
      );
      assert.equal(existsSync(target), true);
      assert.deepEqual(readdirSync(dir), ['keep.fits']);
    });
  });
});

describe('interoperability', { skip: skipUnlessAstropy() }, () => {
  test('astropy reads what we write, checksums included; fitsverify passes it', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'mef.fits');
      const sci = new Uint16Array(40 * 30).map((_, i) => (i * 37) % 65536);
      const err = new Float32Array(40 * 30).map((_, i) => i / 7);
      const dq = new Int16Array(40 * 30).map((_, i) => (i % 5 === 0 ? 4 : 0));
      writeFits(path, [
        {
          kind: 'image',
          header: Header.from([
            ['INSTRUME', 'ACS'],
            ['LONGTXT', 'y'.repeat(100), 'long'],
          ]),
        },
        { kind: 'image', data: sci, naxes: [40, 30], name: 'SCI', ver: 1 },
        { kind: 'image', data: err, naxes: [40, 30], name: 'ERR', ver: 1 },
        { kind: 'image', data: dq, naxes: [40, 30], name: 'DQ', ver: 1 },
        {
          kind: 'image',
          data: new Float64Array([1.5, Number.NaN]),
          bitpix: 32,
          bscale: 0.5,
          bzero: 3,
          name: 'SCALED',
        },
      ]);
      const out = runPython(
        `
import sys, json, numpy as np
from astropy.io import fits
with fits.open(sys.argv[1], checksum=True) as f:
    r = {"n": len(f), "sci_dtype": str(f["SCI"].data.dtype), "sci_sum": int(f["SCI"].data.astype(np.int64).sum()),
         "err_sum": float(f["ERR"].data.astype(np.float64).sum()), "dq_max": int(f["DQ"].data.max()),
         "scaled": [None if np.isnan(v) else float(v) for v in f["SCALED"].data],
         "long": f[0].header["LONGTXT"], "inst": f[0].header["INSTRUME"]}
print(json.dumps(r))`,
        [path],
      );
      const r = JSON.parse(out);
      assert.equal(r.n, 5);
      assert.equal(r.sci_dtype, 'uint16');
      assert.equal(
        r.sci_sum,
        sci.reduce((a, b) => a + b, 0),
      );
      assert.ok(Math.abs(r.err_sum - err.reduce((a, b) => a + b, 0)) < 1e-3);
      assert.equal(r.dq_max, 4);
      assert.deepEqual(r.scaled, [1.5, null]);
      assert.equal(r.long, 'y'.repeat(100));
      assert.equal(r.inst, 'ACS');
      if (hasCommand('fitsverify')) {
        const v = spawnSync('fitsverify', ['-q', '-e', path], { encoding: 'utf8' });
        assert.match(v.stdout + v.stderr, /verification OK/, v.stdout + v.stderr);
      }
    });
  });
});

describe('updateHeaderKeywords', () => {
  test('sets, adds and deletes keywords; data untouched; checksum still verifies; no temp left', async () => {
    const { updateHeaderKeywords } = await import('../../src/fits/index.ts');
    await withTempDir(async (dir) => {
      const path = join(dir, 'u.fits');
      const data = new Int16Array(3000).map((_, i) => i);
      writeFits(path, [
        {
          kind: 'image',
          header: Header.from([
            ['BIASFILE', 'old', 'bias'],
            ['GONE', 1],
          ]),
        },
        { kind: 'image', data, naxes: [60, 50], name: 'SCI' },
      ]);
      // Enough new cards to push the header into a second block.
      const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`NEW${i}`, i]));
      updateHeaderKeywords(path, 0, { BIASFILE: 'jref$m4r1753rj_bia.fits', GONE: undefined, ...many });
      const f = openFits(path);
      assert.equal(f.hdus[0].header.get('BIASFILE'), 'jref$m4r1753rj_bia.fits');
      assert.equal(f.hdus[0].header.card('BIASFILE')?.comment, 'bias');
      assert.equal(f.hdus[0].header.has('GONE'), false);
      assert.equal(f.hdus[0].header.get('NEW39'), 39);
      assert.deepEqual(f.hdu('SCI').readImage().data, data);
      f.close();
      assert.equal(verifyFits(path).errors, 0);
      assert.deepEqual(readdirSync(dir), ['u.fits']);
      assert.throws(() => updateHeaderKeywords(path, 5, { A: 1 }), FitsError);
      assert.deepEqual(readdirSync(dir), ['u.fits']);
    });
  });
});

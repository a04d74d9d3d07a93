// Every tile-compressed image in ../shared/data/fits/{real,generated} against its oracle: funpack's
// decode (funpack_physical), the documented expectation for astropy_compressed_with_nan.fits
// (expected_physical), or astropy where funpack rejects an astropy-written file. Also the
// decompressed header against astropy's, sections against the whole image, and the PLIO file of
// unlabeled/ (which must read cleanly and, when astropy is installed, agree with it).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compressedImageHeader, type Hdu, openFits, readCompressedSection } from '../../src/fits/index.ts';
import { closeTo, statsOf, type TruthHdu, truthCases, truthNumber } from '../helpers/fits-truth.ts';
import { hasAstropy } from '../helpers/python.ts';
import { sharedPath, skipUnlessShared } from '../helpers/shared-data.ts';
import { astropyValues, CFITSIO_FLOAT_NAN, f64Sha, firstDifference, toNumbers } from './compress-helpers.ts';

const skip = skipUnlessShared('fits', 'truth');
const cases = skip
  ? []
  : truthCases().flatMap((c) =>
      c.truth.hdus.filter((h) => h.compressed).map((h) => ({ ...c, hdu: h as TruthHdu })),
    );

interface Oracle {
  name: string;
  sha: string;
  stats: {
    sum: number | string;
    min: number | string;
    max: number | string;
    mean: number | string;
    n_nan: number;
  };
}

/** The README's rule for which decode is the truth. */
function oracleOf(t: TruthHdu): Oracle {
  const im = t.image;
  if (im.expected_physical)
    return { name: 'expected_physical', sha: im.expected_physical.f64be_sha256, stats: im.expected_physical };
  if (im.funpack_physical)
    return { name: 'funpack_physical', sha: im.funpack_physical.f64be_sha256, stats: im.funpack_physical };
  return { name: 'astropy', sha: im.astropy_physical_f64be_sha256, stats: im.astropy_physical_stats };
}

/**
 * astropy (the oracle for the files funpack reads and for the three it rejects) scales 16-bit
 * integers in float32 arithmetic: float32(float32(v)·float32(BSCALE)) + float32(BZERO), each step
 * rounded. Our physical values are rounded once from double precision (the library's rule for
 * every image), which can differ in the last bit, so for scaled 16-bit images the digest is
 * compared against the stored values put through astropy's arithmetic.
 */
function astropyFloat32Physical(hdu: Hdu): Float64Array {
  const h = compressedImageHeader(hdu);
  const bscale = Math.fround(Number(h.get('BSCALE') ?? 1));
  const bzero = Math.fround(Number(h.get('BZERO') ?? 0));
  const raw = toNumbers(hdu.readImage({ type: 'raw' }).data);
  return raw.map((v) => Math.fround(Math.fround(Math.fround(v) * bscale) + bzero));
}

function cardsOf(hdu: Hdu): unknown[] {
  return compressedImageHeader(hdu)
    .entries()
    .map(([k, v, c]) => [k, typeof v === 'bigint' ? v.toString() : v, c]);
}

describe('tile-compressed images vs oracle', { skip }, () => {
  for (const c of cases) {
    test(`${c.name} HDU ${c.hdu.index} (${c.hdu.compressed.ZCMPTYPE})`, () => {
      const t = c.hdu;
      const oracle = oracleOf(t);
      using f = openFits(c.path);
      const hdu = f.hdu(t.index);
      assert.equal(hdu.kind, 'COMPRESSED_IMAGE');
      const img = hdu.readImage();
      assert.deepEqual(img.shape, t.image.shape, 'shape');
      assert.equal(img.bitpix, t.compressed.ZBITPIX, 'bitpix');
      const phys = toNumbers(img.data);
      const shas = [f64Sha(phys), f64Sha(phys, CFITSIO_FLOAT_NAN)];
      const scaled16 = img.bitpix === 16 && compressedImageHeader(hdu).has('BSCALE');
      if (scaled16) shas.push(f64Sha(astropyFloat32Physical(hdu)));
      assert.ok(shas.includes(oracle.sha), `f64be_sha256 differs from ${oracle.name}`);
      const s = statsOf(phys);
      const tol = scaled16 ? 1e-6 : 1e-12;
      assert.equal(s.nNaN, oracle.stats.n_nan, 'n_nan');
      assert.ok(closeTo(s.sum, truthNumber(oracle.stats.sum), tol), `sum ${s.sum} vs ${oracle.stats.sum}`);
      assert.ok(closeTo(s.mean, truthNumber(oracle.stats.mean), tol), 'mean');
      assert.ok(closeTo(s.min, truthNumber(oracle.stats.min), tol), 'min');
      assert.ok(closeTo(s.max, truthNumber(oracle.stats.max), tol), 'max');
      // Samples are astropy's: their physical values are the truth where astropy's scaled digest
      // is the oracle's; otherwise (astropy applied BZERO itself) their stored values still are.
      const flat = (pos: number[]) => pos.reduce((off, p, k) => off * img.shape[k] + p, 0);
      const samples = Object.entries(
        t.image.samples as Record<string, { stored: unknown; physical: unknown }>,
      );
      const usePhysical = oracle.name !== 'expected_physical' && t.image.scaled?.f64be_sha256 === oracle.sha;
      const raw = usePhysical || img.bitpix < 0 ? undefined : toNumbers(hdu.readImage({ type: 'raw' }).data);
      for (const [pos, v] of samples) {
        const at = flat(JSON.parse(pos) as number[]);
        if (usePhysical) {
          assert.ok(closeTo(phys[at], truthNumber(v.physical), 0), `sample ${pos} physical`);
        } else if (raw) {
          assert.equal(raw[at], truthNumber(v.stored), `sample ${pos} stored`);
        }
      }
      assert.deepEqual(cardsOf(hdu), t.image_cards, 'decompressed header cards');
    });

    test(`${c.name} HDU ${c.hdu.index}: sections equal the whole image`, () => {
      using f = openFits(c.path);
      const hdu = f.hdu(c.hdu.index);
      const whole = hdu.readImage({ type: 'float64' });
      const naxes = whole.naxes;
      // An interior box that straddles tile boundaries, plus a single pixel at the far corner.
      const boxes: [number[], number[]][] = [
        [
          naxes.map((n) => Math.floor(n / 3)),
          naxes.map((n) => Math.max(Math.floor(n / 3) + 1, Math.ceil((2 * n) / 3))),
        ],
        [naxes.map((n) => n - 1), naxes.map((n) => n)],
      ];
      for (const [start, end] of boxes) {
        const sec = readCompressedSection(hdu, start, end, { type: 'float64' });
        const viaHdu = hdu.readSection(start, end, { type: 'float64' });
        assert.deepEqual(
          sec.naxes,
          end.map((e, i) => e - start[i]),
        );
        const expected: number[] = [];
        const idx = [...start];
        for (;;) {
          let off = 0;
          let stride = 1;
          for (let a = 0; a < naxes.length; a++) {
            off += idx[a] * stride;
            stride *= naxes[a];
          }
          expected.push((whole.data as Float64Array)[off]);
          let a = 0;
          for (; a < idx.length; a++) {
            if (++idx[a] < end[a]) break;
            idx[a] = start[a];
          }
          if (a === idx.length) break;
        }
        assert.equal(firstDifference(sec.data as Float64Array, expected), -1, `section [${start}]..[${end}]`);
        assert.equal(firstDifference(viaHdu.data as Float64Array, expected), -1, 'Hdu.readSection');
      }
    });
  }
});

describe('unlabeled PLIO_1 image', () => {
  const path = sharedPath('fits', 'unlabeled', 'astropy_m13_plio.fits');
  test('astropy_m13_plio.fits reads cleanly', {
    skip: path ? false : skipUnlessShared('fits', 'unlabeled'),
  }, () => {
    using f = openFits(path as string);
    const hdu = f.hdus.find((h) => h.kind === 'COMPRESSED_IMAGE');
    assert.ok(hdu, 'has a compressed HDU');
    const img = hdu.readImage();
    assert.deepEqual(img.naxes, [300, 300]);
    assert.equal(img.data.length, 90000);
    const s = statsOf(toNumbers(img.data));
    assert.equal(s.nNaN, 0);
    assert.ok(s.min >= 0, 'PLIO values are non-negative');
    if (hasAstropy()) {
      const want = astropyValues(path as string, hdu.index);
      assert.equal(firstDifference(toNumbers(img.data), want), -1, 'agrees with astropy');
    }
  });
});

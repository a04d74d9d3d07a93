// Our compressed output read by the established tools: cfitsio's funpack (Debian libcfitsio-bin)
// and astropy (Debian python3-astropy) must decode it to exactly what we decode. Skips when the
// tools are absent. Known oracle faults are avoided, not tested: astropy 5.2.1 ignores ZBLANK in
// quantized tiles, and funpack 4.2.0 mangles rows of 2-D-tiled quantized images with nulls.
// NOCOMPRESS (tiles in UNCOMPRESSED_DATA, as fpack -d writes) is read by funpack; astropy 5.2.1
// does not know that type, so it is checked against funpack only.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type CompressOptions, compressImage, type ImageArray, openFits } from '../../src/fits/index.ts';
import { hasAstropy } from '../helpers/python.ts';
import { withTempDir } from '../helpers/tmp.ts';
import {
  astropyValuesMany,
  firstDifference,
  fitsWith,
  funpack,
  hasFunpack,
  toNumbers,
} from './compress-helpers.ts';

const NX = 157;
const NY = 61;

function noise(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
}

function sample(kind: string, withNaN: boolean): ImageArray {
  const r = noise(42);
  const base = (i: number) => 1000 + 40 * Math.sin(i / 37) + (r() - 0.5) * 30 + (i % 997 === 0 ? 20000 : 0);
  const n = NX * NY;
  switch (kind) {
    case 'u8':
      return Uint8Array.from({ length: n }, (_, i) => base(i) & 0xff);
    case 'i16':
      return Int16Array.from({ length: n }, (_, i) => Math.round(base(i)) - 1200);
    case 'u16':
      return Uint16Array.from({ length: n }, (_, i) => Math.round(base(i)) + 40000);
    case 'i32':
      return Int32Array.from({ length: n }, (_, i) => Math.round(base(i) * 1e5));
    default: {
      const a = kind === 'f64' ? new Float64Array(n) : new Float32Array(n);
      for (let i = 0; i < n; i++) a[i] = base(i) / 7;
      if (withNaN) for (let i = 3; i < n; i += 501) a[i] = Number.NaN;
      return a;
    }
  }
}

interface Case {
  name: string;
  kind: string;
  options: CompressOptions;
  nulls?: boolean;
}

const cases: Case[] = [];
for (const type of ['RICE_1', 'GZIP_1', 'GZIP_2'] as const) {
  for (const kind of ['u8', 'i16', 'u16', 'i32']) {
    cases.push({ name: `${kind} ${type} rows`, kind, options: { type } });
    cases.push({ name: `${kind} ${type} 2-D tiles`, kind, options: { type, tile: [40, 16] } });
  }
  for (const kind of ['f32', 'f64']) {
    for (const dither of ['NO_DITHER', 'SUBTRACTIVE_DITHER_1', 'SUBTRACTIVE_DITHER_2'] as const) {
      cases.push({
        name: `${kind} ${type} q=4 ${dither} 2-D tiles`,
        kind,
        options: { type, dither, seed: 77, tile: [40, 16] },
      });
      cases.push({
        name: `${kind} ${type} q=4 ${dither} rows, nulls`,
        kind,
        options: { type, dither, seed: 9999 },
        nulls: true,
      });
    }
    if (type !== 'RICE_1')
      cases.push({ name: `${kind} ${type} lossless`, kind, options: { type, quantize: 0, tile: [40, 16] } });
  }
}

const skipFunpack = hasFunpack() ? false : 'Debian funpack absent (apt-get install libcfitsio-bin)';
const skipAstropy = hasAstropy() ? false : 'Debian python3-astropy absent';

describe('funpack decodes our output identically', { skip: skipFunpack }, () => {
  for (const c of cases) {
    const twoDNulls = c.nulls && c.options.tile !== undefined;
    test(c.name, { skip: twoDNulls ? 'funpack 4.2.0 mangles 2-D tiles with nulls' : false }, async () => {
      await withTempDir(async (dir) => {
        const data = sample(c.kind, c.nulls ?? false);
        const path = join(dir, 'x.fits.fz');
        writeFileSync(path, fitsWith([compressImage({ data, naxes: [NX, NY] }, c.options)]));
        using ours = openFits(path);
        const mine = toNumbers(ours.hdu(1).readImage().data);
        using theirs = openFits(funpack(path));
        const img = theirs.hdu(theirs.length - 1).readImage();
        assert.deepEqual(img.naxes, [NX, NY]);
        assert.equal(firstDifference(toNumbers(img.data), mine), -1);
      });
    });
  }
});

describe('astropy decodes our output identically', { skip: skipAstropy }, () => {
  // One python process for every case: astropy's start-up would otherwise dominate.
  test('all cases without nulls', async () => {
    await withTempDir(async (dir) => {
      const run = cases.filter((c) => !c.nulls && c.options.type !== 'NOCOMPRESS');
      const mine = run.map((c, i) => {
        const path = join(dir, `x${i}.fits.fz`);
        writeFileSync(
          path,
          fitsWith([compressImage({ data: sample(c.kind, false), naxes: [NX, NY] }, c.options)]),
        );
        using f = openFits(path);
        return { c, path, values: toNumbers(f.hdu(1).readImage().data) };
      });
      const theirs = astropyValuesMany(mine.map((m) => m.path));
      assert.equal(theirs.length, mine.length);
      for (const [i, m] of mine.entries()) assert.equal(firstDifference(theirs[i], m.values), -1, m.c.name);
    });
  });
});

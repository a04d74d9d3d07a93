// Previews decoded back with sharp: native size and 128-px thumbnails, the 0.5-99.5 % asinh
// stretch, flagged DQ pixels left out of the clip, FITS rows shown bottom-up, both chips mosaicked
// in detector layout (chip 1 above chip 2).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { type HduSpec, writeFits } from '../../src/fits/index.ts';
import {
  asinhLut,
  clipLimits,
  createPreview,
  mosaic,
  percentileSorted,
  readChips,
} from '../../src/preview/index.ts';
import { withTempDir } from '../helpers/tmp.ts';

const NX = 300;
const NY = 100;

/** Two WFC-like chips: SCI,1 is CCDCHIP 2 (values 0..999 ramp), SCI,2 is CCDCHIP 1 (constant 5000). */
function twoChipFile(path: string, opts: { flagHot?: boolean } = {}): void {
  const ramp = new Float32Array(NX * NY);
  for (let i = 0; i < ramp.length; i++) ramp[i] = (i * 999) / (ramp.length - 1);
  const dq = new Int16Array(NX * NY);
  if (opts.flagHot) {
    for (let i = 0; i < ramp.length; i += 7) {
      ramp[i] = 1e7;
      dq[i] = 16;
    }
  }
  const flat = new Float32Array(NX * NY).fill(5000);
  const hdus: HduSpec[] = [
    { kind: 'image', header: [['SDQFLAGS', 31743]] },
    { kind: 'image', name: 'SCI', ver: 1, data: ramp, naxes: [NX, NY], header: [['CCDCHIP', 2]] },
    { kind: 'image', name: 'DQ', ver: 1, data: dq, naxes: [NX, NY] },
    { kind: 'image', name: 'SCI', ver: 2, data: flat, naxes: [NX, NY], header: [['CCDCHIP', 1]] },
  ];
  writeFits(path, hdus);
}

async function gray(path: string): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(path).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

describe('stretch', () => {
  it('clips at the 0.5 and 99.5 percentiles of good, finite pixels', () => {
    const data = new Float32Array(10001);
    for (let i = 0; i < data.length; i++) data[i] = i;
    data[5] = Number.NaN;
    const bad = new Uint16Array(data.length);
    bad[10000] = 4;
    bad[20] = 1024; // a bit outside the flags: kept
    const lim = clipLimits([{ data, dq: bad, flags: 31743 }], { maxSamples: 1e6 });
    const good = Float32Array.from(
      [...data].filter((v, i) => Number.isFinite(v) && !(bad[i] & 31743)),
    ).sort();
    assert.equal(lim.lo, percentileSorted(good, 0.5));
    assert.equal(lim.hi, percentileSorted(good, 99.5));
    assert.equal(lim.samples, 9999);
  });
  it('asinh curve: 0 → 0, 1 → 255, brightens faint levels', () => {
    const lut = asinhLut(10);
    assert.equal(lut[0], 0);
    assert.equal(lut[lut.length - 1], 255);
    assert.ok(
      lut[Math.round(lut.length * 0.1)] > 0.25 * 255,
      'a tenth of the range is well above a tenth of the grey scale',
    );
  });
});

describe('createPreview', () => {
  it('writes <base>.jpg at native size and a 128-px _thumb.jpg, chips in detector layout', async () => {
    await withTempDir(async (dir) => {
      const f = join(dir, 'jtest0001_flt.fits');
      twoChipFile(f);
      const r = await createPreview(f, dir);
      assert.equal(r.jpg, join(dir, 'jtest0001_flt.jpg'));
      assert.equal(r.thumb, join(dir, 'jtest0001_flt_thumb.jpg'));
      assert.deepEqual([r.width, r.height], [NX, 2 * NY]);
      assert.deepEqual(r.chips, [1, 2], 'chip 1 on top');
      const meta = await sharp(r.jpg).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', NX, 2 * NY]);
      const tm = await sharp(r.thumb).metadata();
      assert.equal(Math.max(tm.width!, tm.height!), 128);
      assert.equal(tm.width, 128);
      assert.equal(tm.height, Math.round((128 * 2 * NY) / NX));
      const img = await gray(r.jpg);
      const at = (x: number, y: number) => img.data[y * img.width + x];
      // top half = chip 1 (5000, above the clip: white); bottom half = chip 2's ramp.
      assert.ok(at(150, 50) >= 250, `chip 1 is white, got ${at(150, 50)}`);
      // FITS row 0 of chip 2 is the picture's bottom row: darkest there, brighter going up.
      assert.ok(at(5, 2 * NY - 1) <= 3, `bottom-left is black, got ${at(5, 2 * NY - 1)}`);
      assert.ok(at(150, NY + 50) > at(150, 2 * NY - 5));
      // stretch of a mid-ramp pixel matches the asinh of its clipped value (JPEG tolerance)
      const lim = r.limits;
      const y = 60;
      const v = ((y * NX + 150) * 999) / (NX * NY - 1);
      const t = (v - lim.lo) / (lim.hi - lim.lo);
      const want = (Math.asinh(10 * t) / Math.asinh(10)) * 255;
      assert.ok(
        Math.abs(at(150, 2 * NY - 1 - y) - want) <= 4,
        `got ${at(150, 2 * NY - 1 - y)} want ${want.toFixed(1)}`,
      );
    });
  });

  it('flagged DQ pixels do not move the clip', async () => {
    await withTempDir(async (dir) => {
      const a = join(dir, 'a_flt.fits');
      const b = join(dir, 'b_flt.fits');
      twoChipFile(a);
      twoChipFile(b, { flagHot: true });
      const la = mosaic(readChips(a)).limits;
      const lb = mosaic(readChips(b)).limits;
      assert.ok(Math.abs(la.hi - lb.hi) < 20, `${la.hi} vs ${lb.hi}`);
      assert.ok(lb.hi < 1e6);
    });
  });

  it('a single-chip image and a file without images', async () => {
    await withTempDir(async (dir) => {
      const one = join(dir, 'one_raw.fits');
      writeFits(one, [{ kind: 'image', data: new Float32Array(64 * 32).map((_, i) => i), naxes: [64, 32] }]);
      const r = await createPreview(one, dir);
      assert.deepEqual([r.width, r.height, r.thumbWidth, r.thumbHeight], [64, 32, 128, 64]);
      const none = join(dir, 'none_raw.fits');
      writeFits(none, [{ kind: 'image' }]);
      await assert.rejects(createPreview(none, dir), (e: { exitCode: number }) => e.exitCode === 28);
    });
  });
});

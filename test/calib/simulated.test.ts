// The chain against the simulator's ground truth: a small ACS/WFC CR-SPLIT pair through
// calibrate(), checked pixel by pixel against the noise-free scene, the injected cosmic rays and
// the bad-pixel truth; plus single exposures of ACS/HRC and WFC3/UVIS.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { type CalibrateResult, calibrate, type SimulateResult, simulate } from '../../src/calib/index.ts';
import { makeTempDir } from '../helpers/tmp.ts';
import { readPlane, readPlanes, residualStats, withFile } from './helpers.ts';

const SERIOUS = 31743;
const BADINPDQ = 39;

describe('ACS/WFC CR-SPLIT association (simulated, small)', () => {
  let dir: string;
  let sim: SimulateResult;
  let cal: CalibrateResult;
  before(async () => {
    dir = await makeTempDir();
    sim = simulate('jtst01010', {
      outDir: dir,
      instrument: 'acs-wfc',
      exposures: 2,
      seed: 11,
      size: 'small',
    });
    cal = await calibrate(sim.asn!, { crdsPath: sim.crdsPath, context: sim.pmap, workers: 2 });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('every switch ends COMPLETE, SKIPPED or stays OMIT; products are flt ×2 and crj', () => {
    for (const [k, v] of Object.entries(cal.switches))
      assert.ok(['COMPLETE', 'SKIPPED', 'OMIT'].includes(v), `${k}=${v}`);
    assert.equal(cal.switches.CRCORR, 'COMPLETE');
    assert.equal(cal.switches.BLEVCORR, 'COMPLETE');
    assert.deepEqual(
      cal.products.map((p) => p.kind),
      ['flt', 'flt', 'crj'],
    );
    for (const p of cal.products) {
      withFile(p.path!, (f) => {
        assert.deepEqual(
          f.hdus.map((h) => `${h.name},${h.ver}`),
          ['PRIMARY,1', 'SCI,1', 'ERR,1', 'DQ,1', 'SCI,2', 'ERR,2', 'DQ,2'],
        );
        const ph = f.hdus[0].header;
        assert.equal(ph.string('DARKCORR'), 'COMPLETE');
        assert.ok(ph.getAll('HISTORY').length >= 8);
        assert.equal(f.hdu('SCI', 1).header.number('CCDCHIP'), 2, 'SCI,1 is chip 2 as in calacs');
        assert.equal(f.hdu('SCI', 1).header.string('BUNIT'), 'ELECTRONS');
        assert.ok(f.hdu('SCI', 1).header.number('PHOTFLAM') > 0);
        assert.ok(f.hdu('SCI', 2).header.number('NGOODPIX') > 0.9 * 512 * 256);
        assert.ok(ph.number('ATODGNA') > 1.9 && ph.number('READNSEA') > 3);
      });
    }
    assert.match(cal.trailer, /BLEVCORR\s+COMPLETE/);
    assert.match(cal.trailer, /CRCORR\s+COMPLETE/);
  });

  test('fitted bias levels follow the simulated amp levels', () => {
    // Small frames have 276 rows: the slope is known to ~5e-4 DN/row (1σ), the level to ~0.05 DN.
    const flt = cal.products[0];
    for (const [ci, c] of flt.chips.entries()) {
      for (const b of c.ampBias) {
        const truth = sim.chips[ci].biasLevels.find((x) => x.amp === b.amp)!;
        const mid = (b.mean - b.intercept) / (b.slope || 1);
        const expected = truth.a + truth.b * (b.slope ? mid : 0);
        assert.equal(b.source, 'overscan');
        assert.ok(Math.abs(b.intercept - truth.a) < 0.4, `${b.amp}: ${b.intercept} vs ${truth.a}`);
        assert.ok(Math.abs(b.mean - expected) < 0.25, `${b.amp}: mean ${b.mean} vs ${expected}`);
        assert.ok(Math.abs(b.slope - truth.b) < 2.5e-3, `${b.amp}: slope ${b.slope} vs ${truth.b}`);
      }
    }
  });

  test('flt SCI matches the truth within the noise (median ±0.1, spread 1.0 ± 0.1)', () => {
    for (const [j, e] of sim.exposures.entries()) {
      for (const ver of [1, 2]) {
        const p = readPlanes(cal.products[j].path!, ver);
        const scene = readPlane(e.truth, 'SCENE', ver);
        const crdep = readPlane(e.truth, 'CRDEP', ver);
        const s = residualStats(p, scene, (i) => crdep[i] === 0 && (p.dq[i] & (SERIOUS | 8192)) === 0);
        assert.ok(s.n > 0.9 * p.sci.length, `n=${s.n}`);
        assert.ok(Math.abs(s.median) < 0.1, `median ${s.median}`);
        assert.ok(Math.abs(s.spread - 1) < 0.1, `spread ${s.spread}`);
      }
    }
  });

  test('crj SCI matches the summed truth within the noise', () => {
    const crj = cal.products[2];
    assert.equal(crj.ncombine, 2);
    for (const ver of [1, 2]) {
      const p = readPlanes(crj.path!, ver);
      const a = readPlane(sim.exposures[0].truth, 'SCENE', ver);
      const b = readPlane(sim.exposures[1].truth, 'SCENE', ver);
      const truth = a.map((v, i) => v + b[i]);
      const s = residualStats(p, truth, (i) => (p.dq[i] & (SERIOUS | 8192)) === 0);
      assert.ok(Math.abs(s.median) < 0.1, `median ${s.median}`);
      assert.ok(Math.abs(s.spread - 1) < 0.1, `spread ${s.spread}`);
    }
  });

  test('star fluxes in the crj are within 1 % of the injected fluxes', () => {
    // Aperture sums of SCI against the same sums of the truth (sky and neighbours cancel), as a
    // fraction of the star's injected flux; bright stars (S/N > 300) without flagged pixels.
    const crj = cal.products[2];
    const total = sim.exposures.reduce((s, e) => s + e.exptime, 0);
    let checked = 0;
    for (const [ci, chip] of sim.chips.entries()) {
      const p = readPlanes(crj.path!, ci + 1);
      const a = readPlane(sim.exposures[0].truth, 'SCENE', ci + 1);
      const b = readPlane(sim.exposures[1].truth, 'SCENE', ci + 1);
      for (const star of chip.stars) {
        const flux = star.rate * total;
        const r = 5;
        let sum = 0;
        let truth = 0;
        let v = 0;
        let bad = false;
        for (let y = Math.round(star.y) - r; y <= Math.round(star.y) + r; y++) {
          for (let x = Math.round(star.x) - r; x <= Math.round(star.x) + r; x++) {
            const i = y * p.nx + x;
            if (x < 0 || y < 0 || x >= p.nx || y >= p.ny || p.dq[i] & (SERIOUS | 8192)) {
              bad = true;
              continue;
            }
            sum += p.sci[i];
            truth += a[i] + b[i];
            v += p.err[i] ** 2;
          }
        }
        if (bad || flux / Math.sqrt(v) < 300) continue;
        checked++;
        assert.ok(
          Math.abs((sum - truth) / flux) < 0.01,
          `star at ${star.x.toFixed(1)},${star.y.toFixed(1)}: ${sum - truth} e- off on ${flux}`,
        );
      }
    }
    assert.ok(checked >= 5, `only ${checked} bright unflagged stars to check`);
  });

  test('cosmic rays: ≥ 99 % of injected events flagged 8192, < 0.1 % of clean pixels rejected', () => {
    let events = 0;
    let found = 0;
    let clean = 0;
    let cleanHit = 0;
    for (const [j, e] of sim.exposures.entries()) {
      for (const ver of [1, 2]) {
        const p = readPlanes(cal.products[j].path!, ver);
        const crdep = readPlane(e.truth, 'CRDEP', ver);
        for (const c of e.cosmicRays[ver - 1]) {
          const i = c.y * p.nx + c.x;
          if (p.dq[i] & BADINPDQ) continue;
          events++;
          if (p.dq[i] & 8192) found++;
        }
        for (let i = 0; i < crdep.length; i++) {
          if (crdep[i] > 0) continue;
          clean++;
          if (p.dq[i] & 8192) cleanHit++;
        }
      }
    }
    assert.ok(events > 100, `${events} events`);
    assert.ok(found / events >= 0.99, `${found}/${events} events flagged`);
    assert.ok(cleanHit / clean < 0.001, `${cleanHit}/${clean} clean pixels rejected`);
    const crj = cal.products[2];
    assert.ok(crj.rejRate! > 0);
    withFile(crj.path!, (f) => assert.ok(f.hdus[0].header.number('REJ_RATE') > 0));
  });

  test('bad pixels carry their DQ bits (bad columns 4, zero flat 512, saturation 256)', () => {
    for (const [j, e] of sim.exposures.entries()) {
      for (const ver of [1, 2]) {
        const p = readPlanes(cal.products[j].path!, ver);
        const mask = readPlane(e.truth, 'DQMASK', ver);
        const scene = readPlane(e.truth, 'SCENE', ver);
        for (let i = 0; i < mask.length; i++) {
          const m = mask[i];
          for (const bit of [4, 512, 2048])
            if (m & bit) assert.ok(p.dq[i] & bit, `pixel ${i}: bit ${bit} missing (dq ${p.dq[i]})`);
          if (m & 256 && scene[i] > 1.05 * sim.saturate) {
            assert.ok(p.dq[i] & 256, `pixel ${i} saturated in truth but DQ ${p.dq[i]}`);
          }
        }
      }
    }
  });
});

describe('single exposures of the other detectors (simulated, small)', () => {
  for (const instrument of ['acs-hrc', 'wfc3-uvis'] as const) {
    test(`${instrument}: flt residuals within the noise, trimmed size, switches done`, async () => {
      const dir = await makeTempDir();
      try {
        const sim = simulate(instrument === 'acs-hrc' ? 'jtst02q' : 'itst03q', {
          outDir: dir,
          instrument,
          exposures: 1,
          seed: 5,
          size: 'small',
        });
        const cal = await calibrate(sim.exposures[0].raw, {
          crdsPath: sim.crdsPath,
          context: sim.pmap,
          workers: 0,
        });
        assert.equal(cal.switches.CRCORR, 'OMIT');
        assert.equal(cal.switches.FLATCORR, 'COMPLETE');
        const flt = cal.products[0];
        assert.equal(flt.chips.length, instrument === 'acs-hrc' ? 1 : 2);
        for (const c of flt.chips) {
          const p = readPlanes(flt.path!, c.ver);
          assert.equal(p.nx, instrument === 'acs-hrc' ? 256 : 512);
          const scene = readPlane(sim.exposures[0].truth, 'SCENE', c.ver);
          const crdep = readPlane(sim.exposures[0].truth, 'CRDEP', c.ver);
          const s = residualStats(p, scene, (i) => crdep[i] === 0 && (p.dq[i] & SERIOUS) === 0);
          assert.ok(Math.abs(s.median) < 0.1 && Math.abs(s.spread - 1) < 0.1, JSON.stringify(s));
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});

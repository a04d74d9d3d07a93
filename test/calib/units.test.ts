// The step units on typed arrays: robust statistics, geometry, overscan fit, the CCD pass, the
// 2-D pass, BPIXTAB runs, reference placement and cosmic-ray rejection.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Header } from '../../src/fits/index.ts';
import {
  applyBpix,
  CalibError,
  type ChipArrays,
  ccdPass,
  chipGeometry,
  clippedLineFit,
  crReject,
  DEFAULT_OSCN,
  darktimeOf,
  DQ_ATODSAT,
  DQ_BADFLAT,
  DQ_CR,
  DQ_SATURATED,
  measureAmpBias,
  median,
  placeRef,
  Rng,
  runJob,
  type TwoDResult,
  twoDPass,
} from '../../src/calib/index.ts';

describe('robust statistics', () => {
  test('median of odd and even counts', () => {
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
    const rng = new Rng(3);
    const xs = Array.from({ length: 1001 }, () => rng.normal());
    const sorted = [...xs].sort((a, b) => a - b);
    assert.equal(median(xs), sorted[500]);
  });

  test('clipped line fit ignores outliers', () => {
    const x = Array.from({ length: 200 }, (_, i) => i);
    const rng = new Rng(1);
    const y = x.map((v) => 100 - 0.01 * v + 0.1 * rng.normal());
    y[17] = 500;
    y[150] = -300;
    const f = clippedLineFit(x, y)!;
    assert.ok(Math.abs(f.slope + 0.01) < 1e-3, `slope ${f.slope}`);
    assert.ok(Math.abs(f.intercept - 100) < 0.05);
    assert.ok(f.rejected >= 2);
  });
});

describe('geometry', () => {
  test('documented layouts trim to the science areas', () => {
    const wfc = chipGeometry(DEFAULT_OSCN.WFC[0], ['C', 'D']);
    assert.deepEqual([wfc.outNx, wfc.outNy, wfc.rowStart], [4096, 2048, 0]);
    assert.deepEqual(
      wfc.amps.map((a) => [a.srcX0, a.outX0, a.width]),
      [
        [24, 0, 2048],
        [2072, 2048, 2048],
      ],
    );
    const wfc1 = chipGeometry(DEFAULT_OSCN.WFC[1], ['A', 'B']);
    assert.equal(wfc1.rowStart, 20);
    const hrc = chipGeometry(DEFAULT_OSCN.HRC[2], ['C']);
    assert.deepEqual([hrc.outNx, hrc.outNy], [1024, 1024]);
    const uvis = chipGeometry(DEFAULT_OSCN.UVIS[0], ['C', 'D']);
    assert.deepEqual([uvis.outNx, uvis.outNy], [4096, 2051]);
    assert.equal(uvis.amps[1].srcX0, 2103 + 30, 'right amp starts after the serial virtual overscan');
  });

  test('a reference that does not cover the chip is refused with E_CALIB_REF_SIZE', () => {
    const g = chipGeometry(DEFAULT_OSCN.HRC[2], ['C']);
    const small = {
      data: new Float32Array(100 * 100),
      nx: 100,
      ny: 100,
      ltv1: 0,
      ltv2: 0,
      file: 'x_drk.fits',
    };
    assert.throws(
      () => placeRef(small, g, [19, 0], 'DARKCORR'),
      (e: unknown) =>
        e instanceof CalibError &&
        e.code === 'E_CALIB_REF_SIZE' &&
        e.step === 'DARKCORR' &&
        e.message.includes('x_drk.fits'),
    );
    const full = { ...small, data: new Float32Array(1024 * 1024), nx: 1024, ny: 1024 };
    assert.deepEqual(placeRef(full, g, [19, 0], 'DARKCORR'), { ref: full, space: 'out', dx: 0, dy: 0 });
  });
});

/** A synthetic 2-amp raw chip: level a + b·row per amp, Gaussian read noise, flat sky. */
function syntheticChip(rng: Rng, sky: number) {
  const row = {
    ...DEFAULT_OSCN.WFC[0],
    nx: 560,
    ny: 2068,
    biassectb1: 539,
    biassectb2: 558,
    vx2: 536,
    vy1: 2051,
    vy2: 2066,
  };
  const g = chipGeometry(row, ['C', 'D']);
  const levels = [
    { a: 2200, b: -3e-4 },
    { a: 2300, b: 5e-4 },
  ];
  const raw = new Uint16Array(g.nx * g.ny);
  for (let y = 0; y < g.ny; y++) {
    for (let x = 0; x < g.nx; x++) {
      const amp = x < g.nx / 2 ? 0 : 1;
      const inSci = y < 2048 && x >= 24 && x < g.nx - 24;
      raw[y * g.nx + x] = Math.round(
        levels[amp].a + levels[amp].b * y + 2 * rng.normal() + (inSci ? sky / 2 : 0),
      );
    }
  }
  return { g, raw, levels };
}

describe('BLEVCORR and the CCD pass', () => {
  test('overscan fit recovers level and row drift; CCD pass removes them', () => {
    const rng = new Rng(9);
    const { g, raw, levels } = syntheticChip(rng, 100);
    raw[5 * g.nx + 10] = 65535; // a saturated overscan pixel is ignored
    const fits = g.amps.map((_, i) => measureAmpBias(raw, g, i, { atodsat: 65535, fallbackLevel: 0 }));
    fits.forEach((f, i) => {
      assert.equal(f.source, 'overscan');
      assert.ok(Math.abs(f.intercept - levels[i].a) < 0.1, `${f.intercept}`);
      assert.ok(Math.abs(f.slope - levels[i].b) < 1e-4, `${f.slope}`);
    });
    raw[100 * g.nx + 300] = 65535;
    const { arrays, counts } = ccdPass({
      raw,
      geom: g,
      amps: fits.map((f) => ({ gain: 2, readnoise: 4, rowLevel: f.rowLevel, colDrift: f.colDrift })),
      rawDq: 0,
      rawErr: 0,
      atodsat: 65535,
      saturate: 50000,
      noise: true,
    });
    assert.equal(counts.atodsat, 1);
    assert.ok(arrays.dq[100 * 512 + 300 - 24] & DQ_ATODSAT);
    assert.ok(arrays.dq[100 * 512 + 300 - 24] & DQ_SATURATED);
    let sum = 0;
    for (let i = 0; i < arrays.sci.length; i++) if (!arrays.dq[i]) sum += arrays.sci[i];
    const mean = sum / (arrays.sci.length - 1);
    assert.ok(Math.abs(mean - 100) < 0.5, `mean ${mean}`);
    // ERR = sqrt(sky + rn²) within rounding of the sky to DN
    assert.ok(Math.abs(arrays.err[1000] - Math.sqrt(arrays.sci[1000] + 16)) < 1e-3);
  });

  test('the general kernel and the fast kernel give the same pixels and statistics', () => {
    const rng = new Rng(5);
    const { g, raw } = syntheticChip(rng, 300);
    const fits = g.amps.map((_, i) => measureAmpBias(raw, g, i, { atodsat: 65535, fallbackLevel: 0 }));
    raw[200 * g.nx + 100] = 65535;
    const post = { darktime: 0, flashdur: 0, exptime: 100, sdqflags: 31743 };
    const input = {
      raw,
      geom: g,
      amps: fits.map((f) => ({ gain: 2, readnoise: 4, rowLevel: f.rowLevel, colDrift: f.colDrift })),
      rawErr: 0,
      atodsat: 65535,
      saturate: 50000,
      noise: true,
    };
    // A constant raw DQ takes the fast kernel; a (zero) raw DQ array forces the general one.
    const fast = ccdPass({ ...input, rawDq: 0 }, post);
    const general = ccdPass({ ...input, rawDq: new Uint16Array(raw.length) }, post);
    assert.deepEqual(general.arrays.sci, fast.arrays.sci);
    assert.deepEqual(general.arrays.err, fast.arrays.err);
    assert.deepEqual(general.arrays.dq, fast.arrays.dq);
    assert.deepEqual(general.counts, fast.counts);
    assert.ok(fast.sums && fast.sums.n > 0 && fast.sums.n < fast.arrays.sci.length);
    assert.deepEqual(general.sums, fast.sums);
  });

  test('without overscan columns the CCDTAB bias is used and said so', () => {
    const rng = new Rng(2);
    const { g, raw } = syntheticChip(rng, 0);
    const noOverscan = { ...g, amps: g.amps.map((a) => ({ ...a, biasCols: [0, 0] as [number, number] })) };
    const f = measureAmpBias(raw, noOverscan, 0, { atodsat: 65535, fallbackLevel: 2190 });
    assert.equal(f.source, 'ccdtab');
    assert.equal(f.mean, 2190);
    assert.match(f.note, /no overscan/);
  });
});

describe('2-D pass, BPIXTAB', () => {
  test('dark, flat with error propagation, zero flat flagged 512, statistics', () => {
    const g = chipGeometry({ ...DEFAULT_OSCN.HRC[2], nx: 42, ny: 24, vy1: 0, vy2: 0 }, ['C']);
    assert.deepEqual([g.outNx, g.outNy], [4, 4]);
    const c: ChipArrays = {
      sci: new Float32Array(16).fill(110),
      err: new Float32Array(16).fill(10),
      dq: new Uint16Array(16),
      nx: 4,
      ny: 4,
    };
    const dark = { data: new Float32Array(16).fill(0.1), nx: 4, ny: 4, ltv1: 0, ltv2: 0, file: 'd' };
    const flatData = new Float32Array(16).fill(2);
    flatData[5] = 0;
    const flat = {
      data: flatData,
      err: new Float32Array(16).fill(0.02),
      nx: 4,
      ny: 4,
      ltv1: 0,
      ltv2: 0,
      file: 'f',
    };
    const ltv: [number, number] = [19, 0];
    const stats = twoDPass(c, {
      geom: g,
      dark: placeRef(dark, g, ltv, 'DARKCORR'),
      darktime: 100,
      flat: placeRef(flat, g, ltv, 'FLATCORR'),
      flashdur: 0,
      exptime: 100,
      sdqflags: 31743,
    });
    assert.ok(Math.abs(c.sci[0] - 50) < 1e-4);
    assert.ok(Math.abs(c.err[0] - Math.sqrt(25 + (50 * 0.01) ** 2)) < 1e-5);
    assert.equal(c.dq[5], DQ_BADFLAT);
    assert.equal(stats.ngoodpix, 15);
    assert.ok(Math.abs(stats.goodmean - 50) < 1e-4);
    assert.ok(Math.abs(stats.meandark - 10) < 1e-5);
  });

  test('BPIXTAB runs land on physical pixels through LTV', () => {
    const g = chipGeometry(DEFAULT_OSCN.WFC[1], ['A', 'B']);
    const dq = new Uint16Array(g.outNx * g.outNy);
    const n = applyBpix(
      dq,
      g,
      [
        { pix1: 10, pix2: 5, length: 3, axis: 2, value: 4 },
        { pix1: 4096, pix2: 2048, length: 5, axis: 1, value: 16 },
      ],
      [24, 20],
    );
    assert.equal(n, 4, 'the run past the right edge is clipped');
    assert.equal(dq[4 * 4096 + 9], 4);
    assert.equal(dq[6 * 4096 + 9], 4);
    assert.equal(dq[7 * 4096 + 9], 0);
    assert.equal(dq[2047 * 4096 + 4095], 16);
  });
});

describe('CRCORR', () => {
  test('rejects injected hits, keeps clean pixels, combines exposure-weighted', () => {
    const rng = new Rng(4);
    const nx = 200;
    const ny = 100;
    const t = [300, 500];
    const truth = new Float32Array(nx * ny).map(() => 0.3 + 2 * rng.uniform());
    const inputs = t.map((ti): ChipArrays => {
      const sci = new Float32Array(nx * ny);
      const err = new Float32Array(nx * ny);
      for (let i = 0; i < sci.length; i++) {
        const mu = truth[i] * ti;
        sci[i] = mu + Math.sqrt(mu + 16) * rng.normal();
        err[i] = Math.sqrt(Math.max(sci[i], 0) + 16);
      }
      return { sci, err, dq: new Uint16Array(nx * ny), nx, ny };
    });
    const hits = [1234, 5000, 7777, 15001];
    for (const h of hits) inputs[h % 2].sci[h] += 800;
    const rn2 = new Float32Array(nx).fill(16);
    const r = crReject(inputs, t, rn2, {
      crsigmas: [6.5, 5.5, 4.5],
      crradius: 2.1,
      crthresh: 0.5555,
      scalense: 0,
      initgues: 'minimum',
      skysub: 'mode',
      badinpdq: 0,
      crmask: true,
    });
    for (const h of hits) assert.ok(inputs[h % 2].dq[h] & DQ_CR, `hit ${h}`);
    assert.ok(r.rejected < hits.length + 40, `${r.rejected} rejected`);
    let dev = 0;
    for (let i = 0; i < truth.length; i++) dev += (r.combined.sci[i] - truth[i] * 800) / r.combined.err[i];
    assert.ok(Math.abs(dev / truth.length) < 0.05, `mean deviation ${dev / truth.length}σ`);
    assert.ok(Math.abs(r.combined.sci[1234] - truth[1234] * 800) < 5 * r.combined.err[1234]);
  });
});

describe('DARKTIME', () => {
  const ccd = {
    atodgain: {},
    readnoise: {},
    ccdbias: {},
    atodsat: 65535,
    saturate: 1e5,
    darkOverheadFlash: 2.5,
    darkOverheadNoFlash: 1.2,
  };
  const exposure = (cards: [string, string | number | boolean][]) =>
    ({
      primary: Header.from([['INSTRUME', 'ACS'], ['EXPTIME', 100], ['DARKTIME', 101], ...cards]),
    }) as unknown as Parameters<typeof darktimeOf>[0];
  test('post-SM4 ACS full frames add the CCDTAB overhead (post-flashed or not)', () => {
    assert.equal(
      darktimeOf(
        exposure([
          ['EXPSTART', 58000],
          ['SUBARRAY', false],
        ]),
        ccd,
      ),
      101 + 1.2,
    );
    const flashed = exposure([
      ['EXPSTART', 58000],
      ['SUBARRAY', false],
      ['FLASHDUR', 5],
      ['FLASHSTA', 'SUCCESSFUL'],
    ]);
    assert.equal(darktimeOf(flashed, ccd), 101 + 2.5);
  });
  test('pre-SM4 data and unsupported subarrays keep the header DARKTIME', () => {
    assert.equal(
      darktimeOf(
        exposure([
          ['EXPSTART', 52377],
          ['SUBARRAY', false],
        ]),
        ccd,
      ),
      101,
    );
    assert.equal(
      darktimeOf(
        exposure([
          ['EXPSTART', 58000],
          ['SUBARRAY', true],
          ['APERTURE', 'WFC1-CTE'],
        ]),
        ccd,
      ),
      101,
    );
    assert.equal(
      darktimeOf(
        exposure([
          ['EXPSTART', 58000],
          ['SUBARRAY', true],
          ['APERTURE', 'WFC1A-2K'],
        ]),
        ccd,
      ),
      101 + 1.2,
    );
  });
});

test('BPIXTAB runs on a 2x2 binned chip flag each binned pixel once per physical pixel', () => {
  const g = chipGeometry(
    { ...DEFAULT_OSCN.HRC[2], nx: 50, ny: 30, trimx1: 9, trimx2: 9, trimy2: 10, vy1: 0, vy2: 0 },
    ['C'],
  );
  const dq = new Uint16Array(g.outNx * g.outNy);
  // physical columns 5..8 of row 3 → binned columns 2..3 (0-based) of binned row 1
  // binned LTV: image = 0.5·physical + 0.5 (+ the 9 prescan columns)
  const n = applyBpix(dq, g, [{ pix1: 5, pix2: 3, length: 4, axis: 1, value: 4 }], [9.5, 0.5], [0.5, 0.5]);
  assert.equal(n, 4);
  assert.deepEqual([...dq.subarray(g.outNx, g.outNx + 5)], [0, 0, 4, 4, 0]);
});

test('simulator deviates: ziggurat normal and Poisson have the right moments and tails', () => {
  const rng = new Rng(21);
  const n = 400000;
  let s = 0;
  let s2 = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) {
    const x = rng.normal();
    s += x;
    s2 += x * x;
    if (Math.abs(x) > 3) tail++;
  }
  assert.ok(Math.abs(s / n) < 0.01 && Math.abs(s2 / n - 1) < 0.01, `mean ${s / n}, var ${s2 / n}`);
  assert.ok(Math.abs(tail / n - 0.0027) < 0.0006, `P(|x|>3) = ${tail / n}`);
  for (const lambda of [3, 80]) {
    let m = 0;
    let v = 0;
    for (let i = 0; i < 50000; i++) {
      const k = rng.poisson(lambda);
      m += k;
      v += k * k;
    }
    m /= 50000;
    v = v / 50000 - m * m;
    assert.ok(
      Math.abs(m - lambda) < 0.03 * lambda && Math.abs(v - lambda) < 0.06 * lambda,
      `λ=${lambda}: mean ${m} var ${v}`,
    );
  }
});

test('a full-frame reference is placed on a subarray through the LTV keywords', () => {
  // A 512×512 HRC-like subarray with 19 prescan columns whose first science pixel is physical (257, 301).
  const g = chipGeometry({ ...DEFAULT_OSCN.HRC[2], nx: 531, ny: 512, trimx2: 0, trimy2: 0, vy1: 0, vy2: 0 }, [
    'C',
  ]);
  const rawLtv: [number, number] = [20 - 257, 1 - 301];
  const bias = {
    data: new Float32Array(1062 * 1044),
    nx: 1062,
    ny: 1044,
    ltv1: 19,
    ltv2: 0,
    file: 'full_bia.fits',
  };
  const p = placeRef(bias, g, rawLtv, 'BIASCORR');
  assert.deepEqual([p.space, p.dx, p.dy], ['raw', 256, 300]);
  // raw pixel (19, 0) → bias image pixel (275, 300), i.e. physical column 275 + 1 − 19 = 257
  const dark = {
    data: new Float32Array(1024 * 1024),
    nx: 1024,
    ny: 1024,
    ltv1: 0,
    ltv2: 0,
    file: 'full_drk.fits',
  };
  const d = placeRef(dark, g, rawLtv, 'DARKCORR');
  assert.deepEqual([d.space, d.dx, d.dy], ['out', 256, 300]);
  const tooSmall = { ...dark, data: new Float32Array(600 * 600), nx: 600, ny: 600 };
  assert.throws(() => placeRef(tooSmall, g, rawLtv, 'DARKCORR'), /does not cover/);
});

test('FLATCORR multiplies PFLT·DFLT and adds their relative errors in quadrature', () => {
  const oscn = { ...DEFAULT_OSCN.HRC[2], nx: 42, ny: 24, vy1: 0, vy2: 0 };
  const mk = (v: number, e?: number) => ({
    data: new Float32Array(16).fill(v),
    err: e === undefined ? undefined : new Float32Array(16).fill(e),
    nx: 4,
    ny: 4,
    ltv1: 0,
    ltv2: 0,
    file: `f${v}`,
  });
  const arrays: ChipArrays = {
    sci: new Float32Array(16).fill(100),
    err: new Float32Array(16).fill(0),
    dq: new Uint16Array(16),
    nx: 4,
    ny: 4,
  };
  const r = runJob({
    kind: '2d',
    arrays,
    oscn,
    amps: ['C'],
    rawLtv: [19, 0],
    darktime: 0,
    flashdur: 0,
    flats: [mk(2, 0.02), mk(1.25, 0.025)],
    exptime: 1,
    sdqflags: 31743,
  }) as TwoDResult;
  assert.ok(Math.abs(r.arrays.sci[3] - 40) < 1e-4);
  // relative errors 1 % and 2 % → 2.236 % of 40
  assert.ok(Math.abs(r.arrays.err[3] - 40 * Math.hypot(0.01, 0.02)) < 1e-3, `${r.arrays.err[3]}`);
});

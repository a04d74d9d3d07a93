// The real ACS/HRC raw j8bt05njq: DQ init's A-to-D saturation, the amp C overscan level and drift
// (measured independently: 1135.2 ± 0.7 DN, about −9e-5 DN/row), and the trim to 1024×1024.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CalibError,
  type CcdResult,
  calibrate,
  chipAmps,
  crdsBestrefs,
  DEFAULT_OSCN,
  readExposure,
  runJob,
  selectOscnRow,
} from '../../src/calib/index.ts';
import { sharedPath, skipUnlessShared } from '../helpers/shared-data.ts';

const REL = ['fits', 'real', 'hst_acs_hrc_j8bt05njq_raw.fits'];

describe('real ACS/HRC raw j8bt05njq', { skip: skipUnlessShared(...REL) }, () => {
  test('header: HRC, amp C, constant ERR/DQ extensions, switches read', () => {
    const e = readExposure(sharedPath(...REL)!);
    assert.equal(e.detector, 'HRC');
    assert.equal(e.chips.length, 1);
    assert.deepEqual([e.chips[0].nx, e.chips[0].ny, e.chips[0].ltv[0]], [1062, 1044, 19]);
    assert.equal(e.switches.get('BLEVCORR'), 'PERFORM');
    assert.equal(e.switches.get('CRCORR'), 'OMIT');
  });

  test('CCD pass: 380 A-to-D saturated pixels, amp C overscan 1135.2 ± 0.7 DN, slope ≈ −9e-5, 1024×1024', () => {
    const path = sharedPath(...REL)!;
    const e = readExposure(path);
    const c = e.chips[0];
    const amps = chipAmps('HRC', e.primary.string('CCDAMP'), c.chip);
    assert.deepEqual(amps, ['C']);
    // The raw's OSCNTAB (m2j1057pj_osc.fits) is not available: the documented HRC layout stands in.
    const row = selectOscnRow(DEFAULT_OSCN.HRC, c.chip, amps, c.nx, c.ny)!;
    const r = runJob({
      kind: 'ccd',
      raw: { path, sci: c.sci, err: c.err, dq: c.dq },
      oscn: row,
      amps,
      gain: [2],
      readnoise: [4.7],
      ccdbias: [0],
      rawLtv: c.ltv,
      dqicorr: true,
      atodsat: 65535,
      bpix: [],
      biascorr: false,
      biasInDn: false,
      blevcorr: true,
      saturate: Number.POSITIVE_INFINITY,
      noise: true,
    }) as CcdResult;
    assert.equal(r.counts.atodsat, 380);
    let flagged = 0;
    for (const d of r.arrays.dq) if (d & 2048) flagged++;
    assert.equal(flagged, 380);
    assert.deepEqual([r.arrays.nx, r.arrays.ny], [1024, 1024]);
    const b = r.ampBias[0];
    assert.equal(b.amp, 'C');
    assert.equal(b.source, 'overscan');
    assert.ok(Math.abs(b.mean - 1135.2) <= 0.7, `level ${b.mean}`);
    assert.ok(b.slope < -4e-5 && b.slope > -1.5e-4, `slope ${b.slope}`);
  });

  test('calibrating without its reference files names the first missing one', async () => {
    const saved = process.env.jref;
    delete process.env.jref;
    try {
      await assert.rejects(
        calibrate(sharedPath(...REL)!, { workers: 0, write: false }),
        (err: unknown) =>
          err instanceof CalibError &&
          err.code === 'E_CALIB_MISSING_REF' &&
          err.step === 'CCDTAB' &&
          err.message.includes('o1515069j_ccd.fits'),
      );
    } finally {
      if (saved !== undefined) process.env.jref = saved;
    }
  });
});

describe('CRDS selection for the real raw', {
  skip: skipUnlessShared(...REL) || skipUnlessShared('crds', 'mappings', 'hst', 'hst_0729.pmap'),
}, () => {
  test('bestrefs with hst_0729.pmap reproduces the header references (OSCNTAB re-selected)', () => {
    const e = readExposure(sharedPath(...REL)!);
    const chosen = crdsBestrefs(e, sharedPath('crds')!, 'hst_0729.pmap');
    for (const kw of ['CCDTAB', 'BPIXTAB', 'BIASFILE', 'DARKFILE', 'PFLTFILE']) {
      const header = e.primary
        .string(kw)
        .trim()
        .replace(/^jref\$/, '');
      assert.equal(chosen.refs[kw], header, kw);
    }
    // The 2011 header names m2j1057pj_osc; today's rules deliver the later HRC OSCNTAB.
    assert.equal(e.primary.string('OSCNTAB').trim(), 'jref$m2j1057pj_osc.fits');
    assert.equal(chosen.refs.OSCNTAB, '14s1737dj_osc.fits');
  });
});

// Bad input ends in a CalibError that names the step and the file, with CALDP's STAGE1_ERROR code.
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CalibError, calibrate, STAGE1_ERROR, type SimulateResult, simulate } from '../../src/calib/index.ts';
import { type Header, openFits, writeFits } from '../../src/fits/index.ts';
import { makeTempDir } from '../helpers/tmp.ts';

function editPrimary(path: string, edit: (h: Header) => void): void {
  const f = openFits(readFileSync(path), { name: path });
  const h = f.hdus[0].header.clone();
  edit(h);
  writeFits(
    path,
    f.hdus.map((hdu, i) => ({ kind: 'copy' as const, hdu, header: i === 0 ? h : undefined })),
    { checksum: true },
  );
}

function isCalibError(code: string, step: string, fileHint: string) {
  return (e: unknown) => {
    assert.ok(e instanceof CalibError, `not a CalibError: ${e}`);
    assert.equal(e.code, code);
    assert.equal(e.step, step);
    assert.equal(e.exitCode, STAGE1_ERROR);
    assert.ok(e.message.includes(fileHint), `'${e.message}' does not name ${fileHint}`);
    return true;
  };
}

describe('bad input', () => {
  let base: string;
  let sim: SimulateResult;
  const copies: string[] = [];
  before(async () => {
    base = await makeTempDir();
    sim = simulate('jbad01010', {
      outDir: base,
      instrument: 'acs-hrc',
      exposures: 2,
      seed: 2,
      size: 'small',
    });
  });
  after(async () => {
    for (const d of [base, ...copies]) await rm(d, { recursive: true, force: true });
  });
  /** A fresh copy of the simulated observation to break. */
  async function fresh(): Promise<{ dir: string; raw: string; asn: string; refs: string; crds: string }> {
    const dir = await makeTempDir();
    copies.push(dir);
    cpSync(base, dir, { recursive: true });
    return {
      dir,
      raw: join(dir, 'jbad01aaq_raw.fits'),
      asn: join(dir, 'jbad01010_asn.fits'),
      refs: join(dir, 'crds', 'references', 'hst'),
      crds: join(dir, 'crds'),
    };
  }

  test('missing reference file', async () => {
    const c = await fresh();
    rmSync(join(c.refs, sim.refs.darkfile));
    await assert.rejects(
      calibrate(c.raw, { crdsPath: c.crds, context: sim.pmap, workers: 0 }),
      isCalibError('E_CALIB_MISSING_REF', 'DARKCORR', sim.refs.darkfile),
    );
  });

  test('wrong-size reference', async () => {
    const c = await fresh();
    writeFits(join(c.refs, sim.refs.darkfile), [
      { kind: 'image', header: [['INSTRUME', 'ACS']] },
      {
        kind: 'image',
        header: [['CCDCHIP', 1]],
        data: new Float32Array(64 * 64),
        naxes: [64, 64],
        name: 'SCI',
        ver: 1,
      },
    ]);
    await assert.rejects(
      calibrate(c.raw, { crdsPath: c.crds, context: sim.pmap, workers: 1 }),
      isCalibError('E_CALIB_REF_SIZE', 'DARKCORR', sim.refs.darkfile),
    );
  });

  test('unknown detector', async () => {
    const c = await fresh();
    editPrimary(c.raw, (h) => h.set('DETECTOR', 'SBC'));
    await assert.rejects(
      calibrate(c.raw, { crdsPath: c.crds, context: sim.pmap }),
      isCalibError('E_CALIB_DETECTOR', 'INPUT', 'jbad01aaq_raw.fits'),
    );
  });

  test('switch value other than PERFORM/OMIT/COMPLETE', async () => {
    const c = await fresh();
    editPrimary(c.raw, (h) => h.set('FLATCORR', 'MAYBE'));
    await assert.rejects(
      calibrate(c.raw, { crdsPath: c.crds, context: sim.pmap }),
      isCalibError('E_CALIB_SWITCH', 'FLATCORR', 'jbad01aaq_raw.fits'),
    );
  });

  test('association naming a missing member', async () => {
    const c = await fresh();
    rmSync(join(c.dir, 'jbad01abq_raw.fits'));
    await assert.rejects(
      calibrate(c.asn, { crdsPath: c.crds, context: sim.pmap }),
      isCalibError('E_CALIB_ASN', 'ASN', 'jbad01abq'),
    );
  });

  test('header references resolve through jref when no CRDS cache is given', async () => {
    const c = await fresh();
    const r = await calibrate(c.raw, { prefixes: { jref: c.refs }, workers: 0, write: false });
    assert.equal(r.switches.DARKCORR, 'COMPLETE');
    await assert.rejects(
      calibrate(c.raw, { prefixes: { jref: join(c.dir, 'nowhere') }, workers: 0, write: false }),
      isCalibError('E_CALIB_MISSING_REF', 'CCDTAB', sim.refs.ccdtab),
    );
  });
});

// The SQLite header index: field extraction and incremental re-indexing.
import assert from 'node:assert/strict';
import { copyFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ArchiveIndex, extractMeta } from '../../src/archive/index.ts';
import { FileStore } from '../../src/storage/index.ts';
import { sharedPath, skipUnlessShared } from '../helpers/shared-data.ts';
import { withTempDir } from '../helpers/tmp.ts';

describe('ArchiveIndex', {
  skip: skipUnlessShared('fits', 'real', 'hst_wfc3_ir_ib4606cpq_flt_trimmed.fits'),
}, () => {
  it('re-reads only new or changed files, drops deleted ones, and records failures', async () => {
    await withTempDir(async (dir) => {
      const real = sharedPath('fits', 'real')!;
      await copyFile(join(real, 'hst_wfc3_ir_ib4606cpq_flt_trimmed.fits'), join(dir, 'ib4606cpq_flt.fits'));
      await copyFile(join(real, 'hst_stis_o4er06llq_raw.fits'), join(dir, 'o4er06llq_raw.fits'));
      const idx = new ArchiveIndex(join(dir, 'index.sqlite'));
      try {
        const fs = new FileStore();
        const first = await idx.build(fs, `file:${dir}/`);
        assert.deepEqual([first.files, first.read, first.reused, first.observations], [2, 2, 0, 2]);
        const row = idx.db.prepare("SELECT * FROM observations WHERE obs_id = 'IB4606CPQ'").get() as Record<
          string,
          unknown
        >;
        assert.equal(row.instrument_name, 'WFC3/IR');
        assert.equal(row.filters, 'F110W');
        assert.equal(row.calib_level, 2);
        const again = await idx.build(fs, `file:${dir}/`);
        assert.deepEqual([again.read, again.reused], [0, 2]);
        await writeFile(join(dir, 'broken_raw.fits'), 'not a FITS file at all');
        await rm(join(dir, 'o4er06llq_raw.fits'));
        const third = await idx.build(fs, `file:${dir}/`);
        assert.deepEqual(
          [third.files, third.read, third.reused, third.failed, third.observations],
          [2, 0, 1, 1, 1],
        );
        assert.equal(idx.productUri('mast:HST/product/o4er06llq_raw.fits'), undefined);
      } finally {
        idx.close();
      }
    });
  });
});

describe('extractMeta', () => {
  it('maps HST and TESS keywords to CAOM fields', () => {
    const hst: Record<string, unknown> = {
      TELESCOP: 'HST',
      INSTRUME: 'ACS',
      DETECTOR: 'WFC',
      ROOTNAME: 'j94f05bgq',
      FILTER1: 'F606W',
      FILTER2: 'CLEAR2L',
      EXPTIME: 400,
      EXPSTART: 53436.2857,
      PROPOSID: 10368,
      PR_INV_L: 'Riess',
    };
    const m = extractMeta(
      (k) => hst[k] as never,
      () => undefined,
      'j94f05bgq_flt.fits',
    );
    assert.deepEqual(
      [m.obs_collection, m.obs_id, m.instrument_name, m.filters, m.t_exptime, m.proposal_id, m.calib_level],
      ['HST', 'J94F05BGQ', 'ACS/WFC', 'F606W', 400, '10368', 2],
    );
    assert.ok(Math.abs((m.t_max as number) - (53436.2857 + 400 / 86400)) < 1e-9);
    const tess: Record<string, unknown> = {
      TELESCOP: 'TESS',
      INSTRUME: 'TESS Photometer',
      TICID: 25155310,
      SECTOR: 1,
      OBJECT: 'TIC 25155310',
      'DATE-OBS': '2018-07-25T19:01:42.709Z',
    };
    const t = extractMeta(
      (k) => tess[k] as never,
      () => undefined,
      'tess_tp.fits',
    );
    assert.equal(t.obs_id, 'tess-s0001-0000000025155310');
    assert.equal(t.dataproduct_type, 'timeseries');
    assert.ok(Math.abs((t.t_min as number) - 58324.79285543) < 1e-6);
  });
});

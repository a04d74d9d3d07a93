// filter_products semantics, cloud paths (HST layout, TESS listing) and cloud downloads with fallback,
// the public bucket played by s3rver on loopback.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import {
  downloadProducts,
  filterProducts,
  hstCloudUri,
  InvalidQueryError,
  MastClient,
  type MastTable,
  startArchiveServer,
  tessFfis,
  tessProducts,
  tessTidPrefix,
} from '../../src/archive/index.ts';
import { sharedPath, skipUnlessShared } from '../helpers/shared-data.ts';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.ts';
import { withTempDir } from '../helpers/tmp.ts';

const table: MastTable = {
  columns: [
    { name: 'productFilename', type: 'string' },
    { name: 'productType', type: 'string' },
    { name: 'productSubGroupDescription', type: 'string' },
    { name: 'size', type: 'int' },
    { name: 'productGroupDescription', type: 'string' },
  ],
  rows: [
    {
      productFilename: 'a_raw.fits',
      productType: 'SCIENCE',
      productSubGroupDescription: 'RAW',
      size: 100,
      productGroupDescription: null,
    },
    {
      productFilename: 'a_flt.fits',
      productType: 'SCIENCE',
      productSubGroupDescription: 'FLT',
      size: 5000,
      productGroupDescription: 'Minimum Recommended Products',
    },
    {
      productFilename: 'a_asn.fits',
      productType: 'AUXILIARY',
      productSubGroupDescription: 'ASN',
      size: 20,
      productGroupDescription: null,
    },
    {
      productFilename: 'a_jit.jpg',
      productType: 'PREVIEW',
      productSubGroupDescription: null,
      size: 7,
      productGroupDescription: null,
    },
  ],
};
const names = (t: MastTable) => t.rows.map((r) => r.productFilename);

describe('filterProducts', () => {
  it('ORs values within a column and ANDs across columns', () => {
    assert.deepEqual(names(filterProducts(table, { productSubGroupDescription: ['RAW', 'ASN'] })), [
      'a_raw.fits',
      'a_asn.fits',
    ]);
    assert.deepEqual(
      names(filterProducts(table, { productSubGroupDescription: ['RAW', 'ASN'], productType: 'SCIENCE' })),
      ['a_raw.fits'],
    );
  });
  it('supports ! negation, numeric comparisons and ranges, extension and mrpOnly', () => {
    assert.deepEqual(names(filterProducts(table, { productType: '!SCIENCE' })), ['a_asn.fits', 'a_jit.jpg']);
    assert.deepEqual(names(filterProducts(table, { productType: ['!SCIENCE', '!PREVIEW'] })), ['a_asn.fits']);
    assert.deepEqual(names(filterProducts(table, { size: '>=100' })), ['a_raw.fits', 'a_flt.fits']);
    assert.deepEqual(names(filterProducts(table, { size: '10..200' })), ['a_raw.fits', 'a_asn.fits']);
    assert.deepEqual(names(filterProducts(table, { size: { min: 1000 } })), ['a_flt.fits']);
    assert.deepEqual(names(filterProducts(table, { extension: ['jpg', 'raw.fits'] })), [
      'a_raw.fits',
      'a_jit.jpg',
    ]);
    assert.deepEqual(names(filterProducts(table, { mrpOnly: true })), ['a_flt.fits']);
    assert.deepEqual(names(filterProducts(table, { productFilename: 'a_*.fits', size: '!100' })), [
      'a_flt.fits',
      'a_asn.fits',
    ]);
    assert.throws(() => filterProducts(table, { nope: 'x' }), InvalidQueryError);
  });
});

describe('cloud locations', () => {
  it('maps HST products to s3://stpubdata/hst/public/<id[:4]>/<id>/<file>', () => {
    assert.equal(
      hstCloudUri('mast:HST/product/u9o40504m_c3m.fits'),
      's3://stpubdata/hst/public/u9o4/u9o40504m/u9o40504m_c3m.fits',
    );
    assert.equal(hstCloudUri('mast:TESS/product/x.fits'), undefined);
    assert.equal(tessTidPrefix(25155310, 1), 's3://stpubdata/tess/public/tid/s0001/0000/0000/2515/5310/');
    assert.throws(() => tessTidPrefix('abc', 1), InvalidQueryError);
  });

  describe('against a loopback stpubdata', () => {
    let h: S3rverHandle;
    before(async () => {
      h = await startS3rver({ buckets: ['stpubdata'] });
    });
    after(() => h.stop());

    it('finds TESS light curves, TPFs and FFIs by listing', async () => {
      const s = h.store();
      const base =
        'tess/public/tid/s0001/0000/0000/2515/5310/tess2018206045859-s0001-0000000025155310-0120-s';
      for (const k of [
        `${base}_lc.fits`,
        `${base}_tp.fits`,
        'tess/public/ffi/s0001/2018/206/1-1/tess2018206192942-s0001-1-1-0120-s_ffic.fits',
        'tess/public/ffi/s0001/2018/206/1-2/tess2018206192942-s0001-1-2-0120-s_ffic.fits',
      ]) {
        await s.write(`s3://stpubdata/${k}`, Buffer.from(k));
      }
      assert.deepEqual(
        (await tessProducts(25155310, 1, 'lc', s)).map((e) => e.key),
        [`${base}_lc.fits`],
      );
      assert.equal((await tessProducts('TIC 25155310', 1, 'all', s)).length, 2);
      assert.deepEqual((await tessProducts(25155310, 2, 'all', s)).length, 0);
      assert.deepEqual(
        (await tessFfis(1, 1, 2, s)).map((e) => e.key.split('/').pop()),
        ['tess2018206192942-s0001-1-2-0120-s_ffic.fits'],
      );
    });

    it('downloads HST products from the bucket (path_lookup), and falls back to HTTP when absent', {
      skip: skipUnlessShared('fits', 'real'),
    }, async () => {
      const real = sharedPath('fits', 'real')!;
      const srv = await startArchiveServer({ source: real });
      try {
        const c = new MastClient({ baseUrl: srv.url });
        const prods = await c.getProductList(
          (await c.queryCriteria({ obs_id: ['J8BT05NJQ', 'O4ER06LLQ'] })).rows,
        );
        // the server's path_lookup answers /<file>; put one of them in the "public bucket" with different bytes
        const s = h.store();
        await s.write('s3://stpubdata/hst_acs_hrc_j8bt05njq_raw.fits', Buffer.from('from the cloud'));
        await withTempDir(async (tmp) => {
          const m = await downloadProducts(c, prods, { downloadDir: tmp, cloud: true, cloudStore: s });
          const byName = new Map(m.map((x) => [x['Local Path'].split('/').pop(), x]));
          const cloud = byName.get('hst_acs_hrc_j8bt05njq_raw.fits')!;
          assert.equal(cloud.Status, 'COMPLETE');
          assert.equal((await readFile(cloud['Local Path'])).toString(), 'from the cloud');
          const http = byName.get('hst_stis_o4er06llq_raw.fits')!;
          assert.equal(http.Status, 'COMPLETE');
          assert.deepEqual(
            await readFile(http['Local Path']),
            await readFile(`${real}/hst_stis_o4er06llq_raw.fits`),
          );
        });
        await withTempDir(async (tmp) => {
          const m = await downloadProducts(c, prods, {
            downloadDir: tmp,
            cloud: true,
            cloudOnly: true,
            cloudStore: s,
          });
          assert.deepEqual(m.map((x) => x.Status).sort(), ['COMPLETE', 'SKIPPED']);
        });
      } finally {
        await srv.close();
      }
    });
  });
});

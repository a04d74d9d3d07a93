// End to end: `caldera archive serve` over the real FITS files (directory and s3rver bucket), queried and
// downloaded by our client; a server killed mid-download; astroquery against our server when present.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type ArchiveServer,
  downloadHttp,
  downloadProducts,
  filterProducts,
  MastClient,
  RemoteServiceError,
  startArchiveServer,
} from '../../src/archive/index.ts';
import { copyUri } from '../../src/storage/index.ts';
import { sharedPath, skipUnlessShared } from '../helpers/shared-data.ts';
import { startS3rver } from '../helpers/s3rver.ts';
import { makeTempDir, withTempDir } from '../helpers/tmp.ts';
import { serveChild } from './serve-child.ts';

const REAL = 'fits/real';
const skip = skipUnlessShared('fits', 'real', 'hst_acs_hrc_j8bt05njq_raw.fits');
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('caldera archive serve over the real FITS folder', { skip }, () => {
  let srv: ArchiveServer;
  let c: MastClient;
  before(async () => {
    srv = await startArchiveServer({ source: sharedPath(REAL)! });
    c = new MastClient({ baseUrl: srv.url });
  });
  after(() => srv.close());

  it('indexes every FITS file', () => {
    assert.equal(srv.stats.failed, 0);
    assert.ok(srv.stats.files >= 30, `files ${srv.stats.files}`);
    assert.equal(srv.stats.products, srv.stats.files);
  });

  it('answers query_criteria with header values (instrument/detector, target, filters, exposure, proposal)', async () => {
    const t = await c.queryCriteria({ obs_collection: 'HST', instrument_name: ['ACS/HRC', 'STIS/CCD'] });
    const ids = t.rows.map((r) => r.obs_id).sort();
    assert.deepEqual(ids, ['J8BT05NJQ', 'O4ER06LLQ', 'O4SP040B0']);
    const j = t.rows.find((r) => r.obs_id === 'J8BT05NJQ')!;
    assert.equal(j.target_name, 'NGC104');
    assert.equal(j.filters, 'F555W');
    assert.equal(j.t_exptime, 60);
    assert.equal(j.proposal_id, '9019');
    assert.equal(j.proposal_pi, 'Bohlin');
    assert.ok(Math.abs((j.t_min as number) - 52377.76152356) < 1e-9);
    const ranged = await c.queryCriteria({ obs_collection: 'HST', t_exptime: [100, 1000] });
    assert.deepEqual(ranged.rows.map((r) => r.obs_id).sort(), ['IB4606CPQ', 'J94F05BGQ', 'O4SP040B0']);
    const wild = await c.queryCriteria({ target_name: 'ngc6*' });
    assert.deepEqual(
      wild.rows.map((r) => r.obs_id),
      ['O4ER06LLQ'],
    );
    const cone = await c.queryCriteria(
      { obs_collection: 'HST' },
      { position: { ra: 6.0, dec: -72.08, radius: 0.1 } },
    );
    assert.deepEqual(
      cone.rows.map((r) => r.obs_id),
      ['J8BT05NJQ'],
    );
    const region = await c.queryRegion({ ra: 5.655, dec: -72.0705555, radius: 0.01 });
    assert.equal(region.rows[0].obs_id, 'J94F05BGQ');
    assert.ok((region.rows[0].distance as number) < 1);
  });

  it('rejects unknown services and filters with a MAST-style ERROR', async () => {
    await assert.rejects(c.serviceRequest('Mast.No.Such', {}), RemoteServiceError);
    await assert.rejects(
      c.serviceRequest('Mast.Caom.Filtered', {
        columns: '*',
        filters: [{ paramName: 'bogus', values: ['x'] }],
      }),
      RemoteServiceError,
    );
  });

  it('lists products, filters them, downloads byte-identical files in the mastDownload layout', async () => {
    const obs = await c.queryCriteria({ obs_id: ['J8BT05NJQ', 'IB4606CPQ'] });
    const prods = await c.getProductList(obs.rows);
    assert.equal(prods.rows.length, 2);
    const sci = filterProducts(prods, { productType: 'SCIENCE', extension: '.fits', obs_id: '!IB4606CPQ' });
    assert.deepEqual(
      sci.rows.map((r) => r.productFilename),
      ['hst_acs_hrc_j8bt05njq_raw.fits'],
    );
    await withTempDir(async (tmp) => {
      const m = await downloadProducts(c, prods, { downloadDir: tmp, parallel: 2 });
      assert.deepEqual(
        m.map((x) => x.Status),
        ['COMPLETE', 'COMPLETE'],
      );
      for (const row of m) {
        const name = row['Local Path'].split('/').pop()!;
        assert.equal(
          sha(await readFile(row['Local Path'])),
          sha(readFileSync(join(sharedPath(REAL)!, name))),
        );
      }
      assert.ok(
        m.some(
          (x) =>
            x['Local Path'] ===
            join(tmp, 'mastDownload', 'HST', 'J8BT05NJQ', 'hst_acs_hrc_j8bt05njq_raw.fits'),
        ),
      );
      // a second run finds the files complete (HEAD size check) and does not rewrite them
      const before = await Promise.all(m.map((x) => stat(x['Local Path']).then((s) => s.mtimeMs)));
      await new Promise((r) => setTimeout(r, 20));
      const again = await downloadProducts(c, prods, { downloadDir: tmp });
      assert.deepEqual(
        again.map((x) => x.Status),
        ['COMPLETE', 'COMPLETE'],
      );
      assert.deepEqual(await Promise.all(m.map((x) => stat(x['Local Path']).then((s) => s.mtimeMs))), before);
    });
  });

  it('Download/file honours HEAD and Range, and 404s unknown products', async () => {
    const url = `${c.downloadUrl}?uri=mast:HST/product/hst_acs_hrc_j8bt05njq_raw.fits`;
    const head = await fetch(url, { method: 'HEAD' });
    assert.equal(head.headers.get('content-length'), '2255040');
    const part = await fetch(url, { headers: { Range: 'bytes=2880-2959' } });
    assert.equal(part.status, 206);
    const want = readFileSync(join(sharedPath(REAL)!, 'hst_acs_hrc_j8bt05njq_raw.fits')).subarray(2880, 2960);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), want);
    assert.equal((await fetch(`${c.downloadUrl}?uri=mast:HST/product/nope.fits`)).status, 404);
  });
});

describe('caldera archive serve over an s3rver bucket', { skip }, () => {
  it('indexes objects in the bucket and serves byte-identical downloads', async () => {
    const h = await startS3rver({ buckets: ['archive'] });
    try {
      const store = h.store();
      const names = [
        'hst_acs_hrc_j8bt05njq_raw.fits',
        'hst_stis_o4er06llq_raw.fits',
        'tess_tpf_tic25155310_s01_first_cadences.fits.gz',
      ];
      for (const n of names)
        await copyUri(join(sharedPath(REAL)!, n), `s3://archive/site/${n}`, { dstStore: store });
      const srv = await startArchiveServer({ source: 's3://archive/site/', store });
      try {
        assert.equal(srv.stats.products, 3);
        const c = new MastClient({ baseUrl: srv.url });
        const tess = await c.queryCriteria({ obs_collection: 'TESS' });
        assert.deepEqual(
          tess.rows.map((r) => r.obs_id),
          ['tess-s0001-0000000025155310'],
        );
        // headers of big objects come from a 256 KiB range read, not the whole object
        const acs = await c.queryCriteria({ instrument_name: 'ACS/HRC' });
        assert.deepEqual(
          acs.rows.map((r) => [r.obs_id, r.target_name, r.t_exptime]),
          [['J8BT05NJQ', 'NGC104', 60]],
        );
        const prods = await c.getProductList(
          (await c.queryCriteria({ obs_collection: ['HST', 'TESS'] })).rows,
        );
        await withTempDir(async (tmp) => {
          const m = await downloadProducts(c, prods, { downloadDir: tmp });
          assert.equal(m.filter((x) => x.Status === 'COMPLETE').length, 3);
          for (const row of m) {
            const name = row['Local Path'].split('/').pop()!;
            assert.equal(
              sha(await readFile(row['Local Path'])),
              sha(readFileSync(join(sharedPath(REAL)!, name))),
            );
          }
        });
        // path_lookup tells where each product lives inside the bucket prefix
        const looked = await c.pathLookup([
          'mast:HST/product/hst_stis_o4er06llq_raw.fits',
          'mast:HST/product/none.fits',
        ]);
        assert.equal(
          looked.get('mast:HST/product/hst_stis_o4er06llq_raw.fits'),
          '/hst_stis_o4er06llq_raw.fits',
        );
        assert.equal(looked.get('mast:HST/product/none.fits'), undefined);
      } finally {
        await srv.close();
      }
    } finally {
      await h.stop();
    }
  });
});

/** A valid single-HDU FITS file of `bytes` data bytes (BITPIX 8), written sparsely-fast. */
async function bigFits(path: string, bytes: number): Promise<void> {
  const cards = [
    'SIMPLE  =                    T',
    'BITPIX  =                    8',
    'NAXIS   =                    1',
    `NAXIS1  = ${String(bytes).padStart(20)}`,
    "TELESCOP= 'HST     '",
    "ROOTNAME= 'big00001q'",
    "INSTRUME= 'ACS     '",
    'END',
  ];
  const header = Buffer.alloc(2880, ' ');
  cards.forEach((c, i) => {
    header.write(c.padEnd(80), i * 80, 'latin1');
  });
  const fh = await open(path, 'w');
  try {
    await fh.write(header, 0, header.length, 0);
    const block = Buffer.alloc(1 << 20);
    for (let off = 0; off < bytes; off += block.length) {
      block.fill(off % 251);
      await fh.write(block, 0, Math.min(block.length, bytes - off), 2880 + off);
    }
    const total = 2880 + Math.ceil(bytes / 2880) * 2880;
    await fh.truncate(total);
  } finally {
    await fh.close();
  }
}

describe('fault: the archive server dies mid-download', () => {
  it('the client resumes with Range after the server comes back, and the hash matches', async () => {
    const dir = await makeTempDir();
    const out = await makeTempDir();
    await bigFits(join(dir, 'big00001q_raw.fits'), 96 * 1024 * 1024);
    let srv = await serveChild(dir);
    const port = srv.port;
    try {
      const url = `${srv.url}/api/v0.1/Download/file?uri=mast:HST/product/big00001q_raw.fits`;
      let killed: Promise<void> | undefined;
      let resumedFrom = -1;
      const dest = join(out, 'big.fits');
      let finished = false;
      const restart = (async () => {
        while (!killed && !finished) await new Promise((r) => setTimeout(r, 5));
        if (!killed) return;
        await killed;
        resumedFrom = (await readFile(`${dest}.part`).catch(() => Buffer.alloc(0))).length;
        await new Promise((r) => setTimeout(r, 300));
        srv = await serveChild(dir, port);
      })();
      const r = await downloadHttp(url, dest, {
        retryBaseMs: 200,
        maxAttempts: 10,
        onProgress: (p) => {
          if (!killed && p.loaded > 8 * 1024 * 1024) killed = srv.kill();
        },
      }).finally(() => {
        finished = true;
      });
      await restart;
      assert.equal(r.status, 'resumed');
      assert.ok(resumedFrom > 0, 'part of the file was on disk when the server died');
      assert.equal(sha(await readFile(dest)), sha(await readFile(join(dir, 'big00001q_raw.fits'))));
    } finally {
      await srv.kill();
      await import('node:fs/promises').then((fs) =>
        Promise.all([fs.rm(dir, { recursive: true }), fs.rm(out, { recursive: true })]),
      );
    }
  });
});

function hasAstroquery(): boolean {
  return spawnSync('/usr/bin/python3', ['-c', 'import astroquery.mast'], { stdio: 'ignore' }).status === 0;
}

describe('astroquery against our server', {
  skip: skip || (hasAstroquery() ? false : 'python3-astroquery not installed'),
}, () => {
  it('downloads the same files through Observations', async () => {
    const srv = await startArchiveServer({ source: sharedPath(REAL)! });
    try {
      await withTempDir(async (tmp) => {
        const py = `
import sys
from astroquery.mast import Observations
P = Observations._portal_api_connection
base = sys.argv[1]
P.MAST_REQUEST_URL = base + "/api/v0/invoke"
P.COLUMNS_CONFIG_URL = base + "/portal/Mashup/Mashup.asmx/columnsconfig"
P.MAST_DOWNLOAD_URL = base + "/api/v0.1/Download/file"
obs = Observations.query_criteria(obs_collection="HST", instrument_name="ACS/HRC")
prods = Observations.get_product_list(obs)
m = Observations.download_products(prods, download_dir=sys.argv[2])
for r in m: print(r["Local Path"], r["Status"])
`;
        await writeFile(join(tmp, 'aq.py'), py);
        // async: the server answering python lives in this very process
        const r = await new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => {
          execFile(
            '/usr/bin/python3',
            [join(tmp, 'aq.py'), srv.url, tmp],
            { timeout: 120_000 },
            (err, stdout, stderr) =>
              resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
          );
        });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /COMPLETE/);
        const got = join(tmp, 'mastDownload', 'HST', 'J8BT05NJQ', 'hst_acs_hrc_j8bt05njq_raw.fits');
        assert.equal(
          sha(await readFile(got)),
          sha(readFileSync(join(sharedPath(REAL)!, 'hst_acs_hrc_j8bt05njq_raw.fits'))),
        );
      });
    } finally {
      await srv.close();
    }
  });
});

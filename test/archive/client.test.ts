// Our MAST client against astroquery's fixtures: the requests must have the shape astroquery 0.4.6 sent
// (astroquery_exchange.json, byte for byte with the same cacheBreaker) and the replies must parse to the
// rows astroquery printed.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  downloadProducts,
  filterProducts,
  formatRow,
  InvalidQueryError,
  MastClient,
  type MastTable,
  pyJsonDumps,
  pyQuote,
  RemoteServiceError,
} from '../../src/archive/index.ts';
import { sharedPath, skipUnlessShared } from '../helpers/shared-data.ts';
import { withTempDir } from '../helpers/tmp.ts';
import { type Recorded, startMockMast } from './mock-mast.ts';

const skip =
  skipUnlessShared('mast', 'astroquery_exchange.json') ||
  skipUnlessShared('fits', 'real', 'hst_acs_hrc_j8bt05njq_raw.fits');

interface Exchange {
  steps: Record<string, unknown>[];
  http_exchange: {
    method: string;
    path: string;
    query: Record<string, string[]>;
    headers: Record<string, string>;
    body_raw?: string;
    body_request_json?: { cacheBreaker: string };
  }[];
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) out.push(join(e.parentPath, e.name));
  return out.sort();
}

describe('MAST client vs astroquery 0.4.6 exchange', { skip }, () => {
  let ex: Exchange;
  let mock: Awaited<ReturnType<typeof startMockMast>>;
  const breakers: string[] = [];
  let client: MastClient;
  before(async () => {
    ex = JSON.parse(readFileSync(sharedPath('mast', 'astroquery_exchange.json')!, 'utf8'));
    for (const h of ex.http_exchange)
      if (h.body_request_json) breakers.push(h.body_request_json.cacheBreaker);
    mock = await startMockMast({
      mastDir: sharedPath('mast')!,
      fitsPath: sharedPath('fits', 'real', 'hst_acs_hrc_j8bt05njq_raw.fits')!,
    });
    let i = 0;
    client = new MastClient({ baseUrl: mock.base, cacheBreaker: () => breakers[i++] });
  });
  after(() => mock.stop());

  let obs: MastTable;
  let prods: MastTable;
  let flt: MastTable;

  it('query_criteria sends the same columnsconfig + invoke requests and parses the same rows', async () => {
    obs = await client.queryCriteria({
      obs_collection: 'HST',
      instrument_name: ['STIS/CCD', 'ACS/HRC'],
      proposal_pi: 'Osten',
      t_exptime: [1, 2000],
    });
    const step = ex.steps[0] as {
      result_rows: number;
      result_columns: string[];
      first_row: Record<string, string>;
    };
    assert.equal(obs.rows.length, step.result_rows);
    assert.deepEqual(
      obs.columns.map((c) => c.name),
      step.result_columns,
    );
    assert.deepEqual(formatRow(obs, obs.rows[0]), step.first_row);
  });

  it('get_product_list(obs[:2]) matches', async () => {
    prods = await client.getProductList(obs.rows.slice(0, 2));
    const step = ex.steps[1] as {
      result_rows: number;
      result_columns: string[];
      first_row: Record<string, string>;
    };
    assert.equal(prods.rows.length, step.result_rows);
    assert.deepEqual(
      prods.columns.map((c) => c.name),
      step.result_columns,
    );
    assert.deepEqual(formatRow(prods, prods.rows[0]), step.first_row);
  });

  it("filter_products(productType=['SCIENCE'], extension='fits') keeps the same 7 products", () => {
    flt = filterProducts(prods, { productType: ['SCIENCE'], extension: 'fits' });
    assert.deepEqual(
      flt.rows.map((r) => r.dataURI),
      (ex.steps[2] as { dataURIs: string[] }).dataURIs,
    );
  });

  it('download_products(flt[:2]) writes the mastDownload layout and the same manifest', async () => {
    await withTempDir(async (tmp) => {
      const manifest = await downloadProducts(client, flt.rows.slice(0, 2), {
        downloadDir: tmp,
        parallel: 1,
      });
      const step = ex.steps[3] as {
        manifest: Record<string, string>[];
        files_written: string[];
        manifest_columns: string[];
      };
      assert.deepEqual(Object.keys(manifest[0]), step.manifest_columns);
      const norm = manifest.map((m) =>
        Object.fromEntries(
          Object.entries(m).map(([k, v]) => [k, v === null ? 'None' : String(v).replace(tmp, 'TMP')]),
        ),
      );
      assert.deepEqual(norm, step.manifest);
      assert.deepEqual(
        (await walk(tmp)).map((f) => relative(tmp, f)),
        step.files_written,
      );
      const want = createHash('sha256')
        .update(readFileSync(sharedPath('fits', 'real', 'hst_acs_hrc_j8bt05njq_raw.fits')!))
        .digest('hex');
      const got = createHash('sha256')
        .update(await readFile(join(tmp, step.files_written[0])))
        .digest('hex');
      assert.equal(got, want);
    });
  });

  it('the whole HTTP exchange has astroquery’s shape: methods, paths, queries, headers, bodies', () => {
    const ours: Recorded[] = mock.log;
    assert.equal(ours.length, ex.http_exchange.length);
    ex.http_exchange.forEach((want, i) => {
      const got = ours[i];
      assert.equal(got.method, want.method, `request ${i}`);
      assert.equal(got.path, want.path, `request ${i}`);
      assert.deepEqual(got.query, want.query, `request ${i}`);
      if (want.body_raw !== undefined) {
        assert.equal(got.body, want.body_raw, `request ${i} body`);
        assert.equal(got.headers['content-type'], want.headers['Content-type']);
        assert.equal(got.headers.accept, want.headers.Accept);
        assert.equal(got.headers['content-length'], want.headers['Content-Length']);
      }
    });
  });
});

describe('MAST client protocol details', { skip }, () => {
  it('polls while EXECUTING and follows pages', async () => {
    const mock = await startMockMast({
      mastDir: sharedPath('mast')!,
      fitsPath: sharedPath('fits', 'real', 'hst_acs_hrc_j8bt05njq_raw.fits')!,
      executing: 2,
    });
    try {
      const c = new MastClient({ baseUrl: mock.base, pollIntervalMs: 5 });
      const t = await c.queryRegion({ ra: 23.1, dec: 60.6, radius: 0.2 }, {});
      assert.equal(t.rows.length, 19);
      const invokes = mock.log.filter((r) => r.path === '/api/v0/invoke');
      assert.equal(invokes.length, 3);
      assert.deepEqual(invokes[2].request?.params, { ra: 23.1, dec: 60.6, radius: 0.2 });
      const paged = await c.serviceRequest('Mast.Caom.Cone', { ra: 1, dec: 2, radius: 0.2 }, { pagesize: 5 });
      assert.deepEqual(
        paged.map((p) => p.paging?.page),
        [1, 2, 3, 4],
      );
      assert.equal(paged.flatMap((p) => p.data ?? []).length, 19);
      const pos = await c.queryCriteria(
        { filters: ['F606W', 'F814*'] },
        { position: { ra: 23, dec: 60.5, radius: 0.3 } },
      );
      assert.equal(pos.rows.length, 12);
      const last = mock.log.at(-1)!;
      assert.equal(last.request?.service, 'Mast.Caom.Filtered.Position');
      assert.deepEqual(last.request?.params, {
        columns: '*',
        filters: [{ paramName: 'filters', values: ['F606W'], separator: ';', freeText: 'F814%' }],
        position: '23.0, 60.5, 0.3',
      });
    } finally {
      await mock.stop();
    }
  });

  it('rejects unknown columns and short ranges with InvalidQueryError', async () => {
    const mock = await startMockMast({
      mastDir: sharedPath('mast')!,
      fitsPath: sharedPath('fits', 'real', 'hst_acs_hrc_j8bt05njq_raw.fits')!,
    });
    try {
      const c = new MastClient({ baseUrl: mock.base });
      await assert.rejects(c.queryCriteria({ no_such_column: 'x' }), InvalidQueryError);
      await assert.rejects(c.queryCriteria({ t_exptime: 5 }), InvalidQueryError);
      await assert.rejects(c.queryCriteria({}), InvalidQueryError);
    } finally {
      await mock.stop();
    }
  });

  it('a server that is gone gives RemoteServiceError', async () => {
    const mock = await startMockMast({
      mastDir: sharedPath('mast')!,
      fitsPath: sharedPath('fits', 'real', 'hst_acs_hrc_j8bt05njq_raw.fits')!,
    });
    await mock.stop();
    const c = new MastClient({ baseUrl: mock.base, maxAttempts: 2 });
    await assert.rejects(c.columnsConfig('Mast.Caom.Cone'), RemoteServiceError);
  });

  it('server dies mid-download: the client resumes with Range and the hash matches', async () => {
    const fitsPath = sharedPath('fits', 'real', 'hst_acs_hrc_j8bt05njq_raw.fits')!;
    const mock = await startMockMast({ mastDir: sharedPath('mast')!, fitsPath, cutAfter: 700_000, cuts: 1 });
    try {
      await withTempDir(async (tmp) => {
        const c = new MastClient({ baseUrl: mock.base });
        const row = {
          obs_collection: 'HST',
          obs_id: 'J8BT05NJQ',
          productFilename: 'j8bt05njq_raw.fits',
          dataURI: 'mast:HST/product/j8bt05njq_raw.fits',
        };
        // the server process goes away right after cutting the transfer, and comes back 300 ms later
        const origLog = mock.log.length;
        const restart = (async () => {
          while (!mock.log.slice(origLog).some((r) => r.method === 'GET'))
            await new Promise((r) => setTimeout(r, 5));
          await new Promise((r) => setTimeout(r, 30));
          await mock.stop();
          await new Promise((r) => setTimeout(r, 300));
          await mock.start();
        })();
        const [m] = await downloadProducts(c, [row], { downloadDir: tmp, retryBaseMs: 150, maxAttempts: 8 });
        await restart;
        assert.equal(m.Status, 'COMPLETE', String(m.Message));
        const gets = mock.log.slice(origLog).filter((r) => r.method === 'GET');
        assert.ok(
          // the cut came after at most 700000 bytes; the retry must ask for the rest, not start over
          gets.some((r) => {
            const from = Number(/^bytes=(\d+)-/.exec(r.headers.range ?? '')?.[1] ?? 0);
            return from > 0 && from <= 700_000;
          }),
          `resumed with Range: ${JSON.stringify(gets.map((g) => g.headers.range))}`,
        );
        const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
        assert.equal(sha(await readFile(m['Local Path'])), sha(readFileSync(fitsPath)));
        assert.deepEqual(
          (await walk(tmp)).map((f) => relative(tmp, f)),
          ['mastDownload/HST/J8BT05NJQ/j8bt05njq_raw.fits'],
        );
      });
    } finally {
      await mock.stop().catch(() => {});
    }
  });
});

describe('pyJsonDumps / pyQuote', () => {
  it('write what CPython writes', () => {
    assert.equal(
      pyJsonDumps({ a: [1, 2.5, 'é', null, true], b: { min: 1e-7, max: 123456.5 } }),
      '{"a": [1, 2.5, "\\u00e9", null, true], "b": {"min": 1e-07, "max": 123456.5}}',
    );
    assert.equal(pyQuote('{"x": "a/b*c~d!"}'), '%7B%22x%22%3A%20%22a/b%2Ac~d%21%22%7D');
  });
});

// `caldera archive` commands in-process against a real loopback server.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ArchiveServer, startArchiveServer } from '../../src/archive/index.ts';
import { parseWhere } from '../../src/cli/archive.ts';
import type { CliIO } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { sharedPath, skipUnlessShared } from '../helpers/shared-data.ts';
import { withTempDir } from '../helpers/tmp.ts';

function capture(): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), interactive: false };
}

describe('caldera archive CLI', {
  skip: skipUnlessShared('fits', 'real', 'hst_acs_hrc_j8bt05njq_raw.fits'),
}, () => {
  let srv: ArchiveServer;
  before(async () => {
    srv = await startArchiveServer({ source: sharedPath('fits', 'real')! });
  });
  after(() => srv.close());

  it('query --json', async () => {
    const io = capture();
    const code = await main(
      [
        'archive',
        'query',
        '--instrument',
        'ACS/HRC',
        '--where',
        't_exptime=10..100',
        '--json',
        '--mast-url',
        srv.url,
      ],
      io,
    );
    assert.equal(code, 0, io.stderr.join(''));
    const rows = JSON.parse(io.stdout.join(''));
    assert.deepEqual(
      rows.map((r: { obs_id: string }) => r.obs_id),
      ['J8BT05NJQ'],
    );
  });

  it('products and download --suffix --json', async () => {
    const io = capture();
    assert.equal(await main(['archive', 'products', 'J8BT05NJQ', '--json', '--mast-url', srv.url], io), 0);
    assert.equal(JSON.parse(io.stdout.join(''))[0].productSubGroupDescription, 'RAW');
    await withTempDir(async (tmp) => {
      const io2 = capture();
      const code = await main(
        [
          'archive',
          'download',
          'J8BT05NJQ',
          '--suffix',
          'RAW,ASN',
          '--out',
          tmp,
          '--json',
          '--mast-url',
          srv.url,
        ],
        io2,
      );
      assert.equal(code, 0, io2.stderr.join(''));
      const manifest = JSON.parse(io2.stdout.join(''));
      assert.equal(manifest[0].Status, 'COMPLETE');
      const local = join(tmp, 'mastDownload', 'HST', 'J8BT05NJQ', 'hst_acs_hrc_j8bt05njq_raw.fits');
      assert.equal(manifest[0]['Local Path'], local);
      assert.deepEqual(
        await readFile(local),
        await readFile(join(sharedPath('fits', 'real')!, 'hst_acs_hrc_j8bt05njq_raw.fits')),
      );
    });
  });

  it('maps errors to exit codes', async () => {
    const io = capture();
    assert.equal(
      await main(['archive', 'download', 'NOSUCHOBS', '--out', '/tmp', '--mast-url', srv.url], io),
      66,
    );
    const io2 = capture();
    assert.equal(await main(['archive', 'query', '--where', 'bogus', '--mast-url', srv.url], io2), 2);
  });
});

describe('parseWhere', () => {
  it('reads discrete lists and ranges', () => {
    assert.deepEqual(parseWhere(['instrument_name=ACS/HRC,STIS/CCD', 't_exptime=1..2000']), {
      instrument_name: ['ACS/HRC', 'STIS/CCD'],
      t_exptime: [1, 2000],
    });
  });
});

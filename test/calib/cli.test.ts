// `caldera simulate` and `caldera calibrate` through the CLI; the simulated CRDS cache loads in
// src/crds (sha1sums verified); outputs open in astropy and pass fitsverify when those exist.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildProgram, main } from '../../src/cli/main.ts';
import type { CliIO } from '../../src/cli/io.ts';
import { DirectoryLoader, mappingChecksum } from '../../src/crds/index.ts';
import { hasCommand, runPython, skipUnlessAstropy } from '../helpers/python.ts';
import { makeTempDir } from '../helpers/tmp.ts';

function captureIO(): CliIO & { text: () => string } {
  const out: string[] = [];
  return { out: (s) => out.push(s), err: (s) => out.push(s), interactive: false, text: () => out.join('\n') };
}

describe('caldera simulate / calibrate', () => {
  let dir: string;
  let calibrated: {
    products: { kind: string; path: string }[];
    switches: Record<string, string>;
    trailer: string;
  };
  before(async () => {
    dir = await makeTempDir();
    const io = captureIO();
    const rc = await main(
      ['simulate', 'jcli01010', '--out', dir, '--size', 'small', '--exposures', '2', '--seed', '7', '--json'],
      io,
    );
    assert.equal(rc, 0, io.text());
    const io2 = captureIO();
    const rc2 = await main(['calibrate', join(dir, 'jcli01010_asn.fits'), '--json', '--workers', '2'], io2);
    assert.equal(rc2, 0, io2.text());
    calibrated = JSON.parse(io2.text());
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('commands are registered', () => {
    const names = buildProgram(captureIO()).commands.map((c) => c.name());
    assert.ok(names.includes('simulate') && names.includes('calibrate'));
  });

  test('calibrate --json reports products, switches and a trailer with timings', () => {
    assert.deepEqual(
      calibrated.products.map((p) => p.kind),
      ['flt', 'flt', 'crj'],
    );
    assert.equal(calibrated.switches.CRCORR, 'COMPLETE');
    const tra = readFileSync(calibrated.trailer, 'utf8');
    for (const step of ['DQICORR', 'BLEVCORR', 'BIASCORR', 'CRCORR', 'DARKCORR', 'FLATCORR', 'PHOTCORR'])
      assert.match(tra, new RegExp(`${step}\\s+COMPLETE\\s+\\d+\\.\\d ms`));
    assert.match(tra, /FLSHCORR\s+OMIT/);
    assert.match(tra, /CRDS bestrefs with hst_9000\.pmap/);
  });

  test('the CRDS cache mappings carry the sha1sums CRDS computes and select the references', () => {
    const mdir = join(dir, 'crds', 'mappings', 'hst');
    const files = readdirSync(mdir);
    assert.ok(
      files.some((f) => f.endsWith('.pmap')) &&
        files.some((f) => f.endsWith('.imap')) &&
        files.filter((f) => f.endsWith('.rmap')).length === 8,
    );
    for (const f of files) {
      const text = readFileSync(join(mdir, f), 'utf8');
      const declared = /'sha1sum' : '([0-9a-f]{40})'/.exec(text)![1];
      assert.equal(declared, mappingChecksum(text), f);
    }
    // The loader verifies every checksum it reads.
    const loader = new DirectoryLoader({ dirs: [mdir] });
    assert.ok(loader.load('hst_9000.pmap'));
  });

  test('bad input exits with STAGE1_ERROR (23) and a JSON error naming the step', async () => {
    const io = captureIO();
    const rc = await main(['calibrate', join(dir, 'nothere_raw.fits'), '--json'], io);
    assert.equal(rc, 23, io.text());
    assert.equal(JSON.parse(io.text()).code, 'E_CALIB_INPUT');
  });

  test('outputs open in astropy with the calacs layout', { skip: skipUnlessAstropy() }, () => {
    const crj = calibrated.products[2].path;
    const out = runPython(
      'import sys, json\nfrom astropy.io import fits\nwith fits.open(sys.argv[1]) as h:\n  print(json.dumps([[x.name, x.ver, list(x.data.shape) if x.data is not None else None] for x in h] + [h[0].header["CRCORR"], h[1].header["BUNIT"]]))',
      [crj],
    );
    const r = JSON.parse(out);
    assert.deepEqual(r.slice(0, 4), [
      ['PRIMARY', 1, null],
      ['SCI', 1, [256, 512]],
      ['ERR', 1, [256, 512]],
      ['DQ', 1, [256, 512]],
    ]);
    assert.deepEqual(r.slice(-2), ['COMPLETE', 'ELECTRONS']);
  });

  test('outputs pass fitsverify', { skip: hasCommand('fitsverify') ? false : 'fitsverify absent' }, () => {
    for (const p of calibrated.products) {
      const r = spawnSync('fitsverify', ['-q', '-e', p.path], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /OK/);
    }
  });
});

// `caldera crds …` through the CLI entry point (in process), on a copy of the shared CRDS cache.
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { sharedPath, skipUnlessShared } from '../helpers/shared-data.ts';
import { ACS_HEADER, copyCache, deriveContext } from './helpers.ts';

const skip = skipUnlessShared('crds', 'mappings', 'hst', 'hst_0729.pmap');
let cache = '';
const saved = { ...process.env };

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, {
    out: (s) => {
      out += s.endsWith('\n') ? s : `${s}\n`;
    },
    err: (s) => {
      err += s.endsWith('\n') ? s : `${s}\n`;
    },
    interactive: false,
  });
  return { code, out, err };
}

before(async () => {
  if (skip) return;
  cache = await copyCache();
  process.env.CRDS_PATH = cache;
  process.env.CRDS_MODE = 'local';
  delete process.env.CRDS_SERVER_URL;
  delete process.env.CRDS_CONTEXT;
});
after(() => {
  process.env = saved;
  if (cache) rmSync(cache, { recursive: true, force: true });
});

function headersFile(obj: unknown): string {
  const p = join(cache, `h${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(p, JSON.stringify(obj));
  return p;
}

test('bestrefs --headers --json gives CRDS result strings', { skip }, async () => {
  const h = headersFile({ ds1: ACS_HEADER, bad: { ...ACS_HEADER, CCDAMP: 'Z' } });
  const r = await cli(
    'crds',
    'bestrefs',
    '--headers',
    h,
    '--context',
    'hst_0729.pmap',
    '--types',
    'darkfile',
    'atodtab',
    '--json',
  );
  assert.equal(r.code, 1, r.err); // the 'bad' dataset has a lookup error
  const res = JSON.parse(r.out);
  assert.deepEqual(res.ds1, { darkfile: 'n3o1059hj_drk.fits', atodtab: 'NOT FOUND n/a' });
  assert.match(res.bad.darkfile, /^NOT FOUND {2}parameter='CCDAMP' value='Z' is not in \['A', /);
  const ok = await cli(
    'crds',
    'bestrefs',
    '--headers',
    headersFile({ ds1: ACS_HEADER }),
    '--context',
    'hst_0729.pmap',
  );
  assert.equal(ok.code, 0);
  assert.match(ok.out, /ds1\s+biasfile\s+m4r1753rj_bia\.fits/);
});

test('bestrefs reads one-object-per-line JSON (CRDS --load-pickles form)', { skip }, async () => {
  const p = join(cache, 'lines.json');
  writeFileSync(
    p,
    `${JSON.stringify({ a: ACS_HEADER })}\n${JSON.stringify({ b: { ...ACS_HEADER, DARKCORR: 'OMIT' } })}\n`,
  );
  const r = await cli(
    'crds',
    'bestrefs',
    '--headers',
    p,
    '--context',
    'hst_0729.pmap',
    '--types',
    'darkfile',
    '--json',
  );
  assert.deepEqual(JSON.parse(r.out), {
    a: { darkfile: 'n3o1059hj_drk.fits' },
    b: { darkfile: 'NOT FOUND n/a' },
  });
});

test('bestrefs --files reads FITS headers (real ACS/HRC raw)', {
  skip: skip || skipUnlessShared('fits', 'real', 'hst_acs_hrc_j8bt05njq_raw.fits'),
}, async () => {
  const f = join(cache, 'j8bt05njq_raw.fits');
  copyFileSync(sharedPath('fits', 'real', 'hst_acs_hrc_j8bt05njq_raw.fits')!, f);
  const r = await cli('crds', 'bestrefs', '--files', f, '--context', 'hst_0729.pmap', '--json');
  const vectors = JSON.parse(readFileSync(sharedPath('crds', 'vectors.json')!, 'utf8'));
  assert.deepEqual(JSON.parse(r.out)[f], vectors[0].expected);
});

test('--print-affected and diff see one changed darkfile rule', { skip }, async () => {
  const neu = deriveContext(cache, 'n3o1059hj_drk.fits', 'zzzzzzzzz_drk.fits');
  const h = headersFile({ ds1: ACS_HEADER, ds2: { ...ACS_HEADER, DETECTOR: 'WFC' } });
  const r = await cli(
    'crds',
    'bestrefs',
    '--headers',
    h,
    '--old-context',
    'hst_0729.pmap',
    '--new-context',
    neu,
    '--print-affected',
    '--json',
  );
  assert.deepEqual(JSON.parse(r.out), {
    ds1: { darkfile: { old: 'n3o1059hj_drk.fits', new: 'zzzzzzzzz_drk.fits' } },
  });
  const d = await cli('crds', 'diff', 'hst_0729.pmap', neu, '--json');
  assert.equal(d.code, 1);
  const changes = JSON.parse(d.out);
  assert.ok(changes.length >= 1);
  assert.ok(
    changes.every(
      (c: { filekind: string; change: string }) => c.filekind === 'darkfile' && c.change === 'replaced',
    ),
  );
  assert.ok(
    changes.some(
      (c: { old: string; new: string }) => c.old === 'n3o1059hj_drk.fits' && c.new === 'zzzzzzzzz_drk.fits',
    ),
  );
  assert.equal((await cli('crds', 'diff', 'hst_0729.pmap', 'hst_0729.pmap', '--json')).out.trim(), '[]');
});

test('bad input gives typed errors and exit codes', { skip }, async () => {
  const unknown = await cli(
    'crds',
    'bestrefs',
    '--headers',
    headersFile({ x: { INSTRUME: 'FOO' } }),
    '--context',
    'hst_0729.pmap',
  );
  assert.equal(unknown.code, 4);
  assert.match(
    unknown.err,
    /E_CRDS_UNKNOWN_INSTRUMENT.*Unknown instrument 'foo' for context 'hst_0729.pmap'/,
  );
  const missing = await cli(
    'crds',
    'bestrefs',
    '--headers',
    headersFile({ x: { FOO: 'BAR' } }),
    '--context',
    'hst_0729.pmap',
  );
  assert.match(missing.err, /Missing 'INSTRUME' keyword/);
  const notJson = join(cache, 'bad.json');
  writeFileSync(notJson, '{"x": 1}');
  assert.match(
    (await cli('crds', 'bestrefs', '--headers', notJson, '--context', 'hst_0729.pmap')).err,
    /E_CRDS_INPUT/,
  );
  const broken = join(cache, 'mappings', 'hst', 'hst_broken_0001.pmap');
  writeFileSync(broken, "header = {\n  'name' : 'x',\n  'parkey' ('INSTRUME',),\n}\n");
  const b = await cli(
    'crds',
    'bestrefs',
    '--headers',
    headersFile({ x: ACS_HEADER }),
    '--context',
    'hst_broken_0001.pmap',
  );
  assert.equal(b.code, 3);
  assert.match(b.err, /hst_broken_0001\.pmap: line 3/);
  process.env.CRDS_READONLY_CACHE = 'maybe';
  try {
    assert.match((await cli('crds', 'sync')).err, /E_CRDS_CONFIG.*CRDS_READONLY_CACHE/);
  } finally {
    delete process.env.CRDS_READONLY_CACHE;
  }
});

test('s3-env prints the crds_s3_set exports', async () => {
  const r = await cli('crds', 's3-env', 'hst', 'ops');
  assert.match(r.out, /^export CRDS_REFERENCE_URI='s3:\/\/hst-crds-cache-ops\/references\/hst\/'$/m);
  assert.match(r.out, /^export CRDS_DOWNLOAD_PLUGIN='crds_s3_get \$\{SOURCE_URL\} -d \$\{OUTPUT_PATH\}/m);
  const roman = JSON.parse((await cli('crds', 's3-env', 'roman', 'test', '--json')).out);
  assert.equal(roman.CRDS_MAPPING_URI, 's3://stpubdata-tst/roman/crds/test/mappings/roman');
  assert.equal((await cli('crds', 's3-env', 'jwst', 'ops')).code, 2);
});

test('scientifically invalid references are errors unless CRDS_ALLOW_BAD_REFERENCES', { skip }, async () => {
  const badList = join(cache, 'config', 'hst', 'bad_files.txt');
  const original = readFileSync(badList, 'utf8');
  writeFileSync(badList, `${original}\nn3o1059hj_drk.fits\n`);
  try {
    const args = [
      'crds',
      'bestrefs',
      '--headers',
      headersFile({ ds1: ACS_HEADER }),
      '--context',
      'hst_0729.pmap',
      '--types',
      'darkfile',
    ];
    const strict = await cli(...args);
    assert.equal(strict.code, 1);
    assert.match(
      strict.err,
      /error: ds1: recommended reference 'n3o1059hj_drk\.fits' of type 'darkfile' is designated scientifically invalid/,
    );
    process.env.CRDS_ALLOW_BAD_REFERENCES = '1';
    const lenient = await cli(...args);
    assert.equal(lenient.code, 0);
    assert.match(lenient.err, /^warning: ds1: recommended reference/m);
  } finally {
    delete process.env.CRDS_ALLOW_BAD_REFERENCES;
    writeFileSync(badList, original);
  }
});

test('bestrefs --update-bestrefs writes the keywords into the FITS header', {
  skip: skip || skipUnlessShared('fits', 'real', 'hst_acs_hrc_j8bt05njq_raw.fits'),
}, async () => {
  const f = join(cache, 'upd_raw.fits');
  copyFileSync(sharedPath('fits', 'real', 'hst_acs_hrc_j8bt05njq_raw.fits')!, f);
  const r = await cli('crds', 'bestrefs', '--files', f, '--context', 'hst_0729.pmap', '--update-bestrefs');
  assert.equal(r.code, 0, r.err);
  const { openFits } = await import('../../src/fits/index.ts');
  const file = openFits(f);
  try {
    assert.equal(file.hdus[0].header.get('BIASFILE'), 'jref$m4r1753rj_bia.fits');
    assert.equal(file.hdus[0].header.get('DARKFILE'), 'jref$n3o1059hj_drk.fits');
    assert.equal(file.hdus[0].header.get('ATODTAB'), 'N/A');
  } finally {
    file.close();
  }
});

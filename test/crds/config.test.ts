// CRDS_* configuration, cache layout, and header-key handling of getRecommendations.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  CacheLayout,
  CrdsConfigError,
  DirectoryLoader,
  getRecommendations,
  loadConfig,
  observatoryOf,
} from '../../src/crds/index.ts';
import { sharedPath, skipUnlessShared } from '../helpers/shared-data.ts';
import { makeTempDir } from '../helpers/tmp.ts';
import { ACS_HEADER } from './helpers.ts';

test('defaults follow the CRDS client', () => {
  const c = loadConfig({});
  assert.equal(c.path, join(homedir(), 'crds_cache'));
  assert.equal(c.mode, 'auto');
  assert.equal(c.downloadMode, 'http');
  assert.equal(c.readonly, false);
  assert.equal(c.retryCount, 1);
  assert.equal(c.s3Enabled, false);
});

test('layout: roots, *_SINGLE overrides and ref_cache_subdir_mode', async () => {
  const dir = await makeTempDir();
  try {
    const base = new CacheLayout(loadConfig({ CRDS_PATH: dir }));
    assert.equal(base.mappingDir('hst'), join(dir, 'mappings', 'hst'));
    assert.equal(base.configDir('jwst'), join(dir, 'config', 'jwst'));
    assert.equal(base.referenceDir('hst', 'ACS'), join(dir, 'references', 'hst', 'acs')); // HST default: instrument
    assert.equal(base.referenceDir('jwst', 'miri'), join(dir, 'references', 'jwst'));
    mkdirSync(join(dir, 'config', 'hst'), { recursive: true });
    writeFileSync(join(dir, 'config', 'hst', 'ref_cache_subdir_mode'), 'flat\n');
    assert.equal(base.referenceDir('hst', 'acs'), join(dir, 'references', 'hst'));
    const env = new CacheLayout(loadConfig({ CRDS_PATH: dir, CRDS_REF_SUBDIR_MODE: 'instrument' }));
    assert.equal(env.referenceDir('hst', 'acs'), join(dir, 'references', 'hst', 'acs'));
    const single = new CacheLayout(
      loadConfig({ CRDS_PATH: dir, CRDS_MAPPATH_SINGLE: '/m', CRDS_REFPATH: '/r', CRDS_CFGPATH: '/c' }),
    );
    assert.equal(single.mappingDir('hst'), '/m');
    assert.equal(single.referenceDir('jwst'), '/r/jwst');
    assert.equal(single.configDir('hst'), '/c/hst');
    assert.equal(single.locate('hst', 'hst_acs.imap'), '/m/hst_acs.imap');
    writeFileSync(join(dir, 'config', 'hst', 'ref_cache_subdir_mode'), 'sideways');
    assert.throws(() => base.referenceDir('hst', 'acs'), CrdsConfigError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('malformed variables are rejected with the variable name', () => {
  assert.throws(() => loadConfig({ CRDS_MODE: 'fast' }), /CRDS_MODE/);
  assert.throws(() => loadConfig({ CRDS_CLIENT_RETRY_COUNT: 'lots' }), /CRDS_CLIENT_RETRY_COUNT/);
  assert.throws(() => loadConfig({ CRDS_S3_ENABLED: 'sometimes' }), /CRDS_S3_ENABLED/);
  assert.throws(() => loadConfig({ CRDS_DOWNLOAD_MODE: 'ftp' }), /CRDS_DOWNLOAD_MODE/);
  assert.equal(
    loadConfig({ CRDS_READONLY_CACHE: 'true', CRDS_SERVER_URL: 'http://x/' }).serverUrl,
    'http://x',
  );
});

test('observatory from names', () => {
  assert.equal(observatoryOf('hst_0729.pmap'), 'hst');
  assert.equal(observatoryOf('jwst_miri_flat_0038.rmap'), 'jwst');
  assert.equal(observatoryOf('foo.fits', 'roman'), 'roman');
  assert.throws(() => observatoryOf('foo.fits'), CrdsConfigError);
});

test('server_config and bad files come from config/<obs>/', {
  skip: skipUnlessShared('crds', 'config', 'hst'),
}, () => {
  const layout = new CacheLayout(loadConfig({ CRDS_PATH: sharedPath('crds')! }));
  assert.equal(layout.serverConfig('hst')?.operational_context, 'hst_0729.pmap');
  assert.ok(layout.badFiles('hst').has('t771350fo_bia.fits'));
});

test('header keys in any case, numbers and booleans give the same answers', {
  skip: skipUnlessShared('crds', 'mappings', 'hst'),
}, () => {
  const loader = new DirectoryLoader({ dirs: [join(sharedPath('crds', 'mappings')!, 'hst')] });
  const pmap = loader.load('hst_0729.pmap');
  const upper = getRecommendations(pmap, ACS_HEADER);
  const lower = Object.fromEntries(Object.entries(ACS_HEADER).map(([k, v]) => [k.toLowerCase(), v]));
  assert.deepEqual(getRecommendations(pmap, lower), upper);
  assert.deepEqual(getRecommendations(pmap, { ...ACS_HEADER, CCDGAIN: 2, NAXIS1: 1062, LTV1: 19.0 }), upper);
  assert.equal(upper.biasfile, 'm4r1753rj_bia.fits');
});

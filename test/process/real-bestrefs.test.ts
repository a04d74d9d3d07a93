// The bestrefs step on the real ACS/HRC raw j8bt05njq with the real hst_0729.pmap mappings: the
// keywords written into the raw match CRDS's own answers (shared/data/crds/vectors.json), and a
// read-only cache without the references fails with BESTREFS_ERROR naming the missing file.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openFits } from '../../src/fits/index.ts';
import { assignBestrefs, parseDataset, ProcessLog, processDataset } from '../../src/process/index.ts';
import { sharedPath, skipUnlessShared } from '../helpers/shared-data.ts';
import { withTempDir } from '../helpers/tmp.ts';

const RAW = ['fits', 'real', 'hst_acs_hrc_j8bt05njq_raw.fits'];
const skip = skipUnlessShared(...RAW) || skipUnlessShared('crds', 'vectors.json');

interface Vector {
  context: string;
  entry: string;
  header: Record<string, string>;
  expected: Record<string, string>;
  source?: string;
}

function expected(): Record<string, string> {
  const vectors = JSON.parse(readFileSync(sharedPath('crds', 'vectors.json')!, 'utf8')) as Vector[];
  const v = vectors.find((x) => x.source?.endsWith('j8bt05njq_raw.fits') && x.entry === 'getrecommendations');
  assert.ok(v, 'vector for j8bt05njq');
  return v.expected;
}

describe('bestrefs on real data (j8bt05njq, hst_0729.pmap)', { skip }, () => {
  it('writes the references CRDS chooses into the raw', async () => {
    await withTempDir(async (dir) => {
      const cache = join(dir, 'crds');
      cpSync(sharedPath('crds', 'mappings')!, join(cache, 'mappings'), { recursive: true });
      const want = expected();
      const files = Object.values(want).filter((f) => !f.startsWith('NOT FOUND'));
      // Placeholders stand in for the reference files (only their presence is checked here).
      mkdirSync(join(cache, 'references', 'hst', 'acs'), { recursive: true });
      for (const f of files) writeFileSync(join(cache, 'references', 'hst', 'acs', f), 'placeholder');
      const raw = join(dir, 'j8bt05njq_raw.fits');
      cpSync(sharedPath(...RAW)!, raw);
      const env = { CRDS_PATH: cache, CRDS_READONLY_CACHE: '1', CRDS_MODE: 'local', CSYS_VER: 'test-1' };
      const r = await assignBestrefs([raw], parseDataset('j8bt05njq'), env, new ProcessLog());
      await r.hashed;
      assert.equal(r.context, 'hst_0729.pmap');
      assert.deepEqual(r.refs.map((x) => x.file).sort(), [...new Set(files)].sort());
      for (const x of r.refs) assert.match(x.sha1!, /^[0-9a-f]{40}$/);
      const f = openFits(raw);
      try {
        const h = f.hdus[0].header;
        for (const [type, file] of Object.entries(want)) {
          const got = h.string(type.toUpperCase(), '');
          assert.equal(got, file.startsWith('NOT FOUND') ? 'N/A' : `jref$${file}`, type);
        }
        assert.equal(h.string('CRDS_CTX'), 'hst_0729.pmap');
        assert.equal(h.string('CSYS_VER'), 'test-1');
      } finally {
        f.close();
      }
    });
  });

  it('a read-only cache without the references is BESTREFS_ERROR', async () => {
    await withTempDir(async (dir) => {
      const inDir = join(dir, 'in');
      mkdirSync(inDir);
      cpSync(sharedPath(...RAW)!, join(inDir, 'j8bt05njq_raw.fits'));
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        CRDS_PATH: join(sharedPath('crds')!),
        CALDP_HOME: join(dir, 'home'),
      };
      delete env.CALDP_SIMULATE_ERROR;
      delete env.CRDS_CONTEXT;
      const res = await processDataset({
        dataset: 'j8bt05njq',
        input: `file:${inDir}`,
        output: `file:${join(dir, 'out')}`,
        config: 'onsite',
        env,
      });
      assert.equal(res.exitCode, 27);
      assert.match(res.reason ?? '', /m4r1753rj_bia\.fits \(BIASFILE\) is not in the read-only CRDS cache/);
    });
  });
});

// The 90 cases computed by the real CRDS 13.2.7 client (shared/data/crds/vectors.json), exact strings.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DirectoryLoader, getRecommendations, ReferenceMapping } from '../../src/crds/index.ts';
import { sharedPath, skipUnlessShared } from '../helpers/shared-data.ts';

const skip = skipUnlessShared('crds', 'vectors.json');

interface Vector {
  context: string;
  instrument: string;
  entry: string;
  reftypes: string[] | null;
  header: Record<string, string>;
  expected?: Record<string, unknown>;
  expected_error?: string;
  note: string;
}

function run(loader: DirectoryLoader, v: Vector): Record<string, unknown> {
  try {
    const ctx = loader.load(v.context);
    if (v.entry === 'getrecommendations') return getRecommendations(ctx, v.header, v.reftypes);
    // ReferenceMapping.get_best_ref(s) with no conditioning or minimisation.
    assert.ok(ctx instanceof ReferenceMapping);
    const ref = ctx.getBestRef(v.header);
    return ref === null ? {} : { [ctx.filekind]: ref };
  } catch (e) {
    return { error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

test('all CRDS 13.2.7 vectors give identical answers', { skip }, () => {
  const root = sharedPath('crds')!;
  const vectors: Vector[] = JSON.parse(readFileSync(join(root, 'vectors.json'), 'utf8'));
  assert.equal(vectors.length, 90);
  const loader = new DirectoryLoader({ dirs: ['hst', 'jwst', 'tobs'].map((o) => join(root, 'mappings', o)) });
  const failures: string[] = [];
  vectors.forEach((v, i) => {
    const got = run(loader, v);
    const want = v.expected ?? { error: v.expected_error };
    try {
      assert.deepStrictEqual(got, want);
    } catch {
      failures.push(
        `#${i} ${v.note.slice(0, 80)}\n  want ${JSON.stringify(want)}\n  got  ${JSON.stringify(got)}`,
      );
    }
  });
  assert.deepEqual(failures, [], `${failures.length} vectors differ:\n${failures.join('\n')}`);
});

test('bestrefs are stable when the same context answers repeatedly (index caches do not leak)', {
  skip,
}, () => {
  const root = sharedPath('crds')!;
  const vectors: Vector[] = JSON.parse(readFileSync(join(root, 'vectors.json'), 'utf8'));
  const loader = new DirectoryLoader({ dirs: ['hst', 'jwst', 'tobs'].map((o) => join(root, 'mappings', o)) });
  const first = vectors.map((v) => JSON.stringify(run(loader, v)));
  const reversed = [...vectors].reverse().map((v) => JSON.stringify(run(loader, v)));
  assert.deepEqual(reversed.reverse(), first);
});

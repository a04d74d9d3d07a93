// shared/data/fits/unlabeled: every table, compressed-image table and random-groups HDU must read
// without error; when Debian's astropy is installed, make_truth.py is run on the file here and
// the values must agree with it (the stored answers for these files are not looked at).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openFits, readGroups, readTable } from '../../src/fits/index.ts';
import { hasAstropy } from '../helpers/python.ts';
import { sharedPath, skipUnlessShared } from '../helpers/shared-data.ts';
import { withTempDir } from '../helpers/tmp.ts';
import { checkColumn, checkGroups } from './table-check.ts';

const dir = sharedPath('fits', 'unlabeled');
const files = dir ? readdirSync(dir).sort() : [];

test('unlabeled folder present', { skip: skipUnlessShared('fits', 'unlabeled') }, () => {
  assert.ok(files.length > 0);
});

for (const name of files) {
  test(`unlabeled reads: ${name}`, async () => {
    const path = join(dir as string, name);
    using f = openFits(path);
    let tables = 0;
    for (const hdu of f.hdus) {
      if (hdu.kind === 'GROUPS') {
        const g = readGroups(hdu);
        assert.equal(g.params.length, g.pcount);
        tables++;
      } else if (hdu.kind === 'BINTABLE' || hdu.kind === 'TABLE' || hdu.kind === 'COMPRESSED_IMAGE') {
        const t = readTable(hdu);
        assert.equal(t.nrows, hdu.header.integer('NAXIS2'));
        tables++;
      }
    }
    if (tables === 0 || !hasAstropy()) return;
    await withTempDir(async (tmp) => {
      const script = join(sharedPath('fits') as string, 'make_truth.py');
      const r = spawnSync('/usr/bin/python3', [script, path, '--out', tmp], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const truth = JSON.parse(readFileSync(join(tmp, `${name}.truth.json`), 'utf8'));
      const problems: string[] = [];
      for (const h of truth.hdus) {
        const hdu = f.hdu(h.index);
        if (h.groups) checkGroups(hdu, h.groups);
        if (!h.table) continue;
        const t = readTable(hdu);
        h.table.columns.forEach((tc: { name: string }, i: number) => {
          for (const p of checkColumn(t, t.columns[i], tc, !path.endsWith('.gz')))
            problems.push(`HDU ${h.index} ${tc.name}: ${p}`);
        });
      }
      assert.deepEqual(problems, []);
    });
  });
}

test('astropy oracle available for unlabeled comparisons', {
  skip: !existsSync('/usr/bin/python3') || !hasAstropy() ? 'no astropy' : false,
}, () => {});

// Every table HDU (and random-groups primary) of the shared real/generated files against
// astropy 5.2.1's truth (make_truth.py): metadata, raw field bytes, physical values and their
// float64 hashes and stats, VLA lengths; random-groups parameters and arrays.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Hdu, openFits, readTable } from '../../src/fits/index.ts';
import { sharedPath, skipUnlessShared } from '../helpers/shared-data.ts';
import { checkColumn, checkGroups } from './table-check.ts';

// biome-ignore lint/suspicious/noExplicitAny: truth JSON is loosely typed by design
type Json = any;

const fitsDir = sharedPath('fits');

function truthFiles(): { path: string; truth: Json }[] {
  if (!fitsDir) return [];
  const out: { path: string; truth: Json }[] = [];
  for (const sub of ['real', 'generated']) {
    const dir = join(fitsDir, sub);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const tpath = join(fitsDir, 'truth', `${name}.truth.json`);
      if (!existsSync(tpath)) continue;
      const truth = JSON.parse(readFileSync(tpath, 'utf8'));
      if (truth.hdus.some((h: Json) => h.table || h.groups || h.compressed))
        out.push({ path: join(dir, name), truth });
    }
  }
  return out;
}

const files = truthFiles();
let columnsChecked = 0;

test('shared table truth files exist', { skip: skipUnlessShared('fits', 'truth') }, () => {
  assert.ok(files.length >= 15, `only ${files.length} files with tables`);
});

for (const { path, truth } of files) {
  test(`table truth: ${truth.file}`, () => {
    using f = openFits(path);
    // make_truth hashed field bytes of the *compressed* stream for .gz files (an oracle fault).
    const rawComparable = !path.endsWith('.gz');
    for (const h of truth.hdus) {
      const hdu = f.hdu(h.index);
      if (h.groups) checkGroups(hdu, h.groups);
      if (h.compressed) checkCompressedTable(hdu, h);
      if (!h.table) continue;
      const table = readTable(hdu);
      const t = h.table;
      assert.equal(table.nrows, t.nrows, `HDU ${h.index} nrows`);
      assert.equal(hdu.header.integer('NAXIS1'), t.row_bytes);
      assert.equal(hdu.header.integer('PCOUNT', 0), t.pcount);
      assert.equal(table.columns.length, t.columns.length);
      const problems: string[] = [];
      t.columns.forEach((tc: Json, i: number) => {
        const col = table.columns[i];
        for (const p of checkColumn(table, col, tc, rawComparable))
          problems.push(`HDU ${h.index} ${tc.name}: ${p}`);
        columnsChecked++;
      });
      assert.deepEqual(problems, []);
    }
  });
}

let compressedTables = 0;

/** The binary table under a tile-compressed image: columns as astropy lists them, every VLA readable. */
function checkCompressedTable(hdu: Hdu, h: Json): void {
  const table = readTable(hdu);
  assert.equal(table.nrows, hdu.header.integer('NAXIS2'));
  assert.deepEqual(
    table.columns.map((c) => [c.name, c.tform.trim()]),
    h.compressed.table_columns,
  );
  for (const c of table.columns) {
    if (c.kind === 'vla') assert.equal((c.values as unknown[]).length, table.nrows);
  }
  compressedTables++;
}

test('summary', { skip: files.length === 0 ? 'shared data absent' : false }, (t) => {
  t.diagnostic(
    `${files.length} files, ${columnsChecked} columns checked against astropy truth, ${compressedTables} compressed-image tables read`,
  );
});

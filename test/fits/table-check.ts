// The per-column and random-groups comparisons against a make_truth.py JSON (shared by the tests
// of labelled files and of unlabeled files whose truth is computed on the spot with astropy).
import assert from 'node:assert/strict';
import type { Column, Hdu, Table, VlaRow } from '../../src/fits/index.ts';
import { readGroups } from '../../src/fits/index.ts';
import { f64be, jnum, numericF64, sameValue, sha256, stats } from './table-helpers.ts';

// biome-ignore lint/suspicious/noExplicitAny: truth JSON is loosely typed by design
type Json = any;

export function checkColumn(table: Table, col: Column, tc: Json, rawComparable: boolean): string[] {
  const bad: string[] = [];
  const expect = (what: string, ok: boolean, detail: () => string) => {
    if (!ok) bad.push(`${what}: ${detail()}`);
  };
  expect('name', col.name === tc.name, () => `${col.name} vs ${tc.name}`);
  expect('format', col.tform.trim() === tc.format, () => `${col.tform} vs ${tc.format}`);
  expect('unit', col.unit === (tc.unit ?? ''), () => `${col.unit} vs ${tc.unit}`);
  expect('null', sameNull(col.null, tc.null), () => `${col.null} vs ${tc.null}`);
  expect('bscale', sameValue(col.bscale ?? null, jnum(tc.bscale)), () => `${col.bscale} vs ${tc.bscale}`);
  expect('bzero', sameValue(col.bzero ?? null, jnum(tc.bzero)), () => `${col.bzero} vs ${tc.bzero}`);
  const dim = col.dim ? `(${col.dim.join(',')})` : null;
  expect('dim', dim === (tc.dim === null ? null : tc.dim.replace(/\s/g, '')), () => `${dim} vs ${tc.dim}`);
  if (rawComparable && tc.field_raw_sha256) {
    const raw = sha256(table.fieldBytes(col.number));
    expect('field_raw_sha256', raw === tc.field_raw_sha256, () => raw);
  }
  if (tc.string_join_sha256) bad.push(...checkStrings(col, tc));
  else if (tc.bool_u8_sha256) bad.push(...checkBooleans(col, tc));
  else if (tc.f64be_sha256 && col.elementKind === 'logical')
    bad.push(...checkNumbers(asLogicalCodes(col), tc));
  else if (tc.f64be_sha256) bad.push(...checkNumbers(col, tc));
  else bad.push(`no values in truth (${tc.error ?? 'unknown'})`);
  return bad;
}

/**
 * astropy 5.2.1 returns PL (logical VLA) rows as the stored int8 codes ('T' = 84, 'F' = 70, 0);
 * we return booleans/null, so compare through the codes.
 */
function asLogicalCodes(col: Column): Column {
  const code = (v: boolean | null) => (v === null ? 0 : v ? 84 : 70);
  const rows = (col.values as VlaRow[]).map((r) => Int8Array.from(r as (boolean | null)[], code));
  return { ...col, elementKind: 'int', values: rows };
}

function sameNull(mine: unknown, truth: unknown): boolean {
  if (truth === null || truth === undefined) return mine === undefined;
  if (typeof truth === 'string' && typeof mine === 'string') return mine === truth;
  return sameValue(mine as number, jnum(truth));
}

function stringsOf(col: Column): string[] {
  if (col.kind !== 'vla') return col.values as string[];
  return (col.values as VlaRow[]).map((r) => r as string);
}

function checkStrings(col: Column, tc: Json): string[] {
  const bad: string[] = [];
  const strs = stringsOf(col);
  const joined = sha256(Buffer.from(strs.join('\n'), 'latin1'));
  if (joined !== tc.string_join_sha256)
    bad.push(`string_join_sha256 differs (${JSON.stringify(strs.slice(0, 3))})`);
  const n = tc.values.length;
  const mine = strs.slice(0, n);
  if (JSON.stringify(mine) !== JSON.stringify(tc.values))
    bad.push(`values ${JSON.stringify(mine)} vs ${JSON.stringify(tc.values)}`);
  return bad;
}

/** Logical (null → 0 as astropy's False) and bit columns; per row lists when repeat > 1. */
function checkBooleans(col: Column, tc: Json): string[] {
  const flat: number[] = [];
  if (col.kind === 'vla') {
    for (const r of col.values as VlaRow[])
      for (const v of Array.from(r as ArrayLike<unknown>)) flat.push(v ? 1 : 0);
  } else for (const v of Array.from(col.values as ArrayLike<unknown>)) flat.push(v ? 1 : 0);
  const bad: string[] = [];
  const u8 = sha256(Uint8Array.from(flat));
  if (u8 !== tc.bool_u8_sha256) bad.push(`bool_u8_sha256 differs`);
  if (tc.values && col.kind !== 'vla') {
    const want = (tc.values as Json[]).flat();
    const mine = flat.slice(0, want.length);
    if (JSON.stringify(mine) !== JSON.stringify(want))
      bad.push(`values ${JSON.stringify(mine)} vs ${JSON.stringify(want)}`);
  }
  if (tc.n_true !== undefined && flat.reduce((a, b) => a + b, 0) !== tc.n_true) bad.push('n_true differs');
  return bad;
}

function checkNumbers(col: Column, tc: Json): string[] {
  const bad: string[] = [];
  const f = numericF64(col);
  const hash = sha256(f64be(f));
  if (hash !== tc.f64be_sha256) bad.push(`f64be_sha256 differs (first ${Array.from(f.slice(0, 4))})`);
  const s = stats(f);
  if (!sameValue(s.min, jnum(tc.min)) || !sameValue(s.max, jnum(tc.max)))
    bad.push(`min/max ${s.min}/${s.max} vs ${tc.min}/${tc.max}`);
  const tsum = jnum(tc.sum) as number;
  if (!(Math.abs(s.sum - tsum) <= 1e-9 * Math.max(1, Math.abs(tsum)))) bad.push(`sum ${s.sum} vs ${tsum}`);
  if (tc.exact_int_sum !== undefined && col.kind !== 'vla') {
    let exact = 0n;
    for (const v of Array.from(col.values as ArrayLike<number | bigint>)) exact += BigInt(v);
    if (String(exact) !== tc.exact_int_sum) bad.push(`exact_int_sum ${exact} vs ${tc.exact_int_sum}`);
  }
  if (col.kind === 'vla') {
    const lens = (col.values as VlaRow[]).map((r) =>
      col.elementKind === 'complex' ? r.length / 2 : r.length,
    );
    if (tc.vla_lengths && JSON.stringify(lens) !== JSON.stringify(tc.vla_lengths))
      bad.push(`vla_lengths ${lens}`);
    if (lens.reduce((a, b) => a + b, 0) !== tc.vla_lengths_sum) bad.push('vla_lengths_sum differs');
    const rows = tc.values ?? tc.values_first_rows;
    rows?.forEach((want: Json[], r: number) => {
      const mine = Array.from(col.values[r] as ArrayLike<number | bigint>);
      if (!sameList(mine, want.flat())) bad.push(`row ${r}: ${mine} vs ${want}`);
    });
    return bad;
  }
  const perRow = col.kind === 'complex' ? col.repeat * 2 : col.repeat;
  const want: Json[] | undefined = tc.values_flat_re_im ?? tc.values ?? tc.values_first_rows;
  if (want) {
    const flatWant = want.flat(8);
    const rows =
      tc.values_complete === false && !tc.values_flat_re_im ? Math.min(20, want.length) : undefined;
    const count = rows === undefined ? flatWant.length : rows * perRow;
    const mine = Array.from((col.values as ArrayLike<number | bigint>) ?? []).slice(0, count);
    if (!sameList(mine, flatWant.slice(0, count)))
      bad.push(`values ${mine.slice(0, 6)} vs ${flatWant.slice(0, 6)}`);
  }
  return bad;
}

function sameList(mine: (number | bigint)[], want: Json[]): boolean {
  return mine.length === want.length && mine.every((v, i) => sameValue(v, jnum(want[i])));
}

export function checkGroups(hdu: Hdu, g: Json): void {
  const data = readGroups(hdu);
  assert.equal(data.pcount, g.pcount);
  assert.equal(data.gcount, g.gcount);
  assert.deepEqual(data.shape, g.array_shape);
  g.params.forEach((p: Json, i: number) => {
    const mine = data.params[i];
    assert.equal(mine.name, p.name ?? '');
    assert.equal(mine.pscal, p.pscal);
    assert.equal(mine.pzero, p.pzero);
    assert.equal(sha256(f64be(mine.values)), p.f64be_sha256, `param ${i} hash`);
    assert.ok(sameList(Array.from(mine.values.slice(0, 20)), p.values_first), `param ${i} values`);
  });
  const arr = Float64Array.from(data.data as ArrayLike<number>, Number);
  assert.equal(sha256(f64be(arr)), g.array_f64be_sha256, 'groups array hash');
  const s = stats(arr);
  assert.equal(s.min, jnum(g.array_stats.min));
  assert.equal(s.max, jnum(g.array_stats.max));
}

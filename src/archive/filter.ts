// Client-side product filtering like astroquery's Observations.filter_products: OR within a column,
// AND across columns, `extension` matched on productFilename endings, `mrpOnly` keeps Minimum
// Recommended Products. Beyond 0.4.6 (as later astroquery does): a leading `!` negates a value,
// `*` globs, and numeric columns accept `<N`, `<=N`, `>N`, `>=N`, `A..B` or {min, max}.
import { InvalidQueryError } from './errors.ts';
import type { Cell, MastTable } from './table.ts';

export type FilterValue = string | number | boolean | { min?: number; max?: number };

export interface ProductFilters {
  mrpOnly?: boolean;
  extension?: string | string[];
  [column: string]: FilterValue | FilterValue[] | boolean | string | string[] | undefined;
}

type Predicate = (v: Cell) => boolean;

function numericPredicate(spec: string): Predicate | undefined {
  const cmp = /^(<=|>=|<|>|==?)\s*(-?[\d.]+(?:e[+-]?\d+)?)$/i.exec(spec);
  if (cmp) {
    const n = Number(cmp[2]);
    const op = cmp[1];
    return (v) => {
      if (v === null || v === '') return false;
      const x = Number(v);
      return op === '<' ? x < n : op === '<=' ? x <= n : op === '>' ? x > n : op === '>=' ? x >= n : x === n;
    };
  }
  const range = /^(-?[\d.]+(?:e[+-]?\d+)?)?\.\.(-?[\d.]+(?:e[+-]?\d+)?)?$/i.exec(spec);
  if (range && (range[1] || range[2])) {
    const lo = range[1] ? Number(range[1]) : -Infinity;
    const hi = range[2] ? Number(range[2]) : Infinity;
    return (v) => v !== null && v !== '' && Number(v) >= lo && Number(v) <= hi;
  }
  return undefined;
}

function globPredicate(spec: string): Predicate {
  const re = new RegExp(`^${spec.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`);
  return (v) => v !== null && re.test(String(v));
}

function predicateFor(value: FilterValue): Predicate {
  if (typeof value === 'object') {
    const lo = value.min ?? -Infinity;
    const hi = value.max ?? Infinity;
    return (v) => v !== null && v !== '' && Number(v) >= lo && Number(v) <= hi;
  }
  if (typeof value === 'number' || typeof value === 'boolean')
    return (v) => v === value || String(v) === String(value);
  return (
    numericPredicate(value) ??
    (value.includes('*') ? globPredicate(value) : (v) => v !== null && String(v) === value)
  );
}

/** Returns the rows of `products` that pass every filter; the input is not modified. */
export function filterProducts(products: MastTable, filters: ProductFilters = {}): MastTable {
  const tests: ((row: Record<string, Cell>) => boolean)[] = [];
  const names = new Set(products.columns.map((c) => c.name));
  if (filters.mrpOnly) tests.push((r) => r.productGroupDescription === 'Minimum Recommended Products');
  if (filters.extension !== undefined) {
    const exts = Array.isArray(filters.extension) ? filters.extension : [filters.extension];
    tests.push(
      (r) =>
        typeof r.productFilename === 'string' && exts.some((e) => (r.productFilename as string).endsWith(e)),
    );
  }
  for (const [col, raw] of Object.entries(filters)) {
    if (col === 'mrpOnly' || col === 'extension' || raw === undefined) continue;
    if (!names.has(col))
      throw new InvalidQueryError(
        `no column '${col}' in the product list (columns: ${[...names].join(', ')})`,
      );
    const values = (Array.isArray(raw) ? raw : [raw]) as FilterValue[];
    const pos: Predicate[] = [];
    const neg: Predicate[] = [];
    for (const v of values) {
      if (typeof v === 'string' && v.startsWith('!')) neg.push(predicateFor(v.slice(1)));
      else pos.push(predicateFor(v));
    }
    tests.push((r) => (pos.length === 0 || pos.some((p) => p(r[col]))) && !neg.some((p) => p(r[col])));
  }
  return { columns: products.columns, rows: products.rows.filter((r) => tests.every((t) => t(r))) };
}

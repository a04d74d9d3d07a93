// Shared by the table tests: the truth files' conventions (make_truth.py) for hashes and values.
import { createHash } from 'node:crypto';
import type { Column, VlaRow } from '../../src/fits/index.ts';

export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Float64 big-endian bytes of a list of numbers (make_truth's be_bytes of a float64 array). */
export function f64be(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i]);
  return out;
}

/** Numeric values of a column as float64, VLA rows concatenated (complex already interleaved). */
export function numericF64(col: Column): Float64Array {
  if (col.kind === 'vla') {
    const rows = col.values as VlaRow[];
    const parts = rows.map((r) => toF64(r as ArrayLike<number | bigint>));
    const out = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
    let pos = 0;
    for (const p of parts) {
      out.set(p, pos);
      pos += p.length;
    }
    return out;
  }
  return toF64(col.values as ArrayLike<number | bigint>);
}

function toF64(a: ArrayLike<number | bigint>): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = Number(a[i]);
  return out;
}

export interface Stats {
  sum: number;
  min: number | null;
  max: number | null;
}

/** numpy-like stats ignoring NaN (the sum is compared with a tolerance: numpy sums pairwise). */
export function stats(a: Float64Array): Stats {
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let n = 0;
  for (const v of a) {
    if (Number.isNaN(v)) continue;
    n++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return n === 0 ? { sum: 0, min: null, max: null } : { sum, min, max };
}

/** A truth JSON number (NaN/Infinity as strings, big integers as decimal strings) → JS value. */
export function jnum(v: unknown): number | bigint | null {
  if (v === null) return null;
  if (v === 'NaN') return Number.NaN;
  if (v === 'Infinity') return Number.POSITIVE_INFINITY;
  if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (typeof v === 'string') return BigInt(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v as number;
}

/** Same value for the truth's purposes (NaN equals NaN; bigint and number compared exactly). */
export function sameValue(a: number | bigint | null, b: number | bigint | null): boolean {
  if (a === null || b === null) return a === b;
  if (typeof a === 'number' && typeof b === 'number')
    return Object.is(a, b) || a === b || (Number.isNaN(a) && Number.isNaN(b));
  try {
    return BigInt(a) === BigInt(b);
  } catch {
    return false;
  }
}

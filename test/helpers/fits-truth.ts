// Loads the astropy truth files of ../shared/data/fits and computes the same digests from our arrays.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDataDir } from './shared-data.ts';

export const fitsDir = join(sharedDataDir, 'fits');

export interface TruthFile {
  file: string;
  size: number;
  sha256: string;
  hdus: TruthHdu[];
  [k: string]: unknown;
}

// biome-ignore lint/suspicious/noExplicitAny: truth JSON is loosely shaped by design
export type TruthHdu = Record<string, any>;

/** [path, truth] for every file in real/ and generated/ that has a truth file. */
export function truthCases(): { name: string; path: string; truth: TruthFile }[] {
  const out: { name: string; path: string; truth: TruthFile }[] = [];
  for (const sub of ['real', 'generated']) {
    const dir = join(fitsDir, sub);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const t = join(fitsDir, 'truth', `${name}.truth.json`);
      if (existsSync(t))
        out.push({ name, path: join(dir, name), truth: JSON.parse(readFileSync(t, 'utf8')) });
    }
  }
  return out;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** sha256 of values as big-endian float64 (complex already interleaved). */
export function f64beSha256(values: ArrayLike<number>): string {
  const buf = Buffer.alloc(values.length * 8);
  for (let i = 0; i < values.length; i++) buf.writeDoubleBE(values[i], i * 8);
  return sha256(buf);
}

/** Truth numbers: "NaN"/"Infinity" strings and big-int strings back to numbers. */
export function truthNumber(v: unknown): number {
  if (v === 'NaN') return Number.NaN;
  if (v === 'Infinity') return Number.POSITIVE_INFINITY;
  if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
  return Number(v);
}

export function closeTo(actual: number, expected: number, rel = 1e-9): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (actual === expected) return true;
  return Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(expected));
}

export interface Stats {
  sum: number;
  min: number;
  max: number;
  mean: number;
  nNaN: number;
}

export function statsOf(values: ArrayLike<number>): Stats {
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let nNaN = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) {
      nNaN++;
      continue;
    }
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const n = values.length - nNaN;
  return { sum, min, max, mean: n ? sum / n : Number.NaN, nNaN };
}

// Compares two FITS files as astropy's fitsdiff does: HDU count, header keywords (values with
// numeric tolerance, comments optionally), and data — images value by value with
// |a − b| ≤ atol + rtol·|b| (NaN equals NaN), other HDUs byte by byte.
import type { CardValue } from './card.ts';
import { type FitsFile, openFits } from './file.ts';
import type { Hdu } from './hdu.ts';

export interface DiffOptions {
  rtol?: number;
  atol?: number;
  /** Keywords to ignore; `*` is a wildcard (e.g. `DATE*`). CHECKSUM/DATASUM are compared unless listed. */
  ignoreKeywords?: string[];
  ignoreComments?: boolean;
  /** Data differences listed per HDU (all are counted). */
  maxDiffs?: number;
}

export interface KeywordDifference {
  keyword: string;
  a: unknown;
  b: unknown;
  what: 'value' | 'comment' | 'missing-in-a' | 'missing-in-b';
}

export interface DataDifference {
  /** numpy-order index of the first differing values, or the byte offset for non-image data. */
  index: number[];
  a: unknown;
  b: unknown;
}

export interface HduDiff {
  hdu: number;
  keywords: KeywordDifference[];
  shape?: { a: number[]; b: number[] };
  dataDifferences: number;
  data: DataDifference[];
}

export interface DiffReport {
  identical: boolean;
  a: string;
  b: string;
  hduCount: { a: number; b: number };
  hdus: HduDiff[];
  /** Human-readable report. */
  lines: string[];
}

export function diffFits(a: string | FitsFile, b: string | FitsFile, options: DiffOptions = {}): DiffReport {
  const fa = typeof a === 'string' ? openFits(a) : a;
  const fb = typeof b === 'string' ? openFits(b) : b;
  try {
    const opts = { rtol: 0, atol: 0, ignoreKeywords: [], ignoreComments: false, maxDiffs: 10, ...options };
    const ignore = compileIgnore(opts.ignoreKeywords);
    const hdus: HduDiff[] = [];
    const n = Math.min(fa.hdus.length, fb.hdus.length);
    for (let i = 0; i < n; i++) {
      const d = diffHdu(fa.hdus[i], fb.hdus[i], opts, ignore);
      if (d.keywords.length || d.shape || d.dataDifferences) hdus.push(d);
    }
    const identical = fa.hdus.length === fb.hdus.length && hdus.length === 0;
    const report: DiffReport = {
      identical,
      a: fa.name,
      b: fb.name,
      hduCount: { a: fa.hdus.length, b: fb.hdus.length },
      hdus,
      lines: [],
    };
    report.lines = describe(report, opts);
    return report;
  } finally {
    if (typeof a === 'string') fa.close();
    if (typeof b === 'string') fb.close();
  }
}

function compileIgnore(patterns: string[]): (key: string) => boolean {
  const res = patterns.map(
    (p) =>
      new RegExp(
        `^${p
          .toUpperCase()
          .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')}$`,
      ),
  );
  return (key) => res.some((r) => r.test(key));
}

function numbersClose(x: number, y: number, rtol: number, atol: number): boolean {
  if (x === y) return true;
  if (Number.isNaN(x) && Number.isNaN(y)) return true;
  return Math.abs(x - y) <= atol + rtol * Math.abs(y);
}

function valuesEqual(x: CardValue, y: CardValue, rtol: number, atol: number): boolean {
  if (typeof x === 'number' && typeof y === 'number') return numbersClose(x, y, rtol, atol);
  if (typeof x === 'object' && typeof y === 'object' && x !== null && y !== null) {
    return numbersClose(x.re, y.re, rtol, atol) && numbersClose(x.im, y.im, rtol, atol);
  }
  return x === y;
}

function diffHdu(a: Hdu, b: Hdu, opts: Required<DiffOptions>, ignore: (k: string) => boolean): HduDiff {
  const out: HduDiff = {
    hdu: a.index,
    keywords: diffHeaders(a, b, opts, ignore),
    dataDifferences: 0,
    data: [],
  };
  if (a.isImage && b.isImage && a.kind !== 'COMPRESSED_IMAGE' && b.kind !== 'COMPRESSED_IMAGE')
    diffImages(a, b, opts, out);
  else diffBytes(a, b, opts, out);
  return out;
}

function diffHeaders(
  a: Hdu,
  b: Hdu,
  opts: Required<DiffOptions>,
  ignore: (k: string) => boolean,
): KeywordDifference[] {
  const diffs: KeywordDifference[] = [];
  const skip = (k: string) => ignore(k) || k === 'COMMENT' || k === 'HISTORY' || k === '';
  const keysA = new Set(a.header.cards.map((c) => c.key).filter((k) => !skip(k)));
  const keysB = new Set(b.header.cards.map((c) => c.key).filter((k) => !skip(k)));
  for (const k of keysA) {
    if (!keysB.has(k)) {
      diffs.push({ keyword: k, a: a.header.get(k), b: undefined, what: 'missing-in-b' });
      continue;
    }
    const ca = a.header.card(k)!;
    const cb = b.header.card(k)!;
    if (!valuesEqual(ca.value, cb.value, opts.rtol, opts.atol))
      diffs.push({ keyword: k, a: ca.value, b: cb.value, what: 'value' });
    else if (!opts.ignoreComments && ca.comment !== cb.comment)
      diffs.push({ keyword: k, a: ca.comment, b: cb.comment, what: 'comment' });
  }
  for (const k of keysB)
    if (!keysA.has(k)) diffs.push({ keyword: k, a: undefined, b: b.header.get(k), what: 'missing-in-a' });
  return diffs;
}

function diffImages(a: Hdu, b: Hdu, opts: Required<DiffOptions>, out: HduDiff): void {
  const ia = a.readImage({ type: 'float64' });
  const ib = b.readImage({ type: 'float64' });
  if (ia.shape.join() !== ib.shape.join()) {
    out.shape = { a: ia.shape, b: ib.shape };
    return;
  }
  const da = ia.data as Float64Array;
  const db = ib.data as Float64Array;
  for (let i = 0; i < da.length; i++) {
    if (numbersClose(da[i], db[i], opts.rtol, opts.atol)) continue;
    out.dataDifferences++;
    if (out.data.length < opts.maxDiffs) out.data.push({ index: unravel(i, ia.shape), a: da[i], b: db[i] });
  }
}

function unravel(flat: number, shape: number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return idx;
}

function diffBytes(a: Hdu, b: Hdu, opts: Required<DiffOptions>, out: HduDiff): void {
  if (a.dataSize !== b.dataSize) {
    out.shape = { a: [a.dataSize], b: [b.dataSize] };
    return;
  }
  const da = a.readRawData();
  const db = b.readRawData();
  for (let i = 0; i < da.length; i++) {
    if (da[i] === db[i]) continue;
    out.dataDifferences++;
    if (out.data.length < opts.maxDiffs) out.data.push({ index: [i], a: da[i], b: db[i] });
  }
}

function describe(r: DiffReport, opts: Required<DiffOptions>): string[] {
  const lines = [` a: ${r.a}`, ` b: ${r.b}`, ` Tolerance: rtol=${opts.rtol}, atol=${opts.atol}`];
  if (r.hduCount.a !== r.hduCount.b)
    lines.push(`Files contain different numbers of HDUs: a ${r.hduCount.a}, b ${r.hduCount.b}`);
  for (const h of r.hdus) {
    lines.push('', `HDU ${h.hdu}:`);
    for (const k of h.keywords) {
      if (k.what === 'missing-in-a') lines.push(`   Extra keyword ${k.keyword} in b: ${fmt(k.b)}`);
      else if (k.what === 'missing-in-b') lines.push(`   Extra keyword ${k.keyword} in a: ${fmt(k.a)}`);
      else
        lines.push(
          `   Keyword ${k.keyword} has different ${k.what}s:`,
          `      a> ${fmt(k.a)}`,
          `      b> ${fmt(k.b)}`,
        );
    }
    if (h.shape) lines.push(`   Data sizes differ: a ${h.shape.a.join('x')}, b ${h.shape.b.join('x')}`);
    for (const d of h.data)
      lines.push(
        `   Data differs at [${d.index.join(', ')}]:`,
        `      a> ${fmt(d.a)}`,
        `      b> ${fmt(d.b)}`,
      );
    if (h.dataDifferences > h.data.length)
      lines.push(`   ...${h.dataDifferences - h.data.length} more differing values.`);
    if (h.dataDifferences) lines.push(`   ${h.dataDifferences} different data values found.`);
  }
  return lines;
}

function fmt(v: unknown): string {
  return typeof v === 'bigint' ? v.toString() : JSON.stringify(v);
}

// ASCII tables (XTENSION = 'TABLE'): fields at TBCOLn of Fortran widths Aw Iw Fw.d Ew.d Dw.d,
// converted as astropy does: D exponents read as E, a field equal to TNULLn or blank reads as 0
// (astropy's ASCIITNULL), Iw gives int16 (w ≤ 4), int32 (w ≤ 9) or int64, the rest float64.
import { FitsError } from '../errors.ts';
import type { Hdu } from '../hdu.ts';
import type { Header } from '../header.ts';
import type { ImageArray } from '../image.ts';
import { decodeStrings, isScaled } from './convert.ts';
import { gatherField } from './gather.ts';
import { columnKeywords, columnLabel, type FieldPlace, selectColumns, selectRows, Table } from './table.ts';
import type { Column, ReadTableOptions } from './types.ts';

export interface AsciiFormat {
  code: 'A' | 'I' | 'F' | 'E' | 'D';
  width: number;
  decimals?: number;
}

const ASCII_TFORM_RE = /^\s*([AIFED])\s*(\d+)(?:\.(\d+))?\s*$/i;

export function parseAsciiTform(tform: string): AsciiFormat {
  const m = ASCII_TFORM_RE.exec(tform);
  if (!m || Number(m[2]) === 0)
    throw new FitsError(`TFORM '${tform}' is not an ASCII-table format (Aw Iw Fw.d Ew.d Dw.d)`);
  const code = m[1].toUpperCase() as AsciiFormat['code'];
  return { code, width: Number(m[2]), decimals: m[3] === undefined ? undefined : Number(m[3]) };
}

interface AsciiColumnLayout extends FieldPlace {
  tform: string;
  format: AsciiFormat;
}

export function asciiTableLayout(header: Header): {
  rowBytes: number;
  nrows: number;
  columns: AsciiColumnLayout[];
} {
  const rowBytes = header.integer('NAXIS1');
  const nrows = header.integer('NAXIS2');
  const tfields = header.integer('TFIELDS', 0);
  if (tfields < 0 || tfields > 999)
    throw new FitsError(`TFIELDS = ${tfields} is outside 0..999`, { keyword: 'TFIELDS' });
  const columns: AsciiColumnLayout[] = [];
  for (let n = 1; n <= tfields; n++) {
    const tform = header.string(`TFORM${n}`);
    let format: AsciiFormat;
    try {
      format = parseAsciiTform(tform);
    } catch (err) {
      if (err instanceof FitsError) throw new FitsError(err.reason, { keyword: `TFORM${n}` });
      throw err;
    }
    const tbcol = header.integer(`TBCOL${n}`);
    if (tbcol < 1 || tbcol - 1 + format.width > rowBytes) {
      throw new FitsError(
        `TBCOL${n} = ${tbcol} with width ${format.width} does not fit in NAXIS1 = ${rowBytes}`,
        {
          keyword: `TBCOL${n}`,
        },
      );
    }
    const ttype = header.get(`TTYPE${n}`);
    const name = typeof ttype === 'string' ? ttype.trim() : '';
    columns.push({ number: n, name, offset: tbcol - 1, width: format.width, tform, format });
  }
  return { rowBytes, nrows, columns };
}

export function readAsciiTable(hdu: Hdu, options: ReadTableOptions): Table {
  const layout = asciiTableLayout(hdu.header);
  const wanted = selectColumns(layout.columns, options.columns);
  const [start, end] = selectRows(layout.nrows, options.rows);
  const nrows = end - start;
  const rows = hdu.readDataBytes(start * layout.rowBytes, nrows * layout.rowBytes);
  const columns = wanted.map((p) => {
    const c = layout.columns[p.number - 1];
    const bytes = gatherField(rows, nrows, layout.rowBytes, c.offset, c.width);
    try {
      return asciiColumn(hdu.header, c, bytes, nrows, start, options.trimStrings ?? false);
    } catch (err) {
      if (err instanceof FitsError)
        throw new FitsError(
          `${columnLabel(c.number, c.name)} (TFORM${c.number} = '${c.tform}'): ${err.reason}`,
        );
      throw err;
    }
  });
  return new Table({
    kind: 'TABLE',
    nrows,
    firstRow: start,
    columns,
    problems: [],
    readField: (p) => gatherField(rows, nrows, layout.rowBytes, p.offset, p.width),
    places: layout.columns,
    where: { file: hdu.fileName, hdu: hdu.index },
  });
}

function asciiColumn(
  header: Header,
  c: AsciiColumnLayout,
  bytes: Uint8Array,
  nrows: number,
  firstRow: number,
  trim: boolean,
): Column {
  const keys = columnKeywords(header, c.number);
  const base = { name: c.name, number: c.number, tform: c.tform, repeat: 1, width: c.width, ...keys };
  if (c.format.code === 'A') {
    return {
      ...base,
      kind: 'string',
      elementKind: 'string',
      values: decodeStrings(bytes, nrows, c.width, trim),
    };
  }
  const texts = decodeStrings(bytes, nrows, c.width);
  const nullText = keys.null === undefined ? 'None' : String(keys.null).trim().slice(0, c.width);
  let values: ImageArray;
  if (c.format.code === 'I') values = parseInts(texts, c.width, nullText, firstRow);
  else values = parseFloats(texts, nullText, firstRow);
  let nulls: Uint8Array | undefined;
  texts.forEach((t, i) => {
    if (isNullField(c.format.code === 'I' ? t : t.replaceAll('D', 'E'), nullText)) {
      nulls ??= new Uint8Array(nrows);
      nulls[i] = 1;
    }
  });
  const withNulls = nulls ? { nulls } : {};
  const kind = c.format.code === 'I' ? 'int' : 'float';
  if (isScaled(keys)) {
    const bscale = keys.bscale ?? 1;
    const bzero = Number(keys.bzero ?? 0);
    const out = new Float64Array(nrows);
    for (let i = 0; i < nrows; i++) out[i] = Number(values[i]) * bscale + bzero;
    return { ...base, kind: 'float', elementKind: 'float', values: out, ...withNulls };
  }
  return { ...base, kind, elementKind: kind, values, ...withNulls };
}

/** astropy: a field equal to TNULL, or blank (unless TNULL is ''), reads as 0. */
function isNullField(text: string, nullText: string): boolean {
  const t = text.trim();
  return t === nullText || (nullText !== '' && t === '');
}

const INT_RE = /^[+-]?\d+$/;

function parseInts(texts: string[], width: number, nullText: string, firstRow: number): ImageArray {
  const out =
    width <= 4
      ? new Int16Array(texts.length)
      : width <= 9
        ? new Int32Array(texts.length)
        : new BigInt64Array(texts.length);
  const [lo, hi] = out instanceof Int16Array ? [-32768, 32767] : [-(2 ** 31), 2 ** 31 - 1];
  for (let i = 0; i < texts.length; i++) {
    if (isNullField(texts[i], nullText)) continue;
    const t = texts[i].trim();
    if (!INT_RE.test(t))
      throw new FitsError(`row ${firstRow + i}: '${texts[i]}' is not an integer (and not TNULL)`);
    if (out instanceof BigInt64Array) {
      const v = BigInt(t.replace(/^\+/, ''));
      if (v < -(2n ** 63n) || v >= 2n ** 63n)
        throw new FitsError(`row ${firstRow + i}: ${t} does not fit in 64 bits`);
      out[i] = v;
    } else {
      const v = Number(t);
      if (v < lo || v > hi)
        throw new FitsError(
          `row ${firstRow + i}: ${t} does not fit in a ${out.BYTES_PER_ELEMENT * 8}-bit integer`,
        );
      out[i] = v;
    }
  }
  return out;
}

const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const SPECIAL_RE = /^([+-]?)(inf|infinity|nan)$/i;

function parseFloats(texts: string[], nullText: string, firstRow: number): Float64Array {
  const out = new Float64Array(texts.length);
  for (let i = 0; i < texts.length; i++) {
    if (isNullField(texts[i].replaceAll('D', 'E'), nullText)) continue;
    const t = texts[i].trim().replaceAll('D', 'E');
    if (FLOAT_RE.test(t)) {
      out[i] = Number(t);
      continue;
    }
    const s = SPECIAL_RE.exec(t);
    if (!s) throw new FitsError(`row ${firstRow + i}: '${texts[i]}' is not a number (and not TNULL)`);
    out[i] =
      s[2].toLowerCase() === 'nan'
        ? Number.NaN
        : s[1] === '-'
          ? Number.NEGATIVE_INFINITY
          : Number.POSITIVE_INFINITY;
  }
  return out;
}

// Binary-table column layout from TFORMn/TTYPEn/...: element type, repeat count, byte offset and
// width of each field in a row. Shared by the table reader/writer and the tile-compression code.
import { FitsError } from '../errors.ts';
import type { Header } from '../header.ts';

/** Binary table element codes (FITS 4.0 table 18). */
export type BinCode = 'L' | 'X' | 'B' | 'I' | 'J' | 'K' | 'A' | 'E' | 'D' | 'C' | 'M' | 'P' | 'Q';

export interface BinFormat {
  code: BinCode;
  repeat: number;
  /** For P/Q (variable-length arrays): the element code and the declared maximum length. */
  vlaCode?: Exclude<BinCode, 'P' | 'Q'>;
  vlaMax?: number;
  /** Bytes this field occupies in a row. */
  width: number;
}

/** Bytes per element of each code (X counts bits: width is ceil(repeat/8)). */
export const ELEMENT_BYTES: Record<Exclude<BinCode, 'X'>, number> = {
  L: 1,
  B: 1,
  I: 2,
  J: 4,
  K: 8,
  A: 1,
  E: 4,
  D: 8,
  C: 8,
  M: 16,
  P: 8,
  Q: 16,
};

const TFORM_RE = /^\s*(\d*)\s*([LXBIJKAEDCMPQ])\s*(.*?)\s*$/i;
const VLA_RE = /^([LXBIJKAEDCM])\s*(?:\(\s*(\d*)\s*\))?\s*$/i;

export function parseBinTform(tform: string): BinFormat {
  const m = TFORM_RE.exec(tform);
  if (!m) throw new FitsError(`TFORM '${tform}' is not a binary-table format`);
  const repeat = m[1] === '' ? 1 : Number(m[1]);
  const code = m[2].toUpperCase() as BinCode;
  if (code === 'P' || code === 'Q') {
    const v = VLA_RE.exec(m[3]);
    if (!v)
      throw new FitsError(`TFORM '${tform}': variable-length array needs an element type like 1PE(100)`);
    if (repeat > 1)
      throw new FitsError(`TFORM '${tform}': a variable-length array descriptor has repeat 0 or 1`);
    return {
      code,
      repeat,
      vlaCode: v[1].toUpperCase() as BinFormat['vlaCode'],
      vlaMax: v[2] ? Number(v[2]) : undefined,
      width: repeat * ELEMENT_BYTES[code],
    };
  }
  const width = code === 'X' ? Math.ceil(repeat / 8) : repeat * ELEMENT_BYTES[code];
  return { code, repeat, width };
}

export interface ColumnLayout {
  /** 1-based column number n of TTYPEn/TFORMn. */
  number: number;
  name: string;
  tform: string;
  format: BinFormat;
  /** Byte offset of this field inside a row. */
  offset: number;
}

export interface TableLayout {
  rowBytes: number;
  nrows: number;
  /** Byte offset of the heap from the start of the data unit (THEAP, default rowBytes × nrows). */
  heapOffset: number;
  /** Bytes of heap (PCOUNT minus any gap before THEAP). */
  heapSize: number;
  columns: ColumnLayout[];
}

export function binTableLayout(header: Header): TableLayout {
  const rowBytes = header.integer('NAXIS1');
  const nrows = header.integer('NAXIS2');
  const tfields = header.integer('TFIELDS', 0);
  if (tfields < 0 || tfields > 999)
    throw new FitsError(`TFIELDS = ${tfields} is outside 0..999`, { keyword: 'TFIELDS' });
  const columns: ColumnLayout[] = [];
  let offset = 0;
  for (let n = 1; n <= tfields; n++) {
    const tform = header.string(`TFORM${n}`);
    let format: BinFormat;
    try {
      format = parseBinTform(tform);
    } catch (err) {
      if (err instanceof FitsError) throw err.withWhere({ keyword: `TFORM${n}` });
      throw err;
    }
    const ttype = header.get(`TTYPE${n}`);
    columns.push({ number: n, name: typeof ttype === 'string' ? ttype.trim() : '', tform, format, offset });
    offset += format.width;
  }
  if (offset !== rowBytes) {
    throw new FitsError(`the TFORMn widths add up to ${offset} bytes but NAXIS1 = ${rowBytes}`, {
      keyword: 'NAXIS1',
    });
  }
  const pcount = header.integer('PCOUNT', 0);
  const mainSize = rowBytes * nrows;
  const heapOffset = header.integer('THEAP', mainSize);
  if (heapOffset < mainSize || heapOffset > mainSize + pcount) {
    throw new FitsError(`THEAP = ${heapOffset} is outside the table's data unit`, { keyword: 'THEAP' });
  }
  return { rowBytes, nrows, heapOffset, heapSize: mainSize + pcount - heapOffset, columns };
}

/** Finds a column by TTYPE (case-insensitive, as astropy) or 1-based number. */
export function findColumn(layout: TableLayout, ref: string | number): ColumnLayout | undefined {
  if (typeof ref === 'number') return layout.columns[ref - 1];
  const want = ref.trim().toLowerCase();
  return layout.columns.find((c) => c.name.toLowerCase() === want);
}

const TDIM_RE = /^\s*\(\s*(\d+\s*(?:,\s*\d+\s*)*)\)\s*$/;

/** Parses TDIMn '(a,b,...)' into FITS-order axis lengths; throws on malformed text. */
export function parseTdim(tdim: string): number[] {
  const m = TDIM_RE.exec(tdim);
  if (!m) throw new FitsError(`TDIM '${tdim}' is not of the form (n1,n2,...)`);
  return m[1].split(',').map((s) => Number(s.trim()));
}

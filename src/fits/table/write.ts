// encodeBinTable: column specs → a BINTABLE header and its big-endian data unit (rows then heap,
// unpadded). The writer (src/fits/writer.ts) pads, checksums and stores it.
import type { CardValue } from '../card.ts';
import { FitsError } from '../errors.ts';
import { Header } from '../header.ts';
import { type ImageArray, swapToNative } from '../image.ts';
import { encodeNumeric, isStoredAsIs, type NumericInput } from './encode.ts';
import { type BinCode, type BinFormat, parseBinTform } from './layout.ts';
import { columnLabel } from './table.ts';
import { elementBytes } from './vla.ts';

type Scalarish = ImageArray | number[] | bigint[];
/** One VLA row: numbers (typed array or number[]), a string (PA), or logicals (PL). */
export type VlaInput = ImageArray | number[] | bigint[] | string | (boolean | null)[];
export type ColumnData = Scalarish | string[] | (boolean | null)[] | VlaInput[];

export interface ColumnSpec {
  name: string;
  /** TFORM ('1J', '20A', '3E', '13X', '1PE(10)', '1QD'); inferred from `data` when omitted. */
  format?: string;
  unit?: string;
  /** TDIM in FITS order (fastest first). */
  dim?: number[];
  /** TNULL (integer columns); NaN physical values are written as this. */
  null?: number | bigint;
  /** TSCAL / TZERO; `data` holds physical values. Unsigned typed arrays imply the TZERO convention. */
  bscale?: number;
  bzero?: number | bigint;
  /**
   * Flat nrows × repeat values (typed array, number[] or bigint[]; complex interleaved re, im;
   * bits as 0/1), string[] (nrows × strings per row), (boolean|null)[] for logicals, or one entry
   * per row for variable-length arrays.
   */
  data: ColumnData;
}

export interface BinTableSpec {
  columns: ColumnSpec[];
  /** Extra cards (structural and column keywords are ignored: they are generated). */
  header?: Header | [string, CardValue, string?][];
  name?: string;
  ver?: number;
  /** Row count; inferred from the columns when omitted. */
  nrows?: number;
}

export interface EncodedTable {
  header: Header;
  /** Rows then heap, big-endian, without the final padding to 2880 bytes. */
  data: Uint8Array;
}

interface Prepared {
  spec: ColumnSpec;
  tform: string;
  format: BinFormat;
  bzero?: number | bigint;
  /** Values per row in `data` (numbers, strings or logicals). */
  perRow: number;
}

export function encodeBinTable(spec: BinTableSpec): EncodedTable {
  const cols = spec.columns.map((c, i) => labelled(i + 1, c.name, () => prepare(c)));
  const nrows = spec.nrows ?? inferRows(cols);
  const rowBytes = cols.reduce((a, c) => a + c.format.width, 0);
  const heapParts: Uint8Array[] = [];
  let heapSize = 0;
  const rows = new Uint8Array(rowBytes * nrows);
  let offset = 0;
  cols.forEach((c, i) => {
    labelled(i + 1, c.spec.name, () => {
      checkRows(c, nrows);
      let field: Uint8Array;
      if (c.format.code === 'P' || c.format.code === 'Q') {
        const vla = encodeVla(c, nrows, heapSize);
        heapParts.push(vla.heap);
        heapSize += vla.heap.length;
        field = vla.descriptors;
      } else field = encodeFixed(c, nrows);
      scatter(rows, field, nrows, rowBytes, offset, c.format.width);
    });
    offset += c.format.width;
  });
  const data = new Uint8Array(rows.length + heapSize);
  data.set(rows);
  let pos = rows.length;
  for (const p of heapParts) {
    data.set(p, pos);
    pos += p.length;
  }
  return { header: buildHeader(spec, cols, rowBytes, nrows, heapSize), data };
}

function labelled<T>(n: number, name: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof FitsError) throw new FitsError(`${columnLabel(n, name)}: ${err.reason}`);
    throw err;
  }
}

/** TFORM code of a typed array, and the TZERO its unsigned/signed-byte convention needs. */
function codeOfArray(a: unknown): { code: BinCode; bzero?: number | bigint } | undefined {
  if (a instanceof Uint8Array) return { code: 'B' };
  if (a instanceof Int8Array) return { code: 'B', bzero: -128 };
  if (a instanceof Int16Array) return { code: 'I' };
  if (a instanceof Uint16Array) return { code: 'I', bzero: 32768 };
  if (a instanceof Int32Array) return { code: 'J' };
  if (a instanceof Uint32Array) return { code: 'J', bzero: 2147483648 };
  if (a instanceof BigInt64Array) return { code: 'K' };
  if (a instanceof BigUint64Array) return { code: 'K', bzero: 9223372036854775808n };
  if (a instanceof Float32Array) return { code: 'E' };
  if (a instanceof Float64Array) return { code: 'D' };
  return undefined;
}

function codeOfRow(row: VlaInput | undefined): { code: BinCode; bzero?: number | bigint } {
  if (typeof row === 'string') return { code: 'A' };
  const typed = codeOfArray(row);
  if (typed) return typed;
  if (Array.isArray(row)) {
    const first = row.find((v) => v !== null);
    if (typeof first === 'boolean' || (row.length > 0 && first === undefined)) return { code: 'L' };
    if (typeof first === 'bigint') return { code: 'K' };
  }
  return { code: 'D' };
}

function isVlaData(data: ColumnData): boolean {
  const first = (data as unknown[])[0];
  return Array.isArray(data) && (ArrayBuffer.isView(first) || Array.isArray(first));
}

function prepare(c: ColumnSpec): Prepared {
  if (!c.data || typeof (c.data as { length?: unknown }).length !== 'number')
    throw new FitsError('data must be an array');
  const inferred = c.format === undefined ? inferFormat(c) : undefined;
  const tform = c.format ?? inferred!.tform;
  const format = parseBinTform(tform);
  if (format.code === 'P' || format.code === 'Q') {
    if (format.repeat === 0)
      throw new FitsError(`TFORM '${tform}' has repeat 0; a VLA column needs 1P or 1Q`);
    if (format.vlaCode === 'X' && c.bscale !== undefined) throw new FitsError('bit VLAs cannot be scaled');
  }
  if (c.dim) {
    const n = c.dim.reduce((a, b) => a * b, 1);
    if (!c.dim.every((d) => Number.isInteger(d) && d >= 0))
      throw new FitsError(`dim [${c.dim}] must be non-negative integers`);
    if (format.code !== 'P' && format.code !== 'Q' && n > format.repeat) {
      throw new FitsError(`dim [${c.dim}] needs ${n} elements but TFORM '${tform}' has ${format.repeat}`);
    }
  }
  const code = format.code === 'P' || format.code === 'Q' ? format.vlaCode! : format.code;
  // An unsigned typed array implies its TZERO convention even when the format was given.
  const implied =
    c.bzero === undefined && c.bscale === undefined
      ? inferred
        ? inferred.bzero
        : conventionFor(c, code)
      : undefined;
  const bzero = c.bzero ?? implied;
  let perRow = format.repeat;
  if (format.code === 'C' || format.code === 'M') perRow *= 2;
  if (format.code === 'A') perRow = c.dim && c.dim.length > 1 ? c.dim.slice(1).reduce((a, b) => a * b, 1) : 1;
  if (format.code === 'P' || format.code === 'Q') perRow = 1;
  return { spec: c, tform, format, bzero, perRow };
}

function conventionFor(c: ColumnSpec, code: BinCode): number | bigint | undefined {
  const sample = isVlaData(c.data) ? (c.data as unknown[]).find((r) => ArrayBuffer.isView(r)) : c.data;
  const conv = codeOfArray(sample);
  return conv && conv.code === code ? conv.bzero : undefined;
}

function inferFormat(c: ColumnSpec): { tform: string; bzero?: number | bigint } {
  const data = c.data;
  const repeat = c.dim ? c.dim.reduce((a, b) => a * b, 1) : 1;
  const typed = codeOfArray(data);
  if (typed) return { tform: `${repeat}${typed.code}`, bzero: typed.bzero };
  const arr = data as unknown[];
  if (isVlaData(data)) {
    const rows = data as VlaInput[];
    const { code, bzero } = codeOfRow(rows.find((r) => (r as { length: number }).length > 0) ?? rows[0]);
    let max = 0;
    let bytes = 0;
    for (const r of rows) {
      const n = code === 'C' || code === 'M' ? r.length / 2 : r.length;
      max = Math.max(max, n);
      bytes += elementBytes(code as Exclude<BinCode, 'P' | 'Q'>, n);
    }
    return { tform: `1${bytes > 2 ** 31 - 1 ? 'Q' : 'P'}${code}(${max})`, bzero };
  }
  const first = arr.find((v) => v !== null);
  if (typeof first === 'string') {
    let width = 1;
    for (const s of arr as string[]) if (typeof s === 'string' && s.length > width) width = s.length;
    return { tform: `${c.dim ? c.dim.reduce((a, b) => a * b, 1) : width}A` };
  }
  if (typeof first === 'boolean' || (arr.length > 0 && first === undefined)) return { tform: `${repeat}L` };
  if (typeof first === 'bigint') return { tform: `${repeat}K` };
  if (arr.length === 0) throw new FitsError('cannot infer TFORM from an empty array: give `format`');
  return { tform: `${repeat}D` };
}

function inferRows(cols: Prepared[]): number {
  for (const c of cols) {
    const per = c.perRow;
    if (per > 0) return Math.floor(c.spec.data.length / per);
  }
  return 0;
}

function checkRows(c: Prepared, nrows: number): void {
  const want = nrows * c.perRow;
  if (c.spec.data.length !== want) {
    throw new FitsError(
      `has ${c.spec.data.length} values but ${nrows} rows of TFORM '${c.tform}' need ${want}`,
    );
  }
}

function encodeFixed(c: Prepared, nrows: number): Uint8Array {
  const { code, repeat, width } = c.format;
  const data = c.spec.data;
  if (code === 'L') return encodeLogical(data as (boolean | null)[]);
  if (code === 'X') return encodeBits(data as ArrayLike<number>, nrows, repeat, width);
  if (code === 'A') {
    const per = c.spec.dim && c.spec.dim.length > 1 ? c.spec.dim[0] : width;
    return encodeStrings(data as string[], nrows, width, per, c.perRow);
  }
  return encodeNumeric(data as NumericInput, code, {
    bscale: c.spec.bscale,
    bzero: c.bzero,
    null: c.spec.null,
  });
}

function encodeLogical(values: ArrayLike<boolean | null>): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] === null ? 0 : values[i] ? 0x54 : 0x46;
  return out;
}

function encodeBits(
  bits: ArrayLike<number | boolean>,
  nfields: number,
  nbits: number,
  width: number,
): Uint8Array {
  const out = new Uint8Array(nfields * width);
  for (let r = 0; r < nfields; r++) {
    for (let j = 0; j < nbits; j++) if (bits[r * nbits + j]) out[r * width + (j >> 3)] |= 0x80 >> (j & 7);
  }
  return out;
}

/** Strings NUL-padded to `per` characters (numpy's convention; they read back unchanged). */
function encodeStrings(
  values: string[],
  nrows: number,
  width: number,
  per: number,
  perRow: number,
): Uint8Array {
  const out = new Uint8Array(nrows * width);
  for (let r = 0; r < nrows; r++) {
    for (let k = 0; k < perRow; k++) {
      const s = values[r * perRow + k];
      if (typeof s !== 'string') throw new FitsError(`row ${r}: ${JSON.stringify(s)} is not a string`);
      if (s.length > per)
        throw new FitsError(`row ${r}: string of ${s.length} characters is longer than ${per}`);
      const base = r * width + k * per;
      for (let i = 0; i < s.length; i++) {
        const ch = s.charCodeAt(i);
        if (ch > 0xff) throw new FitsError(`row ${r}: character U+${ch.toString(16)} is not Latin-1`);
        out[base + i] = ch;
      }
    }
  }
  return out;
}

function encodeVla(
  c: Prepared,
  nrows: number,
  heapStart: number,
): { descriptors: Uint8Array; heap: Uint8Array } {
  const q = c.format.code === 'Q';
  const code = c.format.vlaCode!;
  const rows = c.spec.data as VlaInput[];
  const scaling = { bscale: c.spec.bscale, bzero: c.bzero, null: c.spec.null };
  const stored = allocKind(code);
  if (
    stored &&
    rows.every((r) => r?.constructor === stored && isStoredAsIs(r as ImageArray, code, scaling))
  ) {
    return encodeVlaTyped(c, rows as ImageArray[], heapStart);
  }
  const desc = new DataView(new ArrayBuffer(nrows * c.format.width));
  const parts = new Array<Uint8Array>(nrows);
  let size = 0;
  for (let r = 0; r < nrows; r++) {
    const row = rows[r];
    if (row === null || row === undefined || typeof (row as { length?: unknown }).length !== 'number') {
      throw new FitsError(`row ${r}: a VLA row must be an array or string`);
    }
    const bytes = encodeVlaRow(c, code, row);
    const count = code === 'C' || code === 'M' ? row.length / 2 : row.length;
    if (c.format.vlaMax !== undefined && count > c.format.vlaMax) {
      throw new FitsError(`row ${r}: ${count} elements exceed the declared maximum ${c.format.vlaMax}`);
    }
    const at = heapStart + size;
    if (q) {
      desc.setBigInt64(r * 16, BigInt(count));
      desc.setBigInt64(r * 16 + 8, BigInt(at));
    } else {
      if (at + bytes.length > 2 ** 31 - 1) throw new FitsError('heap exceeds 2 GiB: use a Q format');
      desc.setInt32(r * 8, count);
      desc.setInt32(r * 8 + 4, at);
    }
    parts[r] = bytes;
    size += bytes.length;
  }
  const heap = new Uint8Array(size);
  for (let r = 0, pos = 0; r < nrows; r++) {
    heap.set(parts[r], pos);
    pos += parts[r].length;
  }
  return { descriptors: new Uint8Array(desc.buffer), heap };
}

/** The typed-array class that stores element code `code` unscaled (undefined for L/X/A). */
function allocKind(code: BinCode): unknown {
  const map: Partial<Record<BinCode, unknown>> = {
    B: Uint8Array,
    I: Int16Array,
    J: Int32Array,
    K: BigInt64Array,
    E: Float32Array,
    C: Float32Array,
    D: Float64Array,
    M: Float64Array,
  };
  return map[code];
}

/** Fast path: every row already a typed array of the stored type; one heap copy and one swap. */
function encodeVlaTyped(
  c: Prepared,
  rows: ImageArray[],
  heapStart: number,
): { descriptors: Uint8Array; heap: Uint8Array } {
  const q = c.format.code === 'Q';
  const complex = c.format.vlaCode === 'C' || c.format.vlaCode === 'M';
  const desc = new DataView(new ArrayBuffer(rows.length * c.format.width));
  let size = 0;
  for (const r of rows) size += r.byteLength;
  if (!q && heapStart + size > 2 ** 31 - 1) throw new FitsError('heap exceeds 2 GiB: use a Q format');
  const heap = new Uint8Array(size);
  let pos = 0;
  rows.forEach((r, i) => {
    const count = complex ? r.length / 2 : r.length;
    if (complex && r.length % 2 !== 0)
      throw new FitsError(`row ${i}: complex rows need interleaved (re, im) pairs`);
    if (c.format.vlaMax !== undefined && count > c.format.vlaMax) {
      throw new FitsError(`row ${i}: ${count} elements exceed the declared maximum ${c.format.vlaMax}`);
    }
    if (q) {
      desc.setBigInt64(i * 16, BigInt(count));
      desc.setBigInt64(i * 16 + 8, BigInt(heapStart + pos));
    } else {
      desc.setInt32(i * 8, count);
      desc.setInt32(i * 8 + 4, heapStart + pos);
    }
    heap.set(new Uint8Array(r.buffer, r.byteOffset, r.byteLength), pos);
    pos += r.byteLength;
  });
  swapToNative(heap, rows.length ? rows[0].BYTES_PER_ELEMENT : 1);
  return { descriptors: new Uint8Array(desc.buffer), heap };
}

function encodeVlaRow(c: Prepared, code: Exclude<BinCode, 'P' | 'Q'>, row: VlaInput): Uint8Array {
  if (code === 'A') {
    if (typeof row !== 'string') throw new FitsError('a PA/QA row must be a string');
    return encodeStrings([row], 1, row.length, row.length, 1);
  }
  if (typeof row === 'string') throw new FitsError(`a string row in a VLA of type ${code}`);
  if (code === 'L') return encodeLogical(row as (boolean | null)[]);
  if (code === 'X') return encodeBits(row as number[], 1, row.length, Math.ceil(row.length / 8));
  if ((code === 'C' || code === 'M') && row.length % 2 !== 0)
    throw new FitsError('complex rows need interleaved (re, im) pairs');
  return encodeNumeric(row as NumericInput, code, {
    bscale: c.spec.bscale,
    bzero: c.bzero,
    null: c.spec.null,
  });
}

/** Writes each row's field (the inverse of gatherField). */
function scatter(
  rows: Uint8Array,
  field: Uint8Array,
  nrows: number,
  rowBytes: number,
  offset: number,
  width: number,
): void {
  if (width === 0) return;
  if (width === rowBytes) {
    rows.set(field.subarray(0, nrows * width));
    return;
  }
  let d = offset;
  let o = 0;
  if (width <= 16) {
    for (let r = 0; r < nrows; r++, d += rowBytes) for (let k = 0; k < width; k++) rows[d + k] = field[o++];
  } else {
    for (let r = 0; r < nrows; r++, d += rowBytes, o += width) rows.set(field.subarray(o, o + width), d);
  }
}

const GENERATED =
  /^(SIMPLE|XTENSION|BITPIX|NAXIS\d*|PCOUNT|GCOUNT|TFIELDS|THEAP|EXTEND|CHECKSUM|DATASUM|(TTYPE|TFORM|TUNIT|TDIM|TNULL|TSCAL|TZERO|TBCOL)\d+)$/;

function buildHeader(
  spec: BinTableSpec,
  cols: Prepared[],
  rowBytes: number,
  nrows: number,
  heapSize: number,
): Header {
  const h = new Header();
  h.append('XTENSION', 'BINTABLE', 'binary table extension');
  h.append('BITPIX', 8, 'array data type');
  h.append('NAXIS', 2, 'number of array dimensions');
  h.append('NAXIS1', rowBytes, 'length of dimension 1');
  h.append('NAXIS2', nrows, 'length of dimension 2');
  h.append('PCOUNT', heapSize, 'number of group parameters');
  h.append('GCOUNT', 1, 'number of groups');
  h.append('TFIELDS', cols.length, 'number of table fields');
  cols.forEach((c, i) => {
    const n = i + 1;
    const s = c.spec;
    h.append(`TTYPE${n}`, s.name);
    h.append(`TFORM${n}`, c.tform);
    if (s.unit) h.append(`TUNIT${n}`, s.unit);
    if (s.dim) h.append(`TDIM${n}`, `(${s.dim.join(',')})`);
    if (s.null !== undefined) h.append(`TNULL${n}`, s.null);
    if (s.bscale !== undefined) h.append(`TSCAL${n}`, s.bscale, '', { float: true });
    if (c.bzero !== undefined)
      h.append(`TZERO${n}`, c.bzero, '', { float: !Number.isInteger(Number(c.bzero)) });
  });
  if (heapSize > 0) h.append('THEAP', rowBytes * nrows, 'offset of the heap');
  if (spec.name !== undefined) h.append('EXTNAME', spec.name, 'extension name');
  if (spec.ver !== undefined) h.append('EXTVER', spec.ver, 'extension version');
  const extra = spec.header instanceof Header ? spec.header.cards : (spec.header ?? []).map((e) => e);
  for (const e of extra) {
    const key = Array.isArray(e) ? e[0].toUpperCase() : e.key;
    if (
      GENERATED.test(key) ||
      (key === 'EXTNAME' && spec.name !== undefined) ||
      (key === 'EXTVER' && spec.ver !== undefined)
    )
      continue;
    if (Array.isArray(e)) h.append(e[0], e[1], e[2] ?? '');
    else h.insertAt(h.cards.length, e);
  }
  return h;
}

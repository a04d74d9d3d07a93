// Binary tables (BINTABLE, and the table under a tile-compressed image): the rows are read in
// chunks, each selected field gathered into its column's buffer (numeric ones byte-swapped in the
// same pass), then scaled; VLA descriptors are checked against the heap before it is read.
import { Buffer } from 'node:buffer';
import { FitsError } from '../errors.ts';
import type { Hdu } from '../hdu.ts';
import type { Header } from '../header.ts';
import { type BinCode, binTableLayout, type ColumnLayout, parseTdim, type TableLayout } from './layout.ts';
import {
  componentBytes,
  decodeBits,
  decodeLogical,
  decodeStrings,
  elementKindOf,
  nullMask,
  scaledToFloat,
  toColumnPhysical,
  viewNative,
} from './convert.ts';
import { gatherField, gatherNative } from './gather.ts';
import { columnKeywords, columnLabel, type FieldPlace, selectColumns, selectRows, Table } from './table.ts';
import type { Column, ReadTableOptions } from './types.ts';
import { readVlaColumn, type VlaDescriptors, vlaDescriptors } from './vla.ts';

export function readBinTable(hdu: Hdu, options: ReadTableOptions): Table {
  const header = hdu.header;
  const layout = binTableLayout(header);
  const places: FieldPlace[] = layout.columns.map((c) => ({
    number: c.number,
    name: c.name,
    offset: c.offset,
    width: c.format.width,
  }));
  const wanted = selectColumns(places, options.columns);
  const [start, end] = selectRows(layout.nrows, options.rows);
  const nrows = end - start;
  const problems: string[] = [];
  const fields = wanted.map((p) => layout.columns[p.number - 1]);
  const metas = fields.map((c) => within(c, () => columnMeta(header, c, problems)));
  const buffers = gatherColumns(hdu, layout, fields, start, end);
  const descriptors = new Map<number, VlaDescriptors>();
  fields.forEach((c, i) => {
    if (c.format.code === 'P' || c.format.code === 'Q') {
      const d = within(c, () => vlaDescriptors(buffers[i], c.format, nrows, layout.heapSize, start));
      descriptors.set(c.number, d);
    }
  });
  const heap = descriptors.size ? readHeapWindow(hdu, layout, [...descriptors.values()]) : undefined;
  const columns = fields.map((c, i) =>
    within(c, (): Column => {
      const meta = metas[i];
      const d = descriptors.get(c.number);
      if (d && heap) {
        const values = readVlaColumn(d, heap.bytes, heap.start, c.format.vlaCode!, meta, options.trimStrings);
        return { ...meta, values };
      }
      const code = c.format.code;
      if (isNumeric(code)) {
        const stored = viewNative(buffers[i], code);
        const nulls = nullMask(stored, meta.null);
        const values = toColumnPhysical(stored, code, meta);
        return nulls ? { ...meta, values, nulls } : { ...meta, values };
      }
      return fixedColumn(buffers[i], nrows, c, meta, options.trimStrings ?? false);
    }),
  );
  return new Table({
    kind: 'BINTABLE',
    nrows,
    firstRow: start,
    columns,
    problems,
    readField: (p) =>
      gatherColumns(
        hdu,
        layout,
        [{ offset: p.offset, format: { code: 'A', width: p.width } }],
        start,
        end,
      )[0],
    places,
    where: { file: hdu.fileName, hdu: hdu.index },
  });
}

function isNumeric(code: BinCode): boolean {
  return code !== 'L' && code !== 'X' && code !== 'A' && code !== 'P' && code !== 'Q';
}

/**
 * Reads rows [start, end) in chunks of a few MiB and gathers each field into its column's buffer
 * (numeric fields already in native byte order): one pass over the data, cache-sized blocks,
 * and no copy of the whole table in memory.
 */
function gatherColumns(
  hdu: Hdu,
  layout: TableLayout,
  fields: { offset: number; format: { code: BinCode; width: number } }[],
  start: number,
  end: number,
): Uint8Array[] {
  const nrows = end - start;
  const rowBytes = layout.rowBytes;
  // A corrupted NAXIS2 in a short file must fail here, before column buffers are allocated.
  if (hdu.truncatedAt !== undefined && hdu.datLoc + end * rowBytes > hdu.truncatedAt) {
    throw new FitsError(
      `file is truncated: rows up to ${end} need ${end * rowBytes} bytes from byte ${hdu.datLoc} but the file has ${hdu.truncatedAt} bytes`,
      { offset: hdu.truncatedAt },
    );
  }
  const out = fields.map((c) => new Uint8Array(nrows * c.format.width));
  if (rowBytes === 0 || nrows === 0) return out;
  const elem = fields.map((c) => (isNumeric(c.format.code) ? componentBytes(c.format.code) : 1));
  const perChunk = Math.max(1, Math.floor(CHUNK_BYTES / rowBytes));
  const buf = Buffer.allocUnsafe(Math.min(perChunk, nrows) * rowBytes);
  for (let r = start; r < end; r += perChunk) {
    const n = Math.min(perChunk, end - r);
    const chunk = buf.subarray(0, n * rowBytes);
    hdu.readDataBytes(r * rowBytes, n * rowBytes, chunk);
    fields.forEach((c, i) => {
      const w = c.format.width;
      if (elem[i] > 1) gatherNative(chunk, n, rowBytes, c.offset, w, elem[i], out[i], (r - start) * w);
      else gatherField(chunk, n, rowBytes, c.offset, w, out[i], (r - start) * w);
    });
  }
  return out;
}

const CHUNK_BYTES = 4 << 20;

/** Runs fn, prefixing any FitsError with the column it concerns. */
function within<T>(c: ColumnLayout, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof FitsError) {
      throw new FitsError(
        `${columnLabel(c.number, c.name)} (TFORM${c.number} = '${c.tform}'): ${err.reason}`,
        {
          keyword: err.keyword,
          offset: err.offset,
        },
      );
    }
    throw err;
  }
}

type Meta = Omit<Column, 'values'>;

function columnMeta(header: Header, c: ColumnLayout, problems: string[]): Meta {
  const isVla = c.format.code === 'P' || c.format.code === 'Q';
  const code = (isVla ? c.format.vlaCode : c.format.code) as Exclude<BinCode, 'P' | 'Q'>;
  const keys = columnKeywords(header, c.number);
  const elementKind = scaledToFloat(code, keys) ? 'float' : elementKindOf(code);
  const meta: Meta = {
    name: c.name,
    number: c.number,
    tform: c.tform,
    kind: isVla ? 'vla' : elementKind,
    elementKind,
    repeat: isVla ? 1 : c.format.repeat,
    width: c.format.width,
    ...keys,
  };
  const tdim = header.get(`TDIM${c.number}`);
  if (typeof tdim === 'string' && tdim.trim() !== '') {
    let dim: number[];
    try {
      dim = parseTdim(tdim);
    } catch (err) {
      if (err instanceof FitsError) throw new FitsError(err.reason, { keyword: `TDIM${c.number}` });
      throw err;
    }
    const n = dim.reduce((a, b) => a * b, 1);
    // astropy ignores (with a warning) a TDIM larger than the field; so do we, and say so.
    if (!isVla && n > c.format.repeat) {
      problems.push(
        `TDIM${c.number} = '${tdim}' needs ${n} elements but TFORM${c.number} = '${c.tform}' has ${c.format.repeat}; ignored`,
      );
    } else meta.dim = dim;
  }
  if (code === 'A' && !isVla)
    meta.repeat = meta.dim && meta.dim.length > 1 ? meta.dim.slice(1).reduce((a, b) => a * b, 1) : 1;
  return meta;
}

function fixedColumn(bytes: Uint8Array, nrows: number, c: ColumnLayout, meta: Meta, trim: boolean): Column {
  const { code, repeat, width } = c.format;
  switch (code) {
    case 'L':
      return { ...meta, values: decodeLogical(bytes) };
    case 'X':
      return { ...meta, values: decodeBits(bytes, nrows, width, repeat) };
    case 'A':
      if (meta.dim && meta.dim.length > 1) {
        return { ...meta, values: stringsWithDim(bytes, nrows, width, meta.dim[0], meta.repeat, trim) };
      }
      return { ...meta, values: decodeStrings(bytes, nrows, width, trim) };
    default:
      throw new Error(`numeric code ${code} is decoded by gatherNative`);
  }
}

/** A character field split by TDIM into `count` strings of `per` characters (astropy's shape). */
function stringsWithDim(
  bytes: Uint8Array,
  nrows: number,
  width: number,
  per: number,
  count: number,
  trim: boolean,
): string[] {
  const out: string[] = [];
  for (let r = 0; r < nrows; r++) {
    const field = bytes.subarray(r * width, r * width + per * count);
    out.push(...decodeStrings(field, count, per, trim));
  }
  return out;
}

/** Reads only the part of the heap that the selected descriptors point into. */
function readHeapWindow(
  hdu: Hdu,
  layout: TableLayout,
  all: VlaDescriptors[],
): { bytes: Uint8Array; start: number } {
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (const d of all) {
    if (d.end > d.start) {
      lo = Math.min(lo, d.start);
      hi = Math.max(hi, d.end);
    }
  }
  if (hi <= lo) return { bytes: new Uint8Array(0), start: 0 };
  return { bytes: hdu.readDataBytes(layout.heapOffset + lo, hi - lo), start: lo };
}

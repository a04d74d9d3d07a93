// Variable-length array columns (P and Q descriptors): every descriptor is checked against the
// heap before anything is read, then all rows' elements are copied into one buffer, swapped and
// scaled once, and handed out as per-row views.
import { Buffer } from 'node:buffer';
import { FitsError } from '../errors.ts';
import type { ImageArray } from '../image.ts';
import {
  decodeBits,
  decodeLogical,
  decodeNumeric,
  decodeStrings,
  toColumnPhysical,
  type ColumnScaling,
} from './convert.ts';
import { type BinCode, type BinFormat, ELEMENT_BYTES } from './layout.ts';
import type { VlaRow } from './types.ts';

export interface VlaDescriptors {
  /** Elements per row (bits for X). */
  counts: number[];
  /** Heap offsets per row (bytes from the heap start). */
  offsets: number[];
  /** Bytes each row occupies in the heap. */
  sizes: number[];
  /** The heap span [start, end) all rows use (start > end when nothing is used). */
  start: number;
  end: number;
}

type ElementCode = Exclude<BinCode, 'P' | 'Q'>;

export function elementBytes(code: ElementCode, count: number): number {
  return code === 'X' ? Math.ceil(count / 8) : count * ELEMENT_BYTES[code];
}

/** Decodes and bounds-checks the descriptors (gathered field bytes of every row). */
export function vlaDescriptors(
  bytes: Uint8Array,
  format: BinFormat,
  nrows: number,
  heapSize: number,
  firstRow: number,
): VlaDescriptors {
  if (format.repeat === 0) {
    const zeros = new Array<number>(nrows).fill(0);
    return { counts: zeros, offsets: zeros, sizes: zeros, start: Number.POSITIVE_INFINITY, end: 0 };
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const q = format.code === 'Q';
  const code = format.vlaCode as ElementCode;
  const counts = new Array<number>(nrows);
  const offsets = new Array<number>(nrows);
  const sizes = new Array<number>(nrows);
  let start = Number.POSITIVE_INFINITY;
  let end = 0;
  for (let r = 0; r < nrows; r++) {
    const count = q ? Number(buf.readBigInt64BE(r * 16)) : buf.readInt32BE(r * 8);
    const offset = q ? Number(buf.readBigInt64BE(r * 16 + 8)) : buf.readInt32BE(r * 8 + 4);
    const size = elementBytes(code, count);
    if (count < 0 || offset < 0 || (size > 0 && offset + size > heapSize)) {
      throw new FitsError(
        `row ${firstRow + r}: descriptor (${count} elements at heap offset ${offset}) points outside the ${heapSize}-byte heap`,
      );
    }
    counts[r] = count;
    offsets[r] = offset;
    sizes[r] = size;
    if (size > 0) {
      if (offset < start) start = offset;
      if (offset + size > end) end = offset + size;
    }
  }
  return { counts, offsets, sizes, start, end };
}

/** Per-row values of a VLA column; `heap` holds heap bytes from heap offset `heapStart`. */
export function readVlaColumn(
  d: VlaDescriptors,
  heap: Uint8Array,
  heapStart: number,
  code: ElementCode,
  scaling: ColumnScaling,
  trim = false,
): VlaRow[] {
  const n = d.counts.length;
  const rowBytes = (r: number): Uint8Array =>
    heap.subarray(d.offsets[r] - heapStart, d.offsets[r] - heapStart + d.sizes[r]);
  const out = new Array<VlaRow>(n);
  if (code === 'L') {
    for (let r = 0; r < n; r++) out[r] = d.sizes[r] ? decodeLogical(rowBytes(r)) : [];
    return out;
  }
  if (code === 'A') {
    for (let r = 0; r < n; r++) out[r] = d.sizes[r] ? decodeStrings(rowBytes(r), 1, d.sizes[r], trim)[0] : '';
    return out;
  }
  if (code === 'X') {
    for (let r = 0; r < n; r++) out[r] = decodeBits(rowBytes(r), 1, d.sizes[r], d.counts[r]);
    return out;
  }
  let total = 0;
  for (let r = 0; r < n; r++) total += d.sizes[r];
  const all = new Uint8Array(total);
  for (let r = 0, pos = 0; r < n; r++) {
    all.set(rowBytes(r), pos);
    pos += d.sizes[r];
  }
  const values = toColumnPhysical(decodeNumeric(all, code), code, scaling);
  const perElement = code === 'C' || code === 'M' ? 2 : 1;
  for (let r = 0, pos = 0; r < n; r++) {
    const len = d.counts[r] * perElement;
    out[r] = values.subarray(pos, pos + len) as ImageArray;
    pos += len;
  }
  return out;
}

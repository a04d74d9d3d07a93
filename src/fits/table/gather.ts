// Gathering one column's field bytes out of a block of rows into the column's own buffer, with
// the big-endian → native swap fused into the same pass for numeric fields. Callers pass the
// output buffer and a byte position so a table can be scanned in row chunks.
import { Buffer } from 'node:buffer';
import { swapToNative } from '../image.ts';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Copies the `width`-byte field at `offset` of each of `nrows` rows to `out` from byte `pos`. */
export function gatherField(
  rows: Uint8Array,
  nrows: number,
  rowBytes: number,
  offset: number,
  width: number,
  out: Uint8Array = new Uint8Array(nrows * width),
  pos = 0,
): Uint8Array {
  if (width === 0 || nrows === 0) return out;
  if (width === rowBytes) {
    out.set(rows.subarray(0, nrows * width), pos);
    return out;
  }
  let s = offset;
  let o = pos;
  if (width === 1) {
    for (let i = 0; i < nrows; i++, s += rowBytes) out[o++] = rows[s];
  } else if (width === 2) {
    for (let i = 0; i < nrows; i++, s += rowBytes, o += 2) {
      out[o] = rows[s];
      out[o + 1] = rows[s + 1];
    }
  } else if (width === 4) {
    for (let i = 0; i < nrows; i++, s += rowBytes, o += 4) {
      out[o] = rows[s];
      out[o + 1] = rows[s + 1];
      out[o + 2] = rows[s + 2];
      out[o + 3] = rows[s + 3];
    }
  } else if (width < 48) {
    // Byte loops beat a native copy per row below ~48 bytes (measured); Buffer.copy above.
    for (let i = 0; i < nrows; i++, s += rowBytes) for (let k = 0; k < width; k++) out[o++] = rows[s + k];
  } else {
    const src = Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength);
    for (let i = 0; i < nrows; i++, s += rowBytes, o += width) src.copy(out, o, s, s + width);
  }
  return out;
}

/**
 * gatherField + swap to native order. Short fields are read element by element as big-endian
 * integers and stored with one 16/32-bit write (8-byte elements as two 32-bit halves), measured
 * 1.3-1.6x faster than copy-then-swap; fields of 64 bytes or more are block-copied, then swapped
 * with Buffer.swapNN.
 * `out` must be a fresh (8-byte aligned) buffer; `pos` a multiple of the field width.
 */
export function gatherNative(
  rows: Uint8Array,
  nrows: number,
  rowBytes: number,
  offset: number,
  width: number,
  elemSize: number,
  out: Uint8Array = new Uint8Array(nrows * width),
  pos = 0,
): Uint8Array {
  if (!LITTLE_ENDIAN || elemSize === 1 || width >= 64 || width === 0) {
    gatherField(rows, nrows, rowBytes, offset, width, out, pos);
    if (LITTLE_ENDIAN) swapToNative(out.subarray(pos, pos + nrows * width), elemSize);
    return out;
  }
  const per = width / elemSize;
  // DataView's big-endian integer reads are inlined by V8 and measured ~10-25% faster than
  // assembling bytes by hand; integer reads keep float bit patterns (NaN payloads) exact.
  const dv = new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
  if (elemSize === 2) {
    const o = new Int16Array(out.buffer, out.byteOffset, out.length >> 1);
    let k = pos >> 1;
    if (per === 1) for (let i = 0, s = offset; i < nrows; i++, s += rowBytes) o[k++] = dv.getInt16(s);
    else {
      for (let r = 0; r < nrows; r++) {
        for (let e = 0, s = r * rowBytes + offset; e < per; e++, s += 2) o[k++] = dv.getInt16(s);
      }
    }
    return out;
  }
  const o = new Int32Array(out.buffer, out.byteOffset, out.length >> 2);
  let k = pos >> 2;
  if (elemSize === 4) {
    if (per === 1) for (let i = 0, s = offset; i < nrows; i++, s += rowBytes) o[k++] = dv.getInt32(s);
    else {
      for (let r = 0; r < nrows; r++) {
        for (let e = 0, s = r * rowBytes + offset; e < per; e++, s += 4) o[k++] = dv.getInt32(s);
      }
    }
    return out;
  }
  for (let r = 0; r < nrows; r++) {
    for (let e = 0, s = r * rowBytes + offset; e < per; e++, s += 8, k += 2) {
      o[k + 1] = dv.getInt32(s);
      o[k] = dv.getInt32(s + 4);
    }
  }
  return out;
}

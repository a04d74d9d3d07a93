// Byte-level helpers shared by the codecs: gzip/zlib inflate with a size cap, GZIP_2 byte
// (un)shuffling, and big-endian bytes ↔ typed arrays.
import { gunzipSync, gzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { FitsError } from '../errors.ts';
import type { ImageArray } from '../image.ts';
import { swapToNative } from '../image.ts';

/** Inflates a gzip (or zlib) stream, refusing output beyond `maxBytes` (zip bombs, corrupt sizes). */
export function inflate(bytes: Uint8Array, maxBytes: number): Uint8Array {
  const opts = { maxOutputLength: Math.max(1, maxBytes) };
  try {
    if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return gunzipSync(bytes, opts);
    if (bytes.length >= 2 && (bytes[0] & 0x0f) === 8 && ((bytes[0] << 8) | bytes[1]) % 31 === 0)
      return inflateSync(bytes, opts);
    return inflateRawSync(bytes, opts);
  } catch (err) {
    throw new FitsError(`gzip data do not inflate (${(err as Error).message})`);
  }
}

export function gzip(bytes: Uint8Array, level = 6): Uint8Array {
  return gzipSync(bytes, { level });
}

/** GZIP_2: bytes were grouped by significance (all first bytes, then all second bytes, ...). */
export function unshuffle(bytes: Uint8Array, width: number): Uint8Array {
  if (width === 1) return bytes;
  const n = bytes.length / width;
  const out = new Uint8Array(bytes.length);
  for (let k = 0; k < width; k++) {
    const base = k * n;
    for (let i = 0; i < n; i++) out[i * width + k] = bytes[base + i];
  }
  return out;
}

export function shuffle(bytes: Uint8Array, width: number): Uint8Array {
  if (width === 1) return bytes;
  const n = bytes.length / width;
  const out = new Uint8Array(bytes.length);
  for (let k = 0; k < width; k++) {
    const base = k * n;
    for (let i = 0; i < n; i++) out[base + i] = bytes[i * width + k];
  }
  return out;
}

/** Big-endian bytes → a new native array: signed integers of the width (bytes for 1), or floats. */
export function fromBigEndian(bytes: Uint8Array, width: number, float: boolean): ImageArray {
  const n = bytes.length / width;
  if (!Number.isInteger(n))
    throw new FitsError(`${bytes.length} bytes are not a whole number of ${width}-byte values`);
  let out: ImageArray;
  if (float) out = width === 4 ? new Float32Array(n) : new Float64Array(n);
  else if (width === 1) out = new Uint8Array(n);
  else if (width === 2) out = new Int16Array(n);
  else if (width === 4) out = new Int32Array(n);
  else if (width === 8) out = new BigInt64Array(n);
  else throw new FitsError(`values of ${width} bytes are not supported`);
  const view = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  view.set(bytes);
  swapToNative(view, width);
  return out;
}

/** A native array → big-endian bytes (new buffer). */
export function toBigEndian(data: ImageArray): Uint8Array {
  const out = new Uint8Array(data.byteLength);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  swapToNative(out, data.BYTES_PER_ELEMENT);
  return out;
}

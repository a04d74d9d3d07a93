// Writing tile-compressed images: image → BINTABLE header (ZIMAGE = T …) and data unit (rows +
// heap, unpadded) that cfitsio/fpack and astropy read back. Padding and checksums are the
// writer's job.
import type { CardValue } from '../card.ts';
import { FitsError } from '../errors.ts';
import { Header } from '../header.ts';
import { countOf, type ImageArray } from '../image.ts';
import { gzip, shuffle, toBigEndian } from './bytes.ts';
import { type DitherMethod, NULL_VALUE, quantize } from './quantize.ts';
import { riceEncode } from './rice.ts';

export interface CompressOptions {
  type: 'RICE_1' | 'GZIP_1' | 'GZIP_2' | 'NOCOMPRESS';
  /** ZTILEn, FITS order (default: one row per tile, as fpack). */
  tile?: number[];
  /** Like fpack -q: step = noise/q (q > 0) or -q (q < 0); 0 = lossless. Default 4 for floats. */
  quantize?: number;
  /** Default SUBTRACTIVE_DITHER_1 when quantizing. */
  dither?: DitherMethod;
  /** ZDITHER0, 1..10000 (default 1). */
  seed?: number;
}

export interface CompressInput {
  /** Stored values (or Uint16/Uint32/Int8/BigUint64 arrays, stored with the BZERO convention). */
  data: ImageArray;
  /** NAXISn, FITS order. */
  naxes: number[];
  /** The image's header (cards other than the structural ones are carried over). */
  header?: Header;
}

export interface CompressedHdu {
  header: Header;
  data: Uint8Array;
}

const BLOCKSIZE = 32;
/** VLA element code holding a tile's values of each BITPIX (UNCOMPRESSED_DATA). */
const VLA_CODE: Record<number, string> = { 8: 'B', 16: 'I', 32: 'J', 64: 'K', [-32]: 'E', [-64]: 'D' };

function elementBytes(code: string | undefined): number {
  return code === 'I' ? 2 : code === 'J' || code === 'E' ? 4 : code === 'K' || code === 'D' ? 8 : 1;
}

interface StoredImage {
  bitpix: number;
  values: ImageArray;
  bzero?: number;
}

/** Maps the input array to BITPIX and stored values (unsigned types via BZERO, like astropy). */
function storedOf(data: ImageArray): StoredImage {
  if (data instanceof Uint8Array) return { bitpix: 8, values: data };
  if (data instanceof Int16Array) return { bitpix: 16, values: data };
  if (data instanceof Int32Array) return { bitpix: 32, values: data };
  if (data instanceof BigInt64Array) return { bitpix: 64, values: data };
  if (data instanceof Float32Array) return { bitpix: -32, values: data };
  if (data instanceof Float64Array) return { bitpix: -64, values: data };
  if (data instanceof Int8Array)
    return { bitpix: 8, values: flipped(new Uint8Array(data.length), data, 0x80), bzero: -128 };
  if (data instanceof Uint16Array)
    return { bitpix: 16, values: flipped(new Int16Array(data.length), data, 0x8000), bzero: 32768 };
  if (data instanceof Uint32Array) {
    return { bitpix: 32, values: flipped(new Int32Array(data.length), data, 0x80000000), bzero: 2147483648 };
  }
  const sign = 1n << 63n;
  const src = data as BigUint64Array;
  const out = new BigInt64Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = BigInt.asIntN(64, src[i] ^ sign);
  return { bitpix: 64, values: out, bzero: 2 ** 63 };
}

/** Stored = physical − BZERO for the unsigned conventions: flip the sign bit (a plain loop, fast). */
function flipped<T extends Uint8Array | Int16Array | Int32Array>(
  out: T,
  src: ArrayLike<number>,
  bit: number,
): T {
  for (let i = 0; i < src.length; i++) out[i] = src[i] ^ bit;
  return out;
}

interface EncodedTile {
  data?: Uint8Array;
  gzipData?: Uint8Array;
  /** NOCOMPRESS: the tile's values as stored, for UNCOMPRESSED_DATA (as fpack -d writes). */
  rawData?: Uint8Array;
  scale?: number;
  zero?: number;
}

/** Compresses an image into a tiled-image BINTABLE (header + unpadded data unit). */
export function compressImage(image: CompressInput, options: CompressOptions): CompressedHdu {
  const { naxes } = image;
  const stored = storedOf(image.data);
  const n = countOf(naxes);
  if (naxes.length === 0 || naxes.some((a) => !Number.isInteger(a) || a < 1))
    throw new FitsError(`cannot compress an image of axes [${naxes}]`);
  if (stored.values.length !== n)
    throw new FitsError(`image has ${stored.values.length} values but axes [${naxes}] need ${n}`);
  const tile = (options.tile ?? naxes.map((a, i) => (i === 0 ? a : 1))).map((t, i) =>
    Math.min(Math.max(1, Math.trunc(t)), naxes[i]),
  );
  if (tile.length !== naxes.length)
    throw new FitsError(`tile has ${tile.length} axes, the image ${naxes.length}`);
  const isFloat = stored.bitpix < 0;
  // NOCOMPRESS keeps values as they are (floats too), like fpack -d.
  const q = isFloat && options.type !== 'NOCOMPRESS' ? (options.quantize ?? 4) : 0;
  const dither: DitherMethod = options.dither ?? 'SUBTRACTIVE_DITHER_1';
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 1 || seed > 10000)
    throw new FitsError(`dither seed ${seed} is outside 1..10000`);
  if (options.type === 'RICE_1' && (stored.bitpix === 64 || (isFloat && q === 0))) {
    throw new FitsError(
      `RICE_1 cannot compress BITPIX ${stored.bitpix}${isFloat ? ' losslessly; quantize or use GZIP_1/GZIP_2' : '; use GZIP_1/GZIP_2'}`,
    );
  }
  const counts = naxes.map((a, i) => Math.ceil(a / tile[i]));
  const nTiles = countOf(counts);
  const tiles: EncodedTile[] = [];
  let anyNull = false;
  let anyLossless = false;
  const buf = makeTileBuffer(stored.values, countOf(tile));
  for (let t = 0; t < nTiles; t++) {
    const values = extractTile(stored.values, naxes, tile, counts, t, buf);
    if (isFloat && q !== 0) {
      const qr = quantize(values as Float32Array | Float64Array, q, dither, t + 1, seed);
      if (!qr) {
        anyLossless = true;
        tiles.push({ gzipData: gzip(toBigEndian(values)), scale: 0, zero: 0 });
        continue;
      }
      anyNull ||= qr.hasNull;
      tiles.push({ data: encodeInts(options.type, qr.values, 4), scale: qr.scale, zero: qr.zero });
    } else if (options.type === 'NOCOMPRESS') {
      tiles.push({ rawData: toBigEndian(values) });
    } else {
      tiles.push({ data: encodeInts(options.type, values, Math.abs(stored.bitpix) / 8) });
    }
  }
  const quantized = isFloat && q !== 0;
  return assemble(image.header, stored, naxes, tile, tiles, {
    type: options.type,
    quantized,
    lossless: isFloat && q === 0,
    anyLossless,
    anyNull,
    dither,
    seed,
  });
}

function makeTileBuffer(values: ImageArray, n: number): ImageArray {
  const C = values.constructor as new (n: number) => ImageArray;
  return new C(n);
}

/** Copies tile t (table order) out of the image into buf (returns a view of the tile's size). */
function extractTile(
  values: ImageArray,
  naxes: number[],
  tile: number[],
  counts: number[],
  t: number,
  buf: ImageArray,
): ImageArray {
  const nd = naxes.length;
  const lo = new Array<number>(nd);
  const size = new Array<number>(nd);
  let rest = t;
  for (let a = 0; a < nd; a++) {
    const c = rest % counts[a];
    rest = Math.floor(rest / counts[a]);
    lo[a] = c * tile[a];
    size[a] = Math.min(tile[a], naxes[a] - lo[a]);
  }
  const npix = countOf(size);
  const out = buf.subarray(0, npix);
  const idx = lo.slice(1);
  let pos = 0;
  for (;;) {
    let off = lo[0];
    let stride = naxes[0];
    for (let a = 1; a < nd; a++) {
      off += idx[a - 1] * stride;
      stride *= naxes[a];
    }
    (out as Float64Array).set((values as Float64Array).subarray(off, off + size[0]), pos);
    pos += size[0];
    let a = 1;
    for (; a < nd; a++) {
      if (++idx[a - 1] < lo[a] + size[a]) break;
      idx[a - 1] = lo[a];
    }
    if (a === nd) return out;
  }
}

function encodeInts(type: CompressOptions['type'], values: ImageArray, width: number): Uint8Array {
  if (type === 'RICE_1') return riceEncode(values as ArrayLike<number>, BLOCKSIZE, width);
  const be = toBigEndian(values);
  if (type === 'GZIP_1') return gzip(be);
  if (type === 'GZIP_2') return gzip(shuffle(be, width));
  return be;
}

interface AssembleInfo {
  type: CompressOptions['type'];
  quantized: boolean;
  lossless: boolean;
  anyLossless: boolean;
  anyNull: boolean;
  dither: DitherMethod;
  seed: number;
}

/** Image keywords that are renamed in the table header (the convention's Z keywords). */
const TO_Z: Record<string, string> = {
  SIMPLE: 'ZSIMPLE',
  XTENSION: 'ZTENSION',
  BITPIX: 'ZBITPIX',
  NAXIS: 'ZNAXIS',
  EXTEND: 'ZEXTEND',
  BLOCKED: 'ZBLOCKED',
  PCOUNT: 'ZPCOUNT',
  GCOUNT: 'ZGCOUNT',
};

function assemble(
  imageHeader: Header | undefined,
  stored: StoredImage,
  naxes: number[],
  tile: number[],
  tiles: EncodedTile[],
  info: AssembleInfo,
): CompressedHdu {
  const columns: {
    name: string;
    vla: boolean;
    code?: string;
    get: (t: EncodedTile) => Uint8Array | number;
  }[] = [{ name: 'COMPRESSED_DATA', vla: true, get: (t) => t.data ?? new Uint8Array(0) }];
  if (info.type === 'NOCOMPRESS') {
    const code = VLA_CODE[stored.bitpix];
    columns.push({ name: 'UNCOMPRESSED_DATA', vla: true, code, get: (t) => t.rawData ?? new Uint8Array(0) });
  }
  if (info.quantized) {
    columns.push({ name: 'ZSCALE', vla: false, get: (t) => t.scale ?? 0 });
    columns.push({ name: 'ZZERO', vla: false, get: (t) => t.zero ?? 0 });
  }
  if (info.anyLossless)
    columns.push({ name: 'GZIP_COMPRESSED_DATA', vla: true, get: (t) => t.gzipData ?? new Uint8Array(0) });
  let heapSize = 0;
  for (const t of tiles)
    heapSize += (t.data?.length ?? 0) + (t.gzipData?.length ?? 0) + (t.rawData?.length ?? 0);
  const wide = heapSize >= 2 ** 31;
  const rowBytes = columns.reduce((s, c) => s + (c.vla ? (wide ? 16 : 8) : 8), 0);
  const data = new Uint8Array(rowBytes * tiles.length + heapSize);
  const view = new DataView(data.buffer);
  const maxLen = new Map<string, number>();
  let heap = 0;
  tiles.forEach((t, row) => {
    let at = row * rowBytes;
    for (const c of columns) {
      const v = c.get(t);
      if (typeof v === 'number') {
        view.setFloat64(at, v);
        at += 8;
        continue;
      }
      if (wide) {
        view.setBigUint64(at, BigInt(v.length / elementBytes(c.code)));
        view.setBigUint64(at + 8, BigInt(heap));
        at += 16;
      } else {
        view.setUint32(at, v.length / elementBytes(c.code));
        view.setUint32(at + 4, heap);
        at += 8;
      }
      data.set(v, rowBytes * tiles.length + heap);
      heap += v.length;
      maxLen.set(c.name, Math.max(maxLen.get(c.name) ?? 0, v.length / elementBytes(c.code)));
    }
  });
  const h = new Header();
  h.append('XTENSION', 'BINTABLE', 'binary table extension');
  h.append('BITPIX', 8, '8-bit bytes');
  h.append('NAXIS', 2, '2-dimensional binary table');
  h.append('NAXIS1', rowBytes, 'width of table in bytes');
  h.append('NAXIS2', tiles.length, 'number of rows in table');
  h.append('PCOUNT', heapSize, 'size of special data area');
  h.append('GCOUNT', 1, 'one data group (required keyword)');
  h.append('TFIELDS', columns.length, 'number of fields in each row');
  columns.forEach((c, i) => {
    h.append(`TTYPE${i + 1}`, c.name, `label for field ${i + 1}`);
    const form = c.vla ? `1${wide ? 'Q' : 'P'}${c.code ?? 'B'}(${maxLen.get(c.name) ?? 0})` : '1D';
    h.append(
      `TFORM${i + 1}`,
      form,
      c.vla ? 'data format of field: variable length array' : 'data format of field: 8-byte DOUBLE',
    );
  });
  h.append('ZIMAGE', true, 'extension contains compressed image');
  for (const [i, t] of tile.entries()) h.append(`ZTILE${i + 1}`, t, 'size of tiles to be compressed');
  h.append('ZCMPTYPE', info.type, 'compression algorithm');
  if (info.type === 'RICE_1') {
    h.append('ZNAME1', 'BLOCKSIZE', 'compression block size');
    h.append('ZVAL1', BLOCKSIZE, 'pixels per block');
    h.append('ZNAME2', 'BYTEPIX', 'bytes per pixel (1, 2, 4, or 8)');
    h.append('ZVAL2', info.quantized ? 4 : Math.abs(stored.bitpix) / 8, 'bytes per pixel (1, 2, 4, or 8)');
  }
  if (info.quantized) {
    h.append('ZQUANTIZ', info.dither, 'Pixel Quantization Algorithm');
    if (info.dither !== 'NO_DITHER')
      h.append('ZDITHER0', info.seed, 'dithering offset when quantizing floats');
    if (info.anyNull) h.append('ZBLANK', NULL_VALUE, 'null value in the compressed integer array');
  } else if (info.lossless) {
    h.append('ZQUANTIZ', 'NONE', 'Lossless compression without quantization');
  }
  copyImageKeywords(h, imageHeader, stored, naxes);
  return { header: h, data };
}

const TABLE_KEY = /^(TTYPE|TFORM|TUNIT|TNULL|TSCAL|TZERO|TDISP|TBCOL|TDIM)\d+$/;
const Z_KEY =
  /^Z(IMAGE|CMPTYPE|QUANTIZ|DITHER0|SIMPLE|TENSION|BITPIX|NAXIS\d*|TILE\d+|NAME\d+|VAL\d+|PCOUNT|GCOUNT|EXTEND|BLOCKED|HECKSUM|DATASUM|MASKCMP|SCALE|ZERO|BLANK)$/;

function copyImageKeywords(h: Header, image: Header | undefined, stored: StoredImage, naxes: number[]): void {
  const src = image?.cards ?? [];
  const first = src[0];
  if (first?.key === 'SIMPLE') h.append('ZSIMPLE', true, first.comment);
  else h.append('ZTENSION', 'IMAGE', first?.key === 'XTENSION' ? first.comment : 'Image extension');
  const comment = (k: string, d: string) => image?.card(k)?.comment || d;
  h.append('ZBITPIX', stored.bitpix, comment('BITPIX', 'data type of original image'));
  h.append('ZNAXIS', naxes.length, comment('NAXIS', 'dimension of original image'));
  for (const [i, a] of naxes.entries()) {
    h.append(`ZNAXIS${i + 1}`, a, comment(`NAXIS${i + 1}`, 'length of original image axis'));
  }
  if (first?.key !== 'SIMPLE') {
    h.append('ZPCOUNT', 0, comment('PCOUNT', 'number of parameters'));
    h.append('ZGCOUNT', 1, comment('GCOUNT', 'number of groups'));
  }
  for (const c of src) {
    const k = c.key;
    if (
      k === 'SIMPLE' ||
      k === 'XTENSION' ||
      k === 'BITPIX' ||
      /^NAXIS\d*$/.test(k) ||
      k === 'PCOUNT' ||
      k === 'GCOUNT'
    )
      continue;
    // Stale once the data are re-encoded; the writer computes the table's own sums.
    if (k === 'CHECKSUM' || k === 'DATASUM' || k === 'END' || k === 'TFIELDS' || k === 'THEAP') continue;
    if (TABLE_KEY.test(k) || Z_KEY.test(k)) continue;
    if (stored.bzero !== undefined && (k === 'BZERO' || k === 'BSCALE')) continue;
    if (TO_Z[k]) {
      h.append(TO_Z[k], c.value as CardValue, c.comment);
      continue;
    }
    h.insertAt(h.cards.length, c);
  }
  if (stored.bzero !== undefined) {
    h.append('BSCALE', 1, '');
    h.append('BZERO', stored.bzero, 'offset data range to that of unsigned integers');
  }
}

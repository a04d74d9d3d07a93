// Reading a COMPRESSED_IMAGE HDU: whole images (every tile) or sections (only the tiles that
// intersect), returning the same ImageData as Hdu.readImage does for an uncompressed image.
import { FitsError, locate } from '../errors.ts';
import type { Hdu, ReadImageOptions } from '../hdu.ts';
import { checkSection } from '../hdu.ts';
import type { Header } from '../header.ts';
import {
  allocStored,
  countOf,
  type ImageArray,
  type ImageData,
  readScaling,
  shapeOf,
  type Scaling,
  toPhysical,
  unsignedKind,
} from '../image.ts';
import { decodeParallel, PARALLEL_MIN_PIXELS, parallelAvailable, sharedStored } from './parallel.ts';
import { allTiles, checkTileCount, readTiles, tileRange } from './tiles.ts';
import { type CompressionParams, compressionParams, imageHeaderOf } from './params.ts';
import { TileTable } from './table.ts';

const headerCache = new WeakMap<Header, Header>();

/** The decompressed image's header (cached per table header). */
export function compressedImageHeader(hdu: Hdu): Header {
  let h = headerCache.get(hdu.header);
  if (!h) {
    h = imageHeaderOf(hdu.header);
    headerCache.set(hdu.header, h);
  }
  return h;
}

function where(hdu: Hdu): { file: string; hdu: number } {
  return { file: hdu.fileName, hdu: hdu.index };
}

function checkKind(hdu: Hdu): void {
  if (hdu.kind !== 'COMPRESSED_IMAGE') throw new FitsError(`HDU is a ${hdu.kind}, not a compressed image`);
}

/** Decompresses the whole image; physical values per the image header (BSCALE/BZERO/BLANK). */
export function readCompressedImage(hdu: Hdu, options: ReadImageOptions = {}): ImageData {
  return locate(where(hdu), () => {
    checkKind(hdu);
    const p = compressionParams(hdu.header);
    const n = countOf(p.naxes);
    if (n > 2 ** 32) throw new FitsError(`compressed image of ${n} pixels is too large`);
    const tiles = allTiles(p);
    if (n >= PARALLEL_MIN_PIXELS && tiles.length >= 4 && parallelAvailable()) {
      // Big images: read the data unit into shared memory and let the worker pool help.
      const data = new SharedArrayBuffer(hdu.dataSize);
      const whole = new Uint8Array(data);
      hdu.readDataBytes(0, hdu.dataSize, whole);
      const table = new TileTable(hdu.header, { whole });
      checkTileCount(p, table);
      useBlankColumn(p, table);
      const flip16 = isUint16(hdu, p, options);
      const outBuffer = new SharedArrayBuffer(n * (Math.abs(p.bitpix) / 8));
      const stored = sharedStored(p.bitpix, outBuffer, n);
      decodeParallel(hdu.header, p, table, tiles, data, hdu.dataSize, stored, outBuffer, flip16);
      return finish(hdu, p, stored, p.naxes, options, flip16);
    }
    const table = new TileTable(hdu.header, { whole: hdu.readRawData() });
    checkTileCount(p, table);
    useBlankColumn(p, table);
    const flip16 = isUint16(hdu, p, options);
    const stored = allocStored(p.bitpix, n);
    readTiles(
      p,
      table,
      tiles,
      stored,
      p.naxes,
      p.naxes.map(() => 0),
      flip16,
    );
    return finish(hdu, p, stored, p.naxes, options, flip16);
  });
}

/** Decompresses the section [start, end) per axis (FITS order), decoding only the tiles it touches. */
export function readCompressedSection(
  hdu: Hdu,
  start: number[],
  end: number[],
  options: ReadImageOptions = {},
): ImageData {
  return locate(where(hdu), () => {
    checkKind(hdu);
    const p = compressionParams(hdu.header);
    checkSection(p.naxes, start, end);
    const outAxes = p.naxes.map((_, i) => end[i] - start[i]);
    const table = new TileTable(hdu.header, { read: (o, l) => hdu.readDataBytes(o, l) });
    checkTileCount(p, table);
    useBlankColumn(p, table);
    const stored = allocStored(p.bitpix, countOf(outAxes));
    const first = start.map((s, i) => Math.floor(s / p.tile[i]));
    const last = end.map((e, i) => Math.floor((e - 1) / p.tile[i]));
    readTiles(p, table, tileRange(p, first, last), stored, outAxes, start);
    return finish(hdu, p, stored, outAxes, options);
  });
}

function finish(
  hdu: Hdu,
  p: CompressionParams,
  stored: ImageArray,
  naxes: number[],
  options: ReadImageOptions,
  flipped = false,
): ImageData {
  const scaling = imageScaling(hdu, p);
  const data = flipped
    ? new Uint16Array(stored.buffer, stored.byteOffset, stored.length)
    : toPhysical(stored, p.bitpix, scaling, options.type);
  return { naxes: [...naxes], shape: shapeOf(naxes), data, bitpix: p.bitpix };
}

/** An integer image's ZBLANK may be a column instead of a keyword (the value of the first tile). */
function useBlankColumn(p: CompressionParams, table: TileTable): void {
  if (p.bitpix > 0 && p.zblank === undefined && table.nrows > 0) p.zblank = table.info(0).blank;
}

function imageScaling(hdu: Hdu, p: CompressionParams): Scaling {
  const header = compressedImageHeader(hdu);
  const scaling = readScaling((k) => header.get(k));
  // An integer image's ZBLANK marks undefined pixels like BLANK does.
  if (p.bitpix > 0 && scaling.blank === undefined && p.zblank !== undefined) scaling.blank = p.zblank;
  return scaling;
}

/**
 * Whether the result is astropy's uint16 view (BZERO 32768, no BLANK): then tiles are flipped
 * to unsigned as they are decoded, saving a pass over the image.
 */
function isUint16(hdu: Hdu, p: CompressionParams, options: ReadImageOptions): boolean {
  if (p.bitpix !== 16 || (options.type !== undefined && options.type !== 'auto')) return false;
  const s = imageScaling(hdu, p);
  return s.blank === undefined && unsignedKind(16, s) === 'u16';
}

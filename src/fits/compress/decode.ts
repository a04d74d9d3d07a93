// One tile: table bytes → stored pixel values (integers, or floats after dequantization).
import { FitsError } from '../errors.ts';
import type { ImageArray } from '../image.ts';
import { fromBigEndian, inflate, unshuffle } from './bytes.ts';
import { hdecompress } from './hcompress.ts';
import type { CompressionParams } from './params.ts';
import { plioDecode } from './plio.ts';
import { dequantize } from './quantize.ts';
import { type RiceArray, riceDecode } from './rice.ts';
import type { TileBytes, TileRowInfo } from './table.ts';

export interface TileGeometry {
  /** Tile number, 0-based (table row). */
  index: number;
  /** Pixels per axis of this tile (edge tiles are smaller), FITS order. */
  size: number[];
  npix: number;
}

/** Whether tiles hold quantized integers standing for floats. */
export function isQuantized(p: CompressionParams, hasScaleColumn: boolean): boolean {
  return p.bitpix < 0 && p.quantize !== 'NONE' && (hasScaleColumn || p.zscale !== undefined);
}

/**
 * Decodes one tile into `target` (a stored-type array of exactly npix values). Integer tiles
 * are decoded at the width the codec used, then narrowed/widened into the target.
 */
export function decodeTile(
  p: CompressionParams,
  quantized: boolean,
  t: TileBytes,
  info: TileRowInfo,
  g: TileGeometry,
  target: ImageArray,
  flip16 = false,
): void {
  // RICE decodes straight into an Int16Array target and can flip as it goes; others flip after.
  if (flip16 && p.type === 'RICE_1' && p.bytepix === 2 && t.kind === 'compressed' && !quantized) {
    riceDecode(t.bytes, target as Int16Array, p.blocksize, 2, 0x8000);
    return;
  }
  decodeTileValues(p, quantized, t, info, g, target);
  if (flip16) {
    const a = target as Int16Array;
    for (let i = 0; i < a.length; i++) a[i] ^= 0x8000;
  }
}

function decodeTileValues(
  p: CompressionParams,
  quantized: boolean,
  t: TileBytes,
  info: TileRowInfo,
  g: TileGeometry,
  target: ImageArray,
): void {
  const { npix } = g;
  if (t.kind === 'empty') {
    // cfitsio writes no bytes for a tile that is entirely undefined.
    if (target instanceof Float32Array || target instanceof Float64Array) target.fill(Number.NaN);
    else if (target instanceof BigInt64Array || target instanceof BigUint64Array) target.fill(0n);
    else target.fill(info.blank ?? p.zblank ?? 0);
    return;
  }
  if (t.kind === 'uncompressed') {
    copyInto(target, valuesOf(t.bytes, t.code, npix));
    return;
  }
  if (t.kind === 'gzip') {
    // GZIP_COMPRESSED_DATA: the tile's values losslessly, at the image's own width.
    const raw = inflate(t.bytes, npix * 8);
    copyInto(target, valuesFromWidth(raw, npix, p.bitpix < 0));
    return;
  }
  if (!quantized) {
    copyInto(target, decodeInts(p, t, g, target, p.bitpix < 0));
    return;
  }
  const ints = decodeInts(p, t, g, undefined, false);
  const i32 = ints instanceof Int32Array ? ints : Int32Array.from(ints as ArrayLike<number>);
  const scale = info.scale ?? p.zscale;
  const zero = info.zero ?? p.zzero ?? 0;
  if (scale === undefined) throw new FitsError('quantized tile has no ZSCALE');
  dequantize(i32, target as Float32Array | Float64Array, {
    method: p.quantize === 'NONE' || p.quantize === undefined ? 'NO_DITHER' : p.quantize,
    scale,
    zero,
    blank: info.blank ?? p.zblank,
    row: g.index + 1,
    zdither0: p.zdither0,
  });
}

/** Runs the tile's codec; returns integers (or raw floats for lossless GZIP/NOCOMPRESS floats). */
function decodeInts(
  p: CompressionParams,
  t: TileBytes,
  g: TileGeometry,
  direct: ImageArray | undefined,
  floats: boolean,
): ImageArray {
  const { npix } = g;
  switch (p.type) {
    case 'RICE_1': {
      const width = p.bitpix === 8 && p.bytepix === 4 ? 4 : p.bytepix;
      // Decode straight into the target when it has the codec's width (the common case).
      const useDirect =
        direct && direct.BYTES_PER_ELEMENT === width && !floats && !(direct instanceof BigInt64Array);
      const out = (
        useDirect
          ? direct
          : width === 1
            ? new Uint8Array(npix)
            : width === 2
              ? new Int16Array(npix)
              : new Int32Array(npix)
      ) as RiceArray;
      riceDecode(t.bytes, out, p.blocksize, width);
      return out;
    }
    case 'GZIP_1':
    case 'GZIP_2': {
      const raw = inflate(t.bytes, npix * 8);
      checkWidth(p, raw.length, npix, floats);
      const bytes = p.type === 'GZIP_2' ? unshuffle(raw, raw.length / npix) : raw;
      return valuesFromWidth(bytes, npix, floats);
    }
    case 'NOCOMPRESS':
      checkWidth(p, t.bytes.length, npix, floats);
      return valuesFromWidth(t.bytes, npix, floats);
    case 'HCOMPRESS_1': {
      if (g.size.length < 1) throw new FitsError('HCOMPRESS_1 needs an image of at least one axis');
      return hdecompress(t.bytes, g.size[0], npix / g.size[0], p.hscale, p.hsmooth);
    }
    case 'PLIO_1':
      return plioDecode(valuesOf(t.bytes, t.code, -1) as Int16Array, npix);
  }
}

/**
 * Integer tiles hold values at the image's width (or 32-bit integers, which some writers use);
 * quantized tiles 32-bit integers; lossless floats the image's width. Anything else is corrupt.
 */
function checkWidth(p: CompressionParams, bytes: number, npix: number, floats: boolean): void {
  const own = Math.abs(p.bitpix) / 8;
  const width = bytes / npix;
  const ok = floats ? width === own : p.bitpix > 0 ? width === own || width === 4 : width === 4;
  if (!ok)
    throw new FitsError(
      `tile decodes to ${bytes} bytes, not ${npix} values of ${floats || p.bitpix > 0 ? own : 4} bytes`,
    );
}

function valuesFromWidth(bytes: Uint8Array, npix: number, floats: boolean): ImageArray {
  const width = bytes.length / npix;
  if (![1, 2, 4, 8].includes(width)) {
    throw new FitsError(
      `tile decodes to ${bytes.length} bytes, not a whole number of values for ${npix} pixels`,
    );
  }
  return fromBigEndian(bytes, width, floats && width >= 4);
}

/** A VLA's big-endian elements as a native array (npix = expected count, or -1 for any). */
function valuesOf(bytes: Uint8Array, code: string, npix: number): ImageArray {
  const spec: Record<string, [number, boolean]> = {
    B: [1, false],
    I: [2, false],
    J: [4, false],
    K: [8, false],
    E: [4, true],
    D: [8, true],
  };
  const s = spec[code];
  if (!s) throw new FitsError(`tile column element type ${code} is not supported`);
  const out = fromBigEndian(bytes, s[0], s[1]);
  if (npix >= 0 && out.length !== npix)
    throw new FitsError(`tile has ${out.length} values, expected ${npix}`);
  return out;
}

/** Copies values into the target, converting type (modular for integers, as C casts). */
function copyInto(target: ImageArray, src: ImageArray): void {
  if (src === target) return;
  if (src.length !== target.length)
    throw new FitsError(`tile has ${src.length} values, expected ${target.length}`);
  if (target instanceof BigInt64Array || target instanceof BigUint64Array) {
    if (src instanceof BigInt64Array || src instanceof BigUint64Array) target.set(src as BigInt64Array);
    else for (let i = 0; i < src.length; i++) target[i] = BigInt(Math.round(src[i] as number));
    return;
  }
  if (src instanceof BigInt64Array || src instanceof BigUint64Array) {
    const t = target as Exclude<ImageArray, BigInt64Array | BigUint64Array>;
    for (let i = 0; i < src.length; i++) t[i] = Number(src[i]);
    return;
  }
  (target as Float64Array).set(src as Float64Array);
}

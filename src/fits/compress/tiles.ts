// Tile bookkeeping shared by the main thread and decode workers: which tiles a box needs, and
// decoding a list of tiles into an output box (in place when a tile is a contiguous run).
import { FitsError } from '../errors.ts';
import { allocStored, countOf, type ImageArray } from '../image.ts';
import { decodeTile, isQuantized, type TileGeometry } from './decode.ts';
import type { CompressionParams } from './params.ts';
import type { TileTable } from './table.ts';

export function allTiles(p: CompressionParams): number[][] {
  return tileRange(
    p,
    p.tileCounts.map(() => 0),
    p.tileCounts.map((c) => c - 1),
  );
}

/** Tile coordinates in table order (axis 1 fastest) within [first, last] per axis. */
export function tileRange(p: CompressionParams, first: number[], last: number[]): number[][] {
  if (p.naxes.length === 0 || p.naxes.some((n) => n === 0)) return [];
  const out: number[][] = [];
  const idx = [...first];
  for (;;) {
    out.push([...idx]);
    let a = 0;
    for (; a < idx.length; a++) {
      if (++idx[a] <= last[a]) break;
      idx[a] = first[a];
    }
    if (a === idx.length) return out;
  }
}

/**
 * Decodes the listed tiles into `out` (shape outAxes, whose pixel 0 is image pixel `origin`).
 * Tiles that are contiguous runs of the output are decoded in place; others go through a
 * scratch buffer reused across tiles.
 */
/** The table must have a row per tile; checked before any output is allocated. */
export function checkTileCount(p: CompressionParams, table: TileTable): number {
  const nTiles = countOf(p.tileCounts);
  if (table.nrows < nTiles) {
    throw new FitsError(`the table has ${table.nrows} rows but the image needs ${nTiles} tiles`);
  }
  return nTiles;
}

export function readTiles(
  p: CompressionParams,
  table: TileTable,
  tiles: number[][],
  out: ImageArray,
  outAxes: number[],
  origin: number[],
  flip16 = false,
): void {
  const nTiles = checkTileCount(p, table);
  const quantized = isQuantized(p, table.hasScale);
  let scratch: ImageArray | undefined;
  for (const tc of tiles) {
    let index = 0;
    for (let a = tc.length - 1; a >= 0; a--) index = index * p.tileCounts[a] + tc[a];
    const lo = tc.map((t, a) => t * p.tile[a]);
    const size = tc.map((_, a) => Math.min(p.tile[a], p.naxes[a] - lo[a]));
    const g: TileGeometry = { index, size, npix: countOf(size) };
    const inPlace = contiguousOffset(lo, size, outAxes, origin);
    let target: ImageArray;
    if (inPlace !== undefined) target = out.subarray(inPlace, inPlace + g.npix);
    else {
      if (!scratch || scratch.length < g.npix) scratch = allocStored(p.bitpix, countOf(p.tile));
      target = scratch.subarray(0, g.npix);
    }
    try {
      // uint16 images (BZERO 32768) get their sign bit flipped as each tile is decoded.
      decodeTile(p, quantized, table.tile(index), table.info(index), g, target, flip16);
    } catch (err) {
      const reason =
        err instanceof FitsError
          ? err.reason
          : err instanceof RangeError
            ? `malformed data (${err.message})`
            : undefined;
      if (reason === undefined) throw err;
      throw new FitsError(`tile ${index + 1} of ${nTiles} (${p.type}): ${reason}`);
    }
    if (inPlace === undefined) copyBox(target, size, lo, out, outAxes, origin);
  }
}

/** Offset in `out` when the tile is one contiguous run of it, else undefined. */
function contiguousOffset(
  lo: number[],
  size: number[],
  outAxes: number[],
  origin: number[],
): number | undefined {
  let offset = 0;
  let stride = 1;
  let partial = false;
  for (let a = 0; a < lo.length; a++) {
    const s = lo[a] - origin[a];
    if (s < 0 || s + size[a] > outAxes[a]) return undefined;
    // Once an axis is partial, every slower axis must have extent 1 for the run to be contiguous.
    if (partial && size[a] !== 1) return undefined;
    if (size[a] !== outAxes[a]) partial = true;
    offset += s * stride;
    stride *= outAxes[a];
  }
  return offset;
}

/** Copies the part of a decoded tile (origin lo, extent size) that lies inside the output box. */
function copyBox(
  tile: ImageArray,
  size: number[],
  lo: number[],
  out: ImageArray,
  outAxes: number[],
  origin: number[],
): void {
  const nd = size.length;
  const from = new Array<number>(nd);
  const to = new Array<number>(nd);
  for (let a = 0; a < nd; a++) {
    from[a] = Math.max(lo[a], origin[a]);
    to[a] = Math.min(lo[a] + size[a], origin[a] + outAxes[a]);
    if (from[a] >= to[a]) return;
  }
  const run = to[0] - from[0];
  const idx = from.slice(1);
  for (;;) {
    let src = from[0] - lo[0];
    let dst = from[0] - origin[0];
    let sStride = size[0];
    let dStride = outAxes[0];
    for (let a = 1; a < nd; a++) {
      src += (idx[a - 1] - lo[a]) * sStride;
      dst += (idx[a - 1] - origin[a]) * dStride;
      sStride *= size[a];
      dStride *= outAxes[a];
    }
    (out as Float64Array).set((tile as Float64Array).subarray(src, src + run), dst);
    let a = 1;
    for (; a < nd; a++) {
      if (++idx[a - 1] < to[a]) break;
      idx[a - 1] = from[a];
    }
    if (a === nd) return;
  }
}

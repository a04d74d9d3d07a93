// Whole-image decompression spread over worker threads, behind the synchronous readImage API.
// The data unit and the output live in SharedArrayBuffers; tiles are handed out in chunks by an
// atomic counter that the main thread also draws from, so the main thread never idles. While it
// waits it re-decodes any chunk a worker has claimed but not finished (decoding is deterministic,
// so a late worker writes the same bytes): a slow, booting or dead worker can delay a read but
// never hang it.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { FitsError } from '../errors.ts';
import type { Header } from '../header.ts';
import type { ImageArray } from '../image.ts';
import type { CompressionParams } from './params.ts';
import type { TileTable } from './table.ts';
import { readTiles } from './tiles.ts';

/** Images smaller than this are decoded on the calling thread (hand-off costs more). */
export const PARALLEL_MIN_PIXELS = 1 << 21;
const CHUNK_TILES = 32;
const STEAL_AFTER_MS = 20;
const MSG_BYTES = 2048;

// control: [0] next chunk to claim, [1] chunks done, [2] error flag, [3] error length,
// [4 + c] state of chunk c (0 free, 1 claimed, 2 done), then the error text.
const NEXT = 0;
const DONE = 1;
const ERR = 2;
const ERR_LEN = 3;
const STATE = 4;

export interface ParallelJob {
  cards: string[];
  data: SharedArrayBuffer;
  dataLength: number;
  out: SharedArrayBuffer;
  bitpix: number;
  length: number;
  control: SharedArrayBuffer;
  chunks: number;
  flip16: boolean;
}

let pool: Worker[] | undefined;

function workers(): Worker[] {
  if (!pool) {
    const n = Math.min(Math.max(availableParallelism() - 1, 0), 7);
    pool = [];
    for (let i = 0; i < n; i++) {
      const w = new Worker(new URL('./worker.ts', import.meta.url));
      w.unref();
      w.on('error', () => {
        pool = pool?.filter((x) => x !== w);
      });
      pool.push(w);
    }
  }
  return pool;
}

export function parallelAvailable(): boolean {
  return availableParallelism() > 1 && process.env.CALDERA_FITS_THREADS !== '1';
}

/** A stored-type array of `length` values over a shared buffer. */
export function sharedStored(bitpix: number, buffer: SharedArrayBuffer, length: number): ImageArray {
  switch (bitpix) {
    case 8:
      return new Uint8Array(buffer, 0, length);
    case 16:
      return new Int16Array(buffer, 0, length);
    case 32:
      return new Int32Array(buffer, 0, length);
    case 64:
      return new BigInt64Array(buffer, 0, length);
    case -32:
      return new Float32Array(buffer, 0, length);
    default:
      return new Float64Array(buffer, 0, length);
  }
}

/** Runs the chunks of `tiles` claimable through `control`; used by both sides. */
export function drainChunks(
  p: CompressionParams,
  table: TileTable,
  tiles: number[][],
  out: ImageArray,
  control: Int32Array,
  chunks: number,
  flip16: boolean,
): void {
  const origin = p.naxes.map(() => 0);
  for (;;) {
    const c = Atomics.add(control, NEXT, 1);
    if (c >= chunks) return;
    // The main thread may have taken this chunk over already (see decodeParallel).
    if (Atomics.compareExchange(control, STATE + c, 0, 1) !== 0) continue;
    runChunk(p, table, tiles, out, origin, control, c, flip16);
  }
}

function runChunk(
  p: CompressionParams,
  table: TileTable,
  tiles: number[][],
  out: ImageArray,
  origin: number[],
  control: Int32Array,
  c: number,
  flip16: boolean,
): void {
  try {
    readTiles(p, table, tiles.slice(c * CHUNK_TILES, (c + 1) * CHUNK_TILES), out, p.naxes, origin, flip16);
  } catch (err) {
    recordError(control, err instanceof FitsError ? err.reason : String((err as Error)?.message ?? err));
  }
  if (Atomics.compareExchange(control, STATE + c, 1, 2) === 1) {
    Atomics.add(control, DONE, 1);
    Atomics.notify(control, DONE);
  }
}

function recordError(control: Int32Array, message: string): void {
  if (Atomics.compareExchange(control, ERR, 0, 1) !== 0) return;
  const bytes = new TextEncoder().encode(message).subarray(0, MSG_BYTES);
  new Uint8Array(control.buffer, 4 * control.length, MSG_BYTES).set(bytes);
  Atomics.store(control, ERR_LEN, bytes.length);
}

function errorText(control: Int32Array): string {
  const len = Atomics.load(control, ERR_LEN);
  return new TextDecoder().decode(new Uint8Array(control.buffer, 4 * control.length, len));
}

/** Decodes every tile into `out` (over `outBuffer`) with the worker pool helping. */
export function decodeParallel(
  header: Header,
  p: CompressionParams,
  table: TileTable,
  tiles: number[][],
  data: SharedArrayBuffer,
  dataLength: number,
  out: ImageArray,
  outBuffer: SharedArrayBuffer,
  flip16: boolean,
): void {
  const chunks = Math.ceil(tiles.length / CHUNK_TILES);
  const controlBuffer = new SharedArrayBuffer(4 * (STATE + chunks) + MSG_BYTES);
  const control = new Int32Array(controlBuffer, 0, STATE + chunks);
  const job: ParallelJob = {
    cards: header.cards.flatMap((c) => [...c.images]),
    data,
    dataLength,
    out: outBuffer,
    bitpix: p.bitpix,
    length: out.length,
    control: controlBuffer,
    chunks,
    flip16,
  };
  for (const w of workers()) w.postMessage(job);
  const origin = p.naxes.map(() => 0);
  drainChunks(p, table, tiles, out, control, chunks, flip16);
  for (;;) {
    const done = Atomics.load(control, DONE);
    if (done >= chunks) break;
    if (Atomics.wait(control, DONE, done, STEAL_AFTER_MS) !== 'timed-out') continue;
    // A worker is slow (or gone): do one of its unfinished chunks ourselves.
    for (let c = 0; c < chunks; c++) {
      const state = Atomics.load(control, STATE + c);
      if (state === 2) continue;
      if (state === 0) Atomics.compareExchange(control, STATE + c, 0, 1);
      runChunk(p, table, tiles, out, origin, control, c, flip16);
      break;
    }
  }
  if (Atomics.load(control, ERR)) throw new FitsError(errorText(control));
}

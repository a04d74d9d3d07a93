// The binary table behind a compressed image: one row per tile, with variable-length array
// descriptors into the heap (COMPRESSED_DATA, GZIP_COMPRESSED_DATA, UNCOMPRESSED_DATA) and
// optional per-tile ZSCALE/ZZERO/ZBLANK. Every descriptor is checked against the heap.
import { FitsError } from '../errors.ts';
import type { Header } from '../header.ts';
import {
  type BinFormat,
  binTableLayout,
  type ColumnLayout,
  ELEMENT_BYTES,
  findColumn,
  type TableLayout,
} from '../table/layout.ts';

export interface TileBytes {
  /** Which column holds this tile's data. */
  kind: 'compressed' | 'gzip' | 'uncompressed' | 'empty';
  bytes: Uint8Array;
  /** Element code of the VLA (B, I, J, E, D…), for PLIO (I) and UNCOMPRESSED_DATA. */
  code: string;
}

export interface TileRowInfo {
  scale: number | undefined;
  zero: number | undefined;
  blank: number | undefined;
}

type VlaCode = NonNullable<BinFormat['vlaCode']>;

/** How the table's bytes are reached: the whole data unit in memory, or a reader of byte ranges. */
export type TableBytes = { whole: Uint8Array } | { read: (offset: number, length: number) => Uint8Array };

export class TileTable {
  readonly layout: TableLayout;
  private readonly rows: Uint8Array;
  private readonly view: DataView;
  private readonly read: ((offset: number, length: number) => Uint8Array) | undefined;
  private readonly whole: Uint8Array | undefined;
  private readonly cData: ColumnLayout | undefined;
  private readonly cGzip: ColumnLayout | undefined;
  private readonly cRaw: ColumnLayout | undefined;
  private readonly cScale: ColumnLayout | undefined;
  private readonly cZero: ColumnLayout | undefined;
  private readonly cBlank: ColumnLayout | undefined;

  /** Whole-image reads pass the data unit; section reads a reader, so only needed tiles are read. */
  constructor(header: Header, bytes: TableBytes) {
    this.layout = binTableLayout(header);
    const mainBytes = this.layout.rowBytes * this.layout.nrows;
    if ('whole' in bytes) {
      this.whole = bytes.whole;
      if (this.whole.length < mainBytes + this.layout.heapSize) {
        throw new FitsError(`the table's data unit has ${this.whole.length} bytes, fewer than declared`);
      }
      this.rows = this.whole.subarray(0, mainBytes);
    } else {
      this.read = bytes.read;
      this.rows = bytes.read(0, mainBytes);
    }
    this.view = new DataView(this.rows.buffer, this.rows.byteOffset, this.rows.byteLength);
    const col = (name: string) => findColumn(this.layout, name);
    this.cData = vla(col('COMPRESSED_DATA'));
    this.cGzip = vla(col('GZIP_COMPRESSED_DATA'));
    this.cRaw = vla(col('UNCOMPRESSED_DATA'));
    this.cScale = scalar(col('ZSCALE'));
    this.cZero = scalar(col('ZZERO'));
    this.cBlank = scalar(col('ZBLANK'));
    if (!this.cData && !this.cGzip && !this.cRaw) {
      throw new FitsError('compressed image table has no COMPRESSED_DATA column');
    }
  }

  /** Whether tiles carry their own ZSCALE (quantized floats). */
  get hasScale(): boolean {
    return this.cScale !== undefined;
  }

  get nrows(): number {
    return this.layout.nrows;
  }

  /** The data of tile `row` (0-based), from the first of the three columns that has any. */
  tile(row: number): TileBytes {
    for (const [kind, c] of [
      ['compressed', this.cData],
      ['gzip', this.cGzip],
      ['uncompressed', this.cRaw],
    ] as const) {
      if (!c) continue;
      const bytes = this.vlaBytes(row, c);
      if (bytes.length > 0) return { kind, bytes, code: c.format.vlaCode as string };
    }
    return { kind: 'empty', bytes: new Uint8Array(0), code: 'B' };
  }

  info(row: number): TileRowInfo {
    return {
      scale: this.number(row, this.cScale),
      zero: this.number(row, this.cZero),
      blank: this.number(row, this.cBlank),
    };
  }

  private number(row: number, c: ColumnLayout | undefined): number | undefined {
    if (!c) return undefined;
    const at = row * this.layout.rowBytes + c.offset;
    switch (c.format.code) {
      case 'D':
        return this.view.getFloat64(at);
      case 'E':
        return this.view.getFloat32(at);
      case 'J':
        return this.view.getInt32(at);
      case 'I':
        return this.view.getInt16(at);
      case 'K':
        return Number(this.view.getBigInt64(at));
      case 'B':
        return this.rows[at];
      default:
        throw new FitsError(`column ${c.name} has format ${c.tform}, not a number`);
    }
  }

  private vlaBytes(row: number, c: ColumnLayout): Uint8Array {
    const at = row * this.layout.rowBytes + c.offset;
    let count: number;
    let offset: number;
    if (c.format.code === 'P') {
      count = this.view.getUint32(at);
      offset = this.view.getUint32(at + 4);
    } else {
      count = Number(this.view.getBigUint64(at));
      offset = Number(this.view.getBigUint64(at + 8));
    }
    const width = ELEMENT_BYTES[c.format.vlaCode as Exclude<VlaCode, 'X'>];
    const length = count * width;
    const { heapSize, heapOffset } = this.layout;
    if (!(offset >= 0 && length >= 0 && offset + length <= heapSize)) {
      throw new FitsError(
        `tile ${row + 1}: ${c.name} descriptor (${count} elements at heap byte ${offset}) points outside the ${heapSize}-byte heap`,
      );
    }
    if (length === 0) return new Uint8Array(0);
    if (this.whole) return this.whole.subarray(heapOffset + offset, heapOffset + offset + length);
    return (this.read as (offset: number, length: number) => Uint8Array)(heapOffset + offset, length);
  }
}

function vla(c: ColumnLayout | undefined): ColumnLayout | undefined {
  if (!c) return undefined;
  if (c.format.code !== 'P' && c.format.code !== 'Q')
    throw new FitsError(`column ${c.name} has format ${c.tform}, not P or Q`);
  if (c.format.vlaCode === 'X' || c.format.vlaCode === 'A' || c.format.vlaCode === 'L') {
    throw new FitsError(`column ${c.name} has element type ${c.format.vlaCode}, not numeric`);
  }
  return c;
}

function scalar(c: ColumnLayout | undefined): ColumnLayout | undefined {
  return c && c.format.repeat >= 1 ? c : undefined;
}

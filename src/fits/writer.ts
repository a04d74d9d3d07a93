// Writes FITS files: images (with scaling and the unsigned conventions), encoded extensions
// (binary tables, compressed images) and verbatim copies of HDUs from other files. Output goes
// to a temporary name, is re-opened and checked, and only then renamed over the target; data are
// converted to big-endian in bounded chunks so a large image never needs a second full copy.
import { closeSync, fsyncSync, linkSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { Card, type CardValue } from './card.ts';
import { addSums, ChecksumAccumulator, encodeChecksum, onesComplementSum } from './checksum.ts';
import { FitsError } from './errors.ts';
import { openFits } from './file.ts';
import type { Hdu } from './hdu.ts';
import type { Header } from './header.ts';
import {
  buildImageHeader,
  emptyPrimaryHeader,
  finishExtensionHeader,
  type HeaderInit,
  toHeader,
  withChecksumCards,
} from './header-build.ts';
import { countOf, flipSignBytes, type ImageArray, swapToNative, type UnsignedKind } from './image.ts';
import { type CompressOptions, compressImage } from './compress/index.ts';
import {
  type AsciiTableSpec,
  type BinTableSpec,
  encodeAsciiTable,
  encodeBinTable,
  encodeGroups,
  type GroupsSpec,
} from './table/index.ts';
import { paddedSize } from './structure.ts';

export interface ImageHduSpec {
  kind: 'image';
  header?: HeaderInit;
  /** Physical values; omitted for a header-only HDU (NAXIS = 0). */
  data?: ImageArray;
  /** FITS order (NAXIS1 first); default: [data.length]. */
  naxes?: number[];
  /** Store as this BITPIX with BSCALE/BZERO (e.g. floats as 16-bit integers). */
  bitpix?: number;
  bscale?: number;
  bzero?: number;
  /** Stored value for NaN when floats are stored as integers. */
  blank?: number;
  /**
   * `data` holds stored values (Uint8/Int16/Int32/BigInt64/Float32/Float64 by BITPIX) and the
   * header's BSCALE/BZERO/BLANK describe them: a verbatim re-write, e.g. after decompression.
   */
  raw?: boolean;
  /** Write as a tile-compressed image (BINTABLE with ZIMAGE = T) instead of a plain image. */
  compress?: CompressOptions;
  name?: string;
  ver?: number;
}

/** An extension already encoded by the table or compression encoder (data without padding). */
export interface EncodedHduSpec {
  kind: 'encoded';
  header: Header;
  data: Uint8Array;
  name?: string;
  ver?: number;
}

/** A verbatim copy of an HDU of an open file (header may be replaced). */
export interface CopyHduSpec {
  kind: 'copy';
  hdu: Hdu;
  header?: Header;
}

/** A binary table from column data (see table/write.ts for ColumnSpec). */
export interface BinTableHduSpec extends BinTableSpec {
  kind: 'bintable';
}

/** An ASCII table (XTENSION = 'TABLE') from column data. */
export interface AsciiTableHduSpec extends AsciiTableSpec {
  kind: 'asciitable';
}

/** A random-groups primary HDU; it must be the first HDU of the file. */
export interface GroupsHduSpec extends GroupsSpec {
  kind: 'groups';
}

export type HduSpec =
  | ImageHduSpec
  | EncodedHduSpec
  | CopyHduSpec
  | BinTableHduSpec
  | AsciiTableHduSpec
  | GroupsHduSpec;

export interface WriteOptions {
  /** Add CHECKSUM/DATASUM to every HDU (default true). */
  checksum?: boolean;
  /** Refuse to replace an existing file (default false). */
  noClobber?: boolean;
  /** fsync before the rename so a crash cannot leave an empty file under the final name (default true). */
  fsync?: boolean;
}

const CHUNK_BYTES = 4 << 20;

/** Writes `hdus` to `path` atomically; the first HDU becomes the primary (an empty one is added if needed). */
export function writeFits(path: string, hdus: HduSpec[], options: WriteOptions = {}): void {
  const writer = FitsWriter.create(path, options);
  try {
    for (const spec of hdus) writer.add(spec);
    writer.close();
  } catch (err) {
    writer.abort();
    throw err;
  }
}

/** Serialises HDUs to bytes in memory (same layout as writeFits). */
export function fitsToBytes(hdus: HduSpec[], options: WriteOptions = {}): Uint8Array {
  const sink = new MemorySink();
  const writer = new FitsWriter(sink, options);
  for (const spec of hdus) writer.add(spec);
  writer.finishHdus();
  return sink.bytes();
}

interface Sink {
  write(bytes: Uint8Array, position?: number): void;
  readonly position: number;
}

class FileSink implements Sink {
  readonly fd: number;
  position = 0;
  constructor(path: string, exclusive: boolean) {
    this.fd = openSync(path, exclusive ? 'wx' : 'w');
  }
  write(bytes: Uint8Array, position?: number): void {
    let done = 0;
    const at = position ?? this.position;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, at + done);
    if (position === undefined) this.position += bytes.length;
  }
}

class MemorySink implements Sink {
  private parts: Uint8Array[] = [];
  private patches: { bytes: Uint8Array; position: number }[] = [];
  position = 0;
  write(bytes: Uint8Array, position?: number): void {
    if (position !== undefined) this.patches.push({ bytes: bytes.slice(), position });
    else {
      this.parts.push(bytes.slice());
      this.position += bytes.length;
    }
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.position);
    let p = 0;
    for (const part of this.parts) {
      out.set(part, p);
      p += part.length;
    }
    for (const patch of this.patches) out.set(patch.bytes, patch.position);
    return out;
  }
}

/** Incremental writer: whole HDUs with `add`, or a large image streamed in row chunks with `beginImage`. */
export class FitsWriter {
  private readonly sink: Sink;
  private readonly checksum: boolean;
  private count = 0;
  private openStream: ImageStream | undefined;
  private finalPath: string | undefined;
  private tempPath: string | undefined;
  private noClobber = false;
  private fsync = true;

  constructor(sink: Sink, options: WriteOptions = {}) {
    this.sink = sink;
    this.checksum = options.checksum ?? true;
  }

  /** Starts writing to a temporary file beside `path`. */
  static create(path: string, options: WriteOptions = {}): FitsWriter {
    const temp = join(
      dirname(path),
      `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
    );
    let sink: FileSink;
    try {
      sink = new FileSink(temp, true);
    } catch (err) {
      throw new FitsError(`cannot create output: ${(err as Error).message}`, { file: path });
    }
    const w = new FitsWriter(sink, options);
    w.finalPath = path;
    w.tempPath = temp;
    if (options.noClobber) w.noClobber = true;
    if (options.fsync === false) w.fsync = false;
    return w;
  }

  /** Number of HDUs written so far. */
  get length(): number {
    return this.count;
  }

  add(spec: HduSpec): void {
    this.assertNoStream();
    if (spec.kind === 'image') this.addImage(spec);
    else if (spec.kind === 'encoded') this.addEncoded(spec);
    else if (spec.kind === 'bintable') this.addEncoded({ kind: 'encoded', ...encodeBinTable(spec) });
    else if (spec.kind === 'asciitable')
      this.addEncoded({ kind: 'encoded', ...encodeAsciiTable(spec) }, 0x20);
    else if (spec.kind === 'groups') this.addGroups(spec);
    else this.addCopy(spec);
  }

  private addImage(spec: ImageHduSpec): void {
    if (spec.compress && spec.data) {
      const naxes = spec.naxes ?? [spec.data.length];
      const encoded = compressImage({ data: spec.data, naxes, header: toHeader(spec.header) }, spec.compress);
      this.addEncoded({ kind: 'encoded', ...encoded, name: spec.name, ver: spec.ver });
      return;
    }
    const plan = planImage(spec, this.count === 0);
    const stream = this.beginHdu(plan.header, plan.dataSize);
    stream.flip = plan.flip;
    if (spec.data) stream.writeStored(plan.stored(spec.data));
    stream.end();
  }

  /** `fill` pads the data unit: zeros, or blanks for ASCII tables (FITS 4.0 §7.2.3). */
  private addEncoded(spec: EncodedHduSpec, fill = 0): void {
    if (this.count === 0) this.writeHdu(emptyPrimaryHeader(), new Uint8Array(0));
    const header = finishExtensionHeader(spec.header, spec.name, spec.ver);
    this.writeHdu(header, spec.data, fill);
  }

  private addGroups(spec: GroupsSpec): void {
    if (this.count !== 0) throw new FitsError('random groups can only be the primary (first) HDU');
    const { header, data } = encodeGroups(spec);
    this.writeHdu(header, data);
  }

  private addCopy(spec: CopyHduSpec): void {
    const src = spec.hdu;
    const header = (spec.header ?? src.header).clone();
    const first = header.cards[0]?.key;
    if (this.count === 0 && first === 'XTENSION') {
      if (src.kind !== 'IMAGE') this.writeHdu(emptyPrimaryHeader(), new Uint8Array(0));
      else convertFirstCard(header, true);
    } else if (this.count > 0 && first === 'SIMPLE') {
      convertFirstCard(header, false);
    }
    this.writeHdu(header, src.readRawData());
  }

  /** Writes a header whose data follow through the returned stream (exactly `dataSize` bytes). */
  beginHdu(header: Header, dataSize: number, fill = 0): ImageStream {
    this.assertNoStream();
    const h = this.checksum ? withChecksumCards(header.clone()) : header;
    const headerBytes = h.toBytes();
    const headerPos = this.sink.position;
    this.sink.write(headerBytes);
    this.count++;
    this.openStream = new ImageStream(this.sink, dataSize, this.checksum, fill, (dataSum) => {
      this.openStream = undefined;
      if (this.checksum) this.patchChecksum(h, headerPos, dataSum);
    });
    return this.openStream;
  }

  /**
   * Starts an image HDU whose pixels arrive later in chunks (FITS order, first axis fastest).
   * `spec.data` is ignored; `naxes` and the value type (`sample`) are required.
   */
  beginImage(spec: Omit<ImageHduSpec, 'data'> & { naxes: number[]; sample: ImageArray }): ImageStream {
    const plan = planImage({ ...spec, data: spec.sample }, this.count === 0, spec.naxes);
    const stream = this.beginHdu(plan.header, plan.dataSize);
    stream.converter = plan.stored;
    stream.flip = plan.flip;
    return stream;
  }

  private writeHdu(header: Header, data: Uint8Array, fill = 0): void {
    const s = this.beginHdu(header, data.length, fill);
    s.writeBytes(data);
    s.end();
  }

  private patchChecksum(header: Header, headerPos: number, dataSum: number): void {
    header.set('DATASUM', String(dataSum), 'data unit checksum');
    header.set('CHECKSUM', '0000000000000000', 'HDU checksum');
    const zeroed = header.toBytes();
    const total = addSums(onesComplementSum(zeroed), dataSum);
    header.set('CHECKSUM', encodeChecksum(total), 'HDU checksum');
    this.sink.write(header.toBytes(), headerPos);
  }

  private assertNoStream(): void {
    if (this.openStream) throw new FitsError('previous image stream was not ended');
  }

  /** Ends the last HDU (adds an empty primary to an empty file). */
  finishHdus(): void {
    this.assertNoStream();
    if (this.count === 0) this.writeHdu(emptyPrimaryHeader(), new Uint8Array(0));
  }

  /** Completes the file: fsync, re-open to verify the structure, rename over the target. */
  close(): void {
    this.finishHdus();
    if (!(this.sink instanceof FileSink) || !this.tempPath || !this.finalPath) return;
    if (this.fsync) fsyncSync(this.sink.fd);
    closeSync(this.sink.fd);
    const check = openFits(this.tempPath);
    const n = check.hdus.length;
    check.close();
    if (n !== this.count)
      throw new FitsError(`wrote ${this.count} HDUs but read back ${n}`, { file: this.finalPath });
    if (this.noClobber) {
      // link() fails if the target exists: an atomic "create only if absent".
      try {
        linkSync(this.tempPath, this.finalPath);
      } catch {
        throw new FitsError('output exists and overwriting was not allowed', { file: this.finalPath });
      }
      unlinkSync(this.tempPath);
    } else {
      renameSync(this.tempPath, this.finalPath);
    }
    this.tempPath = undefined;
  }

  /** Removes the temporary file after a failure. */
  abort(): void {
    if (this.sink instanceof FileSink) {
      try {
        closeSync(this.sink.fd);
      } catch {}
    }
    if (this.tempPath) {
      try {
        unlinkSync(this.tempPath);
      } catch {}
    }
    this.tempPath = undefined;
  }
}

/** Receives one HDU's data in pieces, converts to big-endian, sums, pads. */
export class ImageStream {
  private written = 0;
  private readonly acc: ChecksumAccumulator | undefined;
  /** Physical values → stored native array (set by beginImage). */
  converter: ((data: ImageArray) => ImageArray) | undefined;
  /** Unsigned convention applied to each copied chunk (physical → stored by a sign-bit flip). */
  flip: UnsignedKind | undefined;

  private readonly sink: Sink;
  private readonly dataSize: number;
  private readonly onEnd: (dataSum: number) => void;

  private readonly fill: number;

  constructor(
    sink: Sink,
    dataSize: number,
    checksum: boolean,
    fill: number,
    onEnd: (dataSum: number) => void,
  ) {
    this.acc = checksum ? new ChecksumAccumulator() : undefined;
    this.fill = fill;
    this.sink = sink;
    this.dataSize = dataSize;
    this.onEnd = onEnd;
  }

  /** Appends pixels (physical values of the HDU's type) in FITS order. */
  write(data: ImageArray): void {
    this.writeStored(this.converter ? this.converter(data) : data);
  }

  /** Appends stored values (native-endian) converting in bounded chunks. */
  writeStored(stored: ImageArray): void {
    const width = stored.BYTES_PER_ELEMENT;
    const bytes = new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength);
    const chunk = new Uint8Array(Math.min(CHUNK_BYTES, bytes.length));
    for (let p = 0; p < bytes.length; p += chunk.length) {
      const piece = chunk.subarray(0, Math.min(chunk.length, bytes.length - p));
      piece.set(bytes.subarray(p, p + piece.length));
      if (this.flip) flipSignBytes(piece, this.flip);
      // Sum the native words before swapping when the stream is word-aligned: for 16/32/64-bit
      // values that is one add per word instead of the byte-lane method on big-endian bytes.
      const summed = width > 1 && this.acc !== undefined && this.acc.addNative(piece, width);
      swapToNative(piece, width);
      this.writeBytes(piece, summed);
    }
  }

  /** Appends already big-endian bytes. */
  writeBytes(bytes: Uint8Array, alreadySummed = false): void {
    if (this.written + bytes.length > this.dataSize) {
      throw new FitsError(`more data than the header declares (${this.dataSize} bytes)`);
    }
    if (!alreadySummed) this.acc?.update(bytes);
    this.sink.write(bytes);
    this.written += bytes.length;
  }

  end(): void {
    if (this.written !== this.dataSize) {
      throw new FitsError(`image stream ended after ${this.written} of ${this.dataSize} bytes`);
    }
    const pad = paddedSize(this.dataSize) - this.dataSize;
    if (pad > 0) {
      const padding = new Uint8Array(pad).fill(this.fill);
      // Blank fill is part of the data unit's DATASUM (zeros add nothing).
      if (this.fill) this.acc?.update(padding);
      this.sink.write(padding);
    }
    this.onEnd(this.acc?.digest() ?? 0);
  }
}

interface ImagePlan {
  header: Header;
  dataSize: number;
  stored: (data: ImageArray) => ImageArray;
  /** Unsigned conventions: flip sign bits chunk by chunk while writing (no whole-array copy). */
  flip?: UnsignedKind;
}

/** Decides BITPIX/scaling for an image spec and how to turn its values into stored ones. */
function planImage(spec: ImageHduSpec, primary: boolean, naxesOverride?: number[]): ImagePlan {
  const user = toHeader(spec.header);
  const data = spec.data;
  if (!data) {
    const header = buildImageHeader(user, {
      bitpix: spec.bitpix ?? 8,
      naxes: [],
      primary,
      name: spec.name,
      ver: spec.ver,
    });
    return { header, dataSize: 0, stored: (d) => d };
  }
  const naxes = naxesOverride ?? spec.naxes ?? [data.length];
  if (!naxesOverride && countOf(naxes) !== data.length) {
    throw new FitsError(`image has ${data.length} values but NAXISn give ${countOf(naxes)}`);
  }
  if (spec.raw) return planRaw(spec, user, data, naxes, primary);
  const natural = naturalType(data);
  let bitpix = natural.bitpix;
  let scaling: [string, number, string][] = natural.bzero
    ? [['BZERO', natural.bzero, 'offset data range to that of unsigned']]
    : [];
  if (natural.bzero) scaling.unshift(['BSCALE', 1, 'default scaling factor']);
  let stored: (d: ImageArray) => ImageArray = (d) => d;
  let flip = natural.flip;
  if (spec.bitpix !== undefined && spec.bitpix !== natural.bitpix) {
    const q = quantizer(spec.bitpix, spec.bscale ?? 1, spec.bzero ?? 0, spec.blank);
    bitpix = spec.bitpix;
    scaling = q.cards;
    stored = q.stored;
    flip = undefined;
  }
  const header = buildImageHeader(user, { bitpix, naxes, primary, scaling, name: spec.name, ver: spec.ver });
  return { header, dataSize: (countOf(naxes) * Math.abs(bitpix)) / 8, stored, flip };
}

const STORED_BITPIX: [new (n: number) => ImageArray, number][] = [
  [Uint8Array, 8],
  [Int16Array, 16],
  [Int32Array, 32],
  [BigInt64Array, 64],
  [Float32Array, -32],
  [Float64Array, -64],
];

/** Stored values written as they are, with the caller's BSCALE/BZERO/BLANK kept. */
function planRaw(
  spec: ImageHduSpec,
  user: Header,
  data: ImageArray,
  naxes: number[],
  primary: boolean,
): ImagePlan {
  const match = STORED_BITPIX.find(([ctor]) => data instanceof ctor);
  if (!match)
    throw new FitsError(
      `raw image data must be a stored type (Uint8/Int16/Int32/BigInt64/Float32/Float64), got ${data.constructor.name}`,
    );
  const bitpix = match[1];
  const scaling: [string, CardValue, string][] = [];
  for (const key of ['BSCALE', 'BZERO', 'BLANK']) {
    const card = user.card(key);
    if (card && (key !== 'BLANK' || bitpix > 0)) scaling.push([key, card.value, card.comment]);
  }
  const header = buildImageHeader(user, { bitpix, naxes, primary, scaling, name: spec.name, ver: spec.ver });
  return { header, dataSize: (countOf(naxes) * Math.abs(bitpix)) / 8, stored: (d) => d };
}

/** BITPIX for a physical array, and the unsigned convention (BZERO) it needs, if any. */
function naturalType(data: ImageArray): { bitpix: number; bzero?: number; flip?: UnsignedKind } {
  if (data instanceof Uint8Array) return { bitpix: 8 };
  if (data instanceof Int8Array) return { bitpix: 8, bzero: -128, flip: 'i8' };
  if (data instanceof Int16Array) return { bitpix: 16 };
  if (data instanceof Uint16Array) return { bitpix: 16, bzero: 32768, flip: 'u16' };
  if (data instanceof Int32Array) return { bitpix: 32 };
  if (data instanceof Uint32Array) return { bitpix: 32, bzero: 2147483648, flip: 'u32' };
  if (data instanceof BigInt64Array) return { bitpix: 64 };
  if (data instanceof BigUint64Array) return { bitpix: 64, bzero: 2 ** 63, flip: 'u64' };
  if (data instanceof Float32Array) return { bitpix: -32 };
  return { bitpix: -64 };
}

/** Stores floats as integers: stored = round((v − BZERO) / BSCALE), NaN → BLANK. */
function quantizer(bitpix: number, bscale: number, bzero: number, blank?: number) {
  if (bitpix < 0 || bitpix === 64) throw new FitsError(`cannot scale image values into BITPIX = ${bitpix}`);
  if (!(bscale !== 0 && Number.isFinite(bscale) && Number.isFinite(bzero)))
    throw new FitsError('BSCALE must be finite and non-zero');
  const limits: Record<number, [number, number]> = {
    8: [0, 255],
    16: [-32768, 32767],
    32: [-2147483648, 2147483647],
  };
  const [lo, hi] = limits[bitpix];
  const blankValue = blank ?? (bitpix === 8 ? 255 : lo);
  const cards: [string, number, string][] = [
    ['BSCALE', bscale, 'physical = BZERO + BSCALE * stored'],
    ['BZERO', bzero, ''],
  ];
  const stored = (d: ImageArray): ImageArray => {
    const out =
      bitpix === 8
        ? new Uint8Array(d.length)
        : bitpix === 16
          ? new Int16Array(d.length)
          : new Int32Array(d.length);
    const src = d as Float32Array;
    for (let i = 0; i < src.length; i++) {
      const v = Number(src[i]);
      out[i] = Number.isNaN(v) ? blankValue : Math.min(hi, Math.max(lo, Math.round((v - bzero) / bscale)));
    }
    return out;
  };
  // BLANK is declared up front (data may be streamed later), so NaN always has a home.
  cards.push(['BLANK', blankValue, 'value of undefined pixels']);
  return { cards, stored };
}

function convertFirstCard(header: Header, toPrimary: boolean): void {
  if (toPrimary) {
    header.replaceAt(0, Card.create('SIMPLE', true, 'conforms to FITS standard'));
    header.delete('PCOUNT');
    header.delete('GCOUNT');
  } else {
    header.replaceAt(0, Card.create('XTENSION', 'IMAGE', 'Image extension'));
    header.delete('EXTEND');
    const naxis = header.integer('NAXIS', 0);
    header.insertAfter(naxis > 0 ? `NAXIS${naxis}` : 'NAXIS', 'PCOUNT', 0);
    header.insertAfter('PCOUNT', 'GCOUNT', 1);
  }
}

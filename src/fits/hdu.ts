// One header-data unit of an open file. The header is parsed at open time; data are read only
// when asked (whole, by image section, or through the table readers).
import { FitsError, locate } from './errors.ts';
import type { Header } from './header.ts';
import {
  allocStored,
  countOf,
  decodeStored,
  type ImageArray,
  type ImageData,
  type PhysicalType,
  readScaling,
  shapeOf,
  swapToNative,
  toPhysical,
  type UnsignedKind,
  unsignedKind,
  unsignedView,
  flipSignBytes,
} from './image.ts';
import type { ByteSource } from './source.ts';
import { type DataLayout, type HduKind, paddedSize } from './structure.ts';

export interface ReadImageOptions {
  /** 'auto' (default, astropy's types), 'raw' (stored values), 'float32' or 'float64' physical. */
  type?: PhysicalType;
}

export class Hdu {
  readonly index: number;
  readonly header: Header;
  /** Byte offset of the header, of the data, and the data unit's padded length (astropy's fileinfo). */
  readonly hdrLoc: number;
  readonly datLoc: number;
  readonly layout: DataLayout;
  /** Set when the file ends before this HDU's data does. */
  readonly truncatedAt: number | undefined;
  protected readonly source: ByteSource;

  constructor(
    index: number,
    header: Header,
    hdrLoc: number,
    datLoc: number,
    layout: DataLayout,
    source: ByteSource,
  ) {
    this.index = index;
    this.header = header;
    this.hdrLoc = hdrLoc;
    this.datLoc = datLoc;
    this.layout = layout;
    this.source = source;
    this.truncatedAt = datLoc + layout.dataSize > source.size ? source.size : undefined;
  }

  get kind(): HduKind {
    return this.layout.kind;
  }

  get datSpan(): number {
    return paddedSize(this.layout.dataSize);
  }

  get dataSize(): number {
    return this.layout.dataSize;
  }

  /** EXTNAME, or PRIMARY for the first HDU without one (astropy's naming). */
  get name(): string {
    const v = this.header.get('EXTNAME');
    if (typeof v === 'string') return v.trim();
    return this.index === 0 ? 'PRIMARY' : '';
  }

  get ver(): number {
    const v = this.header.get('EXTVER');
    return typeof v === 'number' ? v : 1;
  }

  get fileName(): string {
    return this.source.name;
  }

  get isImage(): boolean {
    return this.kind === 'PRIMARY' || this.kind === 'IMAGE' || this.kind === 'COMPRESSED_IMAGE';
  }

  /** NAXIS = 0 HST extension that stands for a constant image (NPIX1..n and PIXVALUE). */
  get isConstantImage(): boolean {
    return this.layout.naxes.length === 0 && this.header.has('PIXVALUE') && this.header.has('NPIX1');
  }

  protected where(extra: { offset?: number; keyword?: string } = {}): { file: string; hdu: number } {
    return { file: this.source.name, hdu: this.index, ...extra };
  }

  /** Reads `length` bytes of this HDU's data starting `offset` bytes into the data unit. */
  readDataBytes(offset = 0, length = this.layout.dataSize - offset, target?: Uint8Array): Uint8Array {
    if (offset < 0 || length < 0 || offset + length > this.layout.dataSize) {
      throw new FitsError(`read of ${length} bytes at ${offset} is outside the data unit`, this.where());
    }
    if (this.datLoc + offset + length > this.source.size) {
      throw new FitsError(
        `file is truncated: the data unit needs ${this.layout.dataSize} bytes from byte ${this.datLoc} but the file has ${this.source.size} bytes`,
        this.where({ offset: this.source.size }),
      );
    }
    const out = target ?? new Uint8Array(length);
    this.source.readInto(out, this.datLoc + offset, length);
    return out;
  }

  /**
   * Reads the data unit into `out` and swaps to native order chunk by chunk, so each chunk is
   * swapped while still in cache (one memory pass instead of two).
   */
  private readSwapped(out: Uint8Array, width: number, flip?: UnsignedKind): void {
    const CHUNK = 1 << 20;
    for (let p = 0; p < out.length; p += CHUNK) {
      const piece = out.subarray(p, Math.min(out.length, p + CHUNK));
      this.readDataBytes(p, piece.length, piece);
      swapToNative(piece, width);
      // The unsigned conventions (BZERO = 2^(bits−1)) are a sign-bit flip, done while in cache.
      if (flip) flipSignBytes(piece, flip);
    }
  }

  /** The header exactly as stored (cards, END and fill). */
  readHeaderBytes(): Uint8Array {
    const out = new Uint8Array(this.datLoc - this.hdrLoc);
    this.source.readInto(out, this.hdrLoc, out.length);
    return out;
  }

  /** The data unit without padding, as stored. */
  readRawData(): Uint8Array {
    return this.readDataBytes();
  }

  /** The data unit with its padding (what DATASUM covers). */
  readPaddedData(): Uint8Array {
    const out = new Uint8Array(this.datSpan);
    this.readDataBytes(0, this.layout.dataSize, out);
    if (this.datLoc + this.datSpan <= this.source.size) {
      this.source.readInto(
        out,
        this.datLoc + this.layout.dataSize,
        this.datSpan - this.layout.dataSize,
        this.layout.dataSize,
      );
    }
    return out;
  }

  /** Reads an uncompressed image (PRIMARY/IMAGE) whole; see ImageHdu options for types. */
  readImage(options: ReadImageOptions = {}): ImageData {
    return locate(this.where(), () => {
      if (this.kind === 'COMPRESSED_IMAGE') return readCompressedImageHook(this, options);
      if (this.kind !== 'PRIMARY' && this.kind !== 'IMAGE') {
        throw new FitsError(`HDU is a ${this.kind}, not an image`);
      }
      if (this.isConstantImage) return this.readConstantImage(options);
      const { bitpix, naxes } = this.layout;
      const stored = allocStored(bitpix, countOf(naxes));
      const scaling = readScaling((k) => this.header.get(k));
      const auto = options.type === undefined || options.type === 'auto';
      const flip = auto && scaling.blank === undefined ? unsignedKind(bitpix, scaling) : undefined;
      const bytes = new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength);
      this.readSwapped(bytes, Math.abs(bitpix) / 8, flip);
      const data = flip ? unsignedView(stored, flip) : toPhysical(stored, bitpix, scaling, options.type);
      return { naxes: [...naxes], shape: shapeOf(naxes), data, bitpix };
    });
  }

  private readConstantImage(options: ReadImageOptions): ImageData {
    const naxes: number[] = [];
    for (let i = 1; this.header.has(`NPIX${i}`); i++) naxes.push(this.header.integer(`NPIX${i}`));
    const n = countOf(naxes);
    if (n > 2 ** 31) throw new FitsError(`constant image of ${n} pixels is too large`, this.where());
    const bitpix = this.layout.bitpix;
    const stored = allocStored(bitpix, n);
    const v = this.header.number('PIXVALUE');
    if (stored instanceof BigInt64Array || stored instanceof BigUint64Array)
      stored.fill(BigInt(Math.trunc(v)));
    else stored.fill(v);
    const data = toPhysical(
      stored,
      bitpix,
      readScaling((k) => this.header.get(k)),
      options.type,
    );
    return { naxes, shape: shapeOf(naxes), data, bitpix };
  }

  /**
   * Reads a section [start, end) per axis, FITS axis order, of an uncompressed image, reading
   * only the rows that are needed.
   */
  readSection(start: number[], end: number[], options: ReadImageOptions = {}): ImageData {
    return locate(this.where(), () => {
      if (this.kind === 'COMPRESSED_IMAGE') return readCompressedSectionHook(this, start, end, options);
      const { bitpix, naxes } = this.layout;
      checkSection(naxes, start, end);
      const width = Math.abs(bitpix) / 8;
      const outAxes = naxes.map((_, i) => end[i] - start[i]);
      const stored = allocStored(bitpix, countOf(outAxes));
      const outBytes = new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength);
      const runBytes = outAxes[0] * width;
      const idx = start.slice(1);
      let pos = 0;
      while (pos < outBytes.length) {
        let offset = start[0];
        let stride = naxes[0];
        for (let a = 1; a < naxes.length; a++) {
          offset += idx[a - 1] * stride;
          stride *= naxes[a];
        }
        this.readDataBytes(offset * width, runBytes, outBytes.subarray(pos, pos + runBytes));
        pos += runBytes;
        for (let a = 0; a < idx.length; a++) {
          if (++idx[a] < end[a + 1]) break;
          idx[a] = start[a + 1];
        }
      }
      swapToNative(outBytes, width);
      const data = toPhysical(
        stored,
        bitpix,
        readScaling((k) => this.header.get(k)),
        options.type,
      );
      return { naxes: outAxes, shape: shapeOf(outAxes), data, bitpix };
    });
  }

  /** Decodes this HDU's stored image bytes (used by tools that want raw values without scaling). */
  readStored(): ImageArray {
    return decodeStored(this.readRawData(), this.layout.bitpix);
  }
}

export function checkSection(naxes: number[], start: number[], end: number[]): void {
  if (start.length !== naxes.length || end.length !== naxes.length) {
    throw new FitsError(`section needs ${naxes.length} axes, got ${start.length}`);
  }
  naxes.forEach((n, i) => {
    if (
      !(
        Number.isInteger(start[i]) &&
        Number.isInteger(end[i]) &&
        start[i] >= 0 &&
        end[i] <= n &&
        start[i] < end[i]
      )
    ) {
      throw new FitsError(`section [${start[i]}, ${end[i]}) is outside axis ${i + 1} of length ${n}`);
    }
  });
}

// Compressed images are decoded by src/fits/compress; the hooks keep hdu.ts free of that module's
// weight and break the import cycle (compress needs Hdu to read its table).
type CompressedReader = (hdu: Hdu, options: ReadImageOptions) => ImageData;
type CompressedSectionReader = (
  hdu: Hdu,
  start: number[],
  end: number[],
  options: ReadImageOptions,
) => ImageData;
let compressedReader: CompressedReader | undefined;
let compressedSectionReader: CompressedSectionReader | undefined;

export function registerCompressedReaders(whole: CompressedReader, section: CompressedSectionReader): void {
  compressedReader = whole;
  compressedSectionReader = section;
}

function readCompressedImageHook(hdu: Hdu, options: ReadImageOptions): ImageData {
  if (!compressedReader) throw new FitsError('tile compression support is not loaded');
  return compressedReader(hdu, options);
}

function readCompressedSectionHook(
  hdu: Hdu,
  start: number[],
  end: number[],
  options: ReadImageOptions,
): ImageData {
  if (!compressedSectionReader) throw new FitsError('tile compression support is not loaded');
  return compressedSectionReader(hdu, start, end, options);
}

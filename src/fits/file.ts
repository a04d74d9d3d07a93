// An open FITS file: an index of HDUs built by reading headers only; data stay on disk until asked.
import { FitsError } from './errors.ts';
import { BLOCK_SIZE, Header } from './header.ts';
import { Hdu } from './hdu.ts';
import { type ByteSource, openSource } from './source.ts';
import { describeLayout, paddedSize } from './structure.ts';

/** Headers bigger than this are refused (a corrupted file without END would otherwise be read whole). */
const MAX_HEADER_BYTES = 256 * 1024 * 1024;
const HEADER_CHUNK = 8 * BLOCK_SIZE;

export interface OpenOptions {
  /** Name used in messages when reading a buffer. */
  name?: string;
}

export class FitsFile {
  readonly source: ByteSource;
  readonly hdus: Hdu[];
  /** Bytes after the last HDU that are not a valid extension (astropy warns and ignores them). */
  readonly trailingBytes: number;

  constructor(source: ByteSource, hdus: Hdu[], trailingBytes: number) {
    this.source = source;
    this.hdus = hdus;
    this.trailingBytes = trailingBytes;
  }

  get name(): string {
    return this.source.name;
  }

  get length(): number {
    return this.hdus.length;
  }

  /** An HDU by index, or by EXTNAME (case-insensitive) and optional EXTVER. */
  hdu(ref: number | string, ver?: number): Hdu {
    if (typeof ref === 'number') {
      const h = this.hdus[ref];
      if (!h)
        throw new FitsError(`there is no HDU ${ref} (the file has ${this.hdus.length})`, { file: this.name });
      return h;
    }
    const want = ref.trim().toUpperCase();
    const found = this.hdus.find(
      (h) => h.name.toUpperCase() === want && (ver === undefined || h.ver === ver),
    );
    if (!found) {
      const names = this.hdus.map((h) => `${h.name || h.index},${h.ver}`).join(' ');
      throw new FitsError(`no HDU named ${ref}${ver !== undefined ? `,${ver}` : ''} (HDUs: ${names})`, {
        file: this.name,
      });
    }
    return found;
  }

  close(): void {
    this.source.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** Opens a FITS file (path or bytes; .gz inflated) and indexes its HDUs. */
export function openFits(input: string | Uint8Array, options: OpenOptions = {}): FitsFile {
  const source = openSource(input, options.name);
  try {
    const { hdus, trailing } = indexHdus(source);
    return new FitsFile(source, hdus, trailing);
  } catch (err) {
    source.close();
    if (err instanceof FitsError) throw err.withWhere({ file: source.name });
    throw err;
  }
}

function indexHdus(source: ByteSource): { hdus: Hdu[]; trailing: number } {
  const hdus: Hdu[] = [];
  let pos = 0;
  if (source.size < BLOCK_SIZE) {
    throw new FitsError(`file is ${source.size} bytes, shorter than one 2880-byte FITS block`, { offset: 0 });
  }
  while (pos < source.size) {
    if (hdus.length > 0 && !startsExtension(source, pos)) return { hdus, trailing: source.size - pos };
    const index = hdus.length;
    const { header, byteLength } = readHeaderAt(source, pos, index);
    const layout = locateLayout(header, index, pos);
    const datLoc = pos + byteLength;
    const hdu = new Hdu(index, header, pos, datLoc, layout, source);
    hdus.push(hdu);
    if (hdu.truncatedAt !== undefined) break;
    pos = datLoc + paddedSize(layout.dataSize);
  }
  return { hdus, trailing: 0 };
}

function locateLayout(header: Header, index: number, pos: number) {
  try {
    return describeLayout(header, index === 0);
  } catch (err) {
    if (err instanceof FitsError) throw err.withWhere({ hdu: index, offset: pos });
    throw err;
  }
}

function startsExtension(source: ByteSource, pos: number): boolean {
  if (source.size - pos < 80) return false;
  const head = new Uint8Array(9);
  source.readInto(head, pos, 9);
  return new TextDecoder('latin1').decode(head) === 'XTENSION=';
}

function readHeaderAt(
  source: ByteSource,
  start: number,
  index: number,
): { header: Header; byteLength: number } {
  let buf = new Uint8Array(0);
  for (;;) {
    const want = Math.min(HEADER_CHUNK, source.size - start - buf.length);
    const whole = Math.floor(want / BLOCK_SIZE) * BLOCK_SIZE;
    if (whole <= 0) {
      throw new FitsError('header has no END card before the end of the file (truncated or not FITS)', {
        hdu: index,
        offset: start + buf.length,
      });
    }
    if (buf.length + whole > MAX_HEADER_BYTES) {
      throw new FitsError(`header is larger than ${MAX_HEADER_BYTES} bytes without an END card`, {
        hdu: index,
        offset: start,
      });
    }
    const next = new Uint8Array(buf.length + whole);
    next.set(buf);
    source.readInto(next, start + buf.length, whole, buf.length);
    buf = next;
    let parsed: ReturnType<typeof Header.parse>;
    try {
      parsed = Header.parse(buf, 0);
    } catch (err) {
      if (err instanceof FitsError) {
        throw new FitsError(err.reason, { hdu: index, card: err.card, offset: start + (err.offset ?? 0) });
      }
      throw err;
    }
    if (parsed) return parsed;
  }
}

// Where FITS bytes come from: a file read by position (lazy, nothing held in memory) or a buffer.
// Gzip-compressed input (.fits.gz) is inflated once into a buffer, as astropy does.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { FitsError } from './errors.ts';

export interface ByteSource {
  /** A name for messages (the path, or '<buffer>'). */
  readonly name: string;
  readonly size: number;
  /** Reads `length` bytes at `offset` into `target` (at targetOffset); returns bytes read. */
  readInto(target: Uint8Array, offset: number, length: number, targetOffset?: number): number;
  close(): void;
}

export class FileSource implements ByteSource {
  readonly name: string;
  readonly size: number;
  private fd: number | undefined;

  constructor(path: string) {
    this.name = path;
    try {
      this.fd = openSync(path, 'r');
      this.size = fstatSync(this.fd).size;
    } catch (err) {
      throw new FitsError(`cannot open: ${(err as Error).message}`, { file: path });
    }
  }

  readInto(target: Uint8Array, offset: number, length: number, targetOffset = 0): number {
    if (this.fd === undefined) throw new FitsError('file is closed', { file: this.name });
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, target, targetOffset + done, length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

export class BufferSource implements ByteSource {
  readonly name: string;
  readonly size: number;
  readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array, name = '<buffer>') {
    this.bytes = bytes;
    this.name = name;
    this.size = bytes.length;
  }

  readInto(target: Uint8Array, offset: number, length: number, targetOffset = 0): number {
    const n = Math.max(0, Math.min(length, this.size - offset));
    target.set(this.bytes.subarray(offset, offset + n), targetOffset);
    return n;
  }

  close(): void {}
}

const MAX_GUNZIP = 8 * 1024 ** 3;

export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** Opens a path or buffer; gzip input is inflated into memory. */
export function openSource(input: string | Uint8Array, name?: string): ByteSource {
  const source = typeof input === 'string' ? new FileSource(input) : new BufferSource(input, name);
  const head = new Uint8Array(2);
  source.readInto(head, 0, 2);
  if (!isGzip(head)) return source;
  try {
    const whole = new Uint8Array(source.size);
    source.readInto(whole, 0, source.size);
    return new BufferSource(gunzipSync(whole, { maxOutputLength: MAX_GUNZIP }), source.name);
  } catch (err) {
    throw new FitsError(`corrupt gzip stream: ${(err as Error).message}`, { file: source.name });
  } finally {
    source.close();
  }
}

// A strict ustar reader and a small writer over node:zlib, for dataset tarballs. Only regular files
// and directories are accepted: absolute paths, `..` segments, links, devices, FIFOs, duplicate or
// truncated members and bad header checksums are refused with a message naming the member.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline, Readable } from 'node:stream';
import { createGzip, gunzip as gunzipCb, gzip as gzipCb } from 'node:zlib';
import { promisify } from 'node:util';
import { ProcessError } from './errors.ts';
import { EXIT } from './exit-codes.ts';

const gunzip = promisify(gunzipCb);
const gzip = promisify(gzipCb);
const BLOCK = 512;

export interface TarMember {
  /** Normalised relative path (no leading ./). */
  name: string;
  type: 'file' | 'dir';
  data: Uint8Array;
  mode: number;
  mtime: number;
}

export class TarError extends ProcessError {
  constructor(message: string) {
    super(message, EXIT.INPUT_TAR_FILE_ERROR);
    this.name = 'TarError';
  }
}

function text(b: Uint8Array, off: number, len: number): string {
  let end = off;
  while (end < off + len && b[end] !== 0) end++;
  return Buffer.from(b.buffer, b.byteOffset + off, end - off).toString('utf8');
}

function octal(b: Uint8Array, off: number, len: number, what: string, member: string): number {
  if (b[off] & 0x80) {
    // GNU base-256 for sizes >= 8 GiB
    let v = 0;
    for (let i = off + 1; i < off + len; i++) v = v * 256 + b[i];
    return v;
  }
  const s = text(b, off, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s))
    throw new TarError(`tar member ${member}: ${what} field ${JSON.stringify(s)} is not octal`);
  return Number.parseInt(s, 8);
}

function checksumOk(h: Uint8Array, member: string): void {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
  const stored = octal(h, 148, 8, 'checksum', member);
  if (stored !== sum) throw new TarError(`tar header of ${member} has a bad checksum (corrupt archive)`);
}

/** Rejects names that could escape the extraction folder. */
export function safeMemberName(raw: string): string {
  if (raw.includes('\0')) throw new TarError(`tar member ${JSON.stringify(raw)} has a NUL byte in its name`);
  if (raw.startsWith('/') || /^[A-Za-z]:[\\/]/.test(raw))
    throw new TarError(`tar member ${JSON.stringify(raw)} has an absolute path`);
  const parts = raw.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..'))
    throw new TarError(`tar member ${JSON.stringify(raw)} contains a '..' segment`);
  if (parts.length === 0) throw new TarError(`tar member ${JSON.stringify(raw)} has an empty name`);
  return parts.join('/');
}

function paxRecords(data: Uint8Array, member: string): Record<string, string> {
  const out: Record<string, string> = {};
  const s = Buffer.from(data).toString('utf8');
  let i = 0;
  while (i < s.length) {
    const sp = s.indexOf(' ', i);
    const len = Number(s.slice(i, sp));
    if (sp < 0 || !Number.isInteger(len) || len <= 0) throw new TarError(`bad pax header before ${member}`);
    const rec = s.slice(sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

const TYPE_NAMES: Record<string, string> = {
  '1': 'a hard link',
  '2': 'a symbolic link',
  '3': 'a character device',
  '4': 'a block device',
  '6': 'a FIFO',
  '7': 'a contiguous file',
};

/** Parses an uncompressed tar archive. */
export function readTar(buf: Uint8Array): TarMember[] {
  const out: TarMember[] = [];
  const seen = new Set<string>();
  let pos = 0;
  let longName: string | undefined;
  let pax: Record<string, string> = {};
  let ended = false;
  while (pos + BLOCK <= buf.length) {
    const h = buf.subarray(pos, pos + BLOCK);
    if (h.every((x) => x === 0)) {
      ended = true;
      break;
    }
    const rawName = text(h, 0, 100);
    const magic = text(h, 257, 6);
    const prefix = magic.startsWith('ustar') ? text(h, 345, 155) : '';
    const shown = longName ?? pax.path ?? (prefix ? `${prefix}/${rawName}` : rawName);
    checksumOk(h, JSON.stringify(shown));
    const type = String.fromCharCode(h[156] || 48);
    const size = pax.size !== undefined ? Number(pax.size) : octal(h, 124, 12, 'size', shown);
    const start = pos + BLOCK;
    const end = start + size;
    if (end > buf.length)
      throw new TarError(
        `tar member ${JSON.stringify(shown)} is truncated (${buf.length - start} of ${size} bytes)`,
      );
    const data = buf.subarray(start, end);
    pos = start + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'L') {
      longName = text(data, 0, data.length);
      continue;
    }
    if (type === 'x') {
      pax = paxRecords(data, shown);
      continue;
    }
    if (type === 'g') continue;
    if (TYPE_NAMES[type])
      throw new TarError(
        `tar member ${JSON.stringify(shown)} is ${TYPE_NAMES[type]}: only regular files are accepted`,
      );
    if (type !== '0' && type !== '5')
      throw new TarError(`tar member ${JSON.stringify(shown)} has unsupported type '${type}'`);
    const name = safeMemberName(shown);
    if (seen.has(name)) throw new TarError(`tar member ${name} appears twice`);
    seen.add(name);
    out.push({
      name,
      type: type === '5' ? 'dir' : 'file',
      data,
      mode: octal(h, 100, 8, 'mode', name),
      mtime: octal(h, 136, 12, 'mtime', name),
    });
    longName = undefined;
    pax = {};
  }
  if (!ended) throw new TarError('the tar archive is truncated (no end-of-archive block)');
  return out;
}

export async function readTarGz(gz: Uint8Array): Promise<TarMember[]> {
  let raw: Uint8Array;
  try {
    raw = await gunzip(gz);
  } catch (e) {
    throw new TarError(`not a valid gzip stream: ${(e as Error).message}`);
  }
  return readTar(raw);
}

function writeString(h: Uint8Array, off: number, len: number, s: string): void {
  const b = Buffer.from(s, 'utf8');
  if (b.length > len) throw new Error(`tar field too long: ${s}`);
  h.set(b, off);
}

function writeOctal(h: Uint8Array, off: number, len: number, v: number): void {
  writeString(h, off, len, `${v.toString(8).padStart(len - 1, '0')}\0`);
}

function header(name: string, size: number, mtime: number, type: '0' | '5'): Uint8Array {
  const h = new Uint8Array(BLOCK);
  let prefix = '';
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', name.length - 1);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
    if (cut < 0 || Buffer.byteLength(prefix) > 155 || Buffer.byteLength(base) > 100)
      throw new Error(`tar: name too long: ${name}`);
  }
  writeString(h, 0, 100, base);
  writeOctal(h, 100, 8, type === '5' ? 0o755 : 0o644);
  writeOctal(h, 108, 8, 0);
  writeOctal(h, 116, 8, 0);
  writeOctal(h, 124, 12, size);
  writeOctal(h, 136, 12, Math.floor(mtime));
  h[156] = type.charCodeAt(0);
  writeString(h, 257, 6, 'ustar\0');
  writeString(h, 263, 2, '00');
  writeString(h, 345, 155, prefix);
  h.fill(32, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i];
  writeString(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

export interface TarInput {
  name: string;
  data?: Uint8Array;
  dir?: boolean;
  mtime?: number;
}

/** Builds an uncompressed ustar archive. */
export function writeTar(entries: TarInput[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const name = safeMemberName(e.name);
    const data = e.data ?? new Uint8Array(0);
    const mtime = e.mtime ?? Date.now() / 1000;
    parts.push(header(e.dir ? `${name}/` : name, e.dir ? 0 : data.length, mtime, e.dir ? '5' : '0'));
    if (!e.dir && data.length) {
      parts.push(data);
      const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
      if (pad) parts.push(new Uint8Array(pad));
    }
  }
  parts.push(new Uint8Array(BLOCK * 2));
  return Buffer.concat(parts);
}

export async function writeTarGz(entries: TarInput[]): Promise<Uint8Array> {
  return gzip(writeTar(entries), { level: 1 });
}

async function* tarChunks(files: { name: string; path: string }[]): AsyncGenerator<Uint8Array> {
  for (const f of files) {
    const name = safeMemberName(f.name);
    const st = await stat(f.path);
    yield header(name, st.size, st.mtimeMs / 1000, '0');
    let n = 0;
    for await (const chunk of createReadStream(f.path, { highWaterMark: 1 << 20 })) {
      n += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
    if (n !== st.size) throw new Error(`tar: ${f.path} changed size while being archived`);
    const pad = (BLOCK - (n % BLOCK)) % BLOCK;
    if (pad) yield new Uint8Array(pad);
  }
  yield new Uint8Array(BLOCK * 2);
}

/** A gzipped ustar stream of files read from disk (constant memory, for large products). */
export function tarGzStream(files: { name: string; path: string }[]): Readable {
  // pipeline (not pipe) so a read error reaches the consumer instead of stalling the gzip stream
  return pipeline(Readable.from(tarChunks(files)), createGzip({ level: 1 }), () => {});
}

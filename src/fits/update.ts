// Rewrites header keywords of one HDU of an existing file (e.g. CRDS bestrefs writing BIASFILE),
// safely: the new file is assembled under a temporary name and renamed over the original only
// when complete. Data bytes are copied untouched; CHECKSUM is recomputed when the HDU had one.
import { closeSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { CardValue } from './card.ts';
import { addSums, encodeChecksum, onesComplementSum } from './checksum.ts';
import { FitsError } from './errors.ts';
import { openFits } from './file.ts';

export interface HeaderUpdate {
  value: CardValue;
  comment?: string;
}

/** Sets (or deletes, with `undefined`) keywords in HDU `hduIndex` of `path`. */
export function updateHeaderKeywords(
  path: string,
  hduIndex: number | string,
  updates: Record<string, CardValue | HeaderUpdate | undefined>,
): void {
  const f = openFits(path);
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let out: number | undefined;
  try {
    const hdu = f.hdu(hduIndex);
    const header = hdu.header.clone();
    for (const [key, u] of Object.entries(updates)) {
      if (u === undefined) header.delete(key);
      else if (u !== null && typeof u === 'object' && 'value' in u) header.set(key, u.value, u.comment);
      else header.set(key, u as CardValue);
    }
    if (header.has('CHECKSUM')) {
      const dataSum = onesComplementSum(hdu.readPaddedData());
      header.set('DATASUM', String(dataSum));
      header.set('CHECKSUM', '0000000000000000');
      header.set('CHECKSUM', encodeChecksum(addSums(onesComplementSum(header.toBytes()), dataSum)));
    }
    out = openSync(temp, 'wx');
    copyRange(f.source.name, out, 0, hdu.hdrLoc);
    const bytes = header.toBytes();
    writeSync(out, bytes);
    copyRange(f.source.name, out, hdu.datLoc, f.source.size - hdu.datLoc);
    fsyncSync(out);
    closeSync(out);
    out = undefined;
    const check = openFits(temp);
    const ok = check.hdus.length === f.hdus.length;
    check.close();
    if (!ok) throw new FitsError('rewritten file does not have the same HDUs', { file: path });
    renameSync(temp, path);
  } catch (err) {
    if (out !== undefined) closeSync(out);
    try {
      unlinkSync(temp);
    } catch {}
    throw err instanceof FitsError ? err.withWhere({ file: path }) : err;
  } finally {
    f.close();
  }
}

function copyRange(src: string, out: number, start: number, length: number): void {
  const fd = openSync(src, 'r');
  try {
    const buf = new Uint8Array(Math.min(length, 8 << 20) || 1);
    for (let done = 0; done < length; ) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, length - done), start + done);
      if (n === 0) throw new FitsError(`file ended while copying (byte ${start + done})`, { file: src });
      writeSync(out, buf, 0, n);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
}

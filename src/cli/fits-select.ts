// Shared by the fits commands: open a file for the duration of a callback, pick an HDU by reference.
import { type FitsFile, type Hdu, openFits } from '../fits/index.ts';
import { CliError } from './errors.ts';

/** Parses `N`, `NAME` or `NAME,VER` into an HDU of the open file. */
export function selectHdu(file: FitsFile, ref: string | undefined, fallback = 0): Hdu {
  if (ref === undefined) return file.hdu(fallback);
  if (/^\d+$/.test(ref)) return file.hdu(Number(ref));
  const m = /^([^,]+)(?:,(\d+))?$/.exec(ref);
  if (!m) throw new CliError(`--hdu '${ref}' should be a number, NAME or NAME,VER`);
  return file.hdu(m[1], m[2] === undefined ? undefined : Number(m[2]));
}

export function withFits<T>(path: string, fn: (f: FitsFile) => T): T {
  const f = openFits(path);
  try {
    return fn(f);
  } finally {
    f.close();
  }
}

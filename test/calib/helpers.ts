// Shared checks for the calibration tests: read calibrated and truth planes, residual statistics.
import { type FitsFile, openFits } from '../../src/fits/index.ts';

export interface Planes {
  sci: Float32Array;
  err: Float32Array;
  dq: Uint16Array;
  nx: number;
  ny: number;
}

export function readPlanes(path: string, ver: number): Planes {
  const f = openFits(path);
  try {
    const s = f.hdu('SCI', ver).readImage({ type: 'float32' });
    const err = f.hdu('ERR', ver).readImage({ type: 'float32' }).data as Float32Array;
    const dq = Uint16Array.from(f.hdu('DQ', ver).readImage({ type: 'raw' }).data as Int16Array);
    return { sci: s.data as Float32Array, err, dq, nx: s.naxes[0], ny: s.naxes[1] };
  } finally {
    f.close();
  }
}

export function readPlane(path: string, name: string, ver: number): Float32Array {
  const f = openFits(path);
  try {
    return Float32Array.from(f.hdu(name, ver).readImage({ type: 'float32' }).data as Float32Array);
  } finally {
    f.close();
  }
}

export function withFile<T>(path: string, fn: (f: FitsFile) => T): T {
  const f = openFits(path);
  try {
    return fn(f);
  } finally {
    f.close();
  }
}

export function quantile(values: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(values).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))];
}

/** Median and half the 16–84 % range (a robust sigma) of (SCI − truth)/ERR over the kept pixels. */
export function residualStats(
  p: Planes,
  truth: Float32Array,
  keep: (i: number) => boolean,
): { median: number; spread: number; n: number } {
  const r: number[] = [];
  for (let i = 0; i < p.sci.length; i++)
    if (keep(i) && p.err[i] > 0) r.push((p.sci[i] - truth[i]) / p.err[i]);
  return { median: quantile(r, 0.5), spread: (quantile(r, 0.8413) - quantile(r, 0.1587)) / 2, n: r.length };
}

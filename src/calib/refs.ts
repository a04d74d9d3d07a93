// Reference files: resolving `jref$name` / `iref$name` to paths (jref/iref variables, a CRDS cache,
// or the raw's own folder), and reading the reference images and tables the steps need.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Hdu, openFits, readTable } from '../fits/index.ts';
import { CalibError } from './errors.ts';
import type { OscnRow } from './layout.ts';
import type { RefImage } from './refimage.ts';

export interface RefLocations {
  /** Folders for the `jref$`/`iref$` prefixes (default: the environment variables jref/iref). */
  prefixes?: Record<string, string>;
  /** A CRDS cache (CRDS_PATH layout): references in `<crdsPath>/references/hst/`. */
  crdsPath?: string;
  /** Extra folders searched for bare names. */
  dirs?: string[];
  /** CRDS context (.pmap) used with crdsPath to select references (default: the newest in the cache). */
  context?: string;
  /** Keep the header's reference keywords even when a CRDS cache is given. */
  noBestrefs?: boolean;
}

/** True when a reference keyword's value means "none". */
export function isNoRef(value: string | undefined): boolean {
  const v = (value ?? '').trim().toUpperCase();
  return v === '' || v === 'N/A' || v === 'NONE';
}

/** Resolves a reference keyword value to an existing path; throws E_CALIB_MISSING_REF. */
export function resolveRef(value: string, keyword: string, step: string, loc: RefLocations): string {
  const v = value.trim();
  const m = /^([A-Za-z][A-Za-z0-9_]*)\$(.+)$/.exec(v);
  const name = m ? m[2] : v;
  const candidates: string[] = [];
  if (m) {
    const prefix = m[1].toLowerCase();
    const dir = loc.prefixes?.[prefix] ?? process.env[prefix] ?? process.env[prefix.toUpperCase()];
    if (dir) candidates.push(join(dir, name));
  }
  if (loc.crdsPath) candidates.push(join(loc.crdsPath, 'references', 'hst', name));
  for (const d of loc.dirs ?? []) candidates.push(join(d, name));
  if (!m) candidates.push(v);
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    throw new CalibError(
      'E_CALIB_MISSING_REF',
      step,
      `${keyword} = '${v}' was not found (looked in: ${candidates.join(', ') || 'nowhere: set the jref/iref variable or a CRDS cache'})`,
      name,
    );
  }
  return found;
}

/** Reads the SCI/ERR/DQ of the extension whose CCDCHIP is `chip` (or the only one). */
export function readRefImage(path: string, chip: number, step: string): RefImage {
  const f = openFits(path);
  try {
    const scis = f.hdus.filter((h) => h.name.toUpperCase() === 'SCI');
    const sci =
      scis.length <= 1 ? (scis[0] ?? f.hdus[0]) : scis.find((h) => h.header.number('CCDCHIP', 1) === chip);
    if (!sci || (!sci.isConstantImage && sci.layout.naxes.length !== 2)) {
      throw new CalibError('E_CALIB_REF_SIZE', step, `no 2-D image for chip ${chip}`, path);
    }
    const img = readFloat32(sci);
    const [nx, ny] = img.naxes;
    const ver = sci.ver;
    const err = optionalPlane(f.hdus, 'ERR', ver, 'float32') as Float32Array | undefined;
    const dqf = optionalPlane(f.hdus, 'DQ', ver, 'raw');
    const dq = dqf ? Uint16Array.from(dqf as ArrayLike<number>) : undefined;
    const ltv1 = sci.header.number('LTV1', 0);
    const ltv2 = sci.header.number('LTV2', 0);
    for (const [arr, what] of [
      [err, 'ERR'],
      [dq, 'DQ'],
    ] as const) {
      if (arr && arr.length !== nx * ny)
        throw new CalibError('E_CALIB_REF_SIZE', step, `${what} size differs from SCI`, path);
    }
    return { data: img.data as Float32Array, err, dq, nx, ny, ltv1, ltv2, file: path };
  } finally {
    f.close();
  }
}

// A constant-zero ERR/DQ adds nothing; skip it rather than loop over zeros.
function optionalPlane(hdus: Hdu[], name: string, ver: number, type: 'float32' | 'raw') {
  const h = hdus.find((x) => x.name.toUpperCase() === name && x.ver === ver);
  if (!h) return undefined;
  if (h.isConstantImage && h.header.number('PIXVALUE', 0) === 0) return undefined;
  if (!h.isConstantImage && h.layout.naxes.length === 0) return undefined;
  return type === 'float32' ? readFloat32(h).data : h.readImage({ type }).data;
}

/**
 * The image as float32. Float32 data as stored is taken as is: asking for 'float32' would copy
 * it into a fresh array (32 MB of page faults per WFC chip) for the same values.
 */
function readFloat32(h: Hdu) {
  const img = h.readImage({ type: 'auto' });
  return img.data instanceof Float32Array ? img : h.readImage({ type: 'float32' });
}

export type TableRow = Record<string, string | number>;

/** Reads every row of the first table extension as plain records (keys upper-case). */
export function readRefRows(path: string, step: string, extension = 1): TableRow[] {
  const f = openFits(path);
  try {
    const hdu = f.hdus[extension];
    if (!hdu)
      throw new CalibError('E_CALIB_REF_TABLE', step, `table extension ${extension} is missing`, path);
    const t = readTable(hdu, { trimStrings: true });
    const rows: TableRow[] = [];
    for (let i = 0; i < t.nrows; i++) rows.push({});
    for (const col of t.columns) {
      const key = col.name.toUpperCase();
      const vals = col.values as ArrayLike<unknown>;
      const per = col.kind === 'string' ? 1 : col.repeat;
      for (let i = 0; i < t.nrows; i++) {
        const v = vals[i * per];
        rows[i][key] = typeof v === 'string' ? v.trim() : typeof v === 'bigint' ? Number(v) : (v as number);
      }
    }
    return rows;
  } finally {
    f.close();
  }
}

export function num(row: TableRow, key: string, path: string, step: string): number {
  const v = row[key];
  if (typeof v !== 'number')
    throw new CalibError('E_CALIB_REF_TABLE', step, `column ${key} is missing or not numeric`, path);
  return v;
}

export function str(row: TableRow, key: string, fallback = ''): string {
  const v = row[key];
  return v === undefined ? fallback : String(v).trim();
}

/** CCDTAB: the row for this amp configuration, gain and binning. */
export interface CcdParams {
  atodgain: Record<string, number>;
  readnoise: Record<string, number>;
  ccdbias: Record<string, number>;
  atodsat: number;
  saturate: number;
  /** Commanding overheads (s) added to DARKTIME: OVRHFLS (post-flashed), OVRHUFLS (unflashed); 0 when absent. */
  darkOverheadFlash: number;
  darkOverheadNoFlash: number;
}

export function selectCcdRow(
  rows: TableRow[],
  hdr: { ccdamp: string; ccdgain: number; binx: number; biny: number; ofst: Record<string, number> },
  path: string,
): CcdParams {
  const step = 'CCDTAB';
  const row = rows.find(
    (r) =>
      str(r, 'CCDAMP') === hdr.ccdamp &&
      Math.abs(num(r, 'CCDGAIN', path, step) - hdr.ccdgain) < 1e-6 &&
      (r.BINAXIS1 === undefined || r.BINAXIS1 === hdr.binx) &&
      (r.BINAXIS2 === undefined || r.BINAXIS2 === hdr.biny) &&
      ['A', 'B', 'C', 'D'].every(
        (a) =>
          r[`CCDOFST${a}`] === undefined || hdr.ofst[a] === undefined || r[`CCDOFST${a}`] === hdr.ofst[a],
      ),
  );
  if (!row) {
    throw new CalibError(
      'E_CALIB_REF_TABLE',
      step,
      `no row for CCDAMP=${hdr.ccdamp} CCDGAIN=${hdr.ccdgain} binning ${hdr.binx}x${hdr.biny}`,
      path,
    );
  }
  const per = (prefix: string) =>
    Object.fromEntries(
      ['A', 'B', 'C', 'D'].map((a) => [
        a,
        typeof row[prefix + a] === 'number' ? (row[prefix + a] as number) : 0,
      ]),
    );
  return {
    atodgain: per('ATODGN'),
    readnoise: per('READNSE'),
    ccdbias: per('CCDBIAS'),
    atodsat: typeof row.ATODSAT === 'number' ? row.ATODSAT : 65535,
    saturate: typeof row.SATURATE === 'number' ? row.SATURATE : Number.POSITIVE_INFINITY,
    darkOverheadFlash: typeof row.OVRHFLS === 'number' ? row.OVRHFLS : 0,
    darkOverheadNoFlash: typeof row.OVRHUFLS === 'number' ? row.OVRHUFLS : 0,
  };
}

export function oscnRows(rows: TableRow[]): OscnRow[] {
  const n = (r: TableRow, k: string) => (typeof r[k] === 'number' ? (r[k] as number) : 0);
  return rows.map((r) => ({
    ccdamp: str(r, 'CCDAMP'),
    ccdchip: n(r, 'CCDCHIP'),
    binx: n(r, 'BINX') || 1,
    biny: n(r, 'BINY') || 1,
    nx: n(r, 'NX'),
    ny: n(r, 'NY'),
    trimx1: n(r, 'TRIMX1'),
    trimx2: n(r, 'TRIMX2'),
    trimx3: n(r, 'TRIMX3'),
    trimx4: n(r, 'TRIMX4'),
    trimy1: n(r, 'TRIMY1'),
    trimy2: n(r, 'TRIMY2'),
    biassecta1: n(r, 'BIASSECTA1'),
    biassecta2: n(r, 'BIASSECTA2'),
    biassectb1: n(r, 'BIASSECTB1'),
    biassectb2: n(r, 'BIASSECTB2'),
    vx1: n(r, 'VX1'),
    vx2: n(r, 'VX2'),
    vy1: n(r, 'VY1'),
    vy2: n(r, 'VY2'),
  }));
}

/** BPIXTAB runs for one chip: physical 1-based start, length along AXIS, DQ value. */
export interface BpixRun {
  pix1: number;
  pix2: number;
  length: number;
  axis: number;
  value: number;
}

export function bpixRuns(rows: TableRow[], chip: number, path: string): BpixRun[] {
  return rows
    .filter((r) => r.CCDCHIP === undefined || r.CCDCHIP === chip)
    .map((r) => ({
      pix1: num(r, 'PIX1', path, 'DQICORR'),
      pix2: num(r, 'PIX2', path, 'DQICORR'),
      length: num(r, 'LENGTH', path, 'DQICORR'),
      axis: num(r, 'AXIS', path, 'DQICORR'),
      value: num(r, 'VALUE', path, 'DQICORR'),
    }));
}

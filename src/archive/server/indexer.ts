// Indexes a directory or bucket of FITS files into SQLite: one row per file with the header fields
// MAST's CAOM tables carry (obs_id, instrument, detector, target, filters, exposure, dates, proposal),
// then observations (files grouped by collection + obs_id) and products (one per file). Unchanged
// files (same size and mtime/etag) are not re-read on a re-index.
import { createHash } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import { openFits } from '../../fits/index.ts';
import type { ObjectStore } from '../../storage/index.ts';

export interface FileMeta {
  obs_collection: string;
  obs_id: string;
  instrument_name: string | null;
  target_name: string | null;
  filters: string | null;
  t_exptime: number | null;
  t_min: number | null;
  t_max: number | null;
  proposal_id: string | null;
  proposal_pi: string | null;
  s_ra: number | null;
  s_dec: number | null;
  dataproduct_type: string;
  calib_level: number;
  suffix: string;
}

const FITS_RE = /\.(fits|fit|fts)(\.gz)?$/i;
/** Bytes fetched from remote objects to read their headers (falls back to the whole object). */
const HEAD_PROBE = 256 * 1024;

type HeaderValue = string | number | bigint | boolean | null | undefined | object;
type Get = (k: string) => HeaderValue;

function str(v: HeaderValue): string | null {
  if (v === null || v === undefined || typeof v === 'object') return null;
  const s = String(v).trim();
  return s === '' ? null : s;
}

function num(v: HeaderValue): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

/** MJD of an ISO date (optionally with a separate time), or null when unparsable. */
export function isoToMjd(date: string | null, time?: string | null): number | null {
  if (!date || !/^\d{4}-\d{2}-\d{2}/.test(date)) return null;
  const iso = date.includes('T') ? date : `${date}T${time ?? '00:00:00'}`;
  const ms = Date.parse(iso.endsWith('Z') ? iso : `${iso}Z`);
  return Number.isNaN(ms) ? null : ms / 86_400_000 + 40587;
}

/** The "_suffix" of a file name (raw, flt, asn, lc …), lower case. */
export function suffixOf(filename: string): string {
  const stem = filename.replace(FITS_RE, '');
  const i = stem.lastIndexOf('_');
  const j = stem.lastIndexOf('-');
  const cut = Math.max(i, j);
  return cut >= 0 ? stem.slice(cut + 1).toLowerCase() : '';
}

const CALIB3 = new Set(['drz', 'drc', 'sx2', 'x2d']);
const CALIB2 = new Set(['flt', 'flc', 'crj', 'sx1', 'x1d', 'c0m', 'c1m', 'cal', 'ima']);

/** Header fields of one file, from the primary header with the first extension as a fallback. */
export function extractMeta(get: Get, getExt: Get, filename: string): FileMeta {
  const pick = (k: string) => {
    const v = get(k);
    return v === undefined || v === null || v === '' ? getExt(k) : v;
  };
  const telescope = str(pick('TELESCOP'));
  const collection = (telescope && /^[A-Za-z0-9._-]+$/.test(telescope) ? telescope : 'LOCAL').toUpperCase();
  const stem = filename.replace(FITS_RE, '');
  const rootname = str(pick('ROOTNAME'));
  const ticid = str(pick('TICID'));
  const sector = num(pick('SECTOR'));
  let obsId = rootname?.toUpperCase() ?? stem;
  if (!rootname && ticid && sector !== null)
    obsId = `tess-s${String(sector).padStart(4, '0')}-${ticid.padStart(16, '0')}`;
  const instrument = str(pick('INSTRUME'));
  const detector = str(pick('DETECTOR'));
  const filters = ['FILTER', 'FILTER1', 'FILTER2', 'OPT_ELEM']
    .map((k) => str(pick(k)))
    .filter((f): f is string => f !== null && !/^CLEAR/i.test(f) && f.toUpperCase() !== 'N/A');
  // TEXPTIME (total over an association) beats a per-extension EXPTIME
  const exptime = num(get('TEXPTIME')) ?? num(get('EXPTIME')) ?? num(getExt('EXPTIME'));
  const tmin =
    num(pick('EXPSTART')) ?? num(pick('MJD-OBS')) ?? isoToMjd(str(pick('DATE-OBS')), str(pick('TIME-OBS')));
  const tmax =
    num(pick('EXPEND')) ??
    (tmin !== null && exptime !== null ? tmin + exptime / 86400 : isoToMjd(str(pick('DATE-END'))));
  const suffix = suffixOf(filename);
  const obstype = str(pick('OBSTYPE'))?.toUpperCase();
  return {
    obs_collection: collection,
    obs_id: obsId,
    instrument_name: instrument ? (detector ? `${instrument}/${detector}` : instrument) : null,
    target_name: str(pick('TARGNAME')) ?? str(pick('OBJECT')),
    filters: filters.length ? [...new Set(filters)].join(';') : null,
    t_exptime: exptime,
    t_min: tmin,
    t_max: tmax,
    proposal_id: str(pick('PROPOSID')),
    proposal_pi: str(pick('PR_INV_L')),
    s_ra: num(pick('RA_TARG')) ?? num(pick('RA_OBJ')) ?? num(pick('CRVAL1')),
    s_dec: num(pick('DEC_TARG')) ?? num(pick('DEC_OBJ')) ?? num(pick('CRVAL2')),
    dataproduct_type: obstype === 'SPECTROSCOPIC' ? 'spectrum' : ticid ? 'timeseries' : 'image',
    calib_level: CALIB3.has(suffix) ? 3 : CALIB2.has(suffix) ? 2 : 1,
    suffix,
  };
}

/** Stable positive integer id for an observation (MAST's obsid is numeric). */
export function obsIdNumber(collection: string, obsId: string): number {
  return Number.parseInt(createHash('sha1').update(`${collection}\0${obsId}`).digest('hex').slice(0, 12), 16);
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS files (uri TEXT PRIMARY KEY, rel TEXT NOT NULL, filename TEXT NOT NULL, size INTEGER NOT NULL,
  stamp TEXT NOT NULL, meta TEXT, error TEXT);
CREATE TABLE IF NOT EXISTS observations (obsid INTEGER PRIMARY KEY, obs_collection TEXT, obs_id TEXT, instrument_name TEXT,
  target_name TEXT, filters TEXT, t_exptime REAL, t_min REAL, t_max REAL, proposal_id TEXT, proposal_pi TEXT, s_ra REAL,
  s_dec REAL, dataproduct_type TEXT, calib_level INTEGER, project TEXT);
CREATE INDEX IF NOT EXISTS obs_by_id ON observations(obs_id);
CREATE TABLE IF NOT EXISTS products (dataURI TEXT PRIMARY KEY, obsid INTEGER NOT NULL, uri TEXT NOT NULL, rel TEXT NOT NULL,
  productFilename TEXT NOT NULL, size INTEGER NOT NULL, suffix TEXT, productType TEXT, calib_level INTEGER);
CREATE INDEX IF NOT EXISTS prod_by_obs ON products(obsid);
`;

export interface IndexStats {
  files: number;
  read: number;
  reused: number;
  failed: number;
  observations: number;
  products: number;
}

const AUXILIARY = new Set(['asn', 'spt', 'jif', 'jit', 'trl', 'bpx']);

export class ArchiveIndex {
  readonly db: DatabaseSync;

  constructor(dbPath = ':memory:') {
    this.db = new DatabaseSync(dbPath);
    this.db.exec('PRAGMA journal_mode = WAL;');
    this.db.exec(SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  /** Scans `source` (a prefix URI ending in '/') through `store` and rebuilds observations/products. */
  async build(store: ObjectStore, source: string, onFile?: (uri: string) => void): Promise<IndexStats> {
    const stats: IndexStats = { files: 0, read: 0, reused: 0, failed: 0, observations: 0, products: 0 };
    const prefix = source.endsWith('/') ? source : `${source}/`;
    const known = new Map<string, { stamp: string }>();
    for (const r of this.db.prepare('SELECT uri, stamp FROM files').all() as { uri: string; stamp: string }[])
      known.set(r.uri, r);
    const seen = new Set<string>();
    const upsert = this.db.prepare(
      'INSERT OR REPLACE INTO files (uri, rel, filename, size, stamp, meta, error) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    for await (const e of store.list(prefix)) {
      if (e.isPrefix || !FITS_RE.test(e.key)) continue;
      stats.files++;
      seen.add(e.uri);
      const stamp = `${e.size}:${e.etag ?? e.mtime?.getTime() ?? ''}`;
      if (known.get(e.uri)?.stamp === stamp) {
        stats.reused++;
        continue;
      }
      const rel = e.uri.slice(prefix.length);
      const filename = rel.slice(rel.lastIndexOf('/') + 1);
      onFile?.(e.uri);
      try {
        const meta = await this.readMeta(store, e.uri, filename, e.size);
        upsert.run(e.uri, rel, filename, e.size, stamp, JSON.stringify(meta), null);
        stats.read++;
      } catch (err) {
        upsert.run(e.uri, rel, filename, e.size, stamp, null, (err as Error).message);
        stats.failed++;
      }
    }
    const del = this.db.prepare('DELETE FROM files WHERE uri = ?');
    for (const uri of known.keys()) if (!seen.has(uri)) del.run(uri);
    this.rebuildTables();
    stats.observations = (this.db.prepare('SELECT count(*) AS n FROM observations').get() as { n: number }).n;
    stats.products = (this.db.prepare('SELECT count(*) AS n FROM products').get() as { n: number }).n;
    return stats;
  }

  private async readMeta(store: ObjectStore, uri: string, filename: string, size: number): Promise<FileMeta> {
    // local files are opened in place (headers only). Remote objects: the first HEAD_PROBE bytes
    // usually hold the primary and first extension headers; gzip or a bigger header needs the whole file.
    let input: string | Uint8Array;
    if (store.scheme === 'file') input = uri.slice('file:'.length);
    else if (!/\.gz$/i.test(filename) && size > HEAD_PROBE) {
      input = await store.readRange(uri, 0, HEAD_PROBE - 1);
      try {
        return this.metaOf(openFits(input, { name: filename }), filename);
      } catch {
        input = await store.read(uri);
      }
    } else input = await store.read(uri);
    return this.metaOf(openFits(input, { name: filename }), filename);
  }

  private metaOf(f: ReturnType<typeof openFits>, filename: string): FileMeta {
    try {
      const h0 = f.hdus[0].header;
      const h1 = f.hdus[1]?.header;
      return extractMeta(
        (k) => h0.get(k),
        (k) => h1?.get(k),
        filename,
      );
    } finally {
      f.close();
    }
  }

  private rebuildTables(): void {
    const rows = this.db
      .prepare('SELECT uri, rel, filename, size, meta FROM files WHERE meta IS NOT NULL ORDER BY rel')
      .all() as {
      uri: string;
      rel: string;
      filename: string;
      size: number;
      meta: string;
    }[];
    const obs = new Map<number, FileMeta & { calib: number }>();
    this.db.exec('BEGIN');
    try {
      this.db.exec('DELETE FROM observations; DELETE FROM products;');
      const insProd = this.db.prepare(
        'INSERT OR IGNORE INTO products (dataURI, obsid, uri, rel, productFilename, size, suffix, productType, calib_level) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      );
      for (const r of rows) {
        const m = JSON.parse(r.meta) as FileMeta;
        const id = obsIdNumber(m.obs_collection, m.obs_id);
        const prev = obs.get(id);
        if (!prev) obs.set(id, { ...m, calib: m.calib_level });
        else {
          // an observation takes the first non-null of each field over its files, and the widest time span
          for (const k of Object.keys(m) as (keyof FileMeta)[])
            if (prev[k] === null) (prev as unknown as Record<string, unknown>)[k] = m[k];
          prev.calib = Math.max(prev.calib, m.calib_level);
          if (m.t_min !== null && (prev.t_min === null || m.t_min < prev.t_min)) prev.t_min = m.t_min;
          if (m.t_max !== null && (prev.t_max === null || m.t_max > prev.t_max)) prev.t_max = m.t_max;
        }
        const type = AUXILIARY.has(m.suffix) ? 'AUXILIARY' : 'SCIENCE';
        insProd.run(
          `mast:${m.obs_collection}/product/${r.filename}`,
          id,
          r.uri,
          r.rel,
          r.filename,
          r.size,
          m.suffix,
          type,
          m.calib_level,
        );
      }
      const insObs = this.db.prepare(
        `INSERT INTO observations (obsid, obs_collection, obs_id, instrument_name, target_name, filters, t_exptime, t_min, t_max,
         proposal_id, proposal_pi, s_ra, s_dec, dataproduct_type, calib_level, project) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const [id, m] of obs) {
        insObs.run(
          id,
          m.obs_collection,
          m.obs_id,
          m.instrument_name,
          m.target_name,
          m.filters,
          m.t_exptime,
          m.t_min,
          m.t_max,
          m.proposal_id,
          m.proposal_pi,
          m.s_ra,
          m.s_dec,
          m.dataproduct_type,
          m.calib,
          m.obs_collection,
        );
      }
      this.db.exec('COMMIT');
    } catch (e) {
      this.db.exec('ROLLBACK');
      throw e;
    }
  }

  /** The store URI of a product's bytes, by its mast: URI. */
  productUri(dataUri: string): { uri: string; size: number; rel: string } | undefined {
    return this.db.prepare('SELECT uri, size, rel FROM products WHERE dataURI = ?').get(dataUri) as
      | { uri: string; size: number; rel: string }
      | undefined;
  }
}

// The Portal services our server answers, over the SQLite index: Mast.Caom.Filtered (+ .Position),
// Mast.Caom.Cone and Mast.Caom.Products, with MAST's filter semantics (discrete values OR'd,
// separator-split multi-valued columns, freeText LIKE patterns, continuous min/max) and paging.
import type { SQLInputValue } from 'node:sqlite';
import type { MashupFilter } from '../client.ts';
import type { ArchiveIndex } from './indexer.ts';
import { type ColumnDef, OBS_COLUMNS, PRODUCT_COLUMNS } from './columns.ts';

export class ServiceError extends Error {}

const OBS_SQL_COLUMNS = new Set([
  'obs_collection',
  'obs_id',
  'instrument_name',
  'target_name',
  'filters',
  't_exptime',
  't_min',
  't_max',
  'proposal_id',
  'proposal_pi',
  's_ra',
  's_dec',
  'dataproduct_type',
  'calib_level',
  'project',
  'obsid',
]);
const KNOWN = new Map(OBS_COLUMNS.map((c) => [c.name, c]));

export interface MashupRequest {
  service?: string;
  params?: Record<string, unknown>;
  format?: string;
  pagesize?: number;
  page?: number;
}

type Rec = Record<string, unknown>;

function whereFor(filters: MashupFilter[]): { sql: string; args: SQLInputValue[] } {
  const parts: string[] = [];
  const args: SQLInputValue[] = [];
  for (const f of filters) {
    const def = KNOWN.get(f.paramName);
    if (!def) throw new ServiceError(`Unknown filter column: ${f.paramName}`);
    if (!OBS_SQL_COLUMNS.has(f.paramName)) {
      parts.push('0'); // a column this archive does not record can never match
      continue;
    }
    const col = f.paramName;
    if (def.vot === 'double') {
      const ors = f.values.map((v) => {
        if (typeof v !== 'object' || v === null)
          throw new ServiceError(`${col} is continuous: give {min, max}`);
        args.push(Number(v.min), Number(v.max));
        return `(${col} BETWEEN ? AND ?)`;
      });
      parts.push(ors.length ? `(${ors.join(' OR ')})` : '1');
      continue;
    }
    const text = `lower(CAST(${col} AS TEXT))`;
    const ors: string[] = [];
    for (const v of f.values) {
      const s = String(v).toLowerCase();
      if (f.separator) {
        ors.push(`('${f.separator}' || ${text} || '${f.separator}') LIKE ? ESCAPE '\\'`);
        args.push(`%${f.separator}${s.replace(/[\\%_]/g, '\\$&')}${f.separator}%`);
      } else {
        ors.push(`${text} = ?`);
        args.push(s);
      }
    }
    if (f.freeText) {
      ors.push(`${text} LIKE ?`);
      args.push(f.freeText.toLowerCase());
    }
    parts.push(ors.length ? `(${ors.join(' OR ')})` : '1');
  }
  return { sql: parts.length ? parts.join(' AND ') : '1', args };
}

/** Great-circle separation in degrees. */
export function separationDeg(ra1: number, dec1: number, ra2: number, dec2: number): number {
  const r = Math.PI / 180;
  const s =
    Math.sin(((dec2 - dec1) * r) / 2) ** 2 +
    Math.cos(dec1 * r) * Math.cos(dec2 * r) * Math.sin(((ra2 - ra1) * r) / 2) ** 2;
  return (2 * Math.asin(Math.min(1, Math.sqrt(s)))) / r;
}

function obsRecord(r: Rec): Rec {
  const out: Rec = {};
  for (const c of OBS_COLUMNS) out[c.name] = r[c.name] ?? null;
  out.objID = r.obsid;
  return out;
}

function near(rows: Rec[], ra: number, dec: number, radius: number): Rec[] {
  const out: Rec[] = [];
  for (const r of rows) {
    if (typeof r.s_ra !== 'number' || typeof r.s_dec !== 'number') continue;
    const d = separationDeg(ra, dec, r.s_ra, r.s_dec);
    if (d <= radius) out.push({ ...r, distance: d * 3600 });
  }
  return out.sort((a, b) => (a.distance as number) - (b.distance as number));
}

function fields(cols: ColumnDef[], extra: { name: string; type: string }[] = []) {
  return [...cols.map((c) => ({ name: c.name, type: c.type })), ...extra];
}

function paged(data: Rec[], fieldsList: { name: string; type: string }[], req: MashupRequest) {
  const size = Math.max(1, Math.min(Number(req.pagesize ?? 50000) || 50000, 500000));
  const page = Math.max(1, Number(req.page ?? 1) || 1);
  const slice = data.slice((page - 1) * size, page * size);
  return {
    status: 'COMPLETE',
    msg: '',
    data: slice,
    fields: fieldsList,
    paging: {
      page,
      pageSize: size,
      pagesFiltered: Math.max(1, Math.ceil(data.length / size)),
      rows: slice.length,
      rowsFiltered: data.length,
      rowsTotal: data.length,
    },
  };
}

function parsePosition(p: unknown): { ra: number; dec: number; radius: number } {
  const nums = String(p ?? '')
    .split(',')
    .map((x) => Number(x.trim()));
  if (nums.length !== 3 || nums.some((n) => !Number.isFinite(n)))
    throw new ServiceError(`bad position "${p}": expected "ra, dec, radius"`);
  return { ra: nums[0], dec: nums[1], radius: nums[2] };
}

/** Answers one invoke request; errors become MAST-style {status: "ERROR"} replies. */
export function invoke(index: ArchiveIndex, req: MashupRequest): Rec {
  try {
    const params = req.params ?? {};
    switch (req.service) {
      case 'Mast.Caom.Filtered':
      case 'Mast.Caom.Filtered.Position': {
        const { sql, args } = whereFor((params.filters ?? []) as MashupFilter[]);
        let rows = index.db
          .prepare(`SELECT * FROM observations WHERE ${sql} ORDER BY obs_collection, obs_id`)
          .all(...args) as Rec[];
        if (req.service.endsWith('.Position')) {
          const p = parsePosition(params.position);
          rows = near(rows, p.ra, p.dec, p.radius);
        }
        if (
          String(params.columns ?? '*')
            .toUpperCase()
            .startsWith('COUNT_BIG')
        ) {
          return paged([{ Column1: rows.length }], [{ name: 'Column1', type: 'string' }], req);
        }
        const extra = req.service.endsWith('.Position') ? [{ name: 'distance', type: 'float' }] : [];
        return paged(
          rows.map((r) => ({
            ...obsRecord(r),
            ...(r.distance !== undefined ? { distance: r.distance } : {}),
          })),
          fields(OBS_COLUMNS, extra),
          req,
        );
      }
      case 'Mast.Caom.Cone': {
        const ra = Number(params.ra);
        const dec = Number(params.dec);
        const radius = Number(params.radius ?? 0.2);
        if (![ra, dec, radius].every(Number.isFinite))
          throw new ServiceError('Mast.Caom.Cone needs numeric ra, dec, radius');
        const rows = near(index.db.prepare('SELECT * FROM observations').all() as Rec[], ra, dec, radius);
        return paged(
          rows.map((r) => ({ ...obsRecord(r), distance: r.distance })),
          fields(OBS_COLUMNS, [{ name: 'distance', type: 'float' }]),
          req,
        );
      }
      case 'Mast.Caom.Products': {
        const ids = String(params.obsid ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        if (ids.length === 0) throw new ServiceError('Mast.Caom.Products needs obsid');
        const marks = ids.map(() => '?').join(',');
        const rows = index.db
          .prepare(
            `SELECT p.*, o.obs_collection, o.obs_id, o.dataproduct_type, o.project FROM products p JOIN observations o ON o.obsid = p.obsid
             WHERE CAST(p.obsid AS TEXT) IN (${marks}) ORDER BY p.obsid, p.productFilename`,
          )
          .all(...ids) as Rec[];
        const data = rows.map((r) => {
          const suffix = String(r.suffix ?? '').toUpperCase();
          return {
            obsID: r.obsid,
            obs_collection: r.obs_collection,
            dataproduct_type: r.dataproduct_type,
            obs_id: r.obs_id,
            description: `${r.obs_collection} ${suffix || 'FITS'} file`,
            type: 'S',
            dataURI: r.dataURI,
            productType: r.productType,
            productGroupDescription:
              Number(r.calib_level) >= 2 && r.productType === 'SCIENCE'
                ? 'Minimum Recommended Products'
                : null,
            productSubGroupDescription: suffix || null,
            productDocumentationURL: null,
            project: r.project,
            prvversion: null,
            productFilename: r.productFilename,
            size: r.size,
          };
        });
        return paged(data, fields(PRODUCT_COLUMNS), req);
      }
      default:
        throw new ServiceError(`Unknown service: ${req.service}`);
    }
  } catch (e) {
    if (e instanceof ServiceError) return { status: 'ERROR', msg: e.message, data: [], fields: [] };
    throw e;
  }
}

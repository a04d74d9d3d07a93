// Public-cloud locations of MAST data in the open `stpubdata` bucket.
//  HST: s3://stpubdata/hst/public/<id[:4]>/<id>/<file>; association members can live under another id,
//       which is why downloads ask MAST's path_lookup first and use this layout only as a fallback.
//  TESS: light curves and target pixel files under tess/public/tid/s<ssss>/<tic16 split in 4s>/;
//       FFIs under tess/public/ffi/s<ssss>/<yyyy>/<ddd>/<cam>-<ccd>/.
import { getObjectStore, type ListEntry, type ObjectStore } from '../storage/index.ts';
import { InvalidQueryError } from './errors.ts';

export const PUBLIC_BUCKET = 'stpubdata';

/** s3:// URI of an HST product from its mast: URI, by the standard layout; undefined if not HST. */
export function hstCloudUri(dataUri: string, bucket = PUBLIC_BUCKET): string | undefined {
  const m = /^mast:HST\/product\/(([a-z0-9]{9})[^/]*\.fits)$/i.exec(dataUri);
  if (!m) return undefined;
  const file = m[1].toLowerCase();
  const id = m[2].toLowerCase();
  return `s3://${bucket}/hst/public/${id.slice(0, 4)}/${id}/${file}`;
}

/** The 2-minute-cadence directory of a TIC id in a sector. */
export function tessTidPrefix(tic: number | string, sector: number, bucket = PUBLIC_BUCKET): string {
  const t = String(tic).replace(/^TIC\s*/i, '');
  if (!/^\d{1,16}$/.test(t)) throw new InvalidQueryError(`not a TIC id: ${tic}`);
  if (!Number.isInteger(sector) || sector < 1 || sector > 9999)
    throw new InvalidQueryError(`not a TESS sector: ${sector}`);
  const p = t.padStart(16, '0');
  const s = `s${String(sector).padStart(4, '0')}`;
  return `s3://${bucket}/tess/public/tid/${s}/${p.slice(0, 4)}/${p.slice(4, 8)}/${p.slice(8, 12)}/${p.slice(12, 16)}/`;
}

export type TessKind = 'lc' | 'tp' | 'dvt' | 'all';

/**
 * TESS SPOC products for a TIC id and sector, found by listing its directory (the file names embed a
 * sector-specific timestamp and configuration id, so they are looked up, not guessed).
 */
export async function tessProducts(
  tic: number | string,
  sector: number,
  kind: TessKind = 'all',
  store?: ObjectStore,
): Promise<ListEntry[]> {
  const prefix = tessTidPrefix(tic, sector);
  const s = store ?? getObjectStore(prefix);
  const out: ListEntry[] = [];
  for await (const e of s.list(prefix)) {
    if (e.isPrefix) continue;
    if (kind === 'all' || e.key.endsWith(`_${kind}.fits`) || e.key.endsWith(`-s_${kind}.fits`)) out.push(e);
  }
  return out;
}

/** Full-frame images of one camera/CCD in a sector (calibrated `_ffic.fits`), by listing. */
export async function tessFfis(
  sector: number,
  camera: number,
  ccd: number,
  store?: ObjectStore,
  limit = Infinity,
): Promise<ListEntry[]> {
  if (![1, 2, 3, 4].includes(camera) || ![1, 2, 3, 4].includes(ccd))
    throw new InvalidQueryError('camera and ccd are 1..4');
  const prefix = `s3://${PUBLIC_BUCKET}/tess/public/ffi/s${String(sector).padStart(4, '0')}/`;
  const s = store ?? getObjectStore(prefix);
  const tag = `-${camera}-${ccd}-`;
  const out: ListEntry[] = [];
  for await (const e of s.list(prefix)) {
    if (e.key.includes(`/${camera}-${ccd}/`) && e.key.includes(tag) && e.key.endsWith('_ffic.fits'))
      out.push(e);
    if (out.length >= limit) break;
  }
  return out;
}

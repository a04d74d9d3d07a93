// Writes _flt/_crj files: the raw primary header with switches, calibration keywords and HISTORY;
// then SCI/ERR/DQ per chip in the raw's order, headers carried over with the trim applied to
// LTV/CRPIX and the statistics and photometry keywords filled in.
import { join } from 'node:path';
import { type Header, type HduSpec, writeFits } from '../fits/index.ts';
import type { ChipResult, Product } from './pipeline.ts';
import type { ChipPool } from './pool.ts';
import { type WriteResult, writeJob } from './writejob.ts';

export const CALDERA_CAL_VER = 'caldera 0.1.0';

export function writeProducts(
  products: Product[],
  outDir: string,
  switches: Record<string, string>,
  history: string[],
): void {
  for (const p of products) {
    p.path = join(outDir, `${p.rootname}_${p.kind}.fits`);
    // Temp + rename keeps a crash from leaving a partial product; fsync is skipped because these
    // land in a scratch folder that `caldera process` copies out (it cost ~0.2 s per product).
    writeFits(p.path, productHdus(p, switches, history), { checksum: true, fsync: false });
  }
}

/**
 * Same files as writeProducts, written in parallel: all but the last product on the pool's worker
 * threads (their arrays go there by transfer and come back when written), the last one here.
 */
export async function writeProductsParallel(
  products: Product[],
  outDir: string,
  switches: Record<string, string>,
  history: string[],
  pool: ChipPool,
): Promise<void> {
  if (pool.size === 0 || products.length < 2) return writeProducts(products, outDir, switches, history);
  for (const p of products) p.path = join(outDir, `${p.rootname}_${p.kind}.fits`);
  const away = products.slice(0, -1).map(async (p) => {
    const r = await pool.run<WriteResult>(writeJob(p.path!, productHdus(p, switches, history)));
    restoreArrays(p, r);
  });
  const last = products[products.length - 1];
  let err: unknown;
  try {
    writeFits(last.path!, productHdus(last, switches, history), { checksum: true, fsync: false });
  } catch (e) {
    err = e;
  }
  const settled = await Promise.allSettled(away);
  if (err) throw err;
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
}

/** Puts the arrays a write job handed back into the product's chips (HDUs: primary, then SCI/ERR/DQ per chip). */
function restoreArrays(p: Product, r: WriteResult): void {
  p.chips.forEach((c, k) => {
    const [sci, err, dq] = r.data.slice(1 + 3 * k, 4 + 3 * k);
    c.arrays.sci = sci as Float32Array;
    c.arrays.err = err as Float32Array;
    c.arrays.dq = new Uint16Array(dq!.buffer, dq!.byteOffset, dq!.length);
  });
}

export function productHdus(p: Product, switches: Record<string, string>, history: string[]): HduSpec[] {
  const e = p.exposure;
  const ph = e.primary.clone();
  ph.set('FILENAME', `${p.rootname}_${p.kind}.fits`);
  ph.set('ROOTNAME', p.rootname);
  ph.set('FILETYPE', 'SCI');
  ph.set('CAL_VER', CALDERA_CAL_VER, 'calibration software version');
  for (const [k, v] of Object.entries(switches)) if (ph.has(k)) ph.set(k, v);
  ph.set('EXPTIME', p.exptime);
  ph.set('DARKTIME', p.darktime);
  ph.set('NCOMBINE', p.ncombine);
  const amps = p.chips.flatMap((c) => c.ampBias);
  for (const b of amps) ph.set(`BIASLEV${b.amp}`, round(b.mean, 4));
  if (p.crParams && p.rejRate !== undefined) {
    ph.set('CRSIGMAS', p.crParams.crsigmas.join(','));
    ph.set('CRRADIUS', p.crParams.crradius);
    ph.set('CRTHRESH', p.crParams.crthresh);
    ph.set('SCALENSE', p.crParams.scalense);
    ph.set('INITGUES', p.crParams.initgues);
    ph.set('SKYSUB', p.crParams.skysub);
    ph.set('BADINPDQ', p.crParams.badinpdq);
    ph.set('REJ_RATE', round(p.rejRate, 6), 'rejected pixels per pixel per second');
    ph.set('CRMASK', p.crParams.crmask);
  }
  for (const [k, v] of Object.entries(p.keywords)) ph.set(k, v);
  for (const h of history) ph.append('HISTORY', h);
  const hdus: HduSpec[] = [{ kind: 'image', header: ph }];
  for (const c of p.chips) hdus.push(...chipHdus(p, c, ph));
  return hdus;
}

function chipHdus(p: Product, c: ChipResult, primary: Header): HduSpec[] {
  const raw = p.exposure.chips.find((x) => x.ver === c.ver)!;
  const { nx, ny } = c.arrays;
  const sci = adjust(raw.header.clone(), c);
  const s = c.stats;
  sci.set('BUNIT', 'ELECTRONS', 'brightness units');
  sci.set('NGOODPIX', s.ngoodpix);
  sci.set('GOODMIN', round(s.goodmin, 6));
  sci.set('GOODMAX', round(s.goodmax, 6));
  sci.set('GOODMEAN', round(s.goodmean, 6));
  sci.set('SNRMIN', round(s.snrmin, 6));
  sci.set('SNRMAX', round(s.snrmax, 6));
  sci.set('SNRMEAN', round(s.snrmean, 6));
  sci.set('MEANDARK', round(s.meandark, 6));
  sci.set('MEANFLSH', round(s.meanflsh, 6));
  const levels = c.ampBias.map((b) => b.mean);
  sci.set('MEANBLEV', round(levels.length ? levels.reduce((a, b) => a + b, 0) / levels.length : 0, 6));
  if (c.phot) {
    for (const h of [sci, primary]) {
      h.set('PHOTMODE', c.phot.photmode);
      h.set('PHOTFLAM', c.phot.photflam);
      h.set('PHOTZPT', c.phot.photzpt);
      h.set('PHOTPLAM', c.phot.photplam);
      h.set('PHOTBW', c.phot.photbw);
    }
  }
  const err = adjust((raw.errHeader ?? raw.header).clone(), c);
  err.set('BUNIT', 'ELECTRONS');
  const dq = adjust((raw.dqHeader ?? raw.header).clone(), c);
  dq.set('BUNIT', 'UNITLESS');
  const naxes = [nx, ny];
  return [
    { kind: 'image', header: sci, data: c.arrays.sci, naxes, name: 'SCI', ver: c.ver },
    { kind: 'image', header: err, data: c.arrays.err, naxes, name: 'ERR', ver: c.ver },
    // DQ flags stay below 32768, so the int16 view holds the same values (calacs writes DQ as int16).
    {
      kind: 'image',
      header: dq,
      data: new Int16Array(c.arrays.dq.buffer, c.arrays.dq.byteOffset, c.arrays.dq.length),
      naxes,
      name: 'DQ',
      ver: c.ver,
    },
  ];
}

// The trim moves the origin: LTV and CRPIX shift by the removed leading columns and rows.
function adjust(h: Header, c: ChipResult): Header {
  for (const k of ['NPIX1', 'NPIX2', 'PIXVALUE', 'DATAMIN', 'DATAMAX', 'BSCALE', 'BZERO']) h.delete(k);
  if (h.has('LTV1')) h.set('LTV1', h.number('LTV1') - c.trimX);
  if (h.has('LTV2')) h.set('LTV2', h.number('LTV2') - c.trimY);
  if (h.has('CRPIX1')) h.set('CRPIX1', h.number('CRPIX1') - c.trimX);
  if (h.has('CRPIX2')) h.set('CRPIX2', h.number('CRPIX2') - c.trimY);
  h.set('SIZAXIS1', c.arrays.nx);
  h.set('SIZAXIS2', c.arrays.ny);
  return h;
}

function round(v: number, digits: number): number {
  if (!Number.isFinite(v)) return 0;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

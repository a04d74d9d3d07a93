// PHOTCORR: photometric keywords from the IMPHTTAB (one table per quantity: PHOTFLAM, PHOTPLAM,
// PHOTBW, rows keyed by OBSMODE). Parameterised observing modes (MJD#, FR...#) are matched on their
// fixed part, using the first value column (no interpolation in MJD).
import { CalibError } from './errors.ts';
import type { Detector } from './layout.ts';
import { readRefRows } from './refs.ts';

export interface PhotKeywords {
  photmode: string;
  photflam: number;
  photplam: number;
  photbw: number;
  photzpt: number;
}

/** PHOTMODE as the pipelines spell it: instrument, detector (with chip for WFC/UVIS), filters. */
export function photMode(detector: Detector, chip: number, filters: string[]): string {
  const det = detector === 'WFC' ? `WFC${chip}` : detector === 'UVIS' ? `UVIS${chip}` : 'HRC';
  const inst = detector === 'UVIS' ? 'WFC3' : 'ACS';
  const f = filters
    .map((x) => x.trim().toUpperCase())
    .filter((x) => x && !x.startsWith('CLEAR') && x !== 'N/A');
  return [inst, det, ...f].join(' ');
}

export function lookupPhot(path: string, photmode: string): PhotKeywords {
  const obsmode = photmode.toLowerCase().split(/\s+/).join(',');
  const get = (ext: number, col: string): number => {
    const rows = readRefRows(path, 'PHOTCORR', ext);
    const row = rows.find((r) => fixedPart(String(r.OBSMODE ?? '')) === obsmode);
    if (!row)
      throw new CalibError(
        'E_CALIB_REF_TABLE',
        'PHOTCORR',
        `no row for OBSMODE ${obsmode} in extension ${ext}`,
        path,
      );
    const v = row[col] ?? row[`${col}1`];
    if (typeof v !== 'number')
      throw new CalibError('E_CALIB_REF_TABLE', 'PHOTCORR', `column ${col} is missing`, path);
    return v;
  };
  return {
    photmode,
    photflam: get(1, 'PHOTFLAM'),
    photplam: get(2, 'PHOTPLAM'),
    photbw: get(3, 'PHOTBW'),
    photzpt: -21.1,
  };
}

function fixedPart(obsmode: string): string {
  return obsmode
    .trim()
    .toLowerCase()
    .split(',')
    .filter((p) => !p.includes('#'))
    .join(',');
}

// Planning a calibration: which steps run (switches, and the reasons a PERFORM step is skipped),
// which reference files they use (CRDS bestrefs or the header keywords), DARKTIME, and the
// switch values written back.
import { crdsBestrefs, pickContext } from './bestrefs.ts';
import { CalibError } from './errors.ts';
import type { RawExposure, StepSwitch } from './exposure.ts';
import { chipAmps, DEFAULT_OSCN, type OscnRow, selectOscnRow } from './layout.ts';
import {
  type CcdParams,
  isNoRef,
  oscnRows,
  readRefRows,
  type RefLocations,
  resolveRef,
  selectCcdRow,
  type TableRow,
} from './refs.ts';
import type { Trailer } from './trailer.ts';

export interface Refs {
  ccd: CcdParams;
  ccdPath: string;
  oscn: OscnRow[];
  oscnPath: string;
  bpix?: { rows: TableRow[]; path: string };
  bias?: string;
  dark?: string;
  flash?: string;
  flats: string[];
  shading?: string;
  satufile?: string;
  imphttab?: string;
  crrej?: { rows: TableRow[]; path: string };
}

export type Plan = Map<StepSwitch, { run: boolean; reason: string }>;

export function exptimeOf(e: RawExposure): number {
  return e.primary.number('EXPTIME', 0);
}

// calacs adds the CCDTAB commanding overhead (OVRHFLS after a successful post-flash, OVRHUFLS
// otherwise) to the header DARKTIME for ACS full frames taken after SM4, and for the supported
// dark-calibrated subarrays after the start of Cycle 24.
const SM4_MJD = 54967;
const CYCLE24_MJD = 57662;
const DARK_SUBARRAYS = new Set([
  'WFC1A-2K',
  'WFC1B-2K',
  'WFC2C-2K',
  'WFC2D-2K',
  'WFC1A-1K',
  'WFC1B-1K',
  'WFC2C-1K',
  'WFC2D-1K',
  'WFC1A-512',
  'WFC1B-512',
  'WFC2C-512',
  'WFC2D-512',
  'WFC1-IRAMPQ',
  'WFC1-MRAMPQ',
  'WFC2-ORAMPQ',
  'WFC1-POL0UV',
  'WFC1-POL0V',
  'WFC1-POL60UV',
  'WFC1-POL60V',
  'WFC1-POL120UV',
  'WFC1-POL120V',
  'WFC1-SMFL',
]);

/** DARKTIME with the CCDTAB overhead rule; without the keyword, EXPTIME + FLASHDUR. */
export function darktimeOf(e: RawExposure, ccd: CcdParams): number {
  const P = e.primary;
  const flash = P.number('FLASHDUR', 0);
  const header = P.number('DARKTIME', 0) || exptimeOf(e) + flash;
  if (P.string('INSTRUME', '').trim().toUpperCase() !== 'ACS') return header;
  const flashed = flash > 0 && P.string('FLASHSTA', '').trim().toUpperCase() === 'SUCCESSFUL';
  const offset = flashed ? ccd.darkOverheadFlash : ccd.darkOverheadNoFlash;
  const expstart = P.number('EXPSTART', 0);
  const subarray = P.get('SUBARRAY') === true;
  const applies = subarray
    ? expstart >= CYCLE24_MJD && DARK_SUBARRAYS.has(P.string('APERTURE', '').trim().toUpperCase())
    : expstart >= SM4_MJD;
  return applies ? header + offset : header;
}

export function planSteps(e: RawExposure, nexp: number, trailer: Trailer): Plan {
  const plan: Plan = new Map();
  for (const [k, v] of e.switches) {
    if (v === 'OMIT') plan.set(k, { run: false, reason: 'OMIT' });
    else if (v === 'COMPLETE') plan.set(k, { run: false, reason: 'already COMPLETE in the input' });
    else plan.set(k, { run: true, reason: '' });
  }
  const skip = (k: StepSwitch, reason: string) => {
    if (plan.get(k)!.run) plan.set(k, { run: false, reason });
  };
  skip('ATODCORR', 'A-to-D correction is not implemented (calacs has not applied it to ACS data since 2002)');
  if (nexp < 2) skip('CRCORR', 'single exposure: nothing to combine');
  if (e.primary.number('FLASHDUR', 0) <= 0) skip('FLSHCORR', 'no post-flash (FLASHDUR = 0)');
  trailer.log(`switches: ${[...e.switches].map(([k, v]) => `${k}=${v}`).join(' ')}`);
  return plan;
}

export function resolveRefs(e: RawExposure, plan: Plan, loc: RefLocations, trailer: Trailer): Refs {
  const P = e.primary;
  const context = loc.crdsPath && !loc.noBestrefs ? pickContext(loc.crdsPath, loc.context) : undefined;
  const chosen = context ? crdsBestrefs(e, loc.crdsPath!, context) : undefined;
  if (chosen)
    trailer.log(
      `CRDS bestrefs with ${chosen.context}: ${Object.entries(chosen.refs)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    );
  const path = (kw: string, step: string): string | undefined => {
    const best = chosen?.refs[kw];
    if (best?.startsWith('NOT FOUND'))
      throw new CalibError('E_CALIB_MISSING_REF', step, `CRDS found no ${kw}: ${best}`, chosen!.context);
    const v = best ?? P.string(kw, 'N/A');
    return isNoRef(v) ? undefined : resolveRef(v, kw, step, loc);
  };
  const need = (kw: string, step: StepSwitch): string | undefined => {
    if (!plan.get(step)!.run) return undefined;
    const p = path(kw, step);
    if (!p) plan.set(step, { run: false, reason: `${kw} is N/A` });
    return p;
  };
  const ccdPath = path('CCDTAB', 'CCDTAB');
  if (!ccdPath)
    throw new CalibError(
      'E_CALIB_MISSING_REF',
      'CCDTAB',
      'CCDTAB is N/A: the gain and read noise are needed',
      e.path,
    );
  const ofst = Object.fromEntries(['A', 'B', 'C', 'D'].map((a) => [a, P.number(`CCDOFST${a}`, 0)]));
  const chip0 = e.chips[0].header;
  const ccd = selectCcdRow(
    readRefRows(ccdPath, 'CCDTAB'),
    {
      ccdamp: P.string('CCDAMP').trim(),
      ccdgain: P.number('CCDGAIN'),
      binx: chip0.number('BINAXIS1', 1),
      biny: chip0.number('BINAXIS2', 1),
      ofst,
    },
    ccdPath,
  );
  const oscnPath = path('OSCNTAB', 'BLEVCORR');
  let oscn: OscnRow[];
  if (oscnPath) oscn = oscnRows(readRefRows(oscnPath, 'BLEVCORR'));
  else {
    oscn = DEFAULT_OSCN[e.detector];
    trailer.log('OSCNTAB is N/A: using the documented overscan layout built into caldera');
  }
  const bpixPath = plan.get('DQICORR')!.run ? path('BPIXTAB', 'DQICORR') : undefined;
  const crPath = plan.get('CRCORR')!.run ? path('CRREJTAB', 'CRCORR') : undefined;
  if (plan.get('CRCORR')!.run && !crPath) plan.set('CRCORR', { run: false, reason: 'CRREJTAB is N/A' });
  const flats: string[] = [];
  if (plan.get('FLATCORR')!.run) {
    for (const kw of ['PFLTFILE', 'DFLTFILE', 'LFLTFILE']) {
      const p = path(kw, 'FLATCORR');
      if (p) flats.push(p);
    }
    if (flats.length === 0)
      plan.set('FLATCORR', { run: false, reason: 'PFLTFILE, DFLTFILE and LFLTFILE are all N/A' });
  }
  return {
    ccd,
    ccdPath,
    oscn,
    oscnPath: oscnPath ?? 'built-in layout',
    bpix: bpixPath ? { rows: readRefRows(bpixPath, 'DQICORR'), path: bpixPath } : undefined,
    bias: need('BIASFILE', 'BIASCORR'),
    dark: need('DARKFILE', 'DARKCORR'),
    flash: need('FLSHFILE', 'FLSHCORR'),
    flats,
    shading: need('SHADFILE', 'SHADCORR'),
    satufile: path('SATUFILE', 'DQICORR'),
    imphttab: need('IMPHTTAB', 'PHOTCORR'),
    crrej: crPath ? { rows: readRefRows(crPath, 'CRCORR'), path: crPath } : undefined,
  };
}

export function oscnFor(e: RawExposure, refs: Refs, chipIndex: number): { row: OscnRow; amps: string[] } {
  const c = e.chips[chipIndex];
  const amps = chipAmps(e.detector, e.primary.string('CCDAMP'), c.chip);
  const row = selectOscnRow(
    refs.oscn,
    c.chip,
    amps,
    c.nx,
    c.ny,
    c.header.number('BINAXIS1', 1),
    c.header.number('BINAXIS2', 1),
  );
  if (!row || amps.length === 0) {
    throw new CalibError(
      'E_CALIB_REF_TABLE',
      'BLEVCORR',
      `no OSCNTAB row for chip ${c.chip}, amps ${amps.join('') || '(none)'}, ${c.nx}x${c.ny}`,
      refs.oscnPath,
    );
  }
  return { row, amps };
}

export function finalSwitches(e: RawExposure, plan: Plan): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of e.switches) {
    const p = plan.get(k)!;
    out[k] = v === 'PERFORM' ? (p.run ? 'COMPLETE' : 'SKIPPED') : v;
  }
  return out;
}

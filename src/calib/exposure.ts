// A raw exposure's description: primary header, detector, switches and its chips (headers only;
// pixels are read by the chip jobs).
import { basename } from 'node:path';
import { type Header, openFits } from '../fits/index.ts';
import { CalibError } from './errors.ts';
import { type Detector, parseDetector } from './layout.ts';

export const STEP_SWITCHES = [
  'DQICORR',
  'ATODCORR',
  'BLEVCORR',
  'BIASCORR',
  'FLSHCORR',
  'CRCORR',
  'DARKCORR',
  'FLATCORR',
  'SHADCORR',
  'PHOTCORR',
] as const;
export type StepSwitch = (typeof STEP_SWITCHES)[number];
export type SwitchValue = 'PERFORM' | 'OMIT' | 'COMPLETE';

export interface RawChip {
  ver: number;
  chip: number;
  sci: number;
  err: number;
  dq: number;
  header: Header;
  errHeader: Header | undefined;
  dqHeader: Header | undefined;
  nx: number;
  ny: number;
  ltv: [number, number];
}

export interface RawExposure {
  path: string;
  rootname: string;
  primary: Header;
  detector: Detector;
  switches: Map<StepSwitch, SwitchValue>;
  chips: RawChip[];
}

export function readExposure(path: string): RawExposure {
  let f: ReturnType<typeof openFits>;
  try {
    f = openFits(path);
  } catch (err) {
    throw new CalibError(
      'E_CALIB_INPUT',
      'INPUT',
      `cannot open the raw file: ${(err as Error).message}`,
      path,
    );
  }
  try {
    const primary = f.hdus[0].header;
    const detector = parseDetector(primary.string('INSTRUME', ''), primary.string('DETECTOR', ''), path);
    const switches = readSwitches(primary, path);
    const chips: RawChip[] = [];
    for (const h of f.hdus) {
      if (h.name.toUpperCase() !== 'SCI') continue;
      const ver = h.ver;
      const find = (n: string) => f.hdus.find((x) => x.name.toUpperCase() === n && x.ver === ver);
      const errH = find('ERR');
      const dqH = find('DQ');
      if (h.layout.naxes.length !== 2)
        throw new CalibError('E_CALIB_INPUT', 'INPUT', `SCI,${ver} is not a 2-D image`, path);
      const [nx, ny] = h.layout.naxes;
      chips.push({
        ver,
        chip: h.header.number('CCDCHIP', 1),
        sci: h.index,
        err: errH?.index ?? -1,
        dq: dqH?.index ?? -1,
        header: h.header,
        errHeader: errH?.header,
        dqHeader: dqH?.header,
        nx,
        ny,
        ltv: [h.header.number('LTV1', 0), h.header.number('LTV2', 0)],
      });
    }
    if (chips.length === 0) throw new CalibError('E_CALIB_INPUT', 'INPUT', 'no SCI extension', path);
    const rootname = primary
      .string('ROOTNAME', basename(path).replace(/_raw\.fits$/i, ''))
      .trim()
      .toLowerCase();
    return { path, rootname, primary, detector, switches, chips };
  } finally {
    f.close();
  }
}

/** Every *CORR keyword must be PERFORM, OMIT or COMPLETE (calacs refuses anything else). */
export function readSwitches(primary: Header, path: string): Map<StepSwitch, SwitchValue> {
  const out = new Map<StepSwitch, SwitchValue>();
  for (const card of primary.cards) {
    if (!/CORR$/.test(card.key)) continue;
    const v = String(card.value ?? '')
      .trim()
      .toUpperCase();
    if (v !== 'PERFORM' && v !== 'OMIT' && v !== 'COMPLETE') {
      throw new CalibError(
        'E_CALIB_SWITCH',
        card.key,
        `switch value '${String(card.value)}' is not PERFORM, OMIT or COMPLETE`,
        path,
      );
    }
    if ((STEP_SWITCHES as readonly string[]).includes(card.key)) out.set(card.key as StepSwitch, v);
  }
  for (const s of STEP_SWITCHES) if (!out.has(s)) out.set(s, 'OMIT');
  return out;
}

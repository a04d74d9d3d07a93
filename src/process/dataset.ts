// HST dataset ids (ipppssoot): validation before anything is written, and the instrument they name.
import { CmdlineError } from './errors.ts';

export type HstInstrument = 'acs' | 'wfc3' | 'stis' | 'cos';

export interface DatasetId {
  /** Lower-case ipppssoot. */
  id: string;
  instrument: HstInstrument;
  /** CRDS/IRAF reference prefix (jref$, iref$, oref$, lref$). */
  refPrefix: 'jref' | 'iref' | 'oref' | 'lref';
}

const INSTRUMENTS: Record<string, { instrument: HstInstrument; refPrefix: DatasetId['refPrefix'] }> = {
  j: { instrument: 'acs', refPrefix: 'jref' },
  i: { instrument: 'wfc3', refPrefix: 'iref' },
  o: { instrument: 'stis', refPrefix: 'oref' },
  l: { instrument: 'cos', refPrefix: 'lref' },
};

export const DATASET_RE = /^[ijlo][a-z0-9]{8}$/i;

export function parseDataset(raw: unknown): DatasetId {
  if (typeof raw !== 'string' || !DATASET_RE.test(raw)) {
    const shown =
      typeof raw === 'string' ? JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw) : String(raw);
    throw new CmdlineError(
      `${shown} is not an HST dataset id: expected 9 characters ipppssoot, first letter j (ACS), i (WFC3), o (STIS) or l (COS), e.g. j8cb010b0`,
    );
  }
  const id = raw.toLowerCase();
  return { id, ...INSTRUMENTS[id[0]] };
}

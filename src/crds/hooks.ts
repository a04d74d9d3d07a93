// HST instrument hooks that CRDS runs around a lookup (crds/hst/acs_v2.py, wfc3.py, wfpc2.py), and the
// HST "do not reprocess" rule. Hooks are named in the rmap header `hooks` dict, or found by the
// default name <hook>_<instrument>_<filekind>_v1.
import { conditionValue } from './condition.ts';
import { PyKeyError } from './errors.ts';
import { pyFloat, pyFloatRepr, pyInt, pyStrRepr } from './py.ts';
import type { Header } from './selectors.ts';
import { reformatDate } from './timestamp.ts';

export type Hook = (header: Header) => Header | null;

const SM4 = '2009-05-14 00:00:00';
const ACS_HALF_CHIP_COLS = 2048;

function get(h: Header, key: string): string {
  const v = h[key];
  if (v === undefined) throw new PyKeyError(pyStrRepr(key));
  return v;
}

function intOfFloat(text: string): number | null {
  try {
    return Math.trunc(pyFloat(text));
  } catch {
    return null;
  }
}

function preconditionAcsBiasfileV2(headerIn: Header): Header {
  const header: Header = { ...headerIn };
  const exptime = reformatDate(`${get(header, 'DATE-OBS')} ${get(header, 'TIME-OBS')}`);
  if (exptime < SM4) header.APERTURE = 'N/A';
  const naxis1 = intOfFloat(get(header, 'NAXIS1'));
  if (naxis1 !== null) {
    header.NAXIS1 = conditionValue(String(naxis1));
    if (exptime < SM4 && naxis1 > ACS_HALF_CHIP_COLS) {
      const amp = get(header, 'CCDAMP');
      if (amp === 'A' || amp === 'D') header.CCDAMP = 'AD';
      else if (amp === 'B' || amp === 'C') header.CCDAMP = 'BC';
    }
  }
  if (
    get(header, 'DETECTOR') === 'WFC' &&
    get(header, 'XCORNER') === '0.0' &&
    get(header, 'YCORNER') === '0.0'
  ) {
    const naxis2 = intOfFloat(get(header, 'NAXIS2'));
    if (naxis2 !== null) header.NAXIS2 = conditionValue(pyFloatRepr(naxis2 / 2)); // Python 3 true division
  }
  return header;
}

function fallbackAcsBiasfileV2(headerIn: Header): Header {
  const header = preconditionAcsBiasfileV2(headerIn);
  if (get(header, 'DETECTOR') === 'WFC') {
    Object.assign(header, { NAXIS1: '4144.0', NAXIS2: '2068.0', LTV1: '24.0', LTV2: '0.0' });
  } else {
    Object.assign(header, { NAXIS1: '1062.0', NAXIS2: '1044.0', LTV1: '19.0' });
    header.LTV2 = ['C', 'D'].includes(get(header, 'CCDAMP')) ? '0.0' : '20.0';
  }
  return header;
}

function preconditionWfc3BiasfileV1(headerIn: Header): Header {
  const header: Header = { ...headerIn };
  if (get(header, 'SUBARRAY') === 'T' && !get(header, 'APERTURE').includes('SUB')) header.APERTURE = 'N/A';
  return header;
}

function fallbackWfpc2FlatfileV1(header: Header): Header {
  // CRDS swaps the filters in place on its working copy of the header.
  const f1 = get(header, 'FILTER1');
  const f2 = get(header, 'FILTER2');
  header.FILTER1 = f2;
  header.FILTER2 = f1;
  return header;
}

const HST_HOOKS: Record<string, Record<string, Hook>> = {
  acs: {
    precondition_header_acs_biasfile_v2: preconditionAcsBiasfileV2,
    fallback_header_acs_biasfile_v2: fallbackAcsBiasfileV2,
  },
  wfc3: { precondition_header_wfc3_biasfile_v1: preconditionWfc3BiasfileV1 },
  wfpc2: { fallback_header_wfpc2_flatfile_v1: fallbackWfpc2FlatfileV1 },
};

/**
 * What a hook reads: header keys, plus (for the ACS bias hooks) the date, but only through comparisons
 * with fixed cut-over dates, so a lookup plan can key on which side of each cut the date falls.
 */
export type HookInputs = { keys: string[]; dateKeys: string[]; dateCuts: string[] };
const ACS_BIAS_INPUTS: HookInputs = {
  keys: ['NAXIS1', 'NAXIS2', 'CCDAMP', 'DETECTOR', 'XCORNER', 'YCORNER'],
  dateKeys: ['DATE-OBS', 'TIME-OBS'],
  dateCuts: [SM4],
};
const HOOK_INPUTS = new Map<Hook, HookInputs>([
  [preconditionAcsBiasfileV2, ACS_BIAS_INPUTS],
  [fallbackAcsBiasfileV2, ACS_BIAS_INPUTS],
  [preconditionWfc3BiasfileV1, { keys: ['SUBARRAY', 'APERTURE'], dateKeys: [], dateCuts: [] }],
  [fallbackWfpc2FlatfileV1, { keys: ['FILTER1', 'FILTER2'], dateKeys: [], dateCuts: [] }],
]);

/** The declared inputs of `hook`, or null when unknown. */
export function hookInputs(hook: Hook): HookInputs | null {
  return HOOK_INPUTS.get(hook) ?? null;
}

/** rmap.get_hook: the hook function for `name`, or null. */
export function findHook(
  observatory: string,
  instrument: string,
  filekind: string,
  name: string,
  hooks: Record<string, string> | null,
): Hook | null {
  if (observatory !== 'hst') return null;
  const hookName = hooks ? (hooks[name] ?? name) : `${name}_${instrument}_${filekind}_v1`;
  return HST_HOOKS[instrument]?.[hookName] ?? null;
}

/** Keys the hooks read, so cached lookups key on them too. */
export const HOOK_KEYS = [
  'DATE-OBS',
  'TIME-OBS',
  'NAXIS1',
  'NAXIS2',
  'CCDAMP',
  'DETECTOR',
  'XCORNER',
  'YCORNER',
];

/**
 * HST "do not reprocess": WFC exposures at gains 0.5 and 1.4 are not reprocessed, so when the lookup
 * fails for them the type is reported as not applicable rather than as an error.
 */
export function doNotReprocess(observatory: string, header: Header): boolean {
  if (observatory !== 'hst' || header.DETECTOR !== 'WFC' || header.CCDGAIN === undefined) return false;
  if (header.CCDGAIN === '0.5' || header.CCDGAIN === '1.4') return true;
  try {
    const gain = pyFloat(header.CCDGAIN);
    return gain === 0.5 || gain === 1.4;
  } catch {
    return false;
  }
}

export { pyInt };

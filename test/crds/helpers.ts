// Test helpers: temp copies of the shared CRDS cache and derived contexts with edited rules.
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mappingChecksum } from '../../src/crds/index.ts';
import { sharedPath } from '../helpers/shared-data.ts';
import { makeTempDir } from '../helpers/tmp.ts';

/** A writable copy of shared/data/crds (without vectors.json). */
export async function copyCache(): Promise<string> {
  const dir = await makeTempDir();
  cpSync(sharedPath('crds')!, dir, { recursive: true });
  rmSync(join(dir, 'vectors.json'), { force: true });
  return dir;
}

/** Rewrites the sha1sum line of mapping text to match its contents. */
export function resum(text: string): string {
  const sum = mappingChecksum(text);
  return text.replace(/('sha1sum'\s*:\s*')[0-9a-f]*(')/, `$1${sum}$2`);
}

/**
 * Derives hst_9999.pmap from hst_0729.pmap in `cache` whose ACS darkfile rmap replaces one terminal
 * (`oldRef` -> `newRef`). Returns the new context name.
 */
export function deriveContext(cache: string, oldRef: string, newRef: string): string {
  const dir = join(cache, 'mappings', 'hst');
  const edit = (from: string, to: string, replace: [string, string][]) => {
    let text = readFileSync(join(dir, from), 'utf8');
    for (const [a, b] of replace) text = text.replaceAll(a, b);
    writeFileSync(join(dir, to), resum(text));
  };
  edit('hst_acs_darkfile_0363.rmap', 'hst_acs_darkfile_9999.rmap', [
    [`'${oldRef}'`, `'${newRef}'`],
    ["'name' : 'hst_acs_darkfile_0363.rmap'", "'name' : 'hst_acs_darkfile_9999.rmap'"],
  ]);
  edit('hst_acs_0421.imap', 'hst_acs_9999.imap', [
    ['hst_acs_darkfile_0363.rmap', 'hst_acs_darkfile_9999.rmap'],
    ["'name' : 'hst_acs_0421.imap'", "'name' : 'hst_acs_9999.imap'"],
  ]);
  edit('hst_0729.pmap', 'hst_9999.pmap', [
    ['hst_acs_0421.imap', 'hst_acs_9999.imap'],
    ["'name' : 'hst_0729.pmap'", "'name' : 'hst_9999.pmap'"],
  ]);
  return 'hst_9999.pmap';
}

/** The j8bt05njq ACS/HRC header (vector #0). */
export const ACS_HEADER: Record<string, string> = {
  INSTRUME: 'ACS',
  'DATE-OBS': '2002-04-13',
  'TIME-OBS': '18:16:35',
  OBSTYPE: 'IMAGING',
  DETECTOR: 'HRC',
  FILTER1: 'F555W',
  FW1OFFST: '0',
  FILTER2: 'CLEAR2S',
  FW2OFFST: '0',
  FWSOFFST: '0',
  APERTURE: 'HRC',
  DQICORR: 'PERFORM',
  ATODCORR: 'OMIT',
  BIASCORR: 'PERFORM',
  FLSHCORR: 'OMIT',
  CRCORR: 'OMIT',
  SHADCORR: 'OMIT',
  DARKCORR: 'PERFORM',
  FLATCORR: 'PERFORM',
  PHOTCORR: 'PERFORM',
  RPTCORR: 'OMIT',
  DRIZCORR: 'PERFORM',
  FLASHCUR: 'OFF',
  SHUTRPOS: 'B',
  CCDAMP: 'C',
  CCDGAIN: '2',
  NAXIS1: '1062',
  NAXIS2: '1044',
  LTV1: '19.0',
  LTV2: '0.0',
};

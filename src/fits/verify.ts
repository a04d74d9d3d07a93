// Standard conformance and checksum verification (the job of fitsverify and astropy's fitscheck).
// Every problem is located (HDU, keyword) and classed: errors make the file non-conforming or
// its integrity doubtful; warnings are departures that readers tolerate.
import { addSums, encodeChecksum, onesComplementSum } from './checksum.ts';
import { FitsError } from './errors.ts';
import { type FitsFile, openFits } from './file.ts';
import type { Hdu } from './hdu.ts';
import { binTableLayout } from './table/layout.ts';

export type Severity = 'error' | 'warning';

export interface VerifyProblem {
  hdu?: number;
  severity: Severity;
  message: string;
  keyword?: string;
}

export interface ChecksumStatus {
  hdu: number;
  checksum: 'ok' | 'bad' | 'absent';
  datasum: 'ok' | 'bad' | 'absent';
  /** DATASUM computed from the data unit. */
  computedDatasum: string;
}

export interface VerifyReport {
  file: string;
  hdus: number;
  problems: VerifyProblem[];
  checksums: ChecksumStatus[];
  errors: number;
  warnings: number;
}

const PRIMARY_ORDER = ['SIMPLE', 'BITPIX', 'NAXIS'];
const EXTENSION_TAIL = ['PCOUNT', 'GCOUNT'];

/** Verifies a file; never throws for bad content (a file that cannot be opened is one error). */
export function verifyFits(input: string | Uint8Array, name?: string): VerifyReport {
  const file = typeof input === 'string' ? input : (name ?? '<buffer>');
  const problems: VerifyProblem[] = [];
  const checksums: ChecksumStatus[] = [];
  let fits: FitsFile;
  try {
    fits = openFits(input, { name });
  } catch (err) {
    if (!(err instanceof FitsError)) throw err;
    problems.push({ severity: 'error', message: err.message, hdu: err.hdu, keyword: err.keyword });
    return summarize(file, 0, problems, checksums);
  }
  try {
    for (const hdu of fits.hdus) {
      const add = (severity: Severity, message: string, keyword?: string) =>
        problems.push({ hdu: hdu.index, severity, message, keyword });
      checkHeader(hdu, fits.hdus.length, add);
      checkData(hdu, add, checksums);
    }
    if (fits.trailingBytes > 0) {
      problems.push({
        severity: 'error',
        message: `${fits.trailingBytes} extraneous bytes after the last HDU`,
      });
    }
    return summarize(file, fits.hdus.length, problems, checksums);
  } finally {
    fits.close();
  }
}

type Add = (severity: Severity, message: string, keyword?: string) => void;

function checkHeader(hdu: Hdu, nhdus: number, add: Add): void {
  const h = hdu.header;
  for (const p of h.problems) add('warning', p);
  for (const p of hdu.layout.problems) add('error', p);
  h.cards.forEach((card) => {
    for (const p of card.problems) add(p.startsWith('unparsable') ? 'error' : 'warning', p, card.key);
  });
  const keys = h.cards.map((c) => c.key);
  const naxis = hdu.layout.naxes.length;
  const required =
    hdu.index === 0
      ? [...PRIMARY_ORDER, ...axisKeys(naxis)]
      : ['XTENSION', 'BITPIX', 'NAXIS', ...axisKeys(naxis), ...EXTENSION_TAIL];
  required.forEach((key, i) => {
    if (keys[i] !== key)
      add('error', `mandatory keyword ${key} is not card ${i + 1} (found ${keys[i] ?? 'nothing'})`, key);
  });
  if (hdu.index === 0 && nhdus > 1 && h.get('EXTEND') !== true)
    add('warning', 'EXTEND = T is missing though extensions follow', 'EXTEND');
  checkDuplicates(keys, add);
  checkKindRules(hdu, add);
}

function axisKeys(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `NAXIS${i + 1}`);
}

function checkDuplicates(keys: string[], add: Add): void {
  const seen = new Set<string>();
  for (const k of keys) {
    if (k === 'COMMENT' || k === 'HISTORY' || k === '' || k === 'CONTINUE') continue;
    if (seen.has(k)) add('warning', `keyword ${k} appears more than once`, k);
    seen.add(k);
  }
}

function checkKindRules(hdu: Hdu, add: Add): void {
  const { kind, bitpix, naxes, pcount, gcount } = hdu.layout;
  if (kind === 'IMAGE' && (pcount !== 0 || gcount !== 1))
    add('error', 'IMAGE extension needs PCOUNT = 0 and GCOUNT = 1');
  if (kind === 'BINTABLE' || kind === 'COMPRESSED_IMAGE' || kind === 'TABLE') {
    if (bitpix !== 8) add('error', `a table needs BITPIX = 8, found ${bitpix}`, 'BITPIX');
    if (naxes.length !== 2) add('error', `a table needs NAXIS = 2, found ${naxes.length}`, 'NAXIS');
    if (gcount !== 1) add('error', 'a table needs GCOUNT = 1', 'GCOUNT');
    if (!hdu.header.has('TFIELDS')) add('error', 'required keyword TFIELDS is missing', 'TFIELDS');
  }
  if (kind === 'TABLE' && pcount !== 0) add('error', 'an ASCII table needs PCOUNT = 0', 'PCOUNT');
  if (kind === 'BINTABLE' || kind === 'COMPRESSED_IMAGE') {
    try {
      binTableLayout(hdu.header);
    } catch (err) {
      if (!(err instanceof FitsError)) throw err;
      add('error', err.reason, err.keyword);
    }
  }
  if (kind === 'UNKNOWN')
    add('warning', `unknown extension type '${hdu.header.get('XTENSION')}'`, 'XTENSION');
}

function checkData(hdu: Hdu, add: Add, checksums: ChecksumStatus[]): void {
  if (hdu.truncatedAt !== undefined) {
    add(
      'error',
      `data unit is truncated: the file ends at byte ${hdu.truncatedAt}, ${hdu.datLoc + hdu.dataSize - hdu.truncatedAt} bytes early`,
    );
    return;
  }
  const padded = hdu.readPaddedData();
  const fill = hdu.kind === 'TABLE' ? 0x20 : 0;
  for (let i = hdu.dataSize; i < padded.length; i++) {
    if (padded[i] !== fill) {
      add(
        'warning',
        `data fill after the data is not all ${fill ? 'blanks' : 'zeros'} (byte ${hdu.datLoc + i})`,
      );
      break;
    }
  }
  const dataSum = onesComplementSum(padded);
  const status: ChecksumStatus = {
    hdu: hdu.index,
    checksum: 'absent',
    datasum: 'absent',
    computedDatasum: String(dataSum),
  };
  const datasum = hdu.header.get('DATASUM');
  if (datasum === '' || datasum === null) {
    add('warning', 'DATASUM is present but empty', 'DATASUM');
  } else if (datasum !== undefined) {
    status.datasum = String(datasum).trim() === String(dataSum) ? 'ok' : 'bad';
    if (status.datasum === 'bad')
      add('error', `DATASUM is ${datasum} but the data sum to ${dataSum}`, 'DATASUM');
  }
  if (hdu.header.has('CHECKSUM')) {
    const headerBytes = hdu.readHeaderBytes();
    const total = addSums(onesComplementSum(headerBytes), dataSum);
    status.checksum = total === 0xffffffff || total === 0 ? 'ok' : 'bad';
    if (status.checksum === 'bad') {
      add(
        'error',
        `CHECKSUM does not verify: the HDU sums to ${encodeChecksum(total, false)} instead of all ones`,
        'CHECKSUM',
      );
    }
  }
  checksums.push(status);
}

function summarize(
  file: string,
  hdus: number,
  problems: VerifyProblem[],
  checksums: ChecksumStatus[],
): VerifyReport {
  const errors = problems.filter((p) => p.severity === 'error').length;
  return { file, hdus, problems, checksums, errors, warnings: problems.length - errors };
}

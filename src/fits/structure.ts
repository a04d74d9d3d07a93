// What a header says about the data unit that follows it: the HDU kind, BITPIX, axes and size.
// Every size is checked against the bytes that exist, so a corrupted NAXISn fails here, before
// anything is allocated.
import { FitsError } from './errors.ts';
import type { Header } from './header.ts';

export type HduKind = 'PRIMARY' | 'IMAGE' | 'BINTABLE' | 'TABLE' | 'COMPRESSED_IMAGE' | 'GROUPS' | 'UNKNOWN';

export const VALID_BITPIX: ReadonlySet<number> = new Set([8, 16, 32, 64, -32, -64]);

export interface DataLayout {
  kind: HduKind;
  bitpix: number;
  /** NAXISn in FITS order (fastest axis first). */
  naxes: number[];
  pcount: number;
  gcount: number;
  /** Bytes of the data unit without the final padding. */
  dataSize: number;
  /** Problems that do not stop reading (for verify). */
  problems: string[];
}

export function describeLayout(header: Header, isPrimary: boolean): DataLayout {
  const problems: string[] = [];
  const first = header.cards[0];
  let kind: HduKind;
  if (isPrimary) {
    if (first?.key !== 'SIMPLE')
      throw new FitsError('not a FITS file: the first card is not SIMPLE', { card: 0 });
    if (first.value !== true)
      problems.push('SIMPLE is not T: the file does not claim to conform to the standard');
    kind = header.get('GROUPS') === true && header.get('NAXIS1') === 0 ? 'GROUPS' : 'PRIMARY';
  } else {
    if (first?.key !== 'XTENSION') {
      throw new FitsError('extension header does not start with XTENSION', { card: 0, keyword: first?.key });
    }
    kind = extensionKind(String(first.value).trim(), header);
  }
  const bitpix = header.integer('BITPIX');
  if (!VALID_BITPIX.has(bitpix))
    throw new FitsError(`BITPIX = ${bitpix} is not one of 8 16 32 64 -32 -64`, { keyword: 'BITPIX' });
  const naxis = header.integer('NAXIS');
  if (naxis < 0 || naxis > 999)
    throw new FitsError(`NAXIS = ${naxis} is outside 0..999`, { keyword: 'NAXIS' });
  const naxes: number[] = [];
  for (let i = 1; i <= naxis; i++) {
    const n = header.integer(`NAXIS${i}`);
    if (n < 0) throw new FitsError(`NAXIS${i} = ${n} is negative`, { keyword: `NAXIS${i}` });
    naxes.push(n);
  }
  const pcount = extensionCount(header, 'PCOUNT', 0, isPrimary && kind !== 'GROUPS', problems);
  const gcount = extensionCount(header, 'GCOUNT', 1, isPrimary && kind !== 'GROUPS', problems);
  const dataSize = computeDataSize(bitpix, naxes, pcount, gcount, kind === 'GROUPS');
  return { kind, bitpix, naxes, pcount, gcount, dataSize, problems };
}

function extensionKind(xtension: string, header: Header): HduKind {
  switch (xtension) {
    case 'IMAGE':
      return 'IMAGE';
    case 'TABLE':
      return 'TABLE';
    case 'BINTABLE':
    case 'A3DTABLE':
      return header.get('ZIMAGE') === true ? 'COMPRESSED_IMAGE' : 'BINTABLE';
    default:
      return 'UNKNOWN';
  }
}

function extensionCount(
  header: Header,
  key: string,
  dflt: number,
  primary: boolean,
  problems: string[],
): number {
  if (!header.has(key)) {
    if (!primary) problems.push(`required keyword ${key} is missing (assumed ${dflt})`);
    return dflt;
  }
  const v = header.integer(key);
  if (v < 0) throw new FitsError(`${key} = ${v} is negative`, { keyword: key });
  return v;
}

/** |BITPIX|/8 × GCOUNT × (PCOUNT + ΠNAXISn); random groups skip NAXIS1 (which is 0). */
export function computeDataSize(
  bitpix: number,
  naxes: number[],
  pcount: number,
  gcount: number,
  groups: boolean,
): number {
  const axes = groups ? naxes.slice(1) : naxes;
  if (axes.length === 0 && !groups) return 0;
  let product = 1;
  for (const n of axes) product *= n;
  const size = (Math.abs(bitpix) / 8) * gcount * (pcount + product);
  if (!Number.isSafeInteger(size))
    throw new FitsError(`declared data size ${size} bytes is not representable`);
  return size;
}

/** Data size rounded up to whole 2880-byte blocks. */
export function paddedSize(size: number): number {
  return Math.ceil(size / 2880) * 2880;
}

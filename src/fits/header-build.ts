// Builds the mandatory part of HDU headers (SIMPLE/XTENSION … GCOUNT) in the order the standard
// requires, then carries over the caller's own cards minus anything structural.
import { Card, type CardValue } from './card.ts';
import { Header } from './header.ts';

/** Keywords the writer owns: a caller's values for these are replaced, never copied. */
const STRUCTURAL =
  /^(SIMPLE|XTENSION|BITPIX|NAXIS\d*|EXTEND|PCOUNT|GCOUNT|GROUPS|CHECKSUM|DATASUM|END|THEAP)$/;
const SCALING = /^(BSCALE|BZERO|BLANK)$/;

export type HeaderInit = Header | readonly (readonly [string, CardValue, string?])[];

export function toHeader(init: HeaderInit | undefined): Header {
  if (init === undefined) return new Header();
  if (init instanceof Header) return init;
  return Header.from(init);
}

export interface ImageStructure {
  bitpix: number;
  naxes: number[];
  primary: boolean;
  /** Extra cards after the axes (e.g. BSCALE/BZERO/BLANK), in order. */
  scaling?: [string, CardValue, string][];
  name?: string;
  ver?: number;
}

/** A complete image header: structure first, then the caller's cards, then EXTNAME/EXTVER. */
export function buildImageHeader(user: Header, s: ImageStructure): Header {
  const out = new Header();
  // Structural cards keep the caller's comments when it had them (a rewrite stays recognisable).
  const note = (key: string, dflt: string) => user.card(key)?.comment || dflt;
  if (s.primary) out.append('SIMPLE', true, note('SIMPLE', 'conforms to FITS standard'));
  else out.append('XTENSION', 'IMAGE', note('XTENSION', 'Image extension'));
  out.append('BITPIX', s.bitpix, note('BITPIX', 'array data type'));
  out.append('NAXIS', s.naxes.length, note('NAXIS', 'number of array dimensions'));
  s.naxes.forEach((n, i) => {
    out.append(`NAXIS${i + 1}`, n, note(`NAXIS${i + 1}`, ''));
  });
  if (s.primary) {
    if (user.get('EXTEND') !== false) out.append('EXTEND', true, note('EXTEND', ''));
  } else {
    out.append('PCOUNT', 0, note('PCOUNT', 'number of parameters'));
    out.append('GCOUNT', 1, note('GCOUNT', 'number of groups'));
  }
  for (const [k, v, c] of s.scaling ?? []) {
    out.append(k, v, c, { float: k !== 'BLANK' && typeof v === 'number' && Math.abs(v) < 2 ** 53 });
  }
  copyUserCards(out, user, SCALING);
  setName(out, s.name, s.ver);
  return out;
}

/** Replaces the first card of an extension header (a table from the table encoder) or wraps it. */
export function finishExtensionHeader(header: Header, name?: string, ver?: number): Header {
  const out = new Header();
  for (const c of header.cards) out.cards.push(c);
  setName(out, name, ver);
  return out;
}

function copyUserCards(out: Header, user: Header, skip: RegExp): void {
  for (const card of user.cards) {
    if (STRUCTURAL.test(card.key) || skip.test(card.key)) continue;
    if ((card.key === 'EXTNAME' || card.key === 'EXTVER') && out.has(card.key)) continue;
    out.cards.push(card);
  }
}

function setName(out: Header, name?: string, ver?: number): void {
  if (name !== undefined) out.set('EXTNAME', name, 'extension name');
  if (ver !== undefined) out.set('EXTVER', ver, 'extension version');
}

/** Header of a primary HDU with no data (inserted before a table that comes first). */
export function emptyPrimaryHeader(user?: Header): Header {
  return buildImageHeader(user ?? new Header(), { bitpix: 8, naxes: [], primary: true });
}

/** Places CHECKSUM/DATASUM at the end of a header (placeholders; the writer fills them in). */
export function withChecksumCards(header: Header): Header {
  header.delete('CHECKSUM');
  header.delete('DATASUM');
  header.insertAt(header.cards.length, Card.create('CHECKSUM', '0000000000000000', 'HDU checksum'));
  header.insertAt(header.cards.length, Card.create('DATASUM', '0', 'data unit checksum'));
  return header;
}

// What a compressed-image table header says: algorithm, tile shape, image shape and type,
// quantization; and the header of the decompressed image built the way astropy 5.2 builds it.
import { Card, type CardValue } from '../card.ts';
import { FitsError } from '../errors.ts';
import { Header } from '../header.ts';
import type { DitherMethod } from './quantize.ts';

export type CompressionType = 'RICE_1' | 'GZIP_1' | 'GZIP_2' | 'HCOMPRESS_1' | 'PLIO_1' | 'NOCOMPRESS';
const TYPES: ReadonlySet<string> = new Set([
  'RICE_1',
  'GZIP_1',
  'GZIP_2',
  'HCOMPRESS_1',
  'PLIO_1',
  'NOCOMPRESS',
]);

export interface CompressionParams {
  type: CompressionType;
  /** ZBITPIX: BITPIX of the image. */
  bitpix: number;
  /** ZNAXISn, FITS order. */
  naxes: number[];
  /** ZTILEn (default: whole rows). */
  tile: number[];
  /** Tiles along each axis. */
  tileCounts: number[];
  /** 'NONE' for lossless floats; undefined for integer images. */
  quantize: DitherMethod | 'NONE' | undefined;
  zdither0: number;
  /** ZBLANK / ZNULL keyword (a column of that name overrides it per tile). */
  zblank: number | undefined;
  /** ZSCALE/ZZERO keywords (columns override). */
  zscale: number | undefined;
  zzero: number | undefined;
  blocksize: number;
  bytepix: number;
  hscale: number;
  hsmooth: boolean;
}

export function compressionParams(h: Header): CompressionParams {
  const typeRaw = h.string('ZCMPTYPE').trim().toUpperCase();
  const type = (typeRaw === 'RICE_ONE' ? 'RICE_1' : typeRaw) as CompressionType;
  if (!TYPES.has(type))
    throw new FitsError(`ZCMPTYPE '${typeRaw}' is not a known tile compression`, { keyword: 'ZCMPTYPE' });
  const bitpix = h.integer('ZBITPIX');
  if (![8, 16, 32, 64, -32, -64].includes(bitpix))
    throw new FitsError(`ZBITPIX = ${bitpix} is not valid`, { keyword: 'ZBITPIX' });
  const naxis = h.integer('ZNAXIS');
  if (naxis < 0 || naxis > 999)
    throw new FitsError(`ZNAXIS = ${naxis} is outside 0..999`, { keyword: 'ZNAXIS' });
  const naxes: number[] = [];
  const tile: number[] = [];
  for (let i = 1; i <= naxis; i++) {
    const n = h.integer(`ZNAXIS${i}`);
    if (n < 0) throw new FitsError(`ZNAXIS${i} = ${n} is negative`, { keyword: `ZNAXIS${i}` });
    naxes.push(n);
    const t = h.integer(`ZTILE${i}`, i === 1 ? n : 1);
    if (t < 1) throw new FitsError(`ZTILE${i} = ${t} is not positive`, { keyword: `ZTILE${i}` });
    tile.push(Math.min(t, Math.max(n, 1)));
  }
  const tileCounts = naxes.map((n, i) => Math.ceil(n / tile[i]));
  const named = (name: string): CardValue | undefined => {
    for (let i = 1; h.has(`ZNAME${i}`); i++) {
      if (
        String(h.get(`ZNAME${i}`))
          .trim()
          .toUpperCase() === name
      )
        return h.get(`ZVAL${i}`);
    }
    return undefined;
  };
  const num = (v: CardValue | undefined, d: number): number => (typeof v === 'number' ? v : d);
  let quantize: CompressionParams['quantize'];
  if (bitpix < 0) {
    const q = h.has('ZQUANTIZ') ? h.string('ZQUANTIZ').trim().toUpperCase() : 'NO_DITHER';
    if (q === 'NONE') quantize = 'NONE';
    else if (q === 'SUBTRACTIVE_DITHER_1' || q === 'SUBTRACTIVE_DITHER_2' || q === 'NO_DITHER') quantize = q;
    else throw new FitsError(`ZQUANTIZ '${q}' is not a known quantization method`, { keyword: 'ZQUANTIZ' });
  }
  const zblankKey = h.has('ZBLANK') ? 'ZBLANK' : h.has('ZNULL') ? 'ZNULL' : undefined;
  const numKey = (k: string): number | undefined => (h.has(k) ? h.number(k) : undefined);
  return {
    type,
    bitpix,
    naxes,
    tile,
    tileCounts,
    quantize,
    zdither0: h.integer('ZDITHER0', 1),
    zblank: zblankKey ? h.integer(zblankKey) : undefined,
    zscale: numKey('ZSCALE'),
    zzero: numKey('ZZERO'),
    blocksize: num(named('BLOCKSIZE'), 32),
    bytepix: num(named('BYTEPIX'), 4),
    hscale: num(named('SCALE'), 0),
    hsmooth: num(named('SMOOTH'), 0) !== 0,
  };
}

const REMAPPED: ReadonlySet<string> = new Set([
  'ZSIMPLE',
  'ZTENSION',
  'ZBITPIX',
  'ZNAXIS',
  'ZEXTEND',
  'ZBLOCKED',
  'ZPCOUNT',
  'ZGCOUNT',
  'ZHECKSUM',
  'ZDATASUM',
  'ZIMAGE',
  'ZCMPTYPE',
  'ZMASKCMP',
  'ZQUANTIZ',
  'ZDITHER0',
]);
const INDEXED: ReadonlySet<string> = new Set(['ZNAXIS', 'ZTILE', 'ZNAME', 'ZVAL']);
const TABLE_KEYS: ReadonlySet<string> = new Set([
  'TTYPE',
  'TFORM',
  'TUNIT',
  'TNULL',
  'TSCAL',
  'TZERO',
  'TDISP',
  'TBCOL',
  'TDIM',
  'TCTYP',
  'TCUNI',
  'TCRPX',
  'TCRVL',
  'TCDLT',
  'TRPOS',
]);

/**
 * astropy's rule for table-only keywords. Note its pattern takes the letters greedily, so
 * ZDITHER0 parses as label ZDITHER and survives into the image header (kept for fidelity).
 */
function isReserved(key: string): boolean {
  if (key === 'TFIELDS') return true;
  const t = /^(T[A-Z]*)([1-9][0-9 ]*)$/.exec(key);
  if (t && TABLE_KEYS.has(t[1])) return true;
  const z = /^(Z[A-Z]*)([1-9][0-9 ]*)?$/.exec(key);
  if (z) {
    if (z[2] !== undefined && INDEXED.has(z[1])) return true;
    if (REMAPPED.has(z[1])) return true;
  }
  return false;
}

const COMMENTARY: ReadonlySet<string> = new Set(['', 'COMMENT', 'HISTORY']);
const DEFAULT_EXTNAME = 'COMPRESSED_IMAGE';

function isBlank(c: Card): boolean {
  return c.key === '' && String(c.value ?? '').trim() === '';
}

/** A minimal model of astropy's Header editing (set/insert/append/useblanks) on a card list. */
class CardList {
  cards: Card[];
  constructor(cards: Card[]) {
    this.cards = cards;
  }
  index(key: string): number {
    return this.cards.findIndex((c) => c.key === key);
  }
  has(key: string): boolean {
    return this.index(key) >= 0;
  }
  deleteAll(key: string): void {
    this.cards = this.cards.filter((c) => c.key !== key);
  }
  private trailingBlanks(): number {
    let n = 0;
    for (let i = this.cards.length - 1; i > 0 && isBlank(this.cards[i]); i--) n++;
    return n;
  }
  countBlanks(): number {
    return this.trailingBlanks();
  }
  private useBlank(): void {
    if (this.cards.length && isBlank(this.cards[this.cards.length - 1])) this.cards.pop();
  }
  insert(idx: number, card: Card): void {
    this.cards.splice(Math.min(idx, this.cards.length), 0, card);
    this.useBlank();
  }
  /** astropy append: after the last non-commentary card (before trailing blanks/comments). */
  append(card: Card): void {
    let idx = this.cards.length - 1;
    while (idx >= 0 && isBlank(this.cards[idx])) idx--;
    if (!COMMENTARY.has(card.key)) while (idx >= 0 && COMMENTARY.has(this.cards[idx].key)) idx--;
    this.insert(idx + 1, card);
  }
  /** Header.set(key, value, comment, before|after). */
  set(
    key: string,
    value: CardValue,
    comment: string,
    where?: { before?: number | string; after?: string },
  ): void {
    const card = Card.create(key, value, comment);
    const old = this.index(key);
    if (old >= 0) {
      this.cards[old] = card;
      if (!where) return;
      const target = this.target(where);
      if (where.before !== undefined ? old === target - 1 : old === target) return;
      this.cards.splice(old, 1);
      this.insert(this.target(where), card);
      return;
    }
    if (!where) this.append(card);
    else this.insert(this.target(where), card);
  }
  private target(where: { before?: number | string; after?: string }): number {
    if (typeof where.before === 'number') return where.before;
    if (where.before !== undefined) return this.index(where.before);
    const i = this.index(where.after as string);
    return i + 1;
  }
}

/** The decompressed image's header, as astropy.io.fits 5.2 presents it for a CompImageHDU. */
export function imageHeaderOf(table: Header): Header {
  const source = dedupeExtname(table.cards);
  const tableHas = (k: string) => source.some((c) => c.key === k);
  const tget = (k: string): Card => source.find((c) => c.key === k) as Card;
  const h = new CardList(source.filter((c) => !isReserved(c.key)));
  if (tableHas('ZSIMPLE')) {
    h.set('SIMPLE', tget('ZSIMPLE').value, tget('ZSIMPLE').comment, { before: 0 });
    h.deleteAll('XTENSION');
  } else if (tableHas('ZTENSION')) {
    h.set('XTENSION', 'IMAGE', tget('ZTENSION').comment, { before: 0 });
  } else {
    const x = h.index('XTENSION');
    h.set('XTENSION', 'IMAGE', x >= 0 ? h.cards[x].comment : '', { before: 0 });
  }
  const zb = tget('ZBITPIX');
  h.set('BITPIX', zb.value, zb.comment, { before: 1 });
  const zn = tget('ZNAXIS');
  h.set('NAXIS', zn.value, zn.comment, { before: 2 });
  const naxis = Number(zn.value);
  let last = 'NAXIS';
  for (let i = 1; i <= naxis; i++) {
    const c = tget(`ZNAXIS${i}`);
    h.set(`NAXIS${i}`, c.value, c.comment, { after: last });
    last = `NAXIS${i}`;
  }
  for (const c of [...h.cards]) {
    const m = /^NAXIS(\d+)$/.exec(c.key);
    if (m && Number(m[1]) > naxis) h.deleteAll(c.key);
  }
  const moved = (from: string, to: string, dflt: CardValue | undefined, where?: { after: string }): void => {
    if (tableHas(from)) h.set(to, tget(from).value, tget(from).comment, where);
    else if (dflt !== undefined) h.set(to, dflt, '', where);
  };
  moved('ZPCOUNT', 'PCOUNT', 0, { after: last });
  moved('ZGCOUNT', 'GCOUNT', 1, { after: 'PCOUNT' });
  moved('ZEXTEND', 'EXTEND', undefined);
  moved('ZBLOCKED', 'BLOCKED', undefined);
  moved('ZHECKSUM', 'CHECKSUM', undefined);
  moved('ZDATASUM', 'DATASUM', undefined);
  const ext = h.index('EXTNAME');
  if (ext >= 0 && String(h.cards[ext].value).trim() === DEFAULT_EXTNAME) h.deleteAll('EXTNAME');
  if (h.has('SIMPLE')) {
    h.deleteAll('PCOUNT');
    h.deleteAll('GCOUNT');
  }
  const tableBlanks = new CardList(source).countBlanks();
  for (let i = h.countBlanks(); i < tableBlanks; i++) h.cards.push(Card.create('', '', ''));
  return new Header(h.cards);
}

/** Drops EXTNAME = 'COMPRESSED_IMAGE' when a second EXTNAME exists (astropy does). */
function dedupeExtname(cards: readonly Card[]): Card[] {
  const idx = cards.flatMap((c, i) => (c.key === 'EXTNAME' ? [i] : []));
  if (idx.length < 2) return [...cards];
  let drop = idx.filter((i) => String(cards[i].value).trim() === DEFAULT_EXTNAME);
  if (drop.length === idx.length) drop = drop.slice(1);
  const set = new Set(drop);
  return cards.filter((_, i) => !set.has(i));
}

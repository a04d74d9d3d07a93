// A FITS header: an ordered list of cards with keyword look-up. Parsing keeps every card's raw
// text; serialising an unmodified header reproduces the original bytes exactly.
import { CARD_LENGTH, Card, type CardOptions, type CardValue } from './card.ts';
import { FitsError } from './errors.ts';

export const BLOCK_SIZE = 2880;
const CARDS_PER_BLOCK = BLOCK_SIZE / CARD_LENGTH;
const END_CARD = 'END'.padEnd(CARD_LENGTH);
const latin1 = new TextDecoder('latin1');

export type HeaderEntry = [key: string, value: CardValue, comment: string];

export interface HeaderParseResult {
  header: Header;
  /** Bytes the header occupies including END and padding (a multiple of 2880). */
  byteLength: number;
}

export class Header {
  readonly cards: Card[];
  /** Non-fatal departures from the standard seen while parsing (reported by verify). */
  readonly problems: string[] = [];
  private index: Map<string, number[]> | undefined;

  constructor(cards: Card[] = []) {
    this.cards = cards;
  }

  /** Builds a header from [key, value, comment?] entries. */
  static from(entries: Iterable<readonly [string, CardValue, string?]>): Header {
    const h = new Header();
    for (const [k, v, c] of entries) h.append(k, v, c ?? '');
    return h;
  }

  /**
   * Parses the header that starts at `offset` in `bytes`. Returns undefined when more bytes are
   * needed (END not yet seen) so callers can read further blocks; throws on malformed input.
   */
  static parse(bytes: Uint8Array, offset = 0): HeaderParseResult | undefined {
    const images: string[] = [];
    for (let pos = offset; pos + BLOCK_SIZE <= bytes.length; pos += BLOCK_SIZE) {
      const block = bytes.subarray(pos, pos + BLOCK_SIZE);
      checkAscii(block, pos);
      const text = latin1.decode(block);
      for (let c = 0; c < CARDS_PER_BLOCK; c++) {
        const image = text.slice(c * CARD_LENGTH, (c + 1) * CARD_LENGTH);
        if (image === END_CARD || (image.startsWith('END ') && image.trim() === 'END')) {
          const header = Header.fromImages(images);
          if (image !== END_CARD) header.problems.push('END card has characters after END');
          if (text.slice((c + 1) * CARD_LENGTH).trim() !== '') {
            header.problems.push('the fill after the END card is not all blanks');
          }
          return { header, byteLength: pos + BLOCK_SIZE - offset };
        }
        images.push(image);
      }
    }
    return undefined;
  }

  /** Groups card images (joining CONTINUE runs) and parses each card. */
  static fromImages(images: string[]): Header {
    const cards: Card[] = [];
    for (let i = 0; i < images.length; i++) {
      const group = [images[i]];
      if (isLongStringStart(images[i])) {
        while (
          i + 1 < images.length &&
          images[i + 1].startsWith('CONTINUE') &&
          endsWithAmp(group[group.length - 1])
        ) {
          group.push(images[++i]);
        }
      }
      try {
        cards.push(Card.parse(group));
      } catch (err) {
        if (err instanceof FitsError) throw err.withWhere({ card: i });
        throw err;
      }
    }
    return new Header(cards);
  }

  private indexedLength = -1;

  private keyIndex(): Map<string, number[]> {
    // `cards` is public: a caller may push onto it, so a length change also rebuilds the index.
    if (!this.index || this.indexedLength !== this.cards.length) {
      this.indexedLength = this.cards.length;
      const idx = new Map<string, number[]>();
      this.cards.forEach((card, i) => {
        const list = idx.get(card.key);
        if (list) list.push(i);
        else idx.set(card.key, [i]);
      });
      this.index = idx;
    }
    return this.index;
  }

  has(key: string): boolean {
    return this.keyIndex().has(key.toUpperCase());
  }

  /** Value of the first card with this keyword (astropy's rule for duplicates). */
  get(key: string): CardValue | undefined {
    const i = this.keyIndex().get(key.toUpperCase());
    return i ? this.cards[i[0]].value : undefined;
  }

  card(key: string): Card | undefined {
    const i = this.keyIndex().get(key.toUpperCase());
    return i ? this.cards[i[0]] : undefined;
  }

  getAll(key: string): Card[] {
    return (this.keyIndex().get(key.toUpperCase()) ?? []).map((i) => this.cards[i]);
  }

  /** A numeric value, or `fallback` when absent; throws when present but not a number. */
  number(key: string, fallback?: number): number {
    const v = this.get(key);
    if (v === undefined || v === null) {
      if (fallback === undefined) throw new FitsError(`required keyword ${key} is missing`, { keyword: key });
      return fallback;
    }
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    throw new FitsError(`keyword ${key} should be a number, found ${JSON.stringify(v)}`, { keyword: key });
  }

  /** An integer value that must be exact (e.g. NAXISn); bigints beyond 2^53 are refused. */
  integer(key: string, fallback?: number): number {
    const n = this.number(key, fallback);
    if (!Number.isSafeInteger(n)) {
      throw new FitsError(`keyword ${key} should be an integer, found ${n}`, { keyword: key });
    }
    return n;
  }

  string(key: string, fallback?: string): string {
    const v = this.get(key);
    if (v === undefined || v === null) {
      if (fallback === undefined) throw new FitsError(`required keyword ${key} is missing`, { keyword: key });
      return fallback;
    }
    return typeof v === 'string' ? v : String(v);
  }

  /** Sets the first card with this keyword, or appends a new one (before trailing blank cards). */
  set(key: string, value: CardValue, comment?: string, options?: CardOptions): this {
    const i = this.keyIndex().get(key.toUpperCase());
    if (i) {
      const old = this.cards[i[0]];
      this.cards[i[0]] = Card.create(key, value, comment ?? old.comment, options);
    } else {
      this.insertAt(this.appendPosition(), Card.create(key, value, comment ?? '', options));
    }
    return this;
  }

  /** Appends a card (duplicates allowed, as for COMMENT/HISTORY). */
  append(key: string, value: CardValue, comment = '', options?: CardOptions): this {
    this.insertAt(this.appendPosition(), Card.create(key, value, comment, options));
    return this;
  }

  /** Inserts a card right after the card with keyword `after` (or at the end when absent). */
  insertAfter(after: string, key: string, value: CardValue, comment = '', options?: CardOptions): this {
    const i = this.keyIndex().get(after.toUpperCase());
    const pos = i ? i[i.length - 1] + 1 : this.appendPosition();
    this.insertAt(pos, Card.create(key, value, comment, options));
    return this;
  }

  /** Replaces the card at `position` (keeps the look-up index right). */
  replaceAt(position: number, card: Card): void {
    this.cards[position] = card;
    this.index = undefined;
  }

  insertAt(position: number, card: Card): void {
    this.cards.splice(position, 0, card);
    this.index = undefined;
  }

  /** Removes every card with this keyword; returns how many. */
  delete(key: string): number {
    const upper = key.toUpperCase();
    const before = this.cards.length;
    for (let i = this.cards.length - 1; i >= 0; i--) if (this.cards[i].key === upper) this.cards.splice(i, 1);
    this.index = undefined;
    return before - this.cards.length;
  }

  private appendPosition(): number {
    let n = this.cards.length;
    while (n > 0 && this.cards[n - 1].key === '' && String(this.cards[n - 1].value).trim() === '') n--;
    return n;
  }

  entries(): HeaderEntry[] {
    return this.cards.map((c) => [c.key, c.value, c.comment]);
  }

  clone(): Header {
    return new Header([...this.cards]);
  }

  /** Number of 80-byte card images (CONTINUE cards counted) excluding END. */
  get imageCount(): number {
    let n = 0;
    for (const c of this.cards) n += c.images.length;
    return n;
  }

  /** Size in bytes when serialised (END and padding included). */
  get byteLength(): number {
    return Math.ceil((this.imageCount + 1) / CARDS_PER_BLOCK) * BLOCK_SIZE;
  }

  /** Serialises with END and blank padding to a 2880-byte multiple. */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.byteLength).fill(0x20);
    let pos = 0;
    for (const card of this.cards) {
      for (const image of card.images) {
        for (let i = 0; i < CARD_LENGTH; i++) out[pos + i] = image.charCodeAt(i);
        pos += CARD_LENGTH;
      }
    }
    out.set([0x45, 0x4e, 0x44], pos);
    return out;
  }

  toString(): string {
    return this.cards.map((c) => c.images.join('\n')).join('\n');
  }
}

function isLongStringStart(image: string): boolean {
  return image.slice(8, 10) === '= ' && endsWithAmp(image);
}

/** True when the card's string value ends in '&' (the CONTINUE marker). */
function endsWithAmp(image: string): boolean {
  const field = image.slice(image.startsWith('CONTINUE') ? 8 : 10);
  const m = /^\s*'((?:[^']|'')*)'/.exec(field);
  return m?.[1].trimEnd().endsWith('&') ?? false;
}

function checkAscii(block: Uint8Array, pos: number): void {
  for (let i = 0; i < block.length; i++) {
    const b = block[i];
    if (b < 0x20 || b > 0x7e) {
      throw new FitsError(
        `header contains a non-ASCII byte 0x${b.toString(16).padStart(2, '0')} (not a FITS header, or corrupted)`,
        { offset: pos + i },
      );
    }
  }
}

// One header card (an 80-character record, or several when a long string uses CONTINUE), with
// the value interpreted as astropy.io.fits does. Cards read from a file keep their raw images so
// an unmodified header writes back byte-identical.
import { FitsError } from './errors.ts';

export const CARD_LENGTH = 80;

export interface Complex {
  re: number;
  im: number;
}

/** null = undefined value (a keyword with an empty value field). */
export type CardValue = string | number | bigint | boolean | Complex | null;

/** Keywords whose value is free text after column 8. */
export const COMMENTARY_KEYS: ReadonlySet<string> = new Set(['COMMENT', 'HISTORY', '']);

const INT_RE = /^[+-]?\d+$/;
const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)([EeDd][+-]?\d+)?$/;
const COMPLEX_RE = /^\(\s*([^,]+?)\s*,\s*([^)]+?)\s*\)$/;
const KEY_RE = /^[A-Z0-9_-]{0,8}$/;

export interface CardOptions {
  /** Write a JS integer as a float (e.g. BSCALE = 1.0). */
  float?: boolean;
}

export class Card {
  readonly key: string;
  readonly value: CardValue;
  readonly comment: string;
  /** True for COMMENT/HISTORY/blank-keyword cards and keywords without a value indicator. */
  readonly commentary: boolean;
  /** The 80-character images this card occupies in a header (several for CONTINUE). */
  readonly images: readonly string[];
  /** Problems a verifier should report (non-standard but readable). */
  readonly problems: readonly string[];

  private constructor(
    key: string,
    value: CardValue,
    comment: string,
    commentary: boolean,
    images: string[],
    problems: string[] = [],
  ) {
    this.key = key;
    this.value = value;
    this.comment = comment;
    this.commentary = commentary;
    this.images = images;
    this.problems = problems;
  }

  /** The raw text of the card, 80 × n characters. */
  get image(): string {
    return this.images.join('');
  }

  /** Parses a card from its 80-character image(s); extra images are CONTINUE cards. */
  static parse(images: string[]): Card {
    const first = images[0];
    const problems: string[] = [];
    if (/^HIERARCH /i.test(first)) return Card.parseHierarch(first);
    const rawKey = first.slice(0, 8).trimEnd();
    const key = rawKey.toUpperCase();
    if (key !== rawKey) problems.push(`keyword '${rawKey}' is not upper case`);
    if (!KEY_RE.test(key)) problems.push(`keyword '${rawKey}' has characters outside A-Z 0-9 _ -`);
    if (COMMENTARY_KEYS.has(key) || first.slice(8, 10) !== '= ') {
      return new Card(key, first.slice(8).trimEnd(), '', true, [first], problems);
    }
    const { value, comment, problem } = parseValueField(first.slice(10));
    if (problem) problems.push(problem);
    if (images.length === 1) return new Card(key, value, comment, false, [first], problems);
    return Card.mergeContinue(key, value, comment, images, problems);
  }

  private static mergeContinue(
    key: string,
    value: CardValue,
    comment: string,
    images: string[],
    problems: string[],
  ): Card {
    let text = String(value);
    const comments = comment ? [comment] : [];
    // Each segment but the last ends in '&'; the stored value drops it.
    for (let i = 1; i < images.length; i++) {
      text = text.endsWith('&') ? text.slice(0, -1) : text;
      const part = parseValueField(images[i].slice(10), false);
      text += typeof part.value === 'string' ? part.value : '';
      if (part.comment) comments.push(part.comment);
    }
    return new Card(key, text.trimEnd(), comments.join(' '), false, images, problems);
  }

  private static parseHierarch(image: string): Card {
    const eq = image.indexOf('=');
    if (eq < 0) return new Card(image.slice(9).trim().toUpperCase(), '', '', true, [image]);
    const key = image.slice(9, eq).trim().replace(/\s+/g, ' ').toUpperCase();
    const { value, comment, problem } = parseValueField(image.slice(eq + 1));
    return new Card(key, value, comment, false, [image], problem ? [problem] : []);
  }

  /** Builds a new card, formatted as astropy formats it (CONTINUE for long strings). */
  static create(key: string, value: CardValue, comment = '', options: CardOptions = {}): Card {
    const upper = key.toUpperCase();
    if (COMMENTARY_KEYS.has(upper)) return Card.commentary(upper, String(value ?? ''));
    const hierarch = !KEY_RE.test(upper) || upper.length > 8;
    if (/[^\x20-\x7e]/.test(upper)) throw new FitsError(`keyword '${key}' has non-printable characters`);
    const prefix = hierarch ? `HIERARCH ${upper} = ` : `${upper.padEnd(8)}= `;
    if (typeof value === 'string' && prefix.length + quoteString(value).length > CARD_LENGTH) {
      return new Card(upper, value, comment, false, formatLongString(prefix, value, comment));
    }
    const valueText = formatValue(value, options);
    const body = hierarch ? `${prefix}${valueText.trim()}` : `${prefix}${valueText}`;
    const full = comment ? `${body} / ${comment}` : body;
    if (body.length > CARD_LENGTH) throw new FitsError(`value of keyword '${key}' does not fit in a card`);
    return new Card(upper, normalizeValue(value), comment, false, [pad80(full)]);
  }

  /** A COMMENT/HISTORY/blank card; long text is split over several cards. */
  static commentary(key: string, text: string): Card {
    checkPrintable(text, key);
    const chunks: string[] = [];
    for (let i = 0; i < Math.max(text.length, 1); i += 72)
      chunks.push(pad80(key.padEnd(8) + text.slice(i, i + 72)));
    return new Card(key, text, '', true, chunks);
  }
}

function checkPrintable(text: string, key: string): void {
  if (/[^\x20-\x7e]/.test(text))
    throw new FitsError(`text of '${key}' has characters outside printable ASCII`);
}

function pad80(s: string): string {
  if (s.length > CARD_LENGTH) return s.slice(0, CARD_LENGTH);
  return s.padEnd(CARD_LENGTH);
}

function normalizeValue(v: CardValue): CardValue {
  if (typeof v === 'string') return v.trimEnd();
  if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) {
    return Number(v);
  }
  return v;
}

/** Parses columns 11-80: a value and an optional comment. */
function parseValueField(
  field: string,
  allowNonString = true,
): { value: CardValue; comment: string; problem?: string } {
  const start = field.search(/\S/);
  if (start < 0) return { value: null, comment: '' };
  if (field[start] === "'") return parseString(field, start);
  if (!allowNonString) return { value: '', comment: '', problem: 'CONTINUE card without a string value' };
  const slash = field.indexOf('/', start);
  const text = (slash < 0 ? field.slice(start) : field.slice(start, slash)).trim();
  const comment = slash < 0 ? '' : field.slice(slash + 1).trim();
  if (text === '') return { value: null, comment };
  const value = parseScalar(text);
  if (value === undefined) return { value: text, comment, problem: `unparsable value '${text}'` };
  return { value, comment };
}

function parseString(field: string, start: number): { value: CardValue; comment: string; problem?: string } {
  let i = start + 1;
  let text = '';
  for (;;) {
    const q = field.indexOf("'", i);
    if (q < 0) {
      return { value: (text + field.slice(i)).trimEnd(), comment: '', problem: 'unterminated string value' };
    }
    text += field.slice(i, q);
    if (field[q + 1] === "'") {
      text += "'";
      i = q + 2;
      continue;
    }
    i = q + 1;
    break;
  }
  const rest = field.slice(i);
  const slash = rest.indexOf('/');
  const comment = slash < 0 ? '' : rest.slice(slash + 1).trim();
  const junk = (slash < 0 ? rest : rest.slice(0, slash)).trim();
  return { value: text.trimEnd(), comment, problem: junk ? `text after string value: '${junk}'` : undefined };
}

function parseScalar(text: string): CardValue | undefined {
  if (text === 'T') return true;
  if (text === 'F') return false;
  if (INT_RE.test(text)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : BigInt(text);
  }
  if (FLOAT_RE.test(text)) return Number(text.replace(/[Dd]/, 'E'));
  const m = COMPLEX_RE.exec(text);
  if (m) {
    const re = parseScalar(m[1]);
    const im = parseScalar(m[2]);
    if (typeof re === 'number' && typeof im === 'number') return { re, im };
  }
  return undefined;
}

/** Formats a float as astropy does: shortest repr, a '.' or 'E' always, at least a 2-digit exponent. */
export function formatFloat(x: number): string {
  if (!Number.isFinite(x)) throw new FitsError(`cannot write non-finite number ${x} in a header`);
  let s = String(x).toUpperCase();
  if (!s.includes('.') && !s.includes('E')) s += '.0';
  else if (s.includes('E')) {
    const [sig, exp] = s.split('E');
    const sign = exp[0] === '-' || exp[0] === '+' ? exp[0] : '';
    const digits = sign ? exp.slice(1) : exp;
    s = `${sig.includes('.') ? sig : `${sig}.0`}E${sign || '+'}${digits.padStart(2, '0')}`;
  }
  // Unlike astropy we do not truncate reprs longer than 20 characters (e.g. 17 digits and a
  // 3-digit exponent): free-format values may use the whole field, and the value stays exact.
  return s;
}

function quoteString(s: string): string {
  checkPrintable(s, 'string value');
  return `'${s.replace(/'/g, "''").padEnd(8)}'`;
}

function formatValue(value: CardValue, options: CardOptions): string {
  if (value === null) return ''.padEnd(20);
  if (typeof value === 'string') return quoteString(value).padEnd(20);
  if (typeof value === 'boolean') return (value ? 'T' : 'F').padStart(20);
  if (typeof value === 'bigint') return value.toString().padStart(20);
  if (typeof value === 'number') {
    if (Number.isInteger(value) && !options.float && Math.abs(value) < 1e20)
      return String(value).padStart(20);
    return formatFloat(value).padStart(20);
  }
  return `(${formatFloat(value.re)}, ${formatFloat(value.im)})`.padStart(20);
}

/** Splits a comment at spaces (readers join the parts with one space) into pieces ≤ width. */
function splitComment(comment: string, width: number): string[] {
  const parts: string[] = [];
  let rest = comment;
  while (rest.length > width) {
    const cut = rest.lastIndexOf(' ', width);
    const at = cut > 0 ? cut : width;
    parts.push(rest.slice(0, at));
    rest = rest.slice(cut > 0 ? at + 1 : at);
  }
  if (rest) parts.push(rest);
  return parts;
}

/** Splits a long string over CONTINUE cards (each segment ends in '&' but the last). */
function formatLongString(prefix: string, value: string, comment: string): string[] {
  const segments: { text: string; comment?: string }[] = [];
  let rest = value.replace(/'/g, "''");
  let head = prefix;
  while (rest.length > 0) {
    let piece = rest.slice(0, CARD_LENGTH - head.length - 3);
    // Never split a doubled quote: an odd run of trailing quotes means we cut a pair.
    const trailing = /'*$/.exec(piece)?.[0].length ?? 0;
    if (trailing % 2 === 1 && piece.length < rest.length) piece = piece.slice(0, -1);
    segments.push({ text: piece });
    rest = rest.slice(piece.length);
    head = 'CONTINUE  ';
  }
  for (const part of splitComment(comment, 64)) segments.push({ text: '', comment: part });
  return segments.map((seg, i) => {
    const last = i === segments.length - 1;
    const start = i === 0 ? prefix : 'CONTINUE  ';
    return pad80(`${start}'${seg.text}${last ? '' : '&'}'${seg.comment ? ` / ${seg.comment}` : ''}`);
  });
}

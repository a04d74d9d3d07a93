// Parser for CRDS mapping files (.pmap/.imap/.rmap): a Python-literal subset — assignments of dicts,
// tuples, lists, strings, numbers, True/False/None and selector calls (Match({...}) ...). A real
// tokenizer + recursive-descent parser; nothing is ever evaluated. Errors name the file and line.
import { createHash } from 'node:crypto';
import { CrdsChecksumError, CrdsMappingError } from './errors.ts';

/** Python int literals become bigint, floats number, so str() round-trips as Python prints them. */
export type PyValue = string | bigint | number | boolean | null | PyTuple | PyValue[] | PyDict | PyCall;

export class PyTuple {
  readonly items: PyValue[];
  constructor(items: PyValue[]) {
    this.items = items;
  }
}

/** Ordered dict; duplicate keys: last value wins (Python semantics), position of the first kept. */
export class PyDict {
  private readonly index = new Map<unknown, number>();
  readonly keys: PyValue[] = [];
  readonly values: PyValue[] = [];
  readonly duplicates: string[] = [];
  set(key: PyValue, value: PyValue): void {
    const k = identity(key);
    const at = this.index.get(k);
    if (at !== undefined) {
      this.duplicates.push(String(k));
      this.values[at] = value;
      return;
    }
    this.index.set(k, this.keys.length);
    this.keys.push(key);
    this.values.push(value);
  }
  get(key: string): PyValue | undefined {
    const at = this.index.get(key);
    return at === undefined ? undefined : this.values[at];
  }
  get size(): number {
    return this.keys.length;
  }
  entries(): [PyValue, PyValue][] {
    return this.keys.map((k, i) => [k, this.values[i]]);
  }
}

/** Dict-key identity with Python equality for the literal types (1 == 1.0 == True). */
function identity(v: PyValue): unknown {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  return `\u0000${keyOf(v)}`;
}

export class PyCall {
  readonly name: string;
  readonly args: PyValue[];
  constructor(name: string, args: PyValue[]) {
    this.name = name;
    this.args = args;
  }
}

/** A canonical identity for dict keys (Python hash equality for the literal types used). */
export function keyOf(v: PyValue): string {
  if (typeof v === 'string') return `s${v}`;
  if (typeof v === 'bigint') return `n${Number(v)}`;
  if (typeof v === 'number') return `n${v}`;
  if (typeof v === 'boolean') return `n${v ? 1 : 0}`;
  if (v === null) return 'N';
  if (v instanceof PyTuple) return `t(${v.items.map(keyOf).join(',')})`;
  return `?${String(v)}`;
}

export const SELECTOR_CLASSES = new Set([
  'Match',
  'UseAfter',
  'SelectVersion',
  'ClosestTime',
  'Bracket',
  'GeometricallyNearest',
  'VersionAfter',
]);

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '0': '\0',
  '\n': '',
};

const C_NL = 10;
const C_HASH = 35;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isNameChar(c: number): boolean {
  return isNameStart(c) || isDigit(c);
}

/** Single-pass scanner + recursive-descent parser working directly on char codes (no token array). */
class Parser {
  private i = 0;
  private line = 1;
  private readonly s: string;
  private readonly where: string;
  constructor(text: string, where: string) {
    this.s = text;
    this.where = where;
  }

  fail(msg: string, line = this.line): never {
    throw new CrdsMappingError(`Can't load file ${this.where}: line ${line}: ${msg}`);
  }

  /** Skips blanks, newlines, comments and line continuations; returns the next char code or -1. */
  private skip(): number {
    const s = this.s;
    for (;;) {
      const c = s.charCodeAt(this.i);
      if (c === C_NL) {
        this.line++;
        this.i++;
      } else if (c === 32 || c === 9 || c === 13 || c === 12) this.i++;
      else if (c === C_HASH) {
        const e = s.indexOf('\n', this.i);
        this.i = e < 0 ? s.length : e;
      } else if (c === 92 && s.charCodeAt(this.i + 1) === C_NL) {
        this.i += 2;
        this.line++;
      } else return Number.isNaN(c) ? -1 : c;
    }
  }

  private describeHere(): string {
    const c = this.skip();
    if (c < 0) return 'end of file';
    return JSON.stringify(this.s.slice(this.i, this.i + 12).split('\n')[0]);
  }

  private expect(ch: string): void {
    if (this.skip() !== ch.charCodeAt(0)) this.fail(`expected '${ch}' but found ${this.describeHere()}`);
    this.i++;
  }

  private name(): string {
    const start = this.i;
    while (isNameChar(this.s.charCodeAt(this.i))) this.i++;
    return this.s.slice(start, this.i);
  }

  module(): Map<string, PyValue> {
    const out = new Map<string, PyValue>();
    for (let c = this.skip(); c >= 0; c = this.skip()) {
      if (!isNameStart(c)) this.fail(`expected an assignment but found ${this.describeHere()}`);
      const name = this.name();
      this.expect('=');
      out.set(name, this.expr());
    }
    return out;
  }

  expr(): PyValue {
    const c = this.skip();
    const line = this.line;
    if (c === 39 || c === 34) {
      let v = this.string();
      for (let d = this.skip(); d === 39 || d === 34; d = this.skip()) v += this.string(); // implicit concat
      return v;
    }
    if (isDigit(c) || (c === 46 && isDigit(this.s.charCodeAt(this.i + 1)))) return this.number();
    if (isNameStart(c)) {
      const name = this.name();
      if (name === 'True') return true;
      if (name === 'False') return false;
      if (name === 'None') return null;
      if (this.skip() === 40) {
        if (!SELECTOR_CLASSES.has(name)) this.fail(`unknown selector class '${name}'`, line);
        this.i++;
        return new PyCall(name, this.sequence(41));
      }
      return this.fail(`name '${name}' is not allowed in a mapping`, line);
    }
    this.i++;
    switch (c) {
      case 45:
      case 43: {
        const v = this.expr();
        if (typeof v === 'bigint' || typeof v === 'number') return c === 45 ? -v : v;
        return this.fail(`unary ${String.fromCharCode(c)} needs a number`, line);
      }
      case 123:
        return this.dict();
      case 91:
        return this.sequence(93);
      case 40: {
        if (this.skip() === 41) {
          this.i++;
          return new PyTuple([]);
        }
        const first = this.expr();
        if (this.skip() === 41) {
          this.i++;
          return first; // parenthesised expression
        }
        this.expect(',');
        return new PyTuple([first, ...this.sequence(41)]);
      }
      default:
        this.i--;
        return this.fail(c < 0 ? 'unexpected end of file' : `unexpected ${this.describeHere()}`, line);
    }
  }

  /** Comma-separated items up to the `close` char code; trailing comma allowed. */
  private sequence(close: number): PyValue[] {
    const items: PyValue[] = [];
    while (this.skip() !== close) {
      items.push(this.expr());
      if (this.skip() !== close) this.expect(',');
    }
    this.i++;
    return items;
  }

  private dict(): PyDict {
    const d = new PyDict();
    while (this.skip() !== 125) {
      const line = this.line;
      const key = this.expr();
      if (key instanceof PyDict || Array.isArray(key) || key instanceof PyCall)
        this.fail('unhashable dict key', line);
      this.expect(':');
      d.set(key, this.expr());
      if (this.skip() !== 125) this.expect(',');
    }
    this.i++;
    return d;
  }

  private string(): string {
    const s = this.s;
    const line = this.line;
    const q = s.charCodeAt(this.i);
    const triple = s.charCodeAt(this.i + 1) === q && s.charCodeAt(this.i + 2) === q;
    this.i += triple ? 3 : 1;
    // Fast path: a simple one-line string without escapes.
    if (!triple) {
      const end = s.indexOf(String.fromCharCode(q), this.i);
      if (end >= 0) {
        const body = s.slice(this.i, end);
        if (!body.includes('\\') && !body.includes('\n')) {
          this.i = end + 1;
          return body;
        }
      }
    }
    let out = '';
    let chunk = this.i;
    for (;;) {
      if (this.i >= s.length) this.fail('unterminated string', line);
      const ch = s.charCodeAt(this.i);
      if (ch === 92) {
        out += s.slice(chunk, this.i);
        const e = s[this.i + 1];
        if (e === '\n') this.line++;
        if (e === 'x') {
          out += String.fromCharCode(Number.parseInt(s.slice(this.i + 2, this.i + 4), 16));
          this.i += 4;
        } else if (e in ESCAPES) {
          out += ESCAPES[e];
          this.i += 2;
        } else {
          out += `\\${e}`; // Python keeps unknown escapes verbatim
          this.i += 2;
        }
        chunk = this.i;
      } else if (
        ch === q &&
        (!triple || (s.charCodeAt(this.i + 1) === q && s.charCodeAt(this.i + 2) === q))
      ) {
        out += s.slice(chunk, this.i);
        this.i += triple ? 3 : 1;
        return out;
      } else {
        if (ch === C_NL) {
          if (!triple) this.fail('end of line inside a string', line);
          this.line++;
        }
        this.i++;
      }
    }
  }

  private number(): PyValue {
    const m = /^(?:\d[\d_]*)?(?:\.[\d_]*)?(?:[eE][+-]?\d+)?[jJ]?/.exec(this.s.slice(this.i, this.i + 64));
    const text = m![0];
    this.i += text.length;
    const clean = text.replaceAll('_', '');
    if (/[jJ]/.test(clean)) this.fail(`complex numbers are not allowed: ${text}`);
    return /^\d+$/.test(clean) ? BigInt(clean) : Number(clean);
  }
}

export interface ParsedMapping {
  header: PyDict;
  selector: PyValue;
  comment: string | null;
}

/** Parses mapping text; `where` names the file in errors. */
export function parseMapping(text: string, where: string): ParsedMapping {
  const mod = new Parser(text, where).module();
  const header = mod.get('header');
  const selector = mod.get('selector');
  if (!(header instanceof PyDict))
    throw new CrdsMappingError(`Can't load file ${where}: 'header' dict missing`);
  if (selector === undefined) throw new CrdsMappingError(`Can't load file ${where}: 'selector' missing`);
  for (const name of mod.keys()) {
    if (!['header', 'selector', 'comment'].includes(name)) {
      throw new CrdsMappingError(`Can't load file ${where}: unexpected assignment to '${name}'`);
    }
  }
  const comment = mod.get('comment');
  return { header, selector, comment: typeof comment === 'string' ? comment : null };
}

// Python str.splitlines line boundaries.
const BREAK_CHARS = '\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029';

/**
 * CRDS mapping checksum: sha1 over every line (line ends kept) that does not contain "sha1sum".
 * Hashes the long runs between excluded lines in one update each (fast on megabyte rmaps).
 */
export function mappingChecksum(text: string): string {
  const h = createHash('sha1');
  let pos = 0;
  let idx = text.indexOf('sha1sum');
  while (idx >= 0) {
    let ls = idx;
    while (ls > 0 && !BREAK_CHARS.includes(text[ls - 1])) ls--;
    let le = idx;
    while (le < text.length && !BREAK_CHARS.includes(text[le])) le++;
    if (le < text.length) le += text[le] === '\r' && text[le + 1] === '\n' ? 2 : 1;
    if (ls > pos) h.update(text.slice(pos, ls));
    pos = Math.max(pos, le);
    idx = text.indexOf('sha1sum', pos);
  }
  if (pos < text.length) h.update(text.slice(pos));
  return h.digest('hex');
}

/** Throws CrdsChecksumError unless the header's sha1sum matches the text. */
export function verifyChecksum(text: string, header: PyDict, basename: string): void {
  const declared = header.get('sha1sum');
  if (typeof declared !== 'string') throw new CrdsChecksumError(`sha1sum is missing in '${basename}'`);
  if (mappingChecksum(text) !== declared) throw new CrdsChecksumError(`sha1sum mismatch in '${basename}'`);
}

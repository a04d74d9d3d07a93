// Python-compatible spellings that CRDS's answers depend on: float repr, str repr, float()/int().
import { PyValueError } from './errors.ts';

/** Python repr() of a str: single quotes unless the text has a ' and no ". */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** Python repr() of a float (shortest round-trip digits, exponent form outside 1e-4..1e16). */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mant, expText] = Math.abs(x).toExponential().split('e');
  const digits = mant.replace('.', '');
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp).toString().padStart(2, '0');
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

const FLOAT_RE = /^[+-]?(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*|\d(?:_?\d)*\.?)(?:[eE][+-]?\d(?:_?\d)*)?$/;
const SPECIAL_RE = /^([+-]?)(inf|infinity|nan)$/i;

/** Python float(str): accepts surrounding whitespace, underscores, inf/nan; otherwise ValueError. */
export function pyFloat(text: string): number {
  const s = text.trim();
  if (FLOAT_RE.test(s)) return Number(s.replaceAll('_', ''));
  const m = SPECIAL_RE.exec(s);
  if (m) {
    const v = m[2].toLowerCase() === 'nan' ? Number.NaN : Number.POSITIVE_INFINITY;
    return m[1] === '-' ? -v : v;
  }
  throw new PyValueError(`could not convert string to float: ${pyStrRepr(text)}`);
}

/** Python int(str, 10). */
export function pyInt(text: string): number {
  const s = text.trim();
  if (/^[+-]?\d(?:_?\d)*$/.test(s)) return Number(s.replaceAll('_', ''));
  throw new PyValueError(`invalid literal for int() with base 10: ${pyStrRepr(text)}`);
}

/** Python str() of a scalar as produced by the mapping parser (bigint = Python int). */
export function pyStr(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return pyFloatRepr(v); // parsed Python ints are bigints
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (v === null || v === undefined) return 'None';
  return String(v);
}

/** Python repr() of a list of strings, e.g. ['A', 'B']. */
export function pyListRepr(items: readonly string[]): string {
  return `[${items.map(pyStrRepr).join(', ')}]`;
}

/** Python repr() of a tuple of strings, e.g. ('A',) or ('A', 'B'). */
export function pyTupleRepr(items: readonly string[]): string {
  if (items.length === 1) return `(${pyStrRepr(items[0])},)`;
  return `(${items.map(pyStrRepr).join(', ')})`;
}

// Match-tuple field matchers with CRDS semantics: each returns 1 (match), 0 (don't care) or -1.
import { pyFloat } from './py.ts';

export interface Matcher {
  match(value: string): number;
}

function base(key: string, value: string): number {
  if (value === key || value === '*') return 1;
  if (value === 'N/A') return 0;
  return -1;
}

class LiteralMatcher implements Matcher {
  readonly key: string;
  constructor(key: string) {
    this.key = key;
  }
  match(value: string): number {
    return base(this.key, value);
  }
}

class RegexMatcher implements Matcher {
  readonly key: string;
  readonly re: RegExp;
  constructor(key: string, re: RegExp) {
    this.key = key;
    this.re = re;
  }
  match(value: string): number {
    const r = base(this.key, value);
    if (r !== -1) return r;
    return this.re.test(value) ? 1 : -1;
  }
}

class NaMatcher implements Matcher {
  match(): number {
    return 0;
  }
}

class NotMatcher implements Matcher {
  readonly inner: Matcher;
  constructor(inner: Matcher) {
    this.inner = inner;
  }
  match(value: string): number {
    return -this.inner.match(value);
  }
}

class InequalityMatcher implements Matcher {
  readonly key: string;
  readonly op: string;
  readonly bound: number;
  constructor(key: string) {
    this.key = key;
    const m = /^([><]=?)\s*([-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?)/.exec(key);
    if (!m) throw new Error(`invalid relational match expression '${key}'`);
    this.op = m[1];
    this.bound = Number(m[2]);
  }
  match(value: string): number {
    const r = base(this.key, value);
    if (r !== -1) return r;
    let v: number;
    try {
      v = pyFloat(value);
    } catch {
      return -1;
    }
    const b = this.bound;
    const ok = this.op === '>' ? v > b : this.op === '<' ? v < b : this.op === '>=' ? v >= b : v <= b;
    return ok ? 1 : -1;
  }
}

class BinaryMatcher implements Matcher {
  readonly key: string;
  readonly and: boolean;
  readonly m1: Matcher;
  readonly m2: Matcher;
  constructor(keyIn: string, operator: 'AND' | 'OR') {
    this.key = keyIn;
    this.and = operator === 'AND';
    let key = keyIn;
    if (key.trim().startsWith('#')) key = key.trim().slice(1, -1);
    const parts = key.split(operator).map((x) => x.trim());
    this.m1 = makeMatcher(parts[0]);
    this.m2 = makeMatcher(parts[1]);
  }
  match(valueIn: string): number {
    const value = valueIn.toUpperCase();
    const r = base(this.key, value);
    if (r !== -1) return r;
    const a = this.m1.match(value) === 1;
    if (this.and) return a && this.m2.match(value) === 1 ? 1 : -1;
    return a || this.m2.match(value) === 1 ? 1 : -1;
  }
}

/** fnmatch.translate for one glob part (without anchors). */
export function globToRegex(pat: string): string {
  let out = '';
  let i = 0;
  while (i < pat.length) {
    const c = pat[i++];
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      let j = i;
      if (pat[j] === '!') j++;
      if (pat[j] === ']') j++;
      while (j < pat.length && pat[j] !== ']') j++;
      if (j >= pat.length) out += '\\[';
      else {
        let stuff = pat.slice(i, j).replaceAll('\\', '\\\\');
        i = j + 1;
        if (stuff.startsWith('!')) stuff = `^${stuff.slice(1)}`;
        else if (stuff.startsWith('^')) stuff = `\\${stuff}`;
        out += `[${stuff}]`;
      }
    } else out += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return out;
}

export function globList(value: string): string[] {
  if (!esotericKey(value) && value.includes('|')) {
    return value
      .split('|')
      .map((v) => v.trim())
      .filter((v) => v);
  }
  return [value];
}

export function esotericKey(keyIn: string): boolean {
  const key = keyIn.toUpperCase();
  return (/^[{(#]/.test(key) && /[})#]$/.test(key)) || key.startsWith('BETWEEN') || key.startsWith('NOT');
}

/** Python regex syntax -> JS (named groups); re.match anchors at the start only. */
function pyRegex(src: string): RegExp {
  return new RegExp(`^(?:${src.replaceAll('(?P<', '(?<')})`, 's');
}

/** selectors.matcher(key): chooses the matcher class from the key's spelling. */
export function makeMatcher(key: string): Matcher {
  if (key.startsWith('(') && key.endsWith(')'))
    return new RegexMatcher(key.slice(1, -1), pyRegex(key.slice(1, -1)));
  if (key.startsWith('{') && key.endsWith('}')) return new LiteralMatcher(key.slice(1, -1));
  if (key.startsWith('#') && key.endsWith('#')) {
    const k = key.toUpperCase();
    if (k.includes(' AND ')) return new BinaryMatcher(k, 'AND');
    if (k.includes(' OR ')) return new BinaryMatcher(k, 'OR');
    return makeMatcher(k.slice(1, -1));
  }
  if (key.toUpperCase().startsWith('BETWEEN')) {
    const parts = key.split(/\s+/).filter((p) => p);
    if (parts.length !== 3) throw new Error(`Invalid between relation '${key}'`);
    if (!(pyFloat(parts[1]) <= pyFloat(parts[2]))) {
      throw new Error(`Invalid between relation '${key}' should be 'between lower_bound upper_bound'`);
    }
    return new BinaryMatcher(`>=${parts[1]} AND <${parts[2]}`, 'AND');
  }
  if (key.toUpperCase().startsWith('NOT ')) return new NotMatcher(makeMatcher(key.slice(4).trim()));
  if (key.includes('|') || key.includes('*')) {
    const exprs = globList(key).map(globToRegex);
    return new RegexMatcher(`^(${exprs.join('|')})$`, new RegExp(`^(?:${exprs.join('|')})$`, 's'));
  }
  if (key === 'N/A') return new NaMatcher();
  if (key.startsWith('>') || key.startsWith('<')) return new InequalityMatcher(key);
  return new LiteralMatcher(key);
}

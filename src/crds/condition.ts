// Header value conditioning exactly as crds.core.utils.condition_value: upper-case, numbers to
// Python float repr, N/A spellings, ANY -> *, T/F.
import { pyFloatRepr, pyStr } from './py.ts';

const NUMBER_RE = /^(?:[-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|[+-]?[0-9]+\.)$/;
// CRDS's DONT_CARE_RE is an unparenthesised alternation under re.match: every branch is
// start-anchored, only the last one is also end-anchored.
const DONT_CARE_RE = /^(?:-2147483648.0|\(\)|N\/A|NOT APPLICABLE|NOT_APPLICABLE$)/;

const cache = new Map<string, string>();

/** Python str() of an arbitrary header value (as CRDS receives it from FITS/JSON). */
export function headerValueText(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pyFloatRepr(value);
  return pyStr(value);
}

export function conditionValue(value: unknown): string {
  const raw = typeof value === 'string' ? value : headerValueText(value);
  const hit = cache.get(raw);
  if (hit !== undefined) return hit;
  let v = raw.trim().toUpperCase();
  if (NUMBER_RE.test(v)) v = pyFloatRepr(Number(v));
  if (DONT_CARE_RE.test(v)) v = 'N/A';
  if (v === 'ANY') v = '*';
  else if (v === '4294967295.0') v = '-1.0';
  else if (v === 'T' || v === 'TRUE') v = 'T';
  else if (v === 'F' || v === 'FALSE') v = 'F';
  if (cache.size > 100_000) cache.clear();
  cache.set(raw, v);
  return v;
}

/** utils.condition_header: upper-cased keys, conditioned values. */
// Headers of one dataset family share their key list: remember the last one and its upper-casing.
let lastKeys: string[] = [];
let lastUpper: string[] = [];
let lastAllUpper = false;

function upperOf(keys: string[]): string[] {
  if (keys.length === lastKeys.length) {
    let same = true;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] !== lastKeys[i]) {
        same = false;
        break;
      }
    }
    if (same) return lastUpper;
  }
  lastKeys = keys;
  lastUpper = keys.map((k) => k.toUpperCase());
  lastAllUpper = lastUpper.every((u, i) => u === keys[i]);
  return lastUpper;
}

const upperKeys = new Map<string, boolean>();

function isUpperKey(k: string): boolean {
  let u = upperKeys.get(k);
  if (u === undefined) {
    u = k.toUpperCase() === k;
    if (upperKeys.size > 10_000) upperKeys.clear();
    upperKeys.set(k, u);
  }
  return u;
}

/** True when every key of `header` is already upper case (so conditioning renames nothing). */
export function keysAreUpper(header: Record<string, unknown>): boolean {
  // Object.keys is the cheapest enumeration of the dictionary-mode objects headers usually are.
  // Keys equal to the last all-upper key list cost a pointer compare; the rest hit a cache.
  const keys = Object.keys(header);
  const last = lastKeys;
  let matching = lastAllUpper;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (matching && i < last.length && last[i] === k) continue;
    matching = false;
    if (!isUpperKey(k)) return false;
  }
  if (!matching || keys.length !== last.length) {
    // every key is upper case: this list is its own upper-casing
    lastKeys = keys;
    lastUpper = keys;
    lastAllUpper = true;
  }
  return true;
}

export function conditionHeader(header: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  const keys = Object.keys(header);
  const upper = upperOf(keys);
  for (let i = 0; i < keys.length; i++) out[upper[i]] = conditionValue(header[keys[i]]);
  return out;
}

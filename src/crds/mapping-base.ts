// Mapping base class shared by .pmap/.imap (contexts.ts) and .rmap (mapping.ts): the parsed header
// with CRDS's LowerCaseDict view, plus the N/A and OMIT special values.
import { CrdsMappingError } from './errors.ts';
import { type ParsedMapping, PyDict, PyTuple, type PyValue } from './parser.ts';
import { pyStr } from './py.ts';

export type MappingKind = 'pipeline' | 'instrument' | 'reference';

export interface MappingLoader {
  load(name: string): Mapping;
}

export const NOT_FOUND_NA = 'NOT FOUND n/a';
const NA_VALUES = new Set(['N/A', 'TEMP_N/A', 'n/a', 'temp_n/a']);
const OMIT_VALUES = new Set(['OMIT', 'TEMP_OMIT', 'omit', 'temp_n/a']);

export function isNa(v: unknown): boolean {
  return typeof v === 'string' && NA_VALUES.has(v);
}
export function isOmit(v: unknown): boolean {
  return typeof v === 'string' && OMIT_VALUES.has(v);
}

/** Plain JS view of a parsed header value. */
export function toJs(v: PyValue): unknown {
  if (v instanceof PyTuple) return v.items.map(toJs);
  if (Array.isArray(v)) return v.map(toJs);
  if (v instanceof PyDict) return Object.fromEntries(v.entries().map(([k, x]) => [pyStr(k), toJs(x)]));
  if (typeof v === 'bigint') return Number(v);
  return v;
}

export abstract class Mapping {
  readonly name: string;
  readonly header: Record<string, unknown>;
  readonly rawHeader: PyDict;
  abstract readonly kind: MappingKind;

  constructor(name: string, parsed: ParsedMapping) {
    this.name = name;
    this.rawHeader = parsed.header;
    this.header = toJs(parsed.header) as Record<string, unknown>;
    for (const key of ['mapping', 'parkey', 'name', 'derived_from']) {
      if (!(key in this.header))
        throw new CrdsMappingError(`${name}: Required header key '${key}' is missing.`);
    }
  }

  /** LowerCaseDict semantics: string values lower-cased unless wrapped in (). */
  hget(key: string, dflt: string): string {
    const v = this.header[key];
    if (v === undefined) return dflt;
    if (typeof v !== 'string') return String(v);
    return v.startsWith('(') && v.endsWith(')') ? v : v.toLowerCase();
  }

  get observatory(): string {
    return this.hget('observatory', '');
  }
  get sha1sum(): string {
    return String(this.header.sha1sum ?? '');
  }
  abstract mappingNames(out?: Set<string>): Set<string>;
  abstract referenceNames(out?: Set<string>): Set<string>;
}

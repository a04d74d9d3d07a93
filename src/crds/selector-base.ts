// Selector base: result types, lookup misses and the Selector protocol shared by every selector class.
import { MatchingError, UseAfterError, ValidationError, VersionAfterError } from './errors.ts';
import { PyDict, PyTuple, type PyValue } from './parser.ts';
import { pyFloat, pyStr, pyStrRepr } from './py.ts';

export type Header = Record<string, string>;
export type Terminal = string | string[] | Record<string, string>;
export type Choice = Terminal | Selector;

export interface SelectorContext {
  substitutions: Record<string, Record<string, PyValue>>;
  raiseAmbiguous: boolean;
  name: string;
}

export const MISSING = '\u0000';

/** A failed lookup (CRDS raises a CrdsLookupError there); the message is built only when needed. */
export class LookupMiss {
  readonly message: () => string;
  private readonly kind: 'match' | 'useafter' | 'versionafter';
  constructor(kind: 'match' | 'useafter' | 'versionafter', message: () => string) {
    this.kind = kind;
    this.message = message;
  }
  error(): Error {
    const m = this.message();
    return this.kind === 'match'
      ? new MatchingError(m)
      : this.kind === 'useafter'
        ? new UseAfterError(m)
        : new VersionAfterError(m);
  }
}
export const NO_MATCH = new LookupMiss('match', () => 'No match found.');

/** Converts a mapping terminal (str, tuple of str, dict of str) to a result value. */
export function terminal(v: PyValue): Terminal {
  if (typeof v === 'string') return v;
  if (v instanceof PyTuple) return v.items.map(pyStr);
  if (Array.isArray(v)) return v.map(pyStr);
  if (v instanceof PyDict) {
    const o: Record<string, string> = {};
    for (const [k, val] of v.entries()) o[pyStr(k)] = pyStr(val);
    return o;
  }
  return pyStr(v);
}

export abstract class Selector {
  readonly params: string[];
  abstract readonly shortName: string;
  constructor(params: string[]) {
    this.params = params;
  }
  /** The selection, or a LookupMiss (CRDS raises a CrdsLookupError there; misses are cheaper). */
  abstract select(header: Header): Terminal | LookupMiss;

  choose(header: Header): Terminal {
    const r = this.select(header);
    if (r instanceof LookupMiss) throw r.error();
    return r;
  }
  /** [raw key text, choice] pairs in the selector's sorted order (for diff and listings). */
  abstract items(): [string, Choice][];

  referenceNames(out: Set<string> = new Set()): Set<string> {
    for (const [, c] of this.items()) {
      if (c instanceof Selector) c.referenceNames(out);
      else if (typeof c === 'string') out.add(c);
      else if (Array.isArray(c)) for (const x of c) out.add(x);
      else for (const x of Object.values(c)) out.add(x);
    }
    return out;
  }

  protected resolve(choice: Choice, header: Header): Terminal | LookupMiss {
    return choice instanceof Selector ? choice.select(header) : choice;
  }

  protected checkDefined(header: Header, parkeyMap: Record<string, string[] | '*'> | null): void {
    if (!parkeyMap) return;
    for (const name of this.params) {
      if (!(name in header) && name in parkeyMap && !parkeyMap[name].includes('N/A')) {
        throw new ValidationError(
          `${this.shortName} required lookup parameter ${pyStrRepr(name)} is undefined.`,
        );
      }
    }
  }

  protected validateNumber(name: string, value: string): number {
    try {
      return pyFloat(value);
    } catch {
      throw new ValidationError(
        `${this.shortName} Invalid number for ${pyStrRepr(name)} value=${pyStrRepr(value)}`,
      );
    }
  }
}

// Selector construction (`instantiate`) and the numeric / version selectors (GeometricallyNearest,
// Bracket, SelectVersion); Match lives in match.ts, the UseAfter family in dated.ts.
import { conditionValue } from './condition.ts';
import { CrdsMappingError, ValidationError } from './errors.ts';
import { PyCall, PyDict, type PyValue } from './parser.ts';
import { pyFloat, pyStr, pyStrRepr } from './py.ts';
import { ClosestTimeSelector, type Dated, UseAfterSelector, VersionAfterSelector } from './dated.ts';
import { MatchSelector } from './match.ts';
import {
  type Choice,
  type Header,
  LookupMiss,
  Selector,
  type SelectorContext,
  type Terminal,
  terminal,
} from './selector-base.ts';

export { ClosestTimeSelector, UseAfterSelector, VersionAfterSelector } from './dated.ts';
export { MatchSelector } from './match.ts';
export {
  type Choice,
  type Header,
  LookupMiss,
  NO_MATCH,
  Selector,
  type SelectorContext,
  type Terminal,
} from './selector-base.ts';

// ------------------------------------------------------------------ numeric selectors

type Numbered = { key: string; num: number; choice: Choice };

export class GeometricallyNearestSelector extends Selector {
  readonly shortName: string = 'GeometricallyNearest';
  protected readonly sel: Numbered[];
  constructor(params: string[], entries: [PyValue, Choice][]) {
    super(params);
    this.sel = entries
      .map(([k, choice]) => {
        const key = conditionValue(pyStr(k));
        return { key, num: pyFloat(key), choice };
      })
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
  items(): [string, Choice][] {
    return this.sel.map((s) => [s.key, s.choice]);
  }
  select(header: Header): Terminal | LookupMiss {
    const name = this.params[0];
    const v = Math.fround(this.validateNumber(name, header[name] ?? 'UNDEFINED'));
    let best = 0;
    let bestDiff = Number.POSITIVE_INFINITY;
    this.sel.forEach((s, i) => {
      const d = Math.abs(Math.fround(Math.fround(s.num) - v));
      if (d < bestDiff) {
        bestDiff = d;
        best = i;
      }
    });
    return this.resolve(this.sel[best].choice, header);
  }
}

export class BracketSelector extends GeometricallyNearestSelector {
  override readonly shortName = 'Bracket';
  override select(header: Header): Terminal | LookupMiss {
    const name = this.params[0];
    const v = this.validateNumber(name, header[name] ?? 'UNDEFINED');
    const sel = [...this.sel].sort((a, b) => a.num - b.num);
    let i = 0;
    while (i < sel.length && v > sel[i].num) i++;
    let less: Numbered;
    let greater: Numbered;
    if (i === sel.length) less = greater = sel[i - 1];
    else if (i === 0 || v === sel[i].num) less = greater = sel[i];
    else [less, greater] = [sel[i - 1], sel[i]];
    const r1 = this.resolve(less.choice, header);
    if (r1 instanceof LookupMiss) return r1;
    const r2 = less === greater ? r1 : this.resolve(greater.choice, header);
    if (r2 instanceof LookupMiss) return r2;
    return [r1 as string, r2 as string];
  }
}

// ------------------------------------------------------------------ SelectVersion

type Relation = { version: number | number[]; rel: string; text: string; choice: Choice };

function parseRelation(text: string): Omit<Relation, 'choice'> {
  if (text.replaceAll('=', '').trim() === 'default')
    return { version: Number.MAX_SAFE_INTEGER, rel: '=', text };
  const s = text.startsWith('<') || text.startsWith('=') ? text : `=${text}`;
  const m = /^([<=]=?|default)(.*)$/.exec(s);
  if (!m) throw new ValidationError(`Illegal version expression in: ${pyStrRepr(s)}`);
  const body = m[2].trim();
  let version: number | number[];
  const tuple = /^\((.*)\)$/.exec(body);
  try {
    version = tuple
      ? tuple[1]
          .split(',')
          .filter((x) => x.trim())
          .map((x) => pyFloat(x))
      : pyFloat(body);
  } catch {
    throw new ValidationError(`Invalid version expression in: ${pyStrRepr(s)}`);
  }
  return { version, rel: m[1].replace('==', '='), text: s };
}

function cmpRel(a: Omit<Relation, 'choice'>, b: Omit<Relation, 'choice'>): number {
  const av = Array.isArray(a.version) ? a.version : [a.version];
  const bv = Array.isArray(b.version) ? b.version : [b.version];
  for (let i = 0; i < Math.min(av.length, bv.length); i++) if (av[i] !== bv[i]) return av[i] - bv[i];
  if (av.length !== bv.length) return av.length - bv.length;
  return a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0;
}

export class SelectVersionSelector extends Selector {
  readonly shortName = 'SelectVersion';
  private readonly sel: Relation[];
  constructor(params: string[], entries: [PyValue, Choice][]) {
    super(params);
    this.sel = entries.map(([k, choice]) => ({ ...parseRelation(pyStr(k)), choice })).sort(cmpRel);
  }
  items(): [string, Choice][] {
    return this.sel.map((s) => [s.text, s.choice]);
  }
  select(header: Header): Terminal | LookupMiss {
    const name = this.params[0];
    const value = header[name] ?? 'UNDEFINED';
    if (value.replaceAll('=', '').trim() !== 'default') this.validateNumber(name, value);
    const probe = parseRelation(value);
    let i = 0;
    while (i < this.sel.length - 1 && cmpRel(this.sel[i], probe) < 0) i++;
    return this.resolve(this.sel[i].choice, header);
  }
}

// ------------------------------------------------------------------ construction

/** Builds the selector tree from the parsed `selector = Call({...})` value. */
export function instantiate(
  value: PyValue,
  parkeys: string[][],
  depth: number,
  ctx: SelectorContext,
): Choice {
  if (!(value instanceof PyCall)) return terminal(value);
  const dict = value.args[0];
  if (value.args.length !== 1 || !(dict instanceof PyDict)) {
    throw new CrdsMappingError(`${ctx.name}: ${value.name}() takes one dict argument`);
  }
  const params = parkeys[depth];
  if (!params) throw new CrdsMappingError(`${ctx.name}: selector nesting deeper than 'parkey' allows`);
  const entries: [PyValue, Choice][] = dict
    .entries()
    .map(([k, v]) => [k, instantiate(v, parkeys, depth + 1, ctx)]);
  const dated = (): Dated[] => entries.map(([k, choice]) => ({ key: pyStr(k), choice }));
  switch (value.name) {
    case 'Match':
      return new MatchSelector(params, entries, ctx);
    case 'UseAfter':
      return new UseAfterSelector(params, dated());
    case 'ClosestTime':
      return new ClosestTimeSelector(params, dated());
    case 'VersionAfter':
      return new VersionAfterSelector(params, dated());
    case 'GeometricallyNearest':
      return new GeometricallyNearestSelector(params, entries);
    case 'Bracket':
      return new BracketSelector(params, entries);
    case 'SelectVersion':
      return new SelectVersionSelector(params, entries);
    default:
      throw new CrdsMappingError(`${ctx.name}: unknown selector class '${value.name}'`);
  }
}

// Mapping base class and ReferenceMapping (.rmap) with CRDS's lookup flow (omit/relevance expressions,
// hooks, parkey relevance, fallback, reffile_required, N/A and OMIT terminals) plus per-input lookup
// plans. Context mappings (.imap/.pmap) are in contexts.ts.
import { CrdsMappingError, IrrelevantReferenceTypeError, OmitReferenceTypeError } from './errors.ts';
import { type Compiled, compileExpr, exprNames, truthy } from './expr.ts';
import { doNotReprocess, findHook, type Hook } from './hooks.ts';
import { type ParsedMapping, PyDict, PyTuple, type PyValue } from './parser.ts';
import { pyStr } from './py.ts';
import {
  type Choice,
  type Header,
  instantiate,
  LookupMiss,
  MatchSelector,
  Selector,
  type Terminal,
  UseAfterSelector,
} from './selectors.ts';

function terminalNames(t: Terminal): string[] {
  if (typeof t === 'string') return [t];
  return Array.isArray(t) ? t : Object.values(t);
}

export type BestRef = Terminal;

type Plan = { kind: 'const'; value: BestRef | null } | { kind: 'cands'; cands: Choice[] } | { kind: 'slow' };
type PlanNode = { next: Map<string, PlanNode>; plan: Plan | null };
const SLOW: Plan = { kind: 'slow' };
const MISSING_VALUE = '\u0000';
const PY_WORDS = new Set([
  'and',
  'or',
  'not',
  'in',
  'is',
  'True',
  'False',
  'None',
  'float',
  'int',
  'str',
  'len',
  'abs',
  'bool',
]);

/** Parameters of UseAfter-family selectors ("dates") and of all other selectors ("matched"). */
function collectParams(sel: unknown, dates: Set<string>, matched: Set<string>): void {
  if (!(sel instanceof Selector)) return;
  for (const p of sel.params) (sel instanceof UseAfterSelector ? dates : matched).add(p);
  const seen = new Set<Selector>();
  for (const [, c] of sel.items()) {
    if (c instanceof Selector && !seen.has(c)) {
      seen.add(c);
      collectParams(c, dates, matched);
    }
  }
}
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

// ------------------------------------------------------------------------- rmap

type Expr = { src: string; fn: Compiled | null; error: string };

const ALWAYS_TRUE: Compiled = () => true;
const ALWAYS_FALSE: Compiled = () => false;

function compileHeaderExpr(src: string, parkeys: string[]): Expr {
  if (src.trim() === 'True') return { src, fn: ALWAYS_TRUE, error: '' };
  if (src.trim() === 'False') return { src, fn: ALWAYS_FALSE, error: '' };
  let code = src;
  for (const key of parkeys) if (key.includes('.')) code = code.replaceAll(key, key.replaceAll('.', '_'));
  try {
    return { src, fn: compileExpr(code), error: '' };
  } catch (e) {
    return { src, fn: null, error: `invalid syntax: ${(e as Error).message}` };
  }
}

function evalExpr(e: Expr, env: Header): unknown {
  if (!e.fn) throw new Error(e.error);
  return e.fn(env);
}

/** utils.condition_header_keys: JWST dotted keys also visible with underscores. */
export function exprEnv(header: Header): Header {
  let env = header;
  for (const k in header) {
    if (k.includes('.')) {
      if (env === header) env = { ...header };
      env[k.replaceAll('.', '_')] = header[k];
    }
  }
  return env;
}

export type Warn = (message: string) => void;
let warn: Warn = () => {};
/** Where relevance/omit expression warnings go (CRDS logs them and carries on). */
export function setWarningHandler(fn: Warn): void {
  warn = fn;
}

export class ReferenceMapping extends Mapping {
  readonly kind = 'reference' as const;
  readonly instrument: string;
  readonly filekind: string;
  readonly selector: Selector | Terminal;
  readonly requiredParkeys: string[];
  /** Parkey levels read only by date selectors (from 'classes', default Match..., UseAfter last). */
  private readonly parkeyLevelsDates: Set<string>;
  private readonly reffileRequired: string;
  private readonly relevance: Expr;
  private readonly omit: Expr;
  private readonly parkeyRelevance: Map<string, Expr>;
  private relevancePairs: [string, Expr][] | null = null;
  private readonly precondition: Hook | null;
  private readonly fallback: Hook | null;

  constructor(name: string, parsed: ParsedMapping) {
    super(name, parsed);
    for (const key of ['observatory', 'instrument', 'filekind']) {
      if (!(key in this.header))
        throw new CrdsMappingError(`${name}: Required header key '${key}' is missing.`);
    }
    this.instrument = this.hget('instrument', '');
    this.filekind = this.hget('filekind', '');
    const parkey = parsed.header.get('parkey');
    const levels = parkey instanceof PyTuple ? parkey.items : [];
    const parkeys = levels.map((l) => (l instanceof PyTuple ? l.items.map(pyStr) : [pyStr(l)]));
    const rawSubs: Record<string, Record<string, PyValue>> = {};
    const sd = parsed.header.get('substitutions');
    if (sd instanceof PyDict) {
      for (const [k, v] of sd.entries()) {
        rawSubs[pyStr(k)] = {};
        if (v instanceof PyDict) for (const [a, b] of v.entries()) rawSubs[pyStr(k)][pyStr(a)] = b;
      }
    }
    const raiseAmb = this.header.raise_ambiguous;
    this.selector = instantiate(parsed.selector, parkeys, 0, {
      substitutions: rawSubs,
      raiseAmbiguous:
        raiseAmb !== undefined
          ? ['True', 'true', 'TRUE', '1'].includes(String(raiseAmb))
          : this.observatory !== 'hst',
      name,
    }) as Selector | Terminal;
    const switchKey = this.hget('reffile_switch', 'NONE').toUpperCase();
    const extra = (toJs(parsed.header.get('extra_keys') ?? new PyTuple([])) as string[]) ?? [];
    const classes = (toJs(parsed.header.get('classes') ?? new PyTuple([])) as string[]) ?? [];
    const dateClass = (i: number) =>
      ['UseAfter', 'ClosestTime', 'VersionAfter'].includes(
        classes[i] ?? (i > 0 && i === parkeys.length - 1 ? 'UseAfter' : ''),
      );
    this.parkeyLevelsDates = new Set(parkeys.flatMap((level, i) => (dateClass(i) ? level : [])));
    this.requiredParkeys = [
      ...parkeys.flat(),
      ...(switchKey !== 'NONE' ? [switchKey] : []),
      ...extra.map(String),
    ];
    this.reffileRequired = this.hget('reffile_required', 'NONE').toUpperCase();
    const rel = this.hget('rmap_relevance', 'always').replaceAll('always', 'True');
    this.relevance = compileHeaderExpr(rel, this.requiredParkeys);
    this.omit = compileHeaderExpr(this.hget('rmap_omit', 'False'), this.requiredParkeys);
    this.parkeyRelevance = new Map();
    const pr = this.header.parkey_relevance;
    if (pr && typeof pr === 'object') {
      for (const [k, v] of Object.entries(pr)) {
        this.parkeyRelevance.set(k, compileHeaderExpr(String(v), this.requiredParkeys));
      }
    }
    const hooks = (this.header.hooks ?? null) as Record<string, string> | null;
    const obs = this.observatory;
    this.precondition = findHook(obs, this.instrument, this.filekind, 'precondition_header', hooks);
    this.fallback = findHook(obs, this.instrument, this.filekind, 'fallback_header', hooks);
  }

  mappingNames(out: Set<string> = new Set()): Set<string> {
    out.add(this.name);
    return out;
  }

  referenceNames(out: Set<string> = new Set()): Set<string> {
    const sel = this.selector;
    const refs = sel instanceof Selector ? sel.referenceNames() : new Set(terminalNames(sel));
    for (const r of refs) if (!isNa(r) && !isOmit(r)) out.add(r);
    return out;
  }

  /** ReferenceMapping.minimize_header: required parkeys only, missing ones UNDEFINED. */
  minimizeHeader(header: Header): Header {
    this.minKeys ??= this.requiredParkeys.map((k) => [k, k.toLowerCase(), k.toUpperCase()]);
    const out: Header = {};
    for (const [key, lower, upper] of this.minKeys) out[key] = header[lower] ?? header[upper] ?? 'UNDEFINED';
    return out;
  }
  private minKeys: [string, string, string][] | null = null;

  /** get_best_ref: a result, "NOT FOUND n/a", "NOT FOUND <reason>", or null when omitted. */
  getBestRef(header: Header, env?: Header): BestRef | null {
    // CRDS reports lookup failures through exceptions; they are control flow here, so skip the
    // (costly) stack capture while looking up.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return this.bestRefQuiet(header, env ?? exprEnv(header));
    } finally {
      Error.stackTraceLimit = limit;
    }
  }

  /** getBestRef without touching Error.stackTraceLimit (the caller has set it). */
  bestRefQuiet(header: Header, env: Header): BestRef | null {
    const inputs = this.planInputs === undefined ? this.initPlanning() : this.planInputs;
    if (inputs) {
      const plan = this.planFor(inputs, header, env);
      if (plan.kind === 'const') return plan.value;
      if (plan.kind === 'cands') {
        try {
          for (const c of plan.cands) {
            const r = c instanceof Selector ? c.select(header) : c;
            if (r instanceof LookupMiss) continue;
            if (isNa(r)) return NOT_FOUND_NA;
            if (isOmit(r)) return null;
            return r;
          }
        } catch {
          // an error: the full lookup below reproduces it with CRDS's handling
        }
      }
    }
    return this.slowBestRef(header, env);
  }

  // ---- lookup plans ----
  // The answer depends on the header only through the rmap's non-date inputs (parkeys, switch, extra
  // keys, expression names, the do-not-reprocess keys) and, via UseAfter tables, the date. For rmaps
  // without hooks a plan per distinct input tuple records the constant answer or the candidate
  // UseAfter tables; a lookup is then one trie walk plus a binary search on the date. Anything
  // unusual (misses, errors, nested Match) takes the full CRDS flow.

  private planInputs: string[] | null | undefined = undefined;
  private readonly planRoot: PlanNode = { next: new Map(), plan: null };
  private planCount = 0;
  private planHits = 0;
  private planMisses = 0;

  private initPlanning(): string[] | null {
    this.planInputs = null;
    if (this.precondition || this.fallback || this.requiredParkeys.some((k) => k.includes('.'))) return null;
    const dates = new Set<string>();
    const matched = new Set<string>();
    collectParams(this.selector, dates, matched);
    // Inputs: what Match-like selectors read, the switch/extra keys, and expression names.
    const names = new Set<string>(matched);
    for (const k of this.requiredParkeys) if (!this.parkeyLevelsDates.has(k)) names.add(k);
    const sources = [
      this.relevance.src,
      this.omit.src,
      ...[...this.parkeyRelevance.values()].map((e) => e.src),
    ];
    for (const src of sources) for (const n of exprNames(src)) if (!PY_WORDS.has(n)) names.add(n);
    if ([...this.parkeyRelevance.keys()].some((k) => dates.has(k.toUpperCase()))) return null;
    for (const d of [...dates, ...this.parkeyLevelsDates]) {
      if (matched.has(d) || sources.some((src) => exprNames(src).includes(d))) return null;
      names.delete(d);
    }
    if (this.observatory === 'hst') for (const k of ['DETECTOR', 'CCDGAIN']) names.add(k);
    this.planInputs = [...names];
    return this.planInputs;
  }

  private planFor(inputs: string[], header: Header, env: Header): Plan {
    // Plans pay off when input tuples repeat (real datasets); if they mostly don't, stop planning.
    if (this.planMisses > 2000 && this.planMisses > this.planHits) {
      this.planInputs = null;
      this.planRoot.next.clear();
      return SLOW;
    }
    let node = this.planRoot;
    for (let i = 0; i < inputs.length; i++) {
      const v = header[inputs[i]] ?? MISSING_VALUE;
      let next = node.next.get(v);
      if (!next) {
        if (++this.planCount > 500_000) {
          this.planRoot.next.clear();
          this.planCount = 0;
        }
        next = { next: new Map(), plan: null };
        node.next.set(v, next);
      }
      node = next;
    }
    if (node.plan) {
      this.planHits++;
      return node.plan;
    }
    this.planMisses++;
    node.plan = this.makePlan(header, env);
    return node.plan;
  }

  private makePlan(header: Header, env: Header): Plan {
    try {
      if (this.omit.fn !== ALWAYS_FALSE && this.omitted(env)) return { kind: 'const', value: null };
      if (this.relevance.fn !== ALWAYS_TRUE && !this.relevant(env))
        return { kind: 'const', value: NOT_FOUND_NA };
      const sel = this.selector;
      if (!(sel instanceof Selector)) return SLOW;
      if (sel instanceof UseAfterSelector) return { kind: 'cands', cands: [sel] };
      if (!(sel instanceof MatchSelector)) return SLOW;
      const leaf = sel.leafFor(this.mapIrrelevantToNa(header, env));
      if (leaf.error) return SLOW;
      const cands: Choice[] = [];
      for (const c of leaf.candidates) {
        if ('error' in c) return SLOW;
        if (c.choice instanceof Selector && !(c.choice instanceof UseAfterSelector)) return SLOW;
        cands.push(c.choice);
      }
      return { kind: 'cands', cands };
    } catch {
      return SLOW;
    }
  }

  /** The full CRDS lookup flow, with exceptions mapped to result strings. */
  private slowBestRef(header: Header, env: Header): BestRef | null {
    try {
      return this.lookup(header, env);
    } catch (e) {
      if (e instanceof IrrelevantReferenceTypeError) return 'NOT FOUND n/a';
      if (e instanceof OmitReferenceTypeError) return null;
      return `NOT FOUND ${(e as Error).message}`;
    }
  }

  private choose(header: Header): Terminal {
    const sel = this.selector;
    return sel instanceof Selector ? sel.choose(header) : sel;
  }

  /** Like choose, but a lookup miss comes back as a value instead of an exception. */
  private select(header: Header): Terminal | LookupMiss {
    const sel = this.selector;
    return sel instanceof Selector ? sel.select(header) : sel;
  }

  private lookup(headerIn: Header, exprHeader: Header): BestRef | null {
    if (this.omit.fn !== ALWAYS_FALSE && this.omitted(exprHeader)) return null;
    if (this.relevance.fn !== ALWAYS_TRUE && !this.relevant(exprHeader)) return NOT_FOUND_NA;
    let header = this.precondition ? this.precondition({ ...headerIn }) : headerIn;
    if (!header) header = headerIn;
    header = this.mapIrrelevantToNa(header, header === headerIn ? exprHeader : null);
    // First selection; a miss or an error both lead to the fallback path (as in CRDS).
    let first: Terminal | LookupMiss | Error;
    try {
      first = this.select(header);
    } catch (e) {
      first = e as Error;
    }
    let best: Terminal;
    if (first instanceof LookupMiss || first instanceof Error) {
      if (doNotReprocess(this.observatory, headerIn)) return NOT_FOUND_NA;
      const second = this.fallbackSelect(headerIn, first);
      if (second instanceof LookupMiss || second instanceof Error) {
        if (this.reffileRequired !== 'YES' && this.reffileRequired !== 'NONE') return NOT_FOUND_NA;
        if (second instanceof LookupMiss) return `NOT FOUND ${second.message()}`;
        throw second;
      }
      best = second;
    } else best = first;
    if (isNa(best)) return NOT_FOUND_NA;
    if (isOmit(best)) return null;
    return best;
  }

  /** The fallback hook's second lookup; without a hook the first failure stands. */
  private fallbackSelect(headerIn: Header, first: LookupMiss | Error): Terminal | LookupMiss | Error {
    const fb = this.fallback ? this.fallback({ ...headerIn }) : null;
    if (!fb) return first;
    try {
      return this.select(this.mapIrrelevantToNa(this.minimizeHeader(fb)));
    } catch (e) {
      return e as Error;
    }
  }

  /** rmap_omit; a failing expression is warned about and means "not omitted", as in CRDS. */
  private omitted(env: Header): boolean {
    try {
      return truthy(evalExpr(this.omit, env) as never);
    } catch (e) {
      warn(`Keyword omit check failed: ${(e as Error).message}`);
      return false;
    }
  }

  /** rmap_relevance; a failing expression is warned about and means "relevant", as in CRDS. */
  private relevant(env: Header): boolean {
    try {
      return truthy(evalExpr(this.relevance, env) as never);
    } catch (e) {
      warn(`Relevance check failed: ${(e as Error).message}`);
      return true;
    }
  }

  private mapIrrelevantToNa(headerIn: Header, envHint: Header | null = null): Header {
    if (this.parkeyRelevance.size === 0) return headerIn;
    let env = headerIn;
    for (const k of this.requiredParkeys) {
      if (!(k in env)) {
        if (env === headerIn) env = { ...headerIn };
        env[k] = 'UNDEFINED';
      }
    }
    const evalEnv = env === headerIn && envHint ? envHint : exprEnv(env);
    let header = headerIn;
    this.relevancePairs ??= this.requiredParkeys
      .filter((p) => this.parkeyRelevance.has(p.toLowerCase()))
      .map((p) => [p, this.parkeyRelevance.get(p.toLowerCase())!]);
    for (const [parkey, e] of this.relevancePairs) {
      if (!truthy(evalExpr(e, evalEnv) as never)) {
        if (header === headerIn) header = { ...headerIn };
        header[parkey] = 'N/A';
      }
    }
    return header;
  }
}

// ReferenceMapping (.rmap) with CRDS's lookup flow (omit/relevance expressions, hooks, parkey
// relevance, fallback, reffile_required, N/A and OMIT terminals) plus per-input lookup plans (used
// here string-keyed, and by fast.ts integer-coded). The base class is in mapping-base.ts, context
// mappings (.imap/.pmap) in contexts.ts.
import { CrdsMappingError, IrrelevantReferenceTypeError, OmitReferenceTypeError } from './errors.ts';
import { type Compiled, compileExpr, exprNames, truthy } from './expr.ts';
import { doNotReprocess, findHook, type Hook, type HookInputs, hookInputs } from './hooks.ts';
import { isNa, isOmit, Mapping, NOT_FOUND_NA, toJs } from './mapping-base.ts';
import { type ParsedMapping, PyDict, PyTuple, type PyValue } from './parser.ts';
import { pyStr } from './py.ts';
import type { Leaf } from './match.ts';
import {
  type Choice,
  type Header,
  instantiate,
  LookupMiss,
  MatchSelector,
  NO_MATCH,
  Selector,
  type Terminal,
  UseAfterSelector,
} from './selectors.ts';

function terminalNames(t: Terminal): string[] {
  if (typeof t === 'string') return [t];
  return Array.isArray(t) ? t : Object.values(t);
}

export {
  isNa,
  isOmit,
  Mapping,
  type MappingKind,
  type MappingLoader,
  NOT_FOUND_NA,
  toJs,
} from './mapping-base.ts';
export type BestRef = Terminal;

export type Plan =
  | { kind: 'const'; value: BestRef | null }
  /** Candidates tried in order; `miss` is the plan once every one of them has missed. */
  | { kind: 'cands'; cands: Choice[]; miss: (header: Header) => Plan }
  | { kind: 'slow' };
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
    // The string-keyed plans know nothing of hooks; hooked rmaps are planned only by fast.ts.
    this.planInputs = this.precondition || this.fallback ? null : this.planInputNames();
    return this.planInputs;
  }

  private inputNames: string[] | null | undefined = undefined;

  /** The non-date inputs a plan keys on, or null when this rmap always takes the full flow. */
  planInputNames(): string[] | null {
    if (this.inputNames === undefined) this.inputNames = this.computePlanInputs();
    return this.inputNames;
  }

  /** The plan for `header` (minimised, conditioned, no dotted keys): constant, candidates or slow. */
  lookupPlan(header: Header): Plan {
    return this.makePlan(header, header);
  }

  private dateKeys: string[] | null = null;

  /** Where the date-ordered selectors read the date (a plan is only valid if hooks keep it). */
  private keepsDate(a: Header, b: Header): boolean {
    if (!this.dateKeys) {
      const dates = new Set<string>(this.parkeyLevelsDates);
      collectParams(this.selector, dates, new Set());
      this.dateKeys = [...dates];
    }
    for (const d of this.dateKeys) if (a[d] !== b[d]) return false;
    return true;
  }

  /** Plan of a Match selection: its candidates, or lookup()'s answer when it raises. */
  private selectionPlan(headerIn: Header, leaf: Leaf, first: boolean): Plan {
    if (leaf.error) return this.failurePlan(headerIn, leaf.error, first);
    const cands: Choice[] = [];
    for (const c of leaf.candidates) {
      if ('error' in c) return SLOW;
      if (c.choice instanceof Selector && !(c.choice instanceof UseAfterSelector)) return SLOW;
      cands.push(c.choice);
    }
    const miss = (h: Header): Plan => {
      try {
        return this.failurePlan(h, NO_MATCH, first);
      } catch {
        return SLOW; // e.g. a hook's KeyError: the full flow reports it
      }
    };
    return { kind: 'cands', cands, miss };
  }

  /** lookup() after the first selection failed: do-not-reprocess, the fallback hook, reffile_required. */
  private failurePlan(header: Header, failure: Error | LookupMiss, first: boolean): Plan {
    if (failure instanceof IrrelevantReferenceTypeError || failure instanceof OmitReferenceTypeError)
      return SLOW;
    if (first && doNotReprocess(this.observatory, header)) return { kind: 'const', value: NOT_FOUND_NA };
    if (first && this.fallback) {
      const fb = this.fallback({ ...header });
      if (fb) {
        const second = this.mapIrrelevantToNa(this.minimizeHeader(fb));
        const sel = this.selector;
        if (!(sel instanceof MatchSelector) || !this.keepsDate(second, header)) return SLOW;
        return this.selectionPlan(header, sel.leafOnce(second), false);
      }
    }
    if (this.reffileRequired !== 'YES' && this.reffileRequired !== 'NONE')
      return { kind: 'const', value: NOT_FOUND_NA };
    const message = failure instanceof LookupMiss ? failure.message() : failure.message;
    return { kind: 'const', value: `NOT FOUND ${message}` };
  }

  /** The hooks' declared inputs, or null when there is a hook without them. */
  private hookInputs(): HookInputs[] | null {
    const out: HookInputs[] = [];
    for (const hook of [this.precondition, this.fallback]) {
      if (!hook) continue;
      const inputs = hookInputs(hook);
      if (!inputs) return null;
      out.push(inputs);
    }
    return out;
  }

  /** Date keys and cut-over dates the hooks compare the date with (plans key on the side), or null. */
  planDateCuts(): { keys: string[]; cuts: string[] } | null {
    const hooks = this.hookInputs() ?? [];
    const cuts = [...new Set(hooks.flatMap((h) => h.dateCuts))].sort();
    if (cuts.length === 0) return null;
    return { keys: hooks.find((h) => h.dateCuts.length)!.dateKeys, cuts };
  }

  private computePlanInputs(): string[] | null {
    const hooks = this.hookInputs();
    if (!hooks || this.requiredParkeys.some((k) => k.includes('.'))) return null;
    const dateKeys = hooks.filter((h) => h.dateCuts.length).map((h) => h.dateKeys.join('\u0001'));
    if (new Set(dateKeys).size > 1) return null; // one date per plan key
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
    for (const h of hooks) {
      for (const k of h.keys) names.add(k);
      for (const k of h.dateKeys) names.delete(k);
    }
    return [...names];
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

  private makePlan(headerIn: Header, env: Header): Plan {
    try {
      if (this.omit.fn !== ALWAYS_FALSE && this.omitted(env)) return { kind: 'const', value: null };
      if (this.relevance.fn !== ALWAYS_TRUE && !this.relevant(env))
        return { kind: 'const', value: NOT_FOUND_NA };
      const sel = this.selector;
      if (!(sel instanceof Selector)) return SLOW;
      if (this.precondition === null && sel instanceof UseAfterSelector)
        return { kind: 'cands', cands: [sel], miss: () => SLOW }; // the miss message names the date
      if (!(sel instanceof MatchSelector)) return SLOW;
      let header = headerIn;
      if (this.precondition) {
        header = this.precondition({ ...headerIn }) ?? headerIn;
        if (!this.keepsDate(header, headerIn)) return SLOW;
      }
      const leaf = sel.leafOnce(this.mapIrrelevantToNa(header, header === headerIn ? env : null));
      return this.selectionPlan(headerIn, leaf, true);
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

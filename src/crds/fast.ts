// Integer-coded lookups for getRecommendations. A header is conditioned once (one code per minimised
// key: the index of its conditioned value in a per-key table), then every rmap looks up the tuple of
// its inputs' codes in a hash map of plans built by ReferenceMapping.lookupPlan: a constant answer
// (N/A, omitted, a validation failure) or candidate UseAfter tables searched with the header's date,
// normalised once, each with the plan for when they all miss (do-not-reprocess, fallback hook,
// reffile_required). What a plan cannot express (a message naming the date, nested selectors,
// ambiguity, bad dates) goes through ReferenceMapping.bestRefQuiet on the materialised header, so the
// answers are exactly those of the full CRDS flow.
import { conditionValue } from './condition.ts';
import { type BestRef, isNa, isOmit, NOT_FOUND_NA, type Plan, type ReferenceMapping } from './mapping.ts';
import { type Choice, type Header, Selector, UseAfterSelector } from './selectors.ts';
import { reformatDate } from './timestamp.ts';
import { TupleMap } from './tuple-map.ts';

/** Distinct values interned per key; beyond this a value is "uncoded" and takes the full path. */
const MAX_CODES_PER_KEY = 50_000;
/** Plans per rmap before they are dropped and rebuilt (bounds memory). */
const MAX_PLANS = 200_000;

/** Returned by RmapPlanner.lookup when the full lookup flow must answer. */
export const SLOW: unique symbol = Symbol('slow');

/** Interns the conditioned values of one instrument's minimised keys, one header at a time. */
export class HeaderCoder {
  readonly names: string[];
  /** Current header: code per key (-1: uncoded, value in `overflow`). */
  readonly codes: Int32Array;
  private readonly raw: Map<unknown, number>[];
  private readonly cond: Map<string, number>[];
  private readonly values: string[][];
  private readonly overflow: string[];
  private materialised: Header | null = null;
  private dateKey = '';
  private dateValue: string | null = null;

  constructor(names: string[]) {
    this.names = names;
    this.codes = new Int32Array(names.length);
    this.raw = names.map(() => new Map());
    this.cond = names.map(() => new Map());
    this.values = names.map(() => []);
    this.overflow = names.map(() => '');
  }

  indexOf(name: string): number {
    return this.names.indexOf(name);
  }

  /** Codes `params` (upper-case keys, raw values) as minimiseHeader(conditionHeader(params)) would. */
  encode(params: Record<string, unknown>): void {
    this.materialised = null;
    this.dateKey = '';
    this.hookDateKey = '';
    const names = this.names;
    for (let j = 0; j < names.length; j++) {
      const raw = params[names[j]];
      const code = this.raw[j].get(raw);
      this.codes[j] = code !== undefined ? code : this.intern(j, raw);
    }
  }

  private intern(j: number, raw: unknown): number {
    const v = raw === undefined ? 'UNDEFINED' : conditionValue(raw);
    let code = this.cond[j].get(v);
    if (code === undefined) {
      if (this.values[j].length >= MAX_CODES_PER_KEY) {
        this.overflow[j] = v;
        return -1;
      }
      code = this.values[j].length;
      this.values[j].push(v);
      this.cond[j].set(v, code);
    }
    const t = typeof raw;
    const cacheable = t === 'string' || t === 'number' || t === 'boolean' || t === 'undefined';
    if (cacheable && this.raw[j].size < 4 * MAX_CODES_PER_KEY) this.raw[j].set(raw, code);
    return code;
  }

  /** The current header as a minimised, conditioned Header (built once per header, on demand). */
  header(): Header {
    if (this.materialised) return this.materialised;
    const h: Header = {};
    for (let j = 0; j < this.names.length; j++) h[this.names[j]] = this.value(j);
    this.materialised = h;
    return h;
  }

  private value(j: number): string {
    const c = this.codes[j];
    return c >= 0 ? this.values[j][c] : this.overflow[j];
  }

  private hookDateKey = '';
  private hookDateValue: string | null = null;

  /** The hooks' date: reformat_date('<DATE-OBS> <TIME-OBS>') for key indexes `idx`, or null. */
  hookDate(idx: Int32Array, key: string): string | null {
    if (key === this.hookDateKey) return this.hookDateValue;
    let value: string | null = null;
    if (idx.length === 2 && idx[0] >= 0 && idx[1] >= 0) {
      const a = this.value(idx[0]);
      const b = this.value(idx[1]);
      // Conditioned values are trimmed, so unless one is empty this is UseAfter's date string.
      if (a !== '' && b !== '') return this.date(idx, key);
      try {
        value = reformatDate(`${a} ${b}`);
      } catch {
        value = null;
      }
    }
    this.hookDateKey = key;
    this.hookDateValue = value;
    return value;
  }

  /** UseAfter's normalised date for key indexes `idx`, or null where the selector would raise. */
  date(idx: Int32Array, key: string): string | null {
    if (key === this.dateKey) return this.dateValue;
    let raw = '';
    let value: string | null = null;
    let defined = true;
    for (let i = 0; i < idx.length && defined; i++) {
      const v = idx[i] < 0 ? 'UNDEFINED' : this.value(idx[i]).trim(); // not a key: UseAfter raises
      defined = v !== 'UNDEFINED';
      raw += `${v} `;
    }
    if (defined) {
      try {
        value = reformatDate(raw.trim());
      } catch {
        value = null; // reformatDate's errors are cached objects: no stack capture here
      }
    }
    this.dateKey = key;
    this.dateValue = value;
    return value;
  }
}

/** One candidate of a plan: a UseAfter table (dated) or a terminal answer. */
type Table = { dated: boolean; keys: string[]; results: (BestRef | null)[]; idx: Int32Array; key: string };
type FastPlan =
  | { kind: 0; value: BestRef | null }
  /** `miss` is built on the first miss (from `missOf`): most configurations never need it. */
  | { kind: 1; tables: Table[]; miss: FastPlan | null; missOf: (header: Header) => Plan }
  | { kind: 2 };
const SLOW_PLAN: FastPlan = { kind: 2 };

type Cuts = { idx: Int32Array; key: string; dates: string[] };

function finalResult(t: BestRef): BestRef | null {
  return isNa(t) ? NOT_FOUND_NA : isOmit(t) ? null : t;
}

/** Per-rmap plans keyed by the codes of the rmap's inputs. */
export class RmapPlanner {
  private readonly rmap: ReferenceMapping;
  private readonly coder: HeaderCoder;
  private readonly idx: Int32Array;
  private readonly tuple: Int32Array;
  private readonly plans: TupleMap<FastPlan>;
  private hits = 0;
  private misses = 0;
  private readonly tables = new Map<Selector, Table | null>();

  /** Hooks that compare the date with fixed dates: which side of them the date is on is an input. */
  private readonly cuts: Cuts | null;

  constructor(rmap: ReferenceMapping, coder: HeaderCoder, inputs: string[]) {
    this.rmap = rmap;
    this.coder = coder;
    this.idx = Int32Array.from(inputs, (n) => coder.indexOf(n));
    const cuts = rmap.planDateCuts();
    this.cuts = cuts && {
      idx: Int32Array.from(cuts.keys, (n) => coder.indexOf(n)),
      key: cuts.keys.join('\u0001'),
      dates: cuts.cuts,
    };
    const width = inputs.length + (cuts ? 1 : 0);
    this.tuple = new Int32Array(width);
    this.plans = new TupleMap(width);
  }

  /** The answer for the coder's current header, or SLOW. */
  lookup(): BestRef | null | typeof SLOW {
    let plan = this.plan();
    for (;;) {
      if (plan.kind === 0) return plan.value;
      if (plan.kind === 2) return SLOW;
      const tables = plan.tables;
      for (let t = 0; t < tables.length; t++) {
        const table = tables[t];
        if (!table.dated) return table.results[0];
        const date = this.coder.date(table.idx, table.key);
        if (date === null) return SLOW;
        const keys = table.keys;
        let lo = 0;
        let hi = keys.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (date >= keys[mid]) lo = mid + 1;
          else hi = mid;
        }
        if (lo > 0) return table.results[lo - 1];
      }
      // Every candidate missed: lookup()'s failure handling, planned too. Any header with these
      // inputs gives the same miss plan, so the current one serves to build it.
      if (plan.miss === null) plan.miss = this.build(plan.missOf);
      plan = plan.miss;
    }
  }

  private plan(): FastPlan {
    const idx = this.idx;
    const tuple = this.tuple;
    const codes = this.coder.codes;
    for (let i = 0; i < idx.length; i++) {
      const c = idx[i] < 0 ? 0 : codes[idx[i]];
      if (c < 0) return SLOW_PLAN; // a value past the intern limit: no plan
      tuple[i] = c;
    }
    if (this.cuts) {
      const side = this.cutSide(this.cuts);
      if (side < 0) return SLOW_PLAN;
      tuple[idx.length] = side;
    }
    const hit = this.plans.get(tuple);
    if (hit !== undefined) {
      this.hits++;
      return hit;
    }
    this.misses++;
    const plan = this.build((h) => this.rmap.lookupPlan(h));
    if (this.plans.size >= MAX_PLANS) this.plans.clear();
    this.plans.set(tuple, plan);
    return plan;
  }

  /** Builds a plan from the current header. */
  private build(make: (header: Header) => Plan): FastPlan {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0; // lookup failures raised while planning are control flow
    try {
      return this.convert(make(this.coder.header()));
    } finally {
      Error.stackTraceLimit = limit;
    }
  }

  /** How many of the hooks' cut-over dates the header's date is at or after; -1: no valid date. */
  private cutSide(cuts: Cuts): number {
    const date = this.coder.hookDate(cuts.idx, cuts.key);
    if (date === null) return -1;
    let side = 0;
    while (side < cuts.dates.length && date >= cuts.dates[side]) side++;
    return side;
  }

  private convert(p: Plan): FastPlan {
    if (p.kind === 'const') return { kind: 0, value: p.value };
    if (p.kind !== 'cands') return SLOW_PLAN;
    const tables: Table[] = [];
    for (const c of p.cands) {
      const t = this.table(c);
      if (!t) return SLOW_PLAN;
      tables.push(t);
    }
    return { kind: 1, tables, miss: null, missOf: p.miss };
  }

  /** A candidate as a table: plain UseAfter over terminal choices, or a terminal; else null. */
  private table(c: Choice): Table | null {
    if (!(c instanceof Selector)) {
      return { dated: false, keys: [], results: [finalResult(c)], idx: new Int32Array(0), key: '' };
    }
    let t = this.tables.get(c);
    if (t !== undefined) return t;
    t = null;
    if (c instanceof UseAfterSelector && Object.getPrototypeOf(c) === UseAfterSelector.prototype) {
      const items = c.items();
      if (items.every(([, ch]) => !(ch instanceof Selector))) {
        t = {
          dated: true,
          keys: items.map(([k]) => k),
          results: items.map(([, ch]) => finalResult(ch as BestRef)),
          idx: Int32Array.from(c.params, (p) => this.coder.indexOf(p)),
          key: c.params.join('\u0001'),
        };
      }
    }
    this.tables.set(c, t);
    return t;
  }

  /** Plans pay off when input tuples repeat; an rmap whose tuples almost never do stops planning. */
  get worthwhile(): boolean {
    return this.misses < 20_000 || this.hits * 4 > this.misses;
  }
}

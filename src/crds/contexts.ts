// Context mappings: InstrumentContext (.imap: one rmap per reference type) and PipelineContext (.pmap:
// one imap per instrument), nested mappings loaded lazily through a MappingLoader.
import {
  CrdsError,
  CrdsMappingError,
  CrdsUnknownInstrumentError,
  CrdsUnknownReftypeError,
  IrrelevantReferenceTypeError,
  OmitReferenceTypeError,
} from './errors.ts';
import {
  type BestRef,
  exprEnv,
  isNa,
  isOmit,
  Mapping,
  type MappingLoader,
  NOT_FOUND_NA,
  type ReferenceMapping,
} from './mapping.ts';
import { conditionValue } from './condition.ts';
import { HeaderCoder, RmapPlanner, SLOW } from './fast.ts';
import { type ParsedMapping, PyDict } from './parser.ts';
import { pyStr, pyStrRepr } from './py.ts';
import type { Header } from './selectors.ts';

abstract class ContextMapping extends Mapping {
  protected readonly loader: MappingLoader;
  /** selector keys (lower-cased) -> nested mapping name or special value. */
  readonly selections = new Map<string, string>();
  private readonly loaded = new Map<string, Mapping>();

  constructor(name: string, parsed: ParsedMapping, loader: MappingLoader) {
    super(name, parsed);
    this.loader = loader;
    if (!(parsed.selector instanceof PyDict)) throw new CrdsMappingError(`${name}: selector must be a dict`);
    for (const [k, v] of parsed.selector.entries()) this.selections.set(pyStr(k).toLowerCase(), pyStr(v));
  }

  protected nested(key: string): Mapping {
    let m = this.loaded.get(key);
    if (!m) {
      m = this.loader.load(this.selections.get(key)!);
      this.loaded.set(key, m);
    }
    return m;
  }

  normalKeys(): string[] {
    return [...this.selections].filter(([, v]) => !isNa(v) && !isOmit(v)).map(([k]) => k);
  }

  mappingNames(out: Set<string> = new Set()): Set<string> {
    out.add(this.name);
    for (const k of this.normalKeys()) this.nested(k).mappingNames(out);
    return out;
  }

  referenceNames(out: Set<string> = new Set()): Set<string> {
    for (const k of this.normalKeys()) this.nested(k).referenceNames(out);
    return out;
  }
}

type TypePlan = {
  filekind: string;
  constant: BestRef | null;
  rmap: ReferenceMapping | null;
  planner: RmapPlanner | null;
};

export class InstrumentContext extends ContextMapping {
  readonly kind = 'instrument' as const;
  private required: string[] | null = null;

  get instrument(): string {
    return this.hget('instrument', '');
  }

  filekinds(): string[] {
    return [...this.selections.keys()];
  }

  getRmap(filekindIn: string): ReferenceMapping {
    const filekind = filekindIn.toLowerCase();
    const v = this.selections.get(filekind);
    if (v === undefined) throw new CrdsUnknownReftypeError(`Unknown reference type ${pyStrRepr(filekind)}`);
    if (isNa(v)) throw new IrrelevantReferenceTypeError(`Type '${filekind}' is N/A for '${this.instrument}'`);
    if (isOmit(v)) throw new OmitReferenceTypeError(`Type '${filekind}' is OMITTED for '${this.instrument}'`);
    return this.nested(filekind) as ReferenceMapping;
  }

  /** Union of the parkeys every rmap of the instrument needs (+ the imap's own parkey). */
  requiredParkeys(): string[] {
    if (!this.required) {
      const set = new Set<string>((this.header.parkey as string[]).map(String));
      for (const k of this.normalKeys())
        for (const p of (this.nested(k) as ReferenceMapping).requiredParkeys) set.add(p);
      this.required = [...set].sort();
    }
    return this.required;
  }

  private minKeys: [string, string, string][] | null = null;
  /** [key, lower, upper] for the minimised header (parkey union + the pipeline's instrument key). */
  minimizeKeys(instrumentKey: string): [string, string, string][] {
    this.minKeys ??= [...this.requiredParkeys(), instrumentKey].map((k) => [
      k,
      k.toLowerCase(),
      k.toUpperCase(),
    ]);
    return this.minKeys;
  }

  private allPlan: TypePlan[] | null = null;

  /** What to do per type: a constant (instrument-level N/A / OMIT / unknown) or an rmap lookup. */
  private plan(include?: string[] | null): TypePlan[] {
    if (!include?.length && this.allPlan) return this.allPlan;
    const plan = (include?.length ? include : this.filekinds()).map((fk): TypePlan => {
      const filekind = fk.toLowerCase();
      const v = this.selections.get(filekind);
      if (v !== undefined && isNa(v)) return { filekind, constant: NOT_FOUND_NA, rmap: null, planner: null };
      if (v !== undefined && isOmit(v)) return { filekind, constant: null, rmap: null, planner: null };
      try {
        const rmap = this.getRmap(filekind);
        return { filekind, constant: null, rmap, planner: this.planners.get(rmap) ?? null };
      } catch (e) {
        return { filekind, constant: `NOT FOUND ${(e as Error).message}`, rmap: null, planner: null };
      }
    });
    if (!include?.length) this.allPlan = plan;
    return plan;
  }

  /**
   * Best references for `header`. `minimized` says the header came from minimizeHeader (upper-case
   * parkeys only), so JWST-style dotted keys need aliasing only when the instrument uses them.
   */
  getBestReferences(header: Header, include?: string[] | null, minimized = false): Record<string, BestRef> {
    const refs: Record<string, BestRef> = {};
    const env = minimized && !this.dotted() ? header : exprEnv(header);
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0; // lookup failures are control flow: no stack capture
    try {
      for (const step of this.plan(include)) {
        const ref = step.rmap ? step.rmap.bestRefQuiet(header, env) : step.constant;
        if (ref !== null) refs[step.filekind] = ref;
      }
    } finally {
      Error.stackTraceLimit = limit;
    }
    return refs;
  }

  private coder: HeaderCoder | null = null;
  /** The current coder's planner per rmap (null: that rmap always takes the full flow). */
  private readonly planners = new Map<ReferenceMapping, RmapPlanner | null>();
  private coderKey = '';

  /**
   * getRecommendations for raw `params` whose keys are all upper case: the same answers as
   * getBestReferences(minimised conditioned header, include, true), through integer-coded plans.
   */
  recommend(
    params: Record<string, unknown>,
    instrumentKey: string,
    include?: string[] | null,
  ): Record<string, BestRef> {
    if (this.dotted()) return this.getBestReferences(this.minimized(params, instrumentKey), include, true);
    const coder = this.coderFor(instrumentKey);
    coder.encode(params);
    const all = !include?.length;
    const refs: Record<string, BestRef> = all ? { ...(this.refsTemplate as Record<string, BestRef>) } : {};
    for (const step of this.plan(include)) {
      let ref: BestRef | null | typeof SLOW = step.constant;
      if (step.rmap) {
        ref = step.planner ? step.planner.lookup() : SLOW;
        if (ref === SLOW) ref = this.slowStep(step, coder);
      }
      if (ref !== null) refs[step.filekind] = ref;
      else if (all) delete refs[step.filekind];
    }
    return refs;
  }

  private slowStep(step: TypePlan, coder: HeaderCoder): BestRef | null {
    if (step.planner && !step.planner.worthwhile) {
      step.planner = null;
      this.planners.set(step.rmap as ReferenceMapping, null);
    }
    const header = coder.header();
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0; // lookup failures are control flow: no stack capture
    try {
      return (step.rmap as ReferenceMapping).bestRefQuiet(header, header);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }

  /**
   * Every type's key, in order, on a fast-properties object: results are cloned from it, so they keep
   * V8's fast shape (an object grown key by key past a dozen keys turns into a slower dictionary).
   */
  private refsTemplate: Record<string, BestRef> | null = null;

  /** The coder for this pipeline's instrument key; (re)building it gives every rmap a fresh planner. */
  private coderFor(instrumentKey: string): HeaderCoder {
    if (this.coder && this.coderKey === instrumentKey) return this.coder;
    const coder = new HeaderCoder(this.minimizeKeys(instrumentKey).map((k) => k[0]));
    for (const step of this.plan(null)) {
      const inputs = step.rmap?.planInputNames();
      step.planner = step.rmap && inputs ? new RmapPlanner(step.rmap, coder, inputs) : null;
      if (step.rmap) this.planners.set(step.rmap, step.planner);
    }
    const keys = this.plan(null).map((step) => [step.filekind, '']);
    this.refsTemplate = JSON.parse(JSON.stringify(Object.fromEntries(keys)));
    this.coder = coder;
    this.coderKey = instrumentKey;
    return coder;
  }

  private minimized(params: Record<string, unknown>, instrumentKey: string): Header {
    const min: Header = {};
    for (const k of this.minimizeKeys(instrumentKey)) {
      const raw = params[k[2]];
      min[k[0]] = raw === undefined ? 'UNDEFINED' : conditionValue(raw);
    }
    return min;
  }

  private hasDots: boolean | null = null;
  private dotted(): boolean {
    this.hasDots ??= this.requiredParkeys().some((k) => k.includes('.'));
    return this.hasDots;
  }
}

const INSTRUMENT_KEYWORDS = ['INSTRUME', 'META.INSTRUMENT.NAME', 'INSTRUMENT', 'META_INSTRUMENT_NAME'];
const INSTRUMENT_ALIASES: Record<string, string> = { wfii: 'wfpc2' };

export class PipelineContext extends ContextMapping {
  readonly kind = 'pipeline' as const;

  private instKey: string | null = null;
  get instrumentKey(): string {
    this.instKey ??= String((this.header.parkey as string[])[0]).toUpperCase();
    return this.instKey;
  }

  instruments(): string[] {
    return [...this.selections.keys()];
  }

  private instrumentKeys: string[] | null = null;

  /** `condition` maps raw values when `header` is not conditioned yet. */
  getInstrument(header: Record<string, unknown>, condition?: (v: unknown) => string): string {
    this.instrumentKeys ??= [this.instrumentKey, this.instrumentKey.toLowerCase(), ...INSTRUMENT_KEYWORDS];
    for (const key of this.instrumentKeys) {
      const raw = header[key];
      if (raw === undefined) continue;
      const v = (condition ? condition(raw) : String(raw)).toUpperCase();
      if (v !== 'UNDEFINED') return v;
    }
    throw new CrdsError(
      `Missing '${this.instrumentKey}' keyword in header for determining instrument.`,
      'E_CRDS_INPUT',
      2,
    );
  }

  /** Every header of a batch names the same instrument: remember the last one. */
  private lastImap: { name: string; imap: InstrumentContext } | null = null;

  getImap(instrumentIn: string): InstrumentContext {
    if (this.lastImap?.name === instrumentIn) return this.lastImap.imap;
    const lower = instrumentIn.toLowerCase();
    const instrument = INSTRUMENT_ALIASES[lower] ?? lower;
    const v = this.selections.get(instrument);
    if (v === undefined || isNa(v) || isOmit(v)) {
      throw new CrdsUnknownInstrumentError(
        `Unknown instrument ${pyStrRepr(instrument)} for context ${pyStrRepr(this.name)}`,
      );
    }
    const imap = this.nested(instrument) as InstrumentContext;
    this.lastImap = { name: instrumentIn, imap };
    return imap;
  }

  /** `upperKeys`: every key of `header` is upper case (conditioned), so lower-case look-ups can be skipped. */
  minimizeHeader(header: Header, upperKeys = false): Header {
    const imap = this.getImap(this.getInstrument(header));
    const keys = imap.minimizeKeys(this.instrumentKey);
    const out: Header = {};
    if (upperKeys) for (const k of keys) out[k[0]] = header[k[2]] ?? 'UNDEFINED';
    else for (const [key, lower, upper] of keys) out[key] = header[lower] ?? header[upper] ?? 'UNDEFINED';
    return out;
  }

  getBestReferences(header: Header, include?: string[] | null, minimized = false): Record<string, BestRef> {
    return this.getImap(this.getInstrument(header)).getBestReferences(header, include, minimized);
  }
}

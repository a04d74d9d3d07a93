// Best references the way crds.getrecommendations computes them locally: condition the header,
// minimise it to the instrument's parameter union, then look up each type.
import { conditionHeader, conditionValue, keysAreUpper } from './condition.ts';
import { CrdsMappingError } from './errors.ts';
import { type BestRef, type Mapping, ReferenceMapping } from './mapping.ts';
import { InstrumentContext, PipelineContext } from './contexts.ts';
import type { Header } from './selectors.ts';

export type BestRefs = Record<string, BestRef>;

/**
 * crds.getrecommendations(parameters, reftypes, context) for a loaded context (.pmap, .imap or .rmap).
 * `reftypes` null/empty means every type of the instrument.
 */
export function getRecommendations(
  context: Mapping,
  parameters: Record<string, unknown>,
  reftypes?: string[] | null,
): BestRefs {
  if (context instanceof PipelineContext && keysAreUpper(parameters)) {
    // Same result as condition-then-minimise, conditioning only the keys the instrument uses.
    const imap = context.getImap(context.getInstrument(parameters, conditionValue));
    return imap.recommend(parameters, context.instrumentKey, reftypes);
  }
  const conditioned = conditionHeader(parameters);
  if (context instanceof PipelineContext) {
    const min = context.minimizeHeader(conditioned, true);
    return context.getBestReferences(min, reftypes, true);
  }
  if (context instanceof InstrumentContext) {
    const min: Header = {};
    for (const key of context.requiredParkeys()) min[key] = conditioned[key] ?? 'UNDEFINED';
    return context.getBestReferences(min, reftypes);
  }
  if (context instanceof ReferenceMapping) {
    const ref = context.getBestRef(context.minimizeHeader(conditioned));
    return ref === null ? {} : { [context.filekind]: ref };
  }
  throw new CrdsMappingError(`${context.name} is not a context`);
}

/**
 * A reusable lookup for one context and (optionally) a fixed list of types; the per-call work is
 * conditioning + minimisation + one indexed lookup per type.
 */
export class BestrefsEngine {
  readonly context: PipelineContext;
  constructor(context: PipelineContext) {
    this.context = context;
  }
  run(parameters: Record<string, unknown>, reftypes?: string[] | null): BestRefs {
    return getRecommendations(this.context, parameters, reftypes);
  }
}

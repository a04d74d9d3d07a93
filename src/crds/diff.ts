// `crds diff CTX1 CTX2`: which rules were added, removed or changed, per instrument and type.
import { type Mapping, ReferenceMapping } from './mapping.ts';
import { InstrumentContext, PipelineContext } from './contexts.ts';
import { type Choice, Selector } from './selectors.ts';

export interface RuleChange {
  instrument: string;
  filekind: string;
  change: 'added' | 'deleted' | 'replaced' | 'type added' | 'type deleted' | 'rmap replaced';
  rule: string;
  old?: string;
  new?: string;
}

function terminalText(c: Choice): string {
  return typeof c === 'string' ? c : JSON.stringify(c);
}

/** Rule path (nested selector keys) -> terminal. */
export function flattenRules(m: ReferenceMapping): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (c: Choice, path: string[]) => {
    if (c instanceof Selector) for (const [k, sub] of c.items()) walk(sub, [...path, k]);
    else out.set(path.join(' | '), terminalText(c));
  };
  walk(m.selector instanceof Selector ? m.selector : (m.selector as Choice), []);
  return out;
}

function diffRmaps(
  instrument: string,
  filekind: string,
  a: ReferenceMapping,
  b: ReferenceMapping,
): RuleChange[] {
  const ra = flattenRules(a);
  const rb = flattenRules(b);
  const out: RuleChange[] = [];
  for (const [rule, old] of ra) {
    const neu = rb.get(rule);
    if (neu === undefined) out.push({ instrument, filekind, change: 'deleted', rule, old });
    else if (neu !== old) out.push({ instrument, filekind, change: 'replaced', rule, old, new: neu });
  }
  for (const [rule, neu] of rb)
    if (!ra.has(rule)) out.push({ instrument, filekind, change: 'added', rule, new: neu });
  return out;
}

function diffImaps(a: InstrumentContext, b: InstrumentContext): RuleChange[] {
  const instrument = a.instrument || b.instrument;
  const out: RuleChange[] = [];
  const kinds = new Set([...a.selections.keys(), ...b.selections.keys()]);
  for (const fk of [...kinds].sort()) {
    const va = a.selections.get(fk);
    const vb = b.selections.get(fk);
    if (va === vb) continue;
    if (va === undefined) out.push({ instrument, filekind: fk, change: 'type added', rule: '', new: vb });
    else if (vb === undefined)
      out.push({ instrument, filekind: fk, change: 'type deleted', rule: '', old: va });
    else {
      let ra: ReferenceMapping | null = null;
      let rb: ReferenceMapping | null = null;
      try {
        ra = a.getRmap(fk);
        rb = b.getRmap(fk);
      } catch {
        // one side is N/A or OMIT: report the replacement only
      }
      if (ra && rb) out.push(...diffRmaps(instrument, fk, ra, rb));
      else out.push({ instrument, filekind: fk, change: 'rmap replaced', rule: '', old: va, new: vb });
    }
  }
  return out;
}

/** Differences between two contexts of the same kind (pmap/pmap, imap/imap or rmap/rmap). */
export function diffMappings(a: Mapping, b: Mapping): RuleChange[] {
  if (a instanceof ReferenceMapping && b instanceof ReferenceMapping)
    return diffRmaps(a.instrument, a.filekind, a, b);
  if (a instanceof InstrumentContext && b instanceof InstrumentContext) return diffImaps(a, b);
  if (a instanceof PipelineContext && b instanceof PipelineContext) {
    const out: RuleChange[] = [];
    const instruments = new Set([...a.selections.keys(), ...b.selections.keys()]);
    for (const ins of [...instruments].sort()) {
      const va = a.selections.get(ins);
      const vb = b.selections.get(ins);
      if (va === vb) continue;
      if (va === undefined || vb === undefined) {
        out.push({
          instrument: ins,
          filekind: '*',
          change: va ? 'type deleted' : 'type added',
          rule: '',
          old: va,
          new: vb,
        });
      } else out.push(...diffImaps(a.getImap(ins), b.getImap(ins)));
    }
    return out;
  }
  throw new TypeError(`cannot compare ${a.name} with ${b.name}: different mapping kinds`);
}

// MatchSelector: CRDS Match semantics (weights, ties merged or ambiguous, fall-through on lookup
// misses, header value validation) over a per-parameter bitset index and a trie of seen value tuples.
import { conditionValue } from './condition.ts';
import { AmbiguousMatchError, CrdsMappingError, ValidationError } from './errors.ts';
import { esotericKey, globList, type Matcher, makeMatcher } from './matchers.ts';
import { PyTuple, type PyValue } from './parser.ts';
import { pyFloat, pyListRepr, pyStr, pyStrRepr, pyTupleRepr } from './py.ts';
import {
  type Choice,
  type Header,
  LookupMiss,
  MISSING,
  NO_MATCH,
  Selector,
  type SelectorContext,
  type Terminal,
} from './selector-base.ts';
import { UseAfterSelector } from './dated.ts';

// ------------------------------------------------------------------ Match

export type Candidate = { choice: Choice } | { error: Error };
export type Leaf = { error: Error | null; candidates: Candidate[] };
type Trie = { next: Map<string, Trie>; leaf: Leaf | null };
type Column = { id: number; ok: Uint32Array; hit: Uint32Array; missing: Error | null; invalid: Error | null };

function conditionKeyElement(elem: PyValue): string {
  if (typeof elem === 'string') {
    if ((elem.startsWith('{') && elem.endsWith('}')) || (elem.startsWith('(') && elem.endsWith(')')))
      return elem;
    if (elem.includes('|')) return globList(elem).map(conditionValue).join('|');
    return conditionValue(elem);
  }
  if (elem instanceof PyTuple || Array.isArray(elem)) {
    const items = elem instanceof PyTuple ? elem.items : elem;
    return items.map((x) => conditionValue(pyStr(x))).join('|');
  }
  return conditionValue(pyStr(elem));
}

function tupleLess(a: string[], b: string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return a.length - b.length;
}

export class MatchSelector extends Selector {
  readonly shortName = 'Match';
  private readonly entries: [PyValue, Choice][];
  private readonly ctx: SelectorContext;
  private keys: string[][] = [];
  private rawKeys: PyValue[] = [];
  private choices: Choice[] = [];
  private matchers: Matcher[][] = [];
  private parkeyMap: Record<string, string[]> = {};
  private compiled = false;
  private readonly columns: Map<string, Column>[] = [];
  private readonly merged = new Map<string, Candidate>();
  private nextColumnId = 0;
  /** Ranked candidates per distinct tuple of parameter values (a trie on the values). */
  private readonly outcomes: Trie = { next: new Map(), leaf: null };
  private trieSize = 0;

  constructor(params: string[], entries: [PyValue, Choice][], ctx: SelectorContext) {
    super(params);
    this.ctx = ctx;
    this.entries = entries;
    for (const [rawKey] of entries) {
      const n = rawKey instanceof PyTuple ? rawKey.items.length : 1;
      if (n !== params.length) {
        throw new CrdsMappingError(
          `${ctx.name}: Match key=${rawKeyText(rawKey)} is wrong length for parameters ${pyTupleRepr(params)}`,
        );
      }
    }
  }

  /**
   * Builds the lookup index on first use: conditioned keys in CRDS order, one matcher per field,
   * the per-parameter valid-value lists. Deferred so loading a context stays cheap.
   */
  private compile(): void {
    if (this.compiled) return;
    const rows: { key: string[]; raw: PyValue; choice: Choice }[] = [];
    const seen = new Set<string>();
    for (const [rawKey, choice] of this.entries) {
      let fields: PyValue[] = rawKey instanceof PyTuple ? [...rawKey.items] : [rawKey];
      if (rawKey instanceof PyTuple) fields = this.substitute(fields);
      const key = fields.map(conditionKeyElement);
      const id = key.join('\u0001');
      if (seen.has(id)) {
        throw new CrdsMappingError(`${this.ctx.name}: Key ${pyTupleRepr(key)} appears more than once`);
      }
      seen.add(id);
      rows.push({ key, raw: rawKey, choice });
    }
    rows.sort((a, b) => tupleLess(a.key, b.key));
    for (const r of rows) {
      this.keys.push(r.key);
      this.rawKeys.push(r.raw);
      this.choices.push(r.choice);
      try {
        this.matchers.push(r.key.map(makeMatcher));
      } catch (e) {
        throw new CrdsMappingError(`${this.ctx.name}: ${(e as Error).message}`);
      }
    }
    this.params.forEach((par, i) => {
      let set: Set<string> | null = new Set();
      for (const key of this.keys) {
        if (esotericKey(key[i])) {
          set = null;
          break;
        }
        for (const v of globList(key[i])) set.add(v);
      }
      const prev = this.parkeyMap[par];
      this.parkeyMap[par] = set ? [...set].sort() : [];
      if (prev && prev.length === 0) this.parkeyMap[par] = [];
    });
    this.compiled = true;
  }

  private substitute(fields: PyValue[]): PyValue[] {
    const subs = this.ctx.substitutions;
    for (const parkey of Object.keys(subs)) {
      const which = this.params.indexOf(parkey);
      if (which < 0) continue;
      const old = fields[which];
      if (typeof old === 'string' && Object.hasOwn(subs[parkey], old)) fields[which] = subs[parkey][old];
    }
    return fields;
  }

  items(): [string, Choice][] {
    this.compile();
    return this.rawKeys.map((k, i) => [rawKeyText(k), this.choices[i]]);
  }

  /** The conditioned match tuples, in CRDS order (for tools that enumerate the rules). */
  ruleKeys(): string[][] {
    this.compile();
    return this.keys.map((k) => [...k]);
  }

  /** Values this rmap matches per parameter (CRDS get_parkey_map). */
  parkeyValues(): Record<string, string[]> {
    this.compile();
    return this.parkeyMap;
  }

  /**
   * Per-column index entry for one header value: which rules survive it (status != -1), which count
   * it as a match (status 1), and the validation error the value raises, all computed once per
   * distinct value. A lookup ANDs one bitset per parameter instead of running every rule's matchers.
   */
  private column(i: number, value: string | undefined): Column {
    let cache = this.columns[i];
    if (!cache) cache = this.columns[i] = new Map();
    const id = value ?? MISSING;
    let col = cache.get(id);
    if (col) return col;
    const v = value ?? 'UNDEFINED';
    const n = this.keys.length;
    const words = (n + 31) >>> 5;
    const ok = new Uint32Array(words);
    const hit = new Uint32Array(words);
    for (let k = 0; k < n; k++) {
      const status = this.matchers[k][i].match(v);
      if (status !== -1) ok[k >>> 5] |= 1 << (k & 31);
      if (status === 1) hit[k >>> 5] |= 1 << (k & 31);
    }
    const par = this.params[i];
    let missing: Error | null = null;
    if (value === undefined && !this.parkeyMap[par].includes('N/A')) {
      missing = new ValidationError(
        `${this.shortName} required lookup parameter ${pyStrRepr(par)} is undefined.`,
      );
    }
    let invalid: Error | null = null;
    try {
      this.validateValue(par, v, this.parkeyMap[par]);
    } catch (e) {
      invalid = e as Error;
    }
    col = { id: this.nextColumnId++, ok, hit, missing, invalid };
    if (cache.size > 10_000) cache.clear();
    cache.set(id, col);
    return col;
  }

  select(header: Header): Terminal | LookupMiss {
    const leaf = this.leafFor(header);
    if (leaf.error) throw leaf.error;
    const candidates = leaf.candidates;
    for (let c = 0; c < candidates.length; c++) {
      const cand = candidates[c];
      if ('error' in cand) throw cand.error;
      const r = this.resolve(cand.choice, header);
      if (!(r instanceof LookupMiss)) return r;
    }
    return NO_MATCH;
  }

  /** The validation outcome and ranked candidates for this header's parameter values. */
  leafFor(header: Header): Leaf {
    if (!this.compiled) this.compile();
    const params = this.params;
    // Walk a trie keyed by the parameter values: one Map.get per parameter for a seen tuple.
    let node = this.outcomes;
    for (let i = 0; i < params.length; i++) {
      const v = header[params[i]] ?? MISSING;
      let next = node.next.get(v);
      if (!next) {
        if (++this.trieSize > 500_000) {
          this.outcomes.next.clear();
          this.trieSize = 0;
        }
        next = { next: new Map(), leaf: null };
        node.next.set(v, next);
      }
      node = next;
    }
    node.leaf ??= this.buildLeaf(header);
    return node.leaf;
  }

  /** leafFor without remembering the tuple, for callers that memoise what they build from it. */
  leafOnce(header: Header): Leaf {
    if (!this.compiled) this.compile();
    return this.buildLeaf(header);
  }

  /** Validation outcome and ranked candidates for one value tuple (CRDS check order kept). */
  private buildLeaf(header: Header): Leaf {
    const np = this.params.length;
    const cols: Column[] = new Array(np);
    for (let i = 0; i < np; i++) {
      cols[i] = this.column(i, header[this.params[i]]);
      if (cols[i].missing) return { error: cols[i].missing, candidates: [] };
    }
    for (let i = 0; i < np; i++) if (cols[i].invalid) return { error: cols[i].invalid, candidates: [] };
    return { error: null, candidates: this.rank(this.survivors(cols), cols) };
  }

  /** Rules that survive every column (bitset AND), in rule order. */
  private survivors(cols: Column[]): number[] {
    const np = cols.length;
    const words = (this.keys.length + 31) >>> 5;
    const alive: number[] = [];
    for (let w = 0; w < words; w++) {
      let bits = np ? cols[0].ok[w] : 0xffffffff;
      for (let i = 1; i < np && bits; i++) bits &= cols[i].ok[w];
      while (bits) {
        const k = (w << 5) + (31 - Math.clz32(bits & -bits));
        if (k < this.keys.length) alive.push(k);
        bits &= bits - 1;
      }
    }
    return alive;
  }

  /** Equal-weight groups in ascending weight; ties merged (HST) or ambiguous (other observatories). */
  private rank(alive: number[], cols: Column[]): Candidate[] {
    const groups = new Map<number, number[]>();
    for (const k of alive) {
      let weight = 0;
      for (const c of cols) if (c.hit[k >>> 5] & (1 << (k & 31))) weight--;
      const g = groups.get(weight);
      if (g) g.push(k);
      else groups.set(weight, [k]);
    }
    const candidates: Candidate[] = [];
    for (const w of [...groups.keys()].sort((a, b) => a - b)) {
      const members = groups.get(w)!;
      if (members.length === 1) {
        candidates.push({ choice: this.choices[members[0]] });
      } else if (this.ctx.raiseAmbiguous) {
        candidates.push({ error: new AmbiguousMatchError('More than one match clause matched.') });
      } else {
        const id = members.join(',');
        let merged = this.merged.get(id);
        if (!merged) {
          try {
            merged = { choice: mergeGroup(members.map((k) => this.choices[k])) };
          } catch (e) {
            merged = { error: e as Error };
          }
          this.merged.set(id, merged);
        }
        candidates.push(merged);
      }
    }
    return candidates;
  }

  /** Selector._validate_value for runtime header values. */
  private validateValue(name: string, value: string, valid: string[]): void {
    if (valid.includes(value) || valid.includes(conditionValue(value))) return;
    if (valid.includes('*') || valid.includes('ANY') || valid.includes('N/A')) return;
    if (valid.length === 0) return;
    if (value.startsWith('NOT')) {
      this.validateValue(name, value.slice(3).trim(), valid);
      return;
    }
    if (esotericKey(value) || value === '*' || value === 'ANY' || value === 'N/A') return;
    if (value.toLowerCase().startsWith('between')) {
      const [, v1, v2] = value.split(/\s+/);
      this.validateValue(name, v1, valid);
      this.validateValue(name, v2, valid);
      return;
    }
    if (valid.length === 1 && valid[0].includes(':')) {
      const [lo, hi] = valid[0].split(':').map((x) => pyFloat(x));
      if (lo <= pyFloat(value) && pyFloat(value) <= hi) return;
      throw new ValidationError(
        ` parameter=${pyStrRepr(name)} value =${pyStrRepr(value)} is not in range [${lo} .. ${hi}]`,
      );
    }
    const subs = this.ctx.substitutions[name];
    if (subs && Object.hasOwn(subs, value)) {
      this.validateValue(name, pyStr(subs[value]), valid);
      return;
    }
    throw new ValidationError(
      ` parameter=${pyStrRepr(name)} value=${pyStrRepr(value)} is not in ${pyListRepr(valid)}`,
    );
  }
}

function rawKeyText(k: PyValue): string {
  if (k instanceof PyTuple) return pyTupleRepr(k.items.map(pyStr));
  return pyStr(k);
}

/** Equal-weight candidates: UseAfter tables merge; terminals become a tuple; others are ambiguous. */
function mergeGroup(choices: Choice[]): Choice {
  if (!(choices[0] instanceof Selector))
    return choices.map((c) => (typeof c === 'string' ? c : JSON.stringify(c)));
  let combined = choices[0] as Selector;
  for (const c of choices.slice(1)) {
    if (!(combined instanceof UseAfterSelector) || !(c instanceof UseAfterSelector)) {
      throw new AmbiguousMatchError(
        `More than one match was found at the same weight and ${combined.shortName} does not support merging.`,
      );
    }
    combined = combined.merge(c);
  }
  return combined;
}

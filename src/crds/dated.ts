// Date- and version-ordered selectors: UseAfter (binary search over normalised dates), ClosestTime,
// VersionAfter.
import { InvalidDatetimeError, ValidationError } from './errors.ts';
import { pyStrRepr, pyTupleRepr } from './py.ts';
import { type Choice, type Header, LookupMiss, Selector, type Terminal } from './selector-base.ts';
import { parseDate, reformatDate, toSeconds } from './timestamp.ts';

// ------------------------------------------------------------------ UseAfter family

export type Dated = { key: string; choice: Choice };

/** Every rmap of a dataset normalises the same DATE-OBS/TIME-OBS: remember the last one. */
const lastDate: { header: Header | null; params: string; value: string } = {
  header: null,
  params: '',
  value: '',
};

export class UseAfterSelector extends Selector {
  readonly shortName: string = 'UseAfter';
  protected readonly sel: Dated[];

  protected readonly paramsKey: string;
  constructor(params: string[], sel: Dated[]) {
    super(params);
    this.paramsKey = params.join('\u0001');
    this.sel = [...sel].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  items(): [string, Choice][] {
    return this.sel.map((s) => [s.key, s.choice]);
  }

  protected rawDate(header: Header): string {
    let date = '';
    for (const par of this.params) {
      const hval = (header[par] ?? '').trim();
      if (hval === 'UNDEFINED')
        throw new InvalidDatetimeError(`UseAfter parameter ${pyStrRepr(par)} is UNDEFINED.`);
      date += `${hval} `;
    }
    return date.trim();
  }

  protected lookupDate(header: Header): string {
    for (const name of this.params) {
      if (header[name] === undefined) {
        throw new ValidationError(
          `${this.shortName} required lookup parameter ${pyStrRepr(name)} is undefined.`,
        );
      }
    }
    if (header === lastDate.header && this.paramsKey === lastDate.params) return lastDate.value;
    const raw = this.rawDate(header);
    try {
      const value = reformatDate(raw);
      lastDate.header = header;
      lastDate.params = this.paramsKey;
      lastDate.value = value;
      return value;
    } catch (e) {
      throw new ValidationError(
        `${this.shortName} Invalid date/time format for ${pyTupleRepr(this.params)} value = ${pyStrRepr(raw)} exception is ${pyStrRepr((e as Error).message)}`,
      );
    }
  }

  select(header: Header): Terminal | LookupMiss {
    const date = this.lookupDate(header);
    let lo = 0;
    let hi = this.sel.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (date >= this.sel[mid].key) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return new LookupMiss('useafter', () => `No selection <= ${pyStrRepr(date)}`);
    return this.resolve(this.sel[lo - 1].choice, header);
  }

  /** CRDS UseAfter merge: union by date; on a collision the greater choice (newer file) wins. */
  merge(other: UseAfterSelector): UseAfterSelector {
    const map = new Map<string, Choice>();
    for (const s of this.sel) map.set(s.key, s.choice);
    for (const s of other.sel) {
      const mine = map.get(s.key);
      if (mine === undefined || String(s.choice) > String(mine)) map.set(s.key, s.choice);
    }
    return new UseAfterSelector(
      this.params,
      [...map].map(([key, choice]) => ({ key, choice })),
    );
  }
}

export class ClosestTimeSelector extends UseAfterSelector {
  override readonly shortName = 'ClosestTime';
  private seconds: number[] | null = null;

  override select(header: Header): Terminal | LookupMiss {
    const date = this.lookupDate(header);
    this.seconds ??= this.sel.map((s) => toSeconds(parseDate(s.key)));
    const t = toSeconds(parseDate(date));
    let best = 0;
    let bestDiff = Number.POSITIVE_INFINITY;
    this.seconds.forEach((s, i) => {
      const d = Math.fround(Math.abs(t - s)); // CRDS compares float32 deltas (numpy 'f')
      if (d < bestDiff) {
        bestDiff = d;
        best = i;
      }
    });
    if (this.sel.length === 0) return new LookupMiss('useafter', () => `No selection <= ${pyStrRepr(date)}`);
    return this.resolve(this.sel[best].choice, header);
  }
}

export class VersionAfterSelector extends UseAfterSelector {
  override readonly shortName = 'VersionAfter';
  private readonly versions: number[][];

  constructor(params: string[], sel: Dated[]) {
    super(params, sel);
    this.sel.sort((a, b) => cmpVersion(versionKey(a.key), versionKey(b.key)));
    this.versions = this.sel.map((s) => versionKey(s.key));
  }

  override select(header: Header): Terminal | LookupMiss {
    const raw = this.params.map((p) => header[p] ?? 'UNDEFINED').join('.');
    const v = versionKey(raw);
    let idx = -1;
    this.versions.forEach((k, i) => {
      if (cmpVersion(v, k) >= 0) idx = i;
    });
    if (idx < 0) return new LookupMiss('versionafter', () => `No selection <= ${pyStrRepr(raw)}`);
    return this.resolve(this.sel[idx].choice, header);
  }
}

function versionKey(text: string): number[] {
  const parts = text.split('.').slice(0, 3);
  const out = parts.map((p) => {
    const m = /^\d+/.exec(p);
    if (!m) throw new ValidationError(`Invalid version string ${pyStrRepr(text)}`);
    return Number(m[0]);
  });
  while (out.length < 3) out.push(0);
  return out;
}

function cmpVersion(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

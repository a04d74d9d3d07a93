// getRecommendations' integer-coded plans (src/crds/fast.ts) must answer exactly as the full lookup
// flow: headers built from the rules of hst_0729 (hooks, misses, bad dates, odd values included) are
// looked up through both, on separately loaded contexts so no cache is shared.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  conditionHeader,
  DirectoryLoader,
  getRecommendations,
  type InstrumentContext,
  type PipelineContext,
  ReferenceMapping,
} from '../../src/crds/index.ts';
import { MatchSelector, Selector } from '../../src/crds/selectors.ts';
import { sharedPath, skipUnlessShared } from '../helpers/shared-data.ts';

const skip = skipUnlessShared('crds', 'mappings', 'hst', 'hst_0729.pmap');

let seed = 7;
const rand = () => {
  seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];

/** Values each parameter takes in the instrument's Match rules (plus a few the rules never use). */
function ruleValues(imap: InstrumentContext, matches: MatchSelector[]): Map<string, string[]> {
  const values = new Map<string, Set<string>>();
  const visit = (sel: unknown): void => {
    if (sel instanceof MatchSelector) {
      matches.push(sel);
      for (const [k, vs] of Object.entries(sel.parkeyValues())) {
        if (!values.has(k)) values.set(k, new Set(['N/A', 'UNDEFINED', 'ZZZ']));
        for (const v of vs) values.get(k)!.add(v);
      }
    }
    if (sel instanceof Selector) for (const [, c] of sel.items()) visit(c);
  };
  for (const t of imap.filekinds()) {
    try {
      const r = imap.getRmap(t);
      if (r instanceof ReferenceMapping) visit(r.selector);
    } catch {
      // N/A or OMIT at the instrument level
    }
  }
  return new Map([...values].map(([k, v]) => [k, [...v]]));
}

function header(
  instrument: string,
  imap: InstrumentContext,
  values: Map<string, string[]>,
  matches: MatchSelector[],
) {
  const h: Record<string, string> = { INSTRUME: instrument };
  for (const k of imap.requiredParkeys()) {
    if (rand() < 0.03) continue; // missing keyword
    const vs = values.get(k);
    if (vs) h[k] = pick(vs);
    else if (k.endsWith('CORR')) h[k] = pick(['PERFORM', 'OMIT', 'COMPLETE']);
  }
  // Overlay two rules (a flat-field and a bias rule, say) so that lookups also find files.
  for (const sel of [pick(matches), pick(matches)]) {
    const key = pick(sel.ruleKeys());
    if (!key) continue;
    sel.params.forEach((p, i) => {
      const field = key[i];
      if (/^[{(#]|^NOT|^BETWEEN|[*?[]/i.test(field) || field === 'N/A') return;
      h[p] = pick(field.split('|'));
    });
  }
  if (rand() < 0.3) h.CCDGAIN = pick(['0.5', '1.4', '2', '4.0']);
  return h;
}

/** The configuration at three dates (plans must not carry an answer across dates). */
function dated(h: Record<string, string>): Record<string, string>[] {
  return [0, 1, 2].map(() => {
    const day = new Date(Date.UTC(1990, 0, 1) + Math.floor(rand() * 12000) * 86400000);
    const bad = rand() < 0.05;
    return {
      ...h,
      'DATE-OBS': bad ? pick(['UNDEFINED', '2002-13-01', 'garbage']) : day.toISOString().slice(0, 10),
      'TIME-OBS': `${String(Math.floor(rand() * 24)).padStart(2, '0')}:00:00`,
    };
  });
}

test('coded plans answer exactly as the full lookup flow (hst_0729, rule-derived headers)', { skip }, () => {
  const dir = join(sharedPath('crds')!, 'mappings', 'hst');
  const coded = new DirectoryLoader({ dirs: [dir] }).load('hst_0729.pmap') as PipelineContext;
  const full = new DirectoryLoader({ dirs: [dir] }).load('hst_0729.pmap') as PipelineContext;
  const differences: string[] = [];
  for (const instrument of ['ACS', 'WFC3', 'WFPC2', 'COS', 'STIS']) {
    const imap = coded.getImap(instrument);
    const matches: MatchSelector[] = [];
    const values = ruleValues(imap, matches);
    const headers = Array.from({ length: 300 }, () =>
      dated(header(instrument, imap, values, matches)),
    ).flat();
    // Twice: the second pass answers from plans built in the first.
    for (const h of [...headers, ...headers]) {
      const got = getRecommendations(coded, h, null);
      const want = full.getBestReferences(full.minimizeHeader(conditionHeader(h), true), null, true);
      if (JSON.stringify(got) !== JSON.stringify(want) && differences.length < 5)
        differences.push(
          `${JSON.stringify(h)}\n  coded ${JSON.stringify(got)}\n  full  ${JSON.stringify(want)}`,
        );
    }
  }
  assert.deepEqual(differences, []);
});

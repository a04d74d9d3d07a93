// CRDS benchmark: (1) parse + sha1-verify all mappings of hst_0729.pmap; (2) bestrefs for ACS with all
// 22 types over thousands of distinct headers built from the rules themselves. Prints the numbers.
// Run: npx node bench/crds.ts [--headers N] [--data DIR]
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { getRecommendations } from '../src/crds/bestrefs.ts';
import { DirectoryLoader } from '../src/crds/loader.ts';
import { parseMapping, verifyChecksum } from '../src/crds/parser.ts';
import { ReferenceMapping } from '../src/crds/mapping.ts';
import type { InstrumentContext, PipelineContext } from '../src/crds/contexts.ts';
import { MatchSelector, type Selector } from '../src/crds/selectors.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const dataDir = resolve(opt('--data', join(import.meta.dirname, '..', '..', 'shared', 'data', 'crds')));
const nHeaders = Number(opt('--headers', '5000'));
const hstDir = join(dataDir, 'mappings', 'hst');
if (!existsSync(join(hstDir, 'hst_0729.pmap'))) {
  console.log(`crds bench skipped: ${hstDir}/hst_0729.pmap absent`);
  process.exit(0);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

// ---- 1. parse + verify the 137-file closure ----
const closure = [
  ...(new DirectoryLoader({ dirs: [hstDir] }).load('hst_0729.pmap') as PipelineContext).mappingNames(),
];
const texts = closure.map((n) => readFileSync(join(hstDir, n), 'utf8'));
const parseTimes: number[] = [];
const loadTimes: number[] = [];
for (let rep = 0; rep < 7; rep++) {
  let t0 = performance.now();
  texts.forEach((t, i) => {
    verifyChecksum(t, parseMapping(t, closure[i]).header, closure[i]);
  });
  parseTimes.push(performance.now() - t0);
  t0 = performance.now();
  const loader = new DirectoryLoader({ dirs: [hstDir] });
  (loader.load('hst_0729.pmap') as PipelineContext).mappingNames(); // read + parse + verify + build objects
  loadTimes.push(performance.now() - t0);
}
console.log(
  `mappings: ${closure.length} files, ${(texts.reduce((a, t) => a + t.length, 0) / 1e6).toFixed(2)} MB`,
);
console.log(
  `parse+verify (text in memory): first ${parseTimes[0].toFixed(1)} ms, median ${median(parseTimes).toFixed(1)} ms`,
);
console.log(
  `load context closure from disk (read+parse+verify+objects): first ${loadTimes[0].toFixed(1)} ms, median ${median(loadTimes).toFixed(1)} ms`,
);

// ---- 2. ACS bestrefs over headers built from the rules ----
const loader = new DirectoryLoader({ dirs: [hstDir] });
const pmap = loader.load('hst_0729.pmap') as PipelineContext;
const imap = pmap.getImap('ACS') as InstrumentContext;
const types = imap.filekinds();
const values = new Map<string, Set<string>>();
const add = (k: string, v: string) => {
  if (!values.has(k)) values.set(k, new Set());
  if (!/[*|#{(]|^NOT|^BETWEEN|^N\/A$/i.test(v)) values.get(k)!.add(v);
};
function collect(sel: Selector | unknown): void {
  if (sel instanceof MatchSelector) {
    for (const [k, vs] of Object.entries(sel.parkeyValues())) for (const v of vs) add(k, v);
  }
  if (sel && typeof sel === 'object' && 'items' in sel) {
    for (const [, c] of (sel as Selector).items()) collect(c);
  }
}
for (const t of types) {
  try {
    const r = imap.getRmap(t);
    if (r instanceof ReferenceMapping) collect(r.selector);
  } catch {
    // N/A or OMIT type at the instrument level
  }
}
for (const k of imap.requiredParkeys())
  if (k.endsWith('CORR')) values.set(k, new Set(['PERFORM', 'OMIT', 'COMPLETE']));
let seed = 12345;
const rand = () => {
  seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff; // exact 32-bit LCG
  return seed / 0x7fffffff;
};
const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
function randomDate(h: Record<string, string>): void {
  const d = new Date(
    Date.UTC(1996, 0, 1) + Math.floor(rand() * 9000) * 86400000 + Math.floor(rand() * 86400) * 1000,
  );
  h['DATE-OBS'] = d.toISOString().slice(0, 10);
  h['TIME-OBS'] = d.toISOString().slice(11, 19);
}

/** A concrete value for one rule field ('A|B' -> one of them; '*' / esoteric -> any value in use). */
function concrete(par: string, field: string): string {
  if (field === 'N/A') return 'N/A';
  if (field.includes('|') && !/^[{(#]/.test(field)) return pick(field.split('|'));
  if (/[*#{(]|^NOT|^BETWEEN/i.test(field)) return pick([...(values.get(par) ?? new Set(['N/A']))]);
  return field;
}

function rulesOf(type: string): { params: string[]; keys: string[][] } {
  const r = imap.getRmap(type);
  const sel = r.selector as MatchSelector;
  return { params: sel.params, keys: sel.ruleKeys() };
}
const pflt = rulesOf('pfltfile');
const bias = rulesOf('biasfile');

/**
 * Realistic: each header is an observing configuration taken from the rules — a flat-field rule
 * (detector, amps, filters, obstype, wheel offsets) plus a bias rule for the same detector (gain,
 * aperture, geometry) — with random switches and a random date.
 */
function ruleHeader(): Record<string, string> {
  const h: Record<string, string> = { INSTRUME: 'ACS' };
  const fk = pick(pflt.keys);
  pflt.params.forEach((p, i) => {
    h[p] = concrete(p, fk[i]);
  });
  const sameDet = bias.keys.filter((k) => k[0] === h.DETECTOR);
  if (sameDet.length) {
    const bk = pick(sameDet);
    bias.params.forEach((p, i) => {
      if (p !== 'DETECTOR') h[p] = concrete(p, bk[i]);
    });
  }
  for (const k of imap.requiredParkeys()) {
    if (k.endsWith('CORR')) h[k] = rand() < 0.85 ? 'PERFORM' : 'OMIT';
  }
  h.FLASHCUR = rand() < 0.8 ? 'OFF' : pick([...(values.get('FLASHCUR') ?? new Set(['OFF']))]);
  h.SHUTRPOS = pick(['A', 'B']);
  randomDate(h);
  return h;
}

/** Stress: every keyword drawn independently from the values the rules use (mostly invalid combos). */
function independentHeader(): Record<string, string> {
  const h: Record<string, string> = { INSTRUME: 'ACS' };
  for (const k of imap.requiredParkeys()) {
    const vs = [...(values.get(k) ?? [])];
    if (vs.length) h[k] = pick(vs);
  }
  randomDate(h);
  return h;
}

function distinct(make: () => Record<string, string>): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  const seen = new Set<string>();
  for (let tries = 0; out.length < nHeaders && tries < nHeaders * 20; tries++) {
    const h = make();
    const id = JSON.stringify(h);
    if (!seen.has(id)) {
      seen.add(id);
      out.push(h);
    }
  }
  return out;
}

/** One pass over all headers; rate from this thread's CPU time (the machine may be shared). */
function pass(headers: Record<string, string>[]): { rate: number; wallRate: number; found: number } {
  let found = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (const h of headers) {
    const r = getRecommendations(pmap, h, null);
    for (const k in r) {
      const v = r[k];
      if (typeof v === 'string' && v.charCodeAt(0) !== 78) found++; // not "NOT FOUND ..."
    }
  }
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  return { rate: headers.length / cpu, wallRate: headers.length / wall, found };
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
for (const [label, headers] of [
  ['rule-derived configurations', distinct(ruleHeader)],
  ['independent random values (stress)', distinct(independentHeader)],
] as const) {
  const first = pass(headers);
  const rates: number[] = [];
  const wallRates: number[] = [];
  for (let i = 0; i < 7; i++) {
    const p = pass(headers);
    rates.push(p.rate);
    wallRates.push(p.wallRate);
  }
  console.log(
    `ACS bestrefs, ${label}: ${headers.length} distinct headers x ${types.length} types, ${first.found} files found per pass`,
  );
  console.log(`  first pass (cold: indexes built on the fly): ${fmt(first.rate)} headers per CPU-second`);
  console.log(
    `  steady state (median of 7 passes): ${fmt(median(rates))} headers per CPU-second (wall clock ${fmt(median(wallRates))}/s)`,
  );
}
console.log('  reference: CRDS 13.2.7 ~1,100 headers/s; goal >= 110,000 headers/s');

// Match semantics on small hand-written rmaps (checksums computed here), hooks-free.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DirectoryLoader,
  mappingFromText,
  ReferenceMapping,
  setWarningHandler,
} from '../../src/crds/index.ts';
import { resum } from './helpers.ts';

const loader = new DirectoryLoader({ dirs: [] });

function rmap(
  selector: string,
  extra = '',
  observatory = 'HST',
  parkey = "(('A', 'B'), ('DATE-OBS', 'TIME-OBS'))",
) {
  const text = `header = {
    'derived_from' : 'test',
    'filekind' : 'DARKFILE',
    'instrument' : 'ACS',
    'mapping' : 'REFERENCE',
    'name' : 'test_darkfile.rmap',
    'observatory' : '${observatory}',
    'parkey' : ${parkey},
    'sha1sum' : '0',
${extra}}

selector = ${selector}
`;
  const m = mappingFromText(resum(text), 'test_darkfile.rmap', loader);
  assert.ok(m instanceof ReferenceMapping);
  return m;
}

const UA = (f: string) => `UseAfter({ '2000-01-01 00:00:00' : '${f}' })`;
const DATE = { 'DATE-OBS': '2005-01-01', 'TIME-OBS': '00:00:00' };

test('exact, glob, alternatives, regex, literal and relational keys', () => {
  const m = rmap(`Match({
    ('HRC', 'F5*') : ${UA('glob.fits')},
    ('HRC', 'F606W|F814W') : ${UA('alt.fits')},
    ('WFC', '(CLEAR[12]L)') : ${UA('regex.fits')},
    ('WFC', '{A|B}') : ${UA('literal.fits')},
    ('SBC', '# >1 and <=20 #') : ${UA('rel.fits')},
    ('SBC', 'BETWEEN 100 200') : ${UA('between.fits')},
    ('MAMA', 'NOT X') : ${UA('not.fits')},
  })`);
  const look = (a: string, b: string) => m.getBestRef({ A: a, B: b, ...DATE });
  assert.equal(look('HRC', 'F555W'), 'glob.fits');
  assert.equal(look('HRC', 'F814W'), 'alt.fits');
  assert.equal(look('WFC', 'CLEAR2L'), 'regex.fits');
  assert.equal(look('WFC', 'A|B'), 'literal.fits');
  assert.equal(look('SBC', '20.0'), 'rel.fits');
  assert.equal(look('SBC', '150.0'), 'between.fits');
  assert.equal(look('SBC', '200.0'), 'NOT FOUND No match found.'); // BETWEEN excludes its upper bound
  assert.equal(look('MAMA', 'Y'), 'not.fits');
  assert.equal(look('MAMA', 'X'), 'NOT FOUND No match found.');
});

test("weights: exact beats N/A-don't-care; ties merge UseAfter tables (HST)", () => {
  const m = rmap(`Match({
    ('HRC', 'N/A') : UseAfter({ '2000-01-01 00:00:00' : 'weak.fits' }),
    ('HRC', 'F1') : UseAfter({ '2001-01-01 00:00:00' : 'strong.fits' }),
    ('WFC', 'F1|F2') : UseAfter({ '2001-01-01 00:00:00' : 'a.fits' }),
    ('WFC', 'F1|F3') : UseAfter({ '2003-01-01 00:00:00' : 'b.fits' }),
  })`);
  assert.equal(m.getBestRef({ A: 'HRC', B: 'F1', ...DATE }), 'strong.fits');
  assert.equal(
    m.getBestRef({ A: 'HRC', B: 'F1', 'DATE-OBS': '2000-06-01', 'TIME-OBS': '00:00:00' }),
    'weak.fits',
  );
  assert.equal(m.getBestRef({ A: 'WFC', B: 'F1', ...DATE }), 'b.fits');
  assert.equal(
    m.getBestRef({ A: 'WFC', B: 'F1', 'DATE-OBS': '2002-01-01', 'TIME-OBS': '00:00:00' }),
    'a.fits',
  );
});

test('ties are ambiguous outside HST', () => {
  const m = rmap(
    `Match({ ('WFC', 'F1|F2') : ${UA('a.fits')}, ('WFC', 'F1|F3') : ${UA('b.fits')} })`,
    '',
    'JWST',
  );
  assert.equal(m.getBestRef({ A: 'WFC', B: 'F1', ...DATE }), 'NOT FOUND More than one match clause matched.');
});

test('value validation and missing parameters read as CRDS words them', () => {
  const m = rmap(`Match({ ('HRC', 'F1') : ${UA('a.fits')} })`);
  assert.equal(
    m.getBestRef({ A: 'WFC', B: 'F1', ...DATE }),
    "NOT FOUND  parameter='A' value='WFC' is not in ['HRC']",
  );
  assert.equal(
    m.getBestRef({ B: 'F1', ...DATE }),
    "NOT FOUND Match required lookup parameter 'A' is undefined.",
  );
});

test('relevance, omit, parkey_relevance and bad expressions (warn and default)', () => {
  const warnings: string[] = [];
  setWarningHandler((w) => warnings.push(w));
  try {
    const sel = `Match({ ('HRC', 'N/A') : ${UA('na-b.fits')}, ('HRC', 'F1') : ${UA('f1.fits')} })`;
    const relevant = rmap(sel, "    'rmap_relevance' : '(A == \"HRC\")',\n");
    assert.equal(relevant.getBestRef({ A: 'WFC', B: 'F1', ...DATE }), 'NOT FOUND n/a');
    const omitted = rmap(sel, '    \'rmap_omit\' : \'(A in ["HRC", "X"])\',\n');
    assert.equal(omitted.getBestRef({ A: 'HRC', B: 'F1', ...DATE }), null);
    const pr = rmap(sel, "    'parkey_relevance' : { 'b' : '(A != \"HRC\")' },\n");
    assert.equal(pr.getBestRef({ A: 'HRC', B: 'F1', ...DATE }), 'na-b.fits');
    const bad = rmap(sel, "    'rmap_relevance' : '(A ==== 1)',\n");
    assert.equal(bad.getBestRef({ A: 'HRC', B: 'F1', ...DATE }), 'f1.fits');
    assert.ok(warnings.some((w) => w.startsWith('Relevance check failed')));
  } finally {
    setWarningHandler(() => {});
  }
});

test('reffile_required NO turns a failed lookup into n/a; N/A and OMIT terminals', () => {
  const sel = `Match({ ('HRC', 'F1') : UseAfter({ '2000-01-01 00:00:00' : 'N/A', '2001-01-01 00:00:00' : 'OMIT', '2002-01-01 00:00:00' : 'x.fits' }) })`;
  const req = rmap(sel, "    'reffile_required' : 'NO',\n");
  assert.equal(
    req.getBestRef({ A: 'HRC', B: 'F1', 'DATE-OBS': '1999-01-01', 'TIME-OBS': '00:00:00' }),
    'NOT FOUND n/a',
  );
  assert.equal(
    req.getBestRef({ A: 'HRC', B: 'F1', 'DATE-OBS': '2000-06-01', 'TIME-OBS': '00:00:00' }),
    'NOT FOUND n/a',
  );
  assert.equal(req.getBestRef({ A: 'HRC', B: 'F1', 'DATE-OBS': '2001-06-01', 'TIME-OBS': '00:00:00' }), null);
  assert.equal(req.getBestRef({ A: 'HRC', B: 'F1', ...DATE }), 'x.fits');
  const strict = rmap(sel, "    'reffile_required' : 'YES',\n");
  assert.equal(
    strict.getBestRef({ A: 'HRC', B: 'F1', 'DATE-OBS': '1999-01-01', 'TIME-OBS': '00:00:00' }),
    'NOT FOUND No match found.',
  );
});

test('substitutions rewrite rule values before matching', () => {
  const m = rmap(
    `Match({ ('HRC', 'GENERIC') : ${UA('g.fits')}, ('HRC', 'FULL') : ${UA('full.fits')} })`,
    "    'substitutions' : { 'B' : { 'GENERIC' : 'N/A' } },\n",
  );
  assert.equal(m.getBestRef({ A: 'HRC', B: 'SUB1', ...DATE }), 'g.fits'); // GENERIC became N/A: don't care
  assert.equal(m.getBestRef({ A: 'HRC', B: 'FULL', ...DATE }), 'full.fits');
});

// Mapping parser, checksums, and the Python-compatible pieces (float repr, conditioning, dates).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  conditionValue,
  CrdsChecksumError,
  CrdsMappingError,
  DirectoryLoader,
  mappingChecksum,
  parseMapping,
  PipelineContext,
  pyFloatRepr,
  reformatDate,
  verifyChecksum,
} from '../../src/crds/index.ts';
import { sharedPath, skipUnlessShared } from '../helpers/shared-data.ts';
import { resum } from './helpers.ts';

const skip = skipUnlessShared('crds', 'mappings');

for (const obs of ['hst', 'jwst', 'tobs']) {
  test(`every ${obs} mapping parses and its sha1sum verifies`, { skip }, () => {
    const dir = join(sharedPath('crds', 'mappings')!, obs);
    const files = readdirSync(dir).filter((f) => /\.[pir]map$/.test(f));
    assert.ok(files.length > 0);
    const loader = new DirectoryLoader({ dirs: [dir] });
    for (const f of files) {
      const text = readFileSync(join(dir, f), 'utf8');
      verifyChecksum(text, parseMapping(text, f).header, f);
      loader.load(f);
    }
  });
}

test('hst_0729.pmap closure has 137 mappings and is self-consistent', { skip }, () => {
  const loader = new DirectoryLoader({ dirs: [join(sharedPath('crds', 'mappings')!, 'hst')] });
  const pmap = loader.load('hst_0729.pmap');
  assert.ok(pmap instanceof PipelineContext);
  assert.equal(pmap.mappingNames().size, 137);
  assert.ok(pmap.referenceNames().size > 10000);
});

test('a tampered mapping fails its checksum', { skip }, () => {
  const f = join(sharedPath('crds', 'mappings')!, 'hst', 'hst_acs_0421.imap');
  const text = readFileSync(f, 'utf8').replace('m4', 'm4');
  const bad = text.replace(
    "'bpixtab' : 'hst_acs_bpixtab_0252.rmap'",
    "'bpixtab' : 'hst_acs_bpixtab_0251.rmap'",
  );
  assert.throws(() => verifyChecksum(bad, parseMapping(bad, 'x.imap').header, 'x.imap'), CrdsChecksumError);
  verifyChecksum(resum(bad), parseMapping(resum(bad), 'x.imap').header, 'x.imap');
});

test('checksum skips exactly the lines containing sha1sum', () => {
  const a = "header = {\n    'sha1sum' : 'x',\n    'name' : 'a',\n}\n";
  const b = "header = {\n    'sha1sum' : 'yyyy',\n    'name' : 'a',\n}\n";
  assert.equal(mappingChecksum(a), mappingChecksum(b));
  assert.notEqual(mappingChecksum(a), mappingChecksum(a.replace("'a'", "'b'")));
});

test('malformed mappings give errors naming file and line', () => {
  const cases: [string, RegExp][] = [
    ["header = {\n  'a' : 'b',\n  'c' = 'd'\n}\nselector = {}\n", /bad\.rmap: line 3: expected ':'/],
    ["header = {\n  'a' : 'b\n}\n", /line 2: end of line inside a string/],
    ['header = {}\nselector = Foo({})\n', /line 2: unknown selector class 'Foo'/],
    ["header = {}\nselector = __import__('os')\n", /line 2: unknown selector class '__import__'/],
    ['header = {}\nselector = os\n', /line 2: name 'os' is not allowed/],
    ["header = {}\nselector = {\n\n  'x' : 1 +\n", /line \d+: /],
    ['header = {}\n', /'selector' missing/],
  ];
  for (const [text, re] of cases) {
    assert.throws(
      () => parseMapping(text, 'bad.rmap'),
      (e: unknown) => e instanceof CrdsMappingError && re.test((e as Error).message),
    );
  }
});

test('parser: literals, tuples, nested calls, comments, duplicate keys (last wins)', () => {
  const text = `# comment
header = {
    'parkey' : (('A', 'B'), ('DATE-OBS',)),  # trailing
    'n' : -3, 'f' : 1.5e3, 't' : True, 'none' : None, 'empty' : (), 'one' : ('x',),
    'dup' : 1, 'dup' : 2,
    'cat' : 'ab' "cd",
}
comment = """multi
line"""
selector = Match({ ('1', 2.0) : UseAfter({ '2001-01-01 00:00:00' : 'f.fits' }) })
`;
  const p = parseMapping(text, 't.rmap');
  assert.equal(p.header.get('n'), -3n);
  assert.equal(p.header.get('f'), 1500);
  assert.equal(p.header.get('t'), true);
  assert.equal(p.header.get('none'), null);
  assert.equal(p.header.get('dup'), 2n);
  assert.equal(p.header.get('cat'), 'abcd');
  assert.equal(p.comment, 'multi\nline');
});

test('Python float repr', () => {
  const cases: [number, string][] = [
    [2, '2.0'],
    [0.00001, '1e-05'],
    [0.0001, '0.0001'],
    [1e16, '1e+16'],
    [1234567890123456, '1234567890123456.0'],
    [1.5, '1.5'],
    [-0.5, '-0.5'],
    [0.1 + 0.2, '0.30000000000000004'],
    [1.25e-7, '1.25e-07'],
    [Number.POSITIVE_INFINITY, 'inf'],
  ];
  for (const [x, s] of cases) assert.equal(pyFloatRepr(x), s);
});

test('condition_value', () => {
  const cases: [unknown, string][] = [
    ['2', '2.0'],
    [' 2.0 ', '2.0'],
    ['+2', '2.0'],
    ['2.', '2.0'],
    ['0.00001', '1e-05'],
    ['hrc', 'HRC'],
    ['ANY', '*'],
    ['N/A', 'N/A'],
    ['NOT APPLICABLE', 'N/A'],
    ['NOT_APPLICABLE', 'N/A'],
    ['4294967295', '-1.0'],
    ['true', 'T'],
    [false, 'F'],
    [1, '1.0'],
    ['iref$uaf12559i_drk.fits', 'IREF$UAF12559I_DRK.FITS'],
    ['2013-11-05 15:21:34', '2013-11-05 15:21:34'],
  ];
  for (const [v, want] of cases) assert.equal(conditionValue(v), want, String(v));
});

test('date spellings CRDS accepts', () => {
  const cases: [string, string][] = [
    ['2002-03-19 00:34:31', '2002-03-19 00:34:31'],
    ['2002/03/19 00:34:31', '2002-03-19 00:34:31'],
    ['03/19/2002 00:34:31', '2002-03-19 00:34:31'],
    ['19/03/02 00:34:31', '2002-03-19 00:34:31'],
    ['19/03/98', '1998-03-19 00:00:00'],
    ['MAR 19 2002 00:34:31', '2002-03-19 00:34:31'],
    ['Feb 08 2006 01:02PM', '2006-02-08 13:02:00'],
    ['2002-03-19T00:34:31.5', '2002-03-19 00:34:31.500000'],
    ['19970114:053714', '1997-01-14 05:37:14'],
    ['Dec 01 1993 00:00:00 UT', '1993-12-01 00:00:00'],
  ];
  for (const [d, want] of cases) assert.equal(reformatDate(d), want, d);
  assert.throws(() => reformatDate('2003-09-35 01:28:00'), /day is out of range for month/);
  assert.throws(() => reformatDate('4.5'), /Unknown numerical date format: '4.5'/);
  assert.throws(() => reformatDate('2008-10-15 UNDEFINED'), /UNDEFINED/);
});

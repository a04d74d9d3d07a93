// Card grammar and header round trips: values parse as astropy parses them, new cards format so
// they read back the same, and unmodified headers serialise byte-identically.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Card, FitsError, Header, openFits } from '../../src/fits/index.ts';
import { truthCases } from '../helpers/fits-truth.ts';
import { skipUnlessShared } from '../helpers/shared-data.ts';

const card = (s: string) => Card.parse([s.padEnd(80)]);

describe('card values', () => {
  test('logical, integer, float, D exponent, complex, undefined', () => {
    assert.equal(card('SIMPLE  =                    T').value, true);
    assert.equal(card('A       =                  -42 / c').value, -42);
    assert.equal(card('A       =  9223372036854775807').value, 9223372036854775807n);
    assert.equal(card('A       =              1.0D+10').value, 1e10);
    assert.equal(card('A       =                  1E3').value, 1000);
    assert.deepEqual(card('A       =      (1.5E0, 2.5D1)').value, { re: 1.5, im: 25 });
    assert.equal(card('A       =                      / undefined').value, null);
    assert.equal(card('A       =                      / undefined').comment, 'undefined');
  });

  test('strings: doubled quotes, slashes inside, trailing blanks dropped, leading kept', () => {
    assert.equal(card("A       = 'O''HARA'           / q").value, "O'HARA");
    assert.equal(card("A       = 'a/b/c'  / c").value, 'a/b/c');
    assert.equal(card("A       = '  lead   '").value, '  lead');
    assert.equal(card("A       = '        '").value, '');
  });

  test('commentary cards and HIERARCH', () => {
    const c = card("COMMENT   anything = 'x' / y");
    assert.equal(c.key, 'COMMENT');
    assert.equal(c.value, "  anything = 'x' / y");
    const h = card("HIERARCH ESO DET CHIP NAME = 'CCD-44' / chip");
    assert.equal(h.key, 'ESO DET CHIP NAME');
    assert.equal(h.value, 'CCD-44');
    assert.equal(h.comment, 'chip');
  });

  test('unparsable values are kept as text and reported', () => {
    const c = card('SKEW    = -1.38E+00, -1.69E+00 /Measure of skew');
    assert.equal(c.value, '-1.38E+00, -1.69E+00');
    assert.ok(c.problems.some((p) => p.includes('unparsable')));
  });
});

describe('card formatting', () => {
  test('numbers format as astropy does', () => {
    assert.equal(Card.create('A', 1.5).image.slice(0, 30), `A       = ${'1.5'.padStart(20)}`);
    assert.equal(Card.create('A', 1e-10).image.slice(10, 30).trim(), '1.0E-10');
    assert.equal(Card.create('A', 2, '', { float: true }).image.slice(10, 30).trim(), '2.0');
    assert.throws(() => Card.create('A', Number.NaN), FitsError);
  });

  test('long strings use CONTINUE and read back', () => {
    const text = "It's ".repeat(40);
    const c = Card.create('LONG', text, 'a comment that is long enough to need its own card maybe'.repeat(2));
    assert.ok(c.images.length > 2);
    for (const img of c.images) assert.equal(img.length, 80);
    const back = Header.fromImages([...c.images]).cards[0];
    assert.equal(back.value, text.trimEnd());
    assert.equal(back.comment, c.comment);
  });

  test('random cards round-trip (property)', () => {
    const key = fc
      .stringMatching(/^[A-Z][A-Z0-9_-]{0,7}$/)
      .filter((k) => !['COMMENT', 'HISTORY', 'CONTINUE', 'END'].includes(k));
    const printable = fc.string({
      unit: fc.constantFrom(..." abcXYZ019'&/=()-_.".split('')),
      maxLength: 200,
    });
    const value = fc.oneof(
      fc.boolean(),
      fc.integer(),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).filter((b) => b > 2n ** 53n || b < -(2n ** 53n)),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      printable,
    );
    const comment = fc
      .string({ unit: fc.constantFrom(...' abc/='.split('')), maxLength: 40 })
      .map((s) => s.trim());
    fc.assert(
      fc.property(key, value, comment, (k, v, c) => {
        const made = Card.create(k, v, c);
        const back = Header.fromImages([...made.images]).cards[0];
        assert.equal(back.key, k);
        if (typeof v === 'string') assert.equal(back.value, v.trimEnd());
        else if (typeof v === 'number') assert.equal(Number(back.value), Object.is(v, -0) ? 0 : v);
        else assert.equal(back.value, v);
        if (typeof v !== 'string' || made.images.length === 1) assert.equal(back.comment, c);
      }),
      { numRuns: 500 },
    );
  });
});

describe('headers of real files', { skip: skipUnlessShared('fits', 'truth') }, () => {
  test('re-serialising an unmodified header is byte-identical', () => {
    for (const { name, path } of truthCases()) {
      if (name.endsWith('.gz')) continue;
      const bytes = readFileSync(path);
      const f = openFits(path);
      for (const hdu of f.hdus) {
        const original = bytes.subarray(hdu.hdrLoc, hdu.datLoc);
        const again = hdu.header.toBytes();
        // Headers with extra blank blocks after END keep the standard's minimum on rewrite.
        assert.deepEqual(
          Buffer.from(again),
          Buffer.from(original.subarray(0, again.length)),
          `${name} HDU ${hdu.index}`,
        );
      }
      f.close();
    }
  });
});

describe('header editing', () => {
  test('set replaces the first card, append keeps duplicates, delete removes all', () => {
    const h = Header.from([
      ['A', 1],
      ['B', 'x'],
      ['HISTORY', 'one'],
    ]);
    h.set('A', 2, 'two');
    h.append('HISTORY', 'two');
    h.set('NEWKEY', true);
    assert.equal(h.get('A'), 2);
    assert.equal(h.getAll('HISTORY').length, 2);
    assert.equal(h.delete('HISTORY'), 2);
    assert.deepEqual(
      h.entries().map((e) => e[0]),
      ['A', 'B', 'NEWKEY'],
    );
    assert.equal(h.toBytes().length, 2880);
  });

  test('typed accessors explain what is wrong', () => {
    const h = Header.from([['NAXIS', 'two']]);
    assert.throws(() => h.number('NAXIS'), /NAXIS should be a number/);
    assert.throws(() => h.number('MISSING'), /required keyword MISSING is missing/);
    assert.equal(h.number('MISSING', 3), 3);
  });
});

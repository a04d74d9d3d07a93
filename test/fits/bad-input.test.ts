// Bad input gets a FitsError that says where (file, HDU, card or byte) — never a crash, a hang or
// a giant allocation. The fuzz test mutates real files and accepts nothing but FitsError.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { FitsError, fitsToBytes, Header, openFits, verifyFits } from '../../src/fits/index.ts';
import { sharedPath, skipUnlessShared } from '../helpers/shared-data.ts';

function headerBytes(cards: string[]): Uint8Array {
  const text = [...cards, 'END'].map((c) => c.padEnd(80)).join('');
  const out = new Uint8Array(Math.ceil(text.length / 2880) * 2880).fill(0x20);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

const minimal = [
  'SIMPLE  =                    T',
  'BITPIX  =                   16',
  'NAXIS   =                    2',
];

function expectFitsError(fn: () => unknown, pattern: RegExp): FitsError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof FitsError, `expected FitsError, got ${caught}`);
  assert.match((caught as FitsError).message, pattern);
  return caught as FitsError;
}

/** Opens and reads everything a user could ask for. */
function readAll(bytes: Uint8Array): void {
  const f = openFits(bytes, { name: 'fuzz.fits' });
  for (const hdu of f.hdus) {
    if (hdu.kind === 'PRIMARY' || hdu.kind === 'IMAGE') hdu.readImage();
    else hdu.readRawData();
  }
  verifyFits(bytes, 'fuzz.fits');
}

describe('malformed files', () => {
  test('shorter than a block', () => {
    expectFitsError(
      () => openFits(new Uint8Array(100), { name: 'tiny.fits' }),
      /tiny\.fits.*shorter than one 2880-byte/,
    );
  });

  test('not FITS at all', () => {
    const e = expectFitsError(
      () => openFits(new Uint8Array(2880).fill(0x41), { name: 'x' }),
      /first card is not SIMPLE|no END/,
    );
    assert.equal(e.file, 'x');
  });

  test('no END card', () => {
    const bytes = headerBytes(minimal).slice(0, 2880);
    bytes.fill(0x20, 240);
    expectFitsError(() => openFits(bytes), /no END card/);
  });

  test('binary bytes in a header name the byte offset', () => {
    const bytes = headerBytes([
      ...minimal,
      'NAXIS1  =                   10',
      'NAXIS2  =                   10',
    ]);
    bytes[400] = 0x00;
    const e = expectFitsError(() => openFits(bytes), /non-ASCII byte 0x00/);
    assert.equal(e.offset, 400);
  });

  test('NAXISn that would need terabytes fail before allocating', () => {
    const bytes = headerBytes([
      ...minimal,
      'NAXIS1  =              1000000',
      'NAXIS2  =              1000000',
    ]);
    const f = openFits(bytes);
    expectFitsError(() => f.hdus[0].readImage(), /truncated/);
    const v = verifyFits(bytes);
    assert.ok(v.problems.some((p) => /truncated/.test(p.message)));
  });

  test('bad mandatory values', () => {
    expectFitsError(
      () =>
        openFits(
          headerBytes([
            'SIMPLE  =                    T',
            'BITPIX  =                   12',
            'NAXIS   =                    0',
          ]),
        ),
      /BITPIX = 12/,
    );
    expectFitsError(
      () =>
        openFits(
          headerBytes([
            'SIMPLE  =                    T',
            'BITPIX  =                    8',
            "NAXIS   = 'two'",
          ]),
        ),
      /NAXIS should be a number/,
    );
    expectFitsError(
      () =>
        openFits(
          headerBytes([...minimal, 'NAXIS1  =                   -5', 'NAXIS2  =                    1']),
        ),
      /NAXIS1 = -5 is negative/,
    );
  });

  test('a wrong checksum is reported, not thrown', () => {
    const bytes = fitsToBytes([
      { kind: 'image', data: new Int16Array([1, 2, 3]), header: Header.from([['A', 1]]) },
    ]);
    bytes[2880] ^= 0xff;
    const v = verifyFits(bytes);
    assert.ok(v.errors >= 2);
    assert.ok(v.problems.some((p) => p.keyword === 'DATASUM'));
    assert.ok(v.problems.some((p) => p.keyword === 'CHECKSUM'));
  });

  test('unknown HDU references explain what exists', () => {
    const f = openFits(
      fitsToBytes([{ kind: 'image' }, { kind: 'image', data: new Uint8Array(1), name: 'SCI' }]),
    );
    expectFitsError(() => f.hdu('ERR'), /no HDU named ERR.*PRIMARY,1 SCI,1/);
    expectFitsError(() => f.hdu(7), /there is no HDU 7 \(the file has 2\)/);
  });

  test('sections outside the image', () => {
    const f = openFits(fitsToBytes([{ kind: 'image', data: new Int16Array(12), naxes: [4, 3] }]));
    expectFitsError(() => f.hdus[0].readSection([0, 0], [5, 1]), /outside axis 1/);
    const s = f.hdus[0].readSection([1, 1], [3, 3]);
    assert.deepEqual(s.naxes, [2, 2]);
  });
});

const realDir = sharedPath('fits', 'real');

describe('fuzz: mutated real files give only FitsError', { skip: skipUnlessShared('fits', 'real') }, () => {
  const files = realDir
    ? readdirSync(realDir)
        .filter((f) => !f.endsWith('.gz'))
        .map((f) => join(realDir, f))
    : [];
  test('bit flips and truncations', () => {
    const originals = files.map((f) => new Uint8Array(readFileSync(f)));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: originals.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { maxLength: 8 }),
        fc.option(fc.nat(), { nil: undefined }),
        (which, flips, cut) => {
          const src = originals[which];
          const bytes = src.slice(0, cut === undefined ? src.length : cut % (src.length + 1));
          // Flips aimed at the headers, where they change structure the most.
          for (const [pos, bit] of flips)
            if (bytes.length) bytes[pos % Math.min(bytes.length, 8640)] ^= 1 << bit;
          const started = performance.now();
          try {
            readAll(bytes);
          } catch (e) {
            if (!(e instanceof FitsError)) throw new Error(`non-FitsError from ${files[which]}: ${e}`);
          }
          assert.ok(performance.now() - started < 1000, 'each case within a second');
        },
      ),
      { numRuns: 400 },
    );
  });
});

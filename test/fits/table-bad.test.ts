// Bad tables: every fault is a FitsError that says which file, HDU and column; nothing crashes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { encodeBinTable, FitsError, Header, openFits, readTable } from '../../src/fits/index.ts';

/** A minimal file: empty primary + one extension (header as given, data padded). */
function fitsBytes(ext: Header, data: Uint8Array): Uint8Array {
  const primary = Header.from([
    ['SIMPLE', true],
    ['BITPIX', 8],
    ['NAXIS', 0],
    ['EXTEND', true],
  ]).toBytes();
  const head = ext.toBytes();
  const padded = Math.ceil(data.length / 2880) * 2880;
  const out = new Uint8Array(primary.length + head.length + padded);
  out.set(primary);
  out.set(head, primary.length);
  out.set(data, primary.length + head.length);
  return out;
}

function readBad(bytes: Uint8Array): FitsError {
  using f = openFits(bytes, { name: 'bad.fits' });
  try {
    readTable(f.hdu(1));
  } catch (err) {
    assert.ok(err instanceof FitsError, `not a FitsError: ${err}`);
    assert.equal(err.file, 'bad.fits');
    assert.equal(err.hdu, 1);
    return err;
  }
  assert.fail('readTable did not throw');
}

function vlaTable() {
  return encodeBinTable({
    columns: [
      { name: 'id', data: new Int32Array([1, 2]) },
      { name: 'spec', format: '1PE(3)', data: [new Float32Array([1, 2, 3]), new Float32Array([4])] },
    ],
  });
}

test('VLA descriptor beyond the heap', () => {
  const { header, data } = vlaTable();
  new DataView(data.buffer).setInt32(4 + 8 + 4, 1000); // row 1, spec offset
  const err = readBad(fitsBytes(header, data));
  assert.match(err.message, /column 2 'spec'.*row 1.*outside the 16-byte heap/);
});

test('VLA descriptor with a negative count or a huge Q length', () => {
  const { header, data } = vlaTable();
  new DataView(data.buffer).setInt32(4, -1);
  assert.match(readBad(fitsBytes(header, data)).message, /column 2 'spec'.*row 0/);
  const q = encodeBinTable({ columns: [{ name: 'q', format: '1QJ', data: [new Int32Array([5])] }] });
  new DataView(q.data.buffer).setBigInt64(0, 1n << 60n);
  assert.match(readBad(fitsBytes(q.header, q.data)).message, /column 1 'q'.*outside/);
});

test('unknown TFORM code', () => {
  const { header, data } = encodeBinTable({
    columns: [{ name: 'a', format: '1J', data: new Int32Array(2) }],
  });
  header.set('TFORM1', '1Z');
  const err = readBad(fitsBytes(header, data));
  assert.equal(err.keyword, 'TFORM1');
  assert.match(err.message, /'1Z'/);
});

test('TFORM widths that do not add up to NAXIS1', () => {
  const { header, data } = encodeBinTable({
    columns: [{ name: 'a', format: '2J', data: new Int32Array(4) }],
  });
  header.set('TFORM1', '1J');
  const err = readBad(fitsBytes(header, data));
  assert.equal(err.keyword, 'NAXIS1');
});

test('malformed TDIM names the column', () => {
  const { header, data } = encodeBinTable({
    columns: [{ name: 'img', format: '6E', dim: [3, 2], data: new Float32Array(12) }],
  });
  header.set('TDIM1', '(3,x)');
  const err = readBad(fitsBytes(header, data));
  assert.equal(err.keyword, 'TDIM1');
  assert.match(err.message, /column 1 'img'/);
});

test('TDIM larger than the field is ignored with a problem, as astropy does', () => {
  const { header, data } = encodeBinTable({
    columns: [{ name: 'img', format: '6E', dim: [3, 2], data: new Float32Array(12) }],
  });
  header.set('TDIM1', '(4,2)');
  using f = openFits(fitsBytes(header, data));
  const t = readTable(f.hdu(1));
  assert.equal(t.columns[0].dim, undefined);
  assert.match(t.problems[0], /TDIM1/);
});

test('truncated table data', () => {
  const { header, data } = encodeBinTable({ columns: [{ name: 'a', data: new Float64Array(1000) }] });
  const bytes = fitsBytes(header, data).subarray(0, 2880 * 2 + 4000);
  using f = openFits(bytes, { name: 'bad.fits' });
  assert.throws(
    () => readTable(f.hdu(1)),
    (e: unknown) => e instanceof FitsError && /truncated/.test(e.message),
  );
});

test('unknown column and row ranges', () => {
  const { header, data } = vlaTable();
  using f = openFits(fitsBytes(header, data), { name: 'bad.fits' });
  assert.throws(() => readTable(f.hdu(1), { columns: ['nope'] }), /bad.fits, HDU 1: .*no column "nope"/);
  assert.throws(() => readTable(f.hdu(1), { rows: [1, 5] }), FitsError);
  assert.throws(() => readTable(f.hdu(0)), /not a table/);
  assert.throws(() => readTable(f.hdu(1)).column('zzz'), FitsError);
});

function asciiHeader(tform: string, tbcol: number, width: number, rows: number): Header {
  return Header.from([
    ['XTENSION', 'TABLE'],
    ['BITPIX', 8],
    ['NAXIS', 2],
    ['NAXIS1', width],
    ['NAXIS2', rows],
    ['PCOUNT', 0],
    ['GCOUNT', 1],
    ['TFIELDS', 1],
    ['TTYPE1', 'v'],
    ['TFORM1', tform],
    ['TBCOL1', tbcol],
  ]);
}

test('ASCII table: good fields, D exponents, blanks and TNULL read as astropy does', () => {
  const h = asciiHeader('D10.3', 1, 10, 4);
  h.set('TNULL1', '***');
  const data = new TextEncoder().encode(' 1.5D+02  ' + '      -2.5' + '          ' + '   ***    ');
  using f = openFits(fitsBytes(h, data));
  const t = readTable(f.hdu(1));
  assert.deepEqual(Array.from(t.column('v').values as Float64Array), [150, -2.5, 0, 0]);
  assert.deepEqual(Array.from(t.column('v').nulls ?? []), [0, 0, 1, 1]);
  const i = asciiHeader('I12', 1, 12, 1);
  using g = openFits(fitsBytes(i, new TextEncoder().encode(' 12345678901')));
  assert.deepEqual(Array.from(readTable(g.hdu(1)).column(1).values as BigInt64Array), [12345678901n]);
});

test('ASCII table: a field that is not a number names row and column', () => {
  const h = asciiHeader('I5', 1, 5, 2);
  const err = readBad(fitsBytes(h, new TextEncoder().encode('   12  x 3')));
  assert.match(err.message, /column 1 'v'.*row 1/);
});

test('ASCII table: TBCOL outside the row and a binary TFORM', () => {
  assert.equal(readBad(fitsBytes(asciiHeader('I5', 3, 5, 1), new Uint8Array(5).fill(32))).keyword, 'TBCOL1');
  assert.equal(readBad(fitsBytes(asciiHeader('1J', 1, 5, 1), new Uint8Array(5).fill(32))).keyword, 'TFORM1');
});

test('random corruption of table bytes gives values or a FitsError, never a crash', () => {
  const { header, data } = encodeBinTable({
    columns: [
      { name: 'a', data: new Int16Array([1, 2, 3]) },
      { name: 'v', format: '1PJ', data: [new Int32Array([1]), new Int32Array([2, 3]), new Int32Array(0)] },
      { name: 'q', format: '1QD', data: [new Float64Array(2), new Float64Array(0), new Float64Array(1)] },
      { name: 's', data: ['x', 'yy', 'zzz'] },
      { name: 'l', data: [true, false, null] },
      { name: 'b', format: '9X', data: new Array(27).fill(1) },
    ],
  });
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(data.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      (edits) => {
        const d = data.slice();
        for (const [i, b] of edits) d[i] = b;
        using f = openFits(fitsBytes(header, d));
        try {
          readTable(f.hdu(1));
        } catch (err) {
          assert.ok(err instanceof FitsError, String(err));
        }
      },
    ),
    { numRuns: 500 },
  );
});

test('a huge NAXIS2 in a short file fails before allocating', () => {
  const { header, data } = encodeBinTable({ columns: [{ name: 'a', data: new Float64Array(4) }] });
  header.set('NAXIS2', 2_000_000_000);
  using f = openFits(fitsBytes(header, data), { name: 'bad.fits' });
  assert.throws(
    () => readTable(f.hdu(1)),
    (e: unknown) => e instanceof FitsError && e.hdu === 1 && /truncated/.test(e.message),
  );
});

test('random header damage gives a FitsError or a table, never another error', () => {
  const { header, data } = encodeBinTable({
    columns: [
      { name: 'a', data: new Int16Array([1, 2, 3]) },
      { name: 'v', format: '1PJ', data: [new Int32Array([1]), new Int32Array([2, 3]), new Int32Array(0)] },
      { name: 't', format: '6E', dim: [3, 2], data: new Float32Array(18) },
      { name: 's', data: ['x', 'yy', 'zzz'] },
    ],
  });
  const keys = [
    'NAXIS1',
    'NAXIS2',
    'PCOUNT',
    'THEAP',
    'TFIELDS',
    'TFORM1',
    'TFORM2',
    'TFORM3',
    'TDIM3',
    'TSCAL1',
    'TZERO1',
    'TNULL1',
  ];
  const value = fc.oneof(
    fc.integer({ min: -5, max: 100 }),
    fc.constantFrom(2 ** 31, 2 ** 40, 0),
    fc.constantFrom('1J', '2PE(5)', '0A', '3X', 'QD', '(2,2)', '(0)', '(9,9)', '1PJ(0)', 'Z', '', '1.5'),
  );
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom(...keys), value), { minLength: 1, maxLength: 3 }),
      (edits) => {
        const h = header.clone();
        for (const [k, v] of edits) h.set(k, v);
        let f: ReturnType<typeof openFits>;
        try {
          f = openFits(fitsBytes(h, data));
        } catch (err) {
          assert.ok(err instanceof FitsError, String(err));
          return;
        }
        try {
          readTable(f.hdu(1));
        } catch (err) {
          assert.ok(err instanceof FitsError, String(err));
        } finally {
          f.close();
        }
      },
    ),
    { numRuns: 800 },
  );
});

// Property: random tables of every TFORM → encodeBinTable → the lead's writer (fitsToBytes) →
// openFits → readTable give back the same physical values, kinds and column keywords.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type Column,
  type ColumnSpec,
  encodeBinTable,
  fitsToBytes,
  openFits,
  readTable,
  type VlaRow,
} from '../../src/fits/index.ts';

type Scalar = number | bigint | boolean | null | string;

interface Case {
  spec: ColumnSpec;
  /** Expected flat values (fixed columns) or rows (VLA), in physical form. */
  expect: Scalar[] | Scalar[][];
  kind: Column['kind'];
  ctor?: string;
  /** Expected null mask (TNULL columns). */
  nulls?: number[];
}

const text = (max: number) =>
  fc
    .array(fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0xa0, max: 0xff })), {
      maxLength: max,
    })
    .map((codes) => String.fromCharCode(...codes));

const f32 = fc.float({ noDefaultInfinity: false });
const f64 = fc.double();
const ints: Record<string, fc.Arbitrary<number | bigint>> = {
  B: fc.integer({ min: 0, max: 255 }),
  I: fc.integer({ min: -32768, max: 32767 }),
  J: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  K: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
};
const ctorOf: Record<string, (v: (number | bigint)[]) => ArrayLike<number | bigint>> = {
  B: (v) => Uint8Array.from(v as number[]),
  I: (v) => Int16Array.from(v as number[]),
  J: (v) => Int32Array.from(v as number[]),
  K: (v) => BigInt64Array.from(v as bigint[]),
};

function fixedInt(n: number): fc.Arbitrary<Case> {
  return fc
    .record({ code: fc.constantFrom('B', 'I', 'J', 'K'), repeat: fc.integer({ min: 1, max: 3 }) })
    .chain(({ code, repeat }) =>
      fc.array(ints[code], { minLength: n * repeat, maxLength: n * repeat }).map((vals) => ({
        spec: {
          name: `i${code}`,
          format: `${repeat}${code}`,
          unit: 'count',
          data: ctorOf[code](vals) as never,
        },
        expect: vals,
        kind: 'int' as const,
        ctor: (ctorOf[code]([]) as object).constructor.name,
      })),
    );
}

function unsignedInferred(n: number): fc.Arbitrary<Case> {
  return fc.constantFrom('u16', 'u32', 'u64', 'i8').chain((t) => {
    const arb =
      t === 'u16'
        ? fc.integer({ min: 0, max: 65535 })
        : t === 'u32'
          ? fc.integer({ min: 0, max: 2 ** 32 - 1 })
          : t === 'u64'
            ? fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })
            : fc.integer({ min: -128, max: 127 });
    return fc.array(arb as fc.Arbitrary<number | bigint>, { minLength: n, maxLength: n }).map((vals) => {
      const data =
        t === 'u16'
          ? Uint16Array.from(vals as number[])
          : t === 'u32'
            ? Uint32Array.from(vals as number[])
            : t === 'u64'
              ? BigUint64Array.from(vals as bigint[])
              : Int8Array.from(vals as number[]);
      // astropy reads TZERO = -128 bytes as float64, not int8.
      const ctor = t === 'i8' ? 'Float64Array' : data.constructor.name;
      return {
        spec: { name: t, data },
        expect: vals,
        kind: (t === 'i8' ? 'float' : 'int') as Column['kind'],
        ctor,
      };
    });
  });
}

function floats(n: number): fc.Arbitrary<Case> {
  return fc
    .record({ code: fc.constantFrom('E', 'D', 'C', 'M'), repeat: fc.integer({ min: 1, max: 3 }) })
    .chain(({ code, repeat }) => {
      const per = code === 'C' || code === 'M' ? 2 : 1;
      const len = n * repeat * per;
      const arb = code === 'E' || code === 'C' ? f32 : f64;
      return fc.array(arb, { minLength: len, maxLength: len }).map((vals) => {
        const data = code === 'E' || code === 'C' ? Float32Array.from(vals) : Float64Array.from(vals);
        return {
          spec: { name: `f${code}`, format: `${repeat}${code}`, data },
          expect: Array.from(data),
          kind: (per === 2 ? 'complex' : 'float') as Column['kind'],
          ctor: data.constructor.name,
        };
      });
    });
}

function scaled(n: number): fc.Arbitrary<Case> {
  return fc
    .record({
      code: fc.constantFrom('I', 'J'),
      bscale: fc.constantFrom(0.5, 2, 0.25, 3),
      bzero: fc.constantFrom(0, 100, -7.5),
      withNull: fc.boolean(),
    })
    .chain(({ code, bscale, bzero, withNull }) =>
      fc.array(fc.integer({ min: -30000, max: 30000 }), { minLength: n, maxLength: n }).map((stored) => {
        const phys = stored.map((s) => (withNull && s % 7 === 0 ? Number.NaN : s * bscale + bzero));
        return {
          spec: {
            name: 'scaled',
            format: `1${code}`,
            bscale,
            bzero,
            null: withNull ? -32768 : undefined,
            data: phys,
          },
          // NaN → TNULL on write; astropy (and we) read a binary-table TNULL back as its scaled value.
          expect: phys.map((p) => (Number.isNaN(p) ? -32768 * bscale + bzero : p)),
          nulls: withNull ? phys.map((p) => (Number.isNaN(p) ? 1 : 0)) : undefined,
          kind: 'float' as const,
          ctor: 'Float64Array',
        };
      }),
    );
}

function strings(n: number): fc.Arbitrary<Case> {
  return fc.integer({ min: 1, max: 8 }).chain((w) =>
    fc.array(text(w), { minLength: n, maxLength: n }).map((vals) => ({
      spec: { name: 's', format: `${w}A`, data: vals },
      expect: vals,
      kind: 'string' as const,
    })),
  );
}

function logicals(n: number): fc.Arbitrary<Case> {
  return fc.integer({ min: 1, max: 3 }).chain((r) =>
    fc.array(fc.constantFrom(true, false, null), { minLength: n * r, maxLength: n * r }).map((vals) => ({
      spec: { name: 'l', format: `${r}L`, data: vals },
      expect: vals,
      kind: 'logical' as const,
    })),
  );
}

function bits(n: number): fc.Arbitrary<Case> {
  return fc.integer({ min: 1, max: 20 }).chain((r) =>
    fc.array(fc.constantFrom(0, 1), { minLength: n * r, maxLength: n * r }).map((vals) => ({
      spec: { name: 'x', format: `${r}X`, data: vals },
      expect: vals,
      kind: 'bit' as const,
    })),
  );
}

function vla(n: number): fc.Arbitrary<Case> {
  return fc
    .record({ q: fc.boolean(), code: fc.constantFrom('B', 'I', 'J', 'K', 'E', 'D', 'C', 'M', 'L', 'A', 'X') })
    .chain(({ q, code }) => {
      const row: fc.Arbitrary<Scalar[] | string> =
        code === 'A'
          ? text(6)
          : code === 'L'
            ? fc.array(fc.constantFrom(true, false, null), { maxLength: 5 })
            : code === 'X'
              ? fc.array(fc.constantFrom(0, 1), { maxLength: 12 })
              : code === 'E' || code === 'D'
                ? fc.array(code === 'E' ? f32 : f64, { maxLength: 5 })
                : code === 'C' || code === 'M'
                  ? fc.array(code === 'C' ? f32 : f64, { maxLength: 3 }).map((a) => [...a, ...a])
                  : fc.array(ints[code], { maxLength: 5 });
      return fc.array(row, { minLength: n, maxLength: n }).map((rows) => {
        const data = rows.map((r) => {
          if (typeof r === 'string' || code === 'L' || code === 'X') return r;
          if (code === 'E' || code === 'C') return Float32Array.from(r as number[]);
          if (code === 'D' || code === 'M') return Float64Array.from(r as number[]);
          return ctorOf[code](r as (number | bigint)[]);
        });
        const expect = data.map((r) => (typeof r === 'string' ? [r] : Array.from(r as ArrayLike<Scalar>)));
        return {
          spec: { name: `v${code}`, format: `1${q ? 'Q' : 'P'}${code}`, data: data as never },
          expect,
          kind: 'vla' as const,
        };
      });
    });
}

const tableArb = fc.integer({ min: 0, max: 12 }).chain((n) =>
  fc
    .array(
      fc.oneof(
        fixedInt(n),
        unsignedInferred(n),
        floats(n),
        scaled(n),
        strings(n),
        logicals(n),
        bits(n),
        vla(n),
      ),
      {
        minLength: 1,
        maxLength: 6,
      },
    )
    .map((cases) => ({ n, cases })),
);

function same(a: Scalar, b: Scalar): boolean {
  if (typeof a === 'number' && typeof b === 'number')
    return Object.is(a, b) || a === b || (Number.isNaN(a) && Number.isNaN(b));
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) {
    return BigInt(a) === BigInt(b);
  }
  return a === b;
}

function assertColumn(col: Column, c: Case, n: number): void {
  assert.equal(col.kind, c.kind, col.name);
  assert.deepEqual(col.nulls ? Array.from(col.nulls) : undefined, c.nulls, `${col.name} nulls`);
  if (c.ctor) assert.equal(col.values.constructor.name, c.ctor, col.name);
  if (c.kind === 'vla') {
    const rows = col.values as VlaRow[];
    assert.equal(rows.length, n);
    rows.forEach((r, i) => {
      const mine = typeof r === 'string' ? [r] : Array.from(r as ArrayLike<Scalar>);
      const want = (c.expect as Scalar[][])[i];
      assert.equal(mine.length, want.length, `${col.name} row ${i} length`);
      mine.forEach((v, k) => {
        assert.ok(same(v, want[k]), `${col.name} row ${i}[${k}]: ${v} vs ${want[k]}`);
      });
    });
    return;
  }
  const mine = Array.from(col.values as ArrayLike<Scalar>);
  const want = c.expect as Scalar[];
  assert.equal(mine.length, want.length, `${col.name} length`);
  mine.forEach((v, i) => {
    assert.ok(same(v, want[i]), `${col.name}[${i}]: ${String(v)} vs ${String(want[i])}`);
  });
}

test('encodeBinTable → writer → readTable round-trips every TFORM', () => {
  fc.assert(
    fc.property(tableArb, ({ n, cases }) => {
      const specs = cases.map((c, i) => ({ ...c.spec, name: `${c.spec.name}_${i}` }));
      const { header, data } = encodeBinTable({ columns: specs, name: 'RT', nrows: n });
      const bytes = fitsToBytes([{ kind: 'encoded', header, data }]);
      using f = openFits(bytes);
      const hdu = f.hdu('RT');
      const table = readTable(hdu);
      assert.equal(table.nrows, n);
      cases.forEach((c, i) => {
        const col = table.columns[i];
        assert.equal(col.name, specs[i].name);
        if (c.spec.unit) assert.equal(col.unit, c.spec.unit);
        if (c.spec.bscale !== undefined) assert.equal(col.bscale, c.spec.bscale);
        assertColumn(col, c, n);
      });
    }),
    { numRuns: 300 },
  );
});

test('row and column selection match the full read', () => {
  fc.assert(
    fc.property(tableArb, fc.nat(), fc.nat(), ({ n, cases }, a, b) => {
      const specs = cases.map((c, i) => ({ ...c.spec, name: `${c.spec.name}_${i}` }));
      const { header, data } = encodeBinTable({ columns: specs, nrows: n });
      using f = openFits(fitsToBytes([{ kind: 'encoded', header, data }]));
      const full = readTable(f.hdu(1));
      const start = n ? a % (n + 1) : 0;
      const end = n ? start + (b % (n - start + 1)) : 0;
      const pick = specs.length - 1;
      const part = readTable(f.hdu(1), { rows: [start, end], columns: [specs[pick].name] });
      assert.equal(part.nrows, end - start);
      const whole = full.columns[pick];
      const sub = part.columns[0];
      const per = whole.kind === 'vla' ? 1 : whole.kind === 'complex' ? whole.repeat * 2 : whole.repeat;
      const want = Array.from(whole.values as ArrayLike<unknown>).slice(start * per, end * per);
      assert.deepEqual(Array.from(sub.values as ArrayLike<unknown>).map(String), want.map(String));
      const fb = full.fieldBytes(pick + 1);
      const w = whole.width;
      assert.deepEqual(part.fieldBytes(pick + 1), fb.slice(start * w, end * w));
    }),
    { numRuns: 150 },
  );
});

test('TFORM is inferred from typed arrays, strings, logicals and VLAs', () => {
  const { header } = encodeBinTable({
    columns: [
      { name: 'a', data: new Int16Array(2) },
      { name: 'b', data: new Uint16Array(2) },
      { name: 'c', data: new Float32Array(6), dim: [3] },
      { name: 'd', data: ['ab', 'cde'] },
      { name: 'e', data: [true, null] },
      { name: 'f', data: [new Float64Array(3), new Float64Array(1)] },
      { name: 'g', data: new BigUint64Array(2) },
    ],
  });
  assert.equal(header.get('TFORM1'), '1I');
  assert.equal(header.get('TFORM2'), '1I');
  assert.equal(header.get('TZERO2'), 32768);
  assert.equal(header.get('TFORM3'), '3E');
  assert.equal(header.get('TDIM3'), '(3)');
  assert.equal(header.get('TFORM4'), '3A');
  assert.equal(header.get('TFORM5'), '1L');
  assert.equal(header.get('TFORM6'), '1PD(3)');
  assert.equal(header.get('TZERO7'), 9223372036854775808n);
  assert.equal(header.get('NAXIS2'), 2);
  assert.equal(header.get('PCOUNT'), 32);
  assert.equal(header.get('THEAP'), (header.get('NAXIS1') as number) * 2);
});

test('tables larger than one read chunk (4 MiB) read whole and by row range', () => {
  const n = 250_000;
  const ids = Int32Array.from({ length: n }, (_, i) => i * 3 - 7);
  const vals = Float64Array.from({ length: n }, (_, i) => Math.sqrt(i));
  const vec = Int16Array.from({ length: 3 * n }, (_, i) => (i % 60000) - 30000);
  const names = Array.from({ length: n }, (_, i) => `n${i % 9999}`);
  const { header, data } = encodeBinTable({
    columns: [
      { name: 'id', data: ids },
      { name: 'v', data: vals },
      { name: 'vec', data: vec, dim: [3] },
      { name: 'name', format: '6A', data: names },
    ],
  });
  using f = openFits(fitsToBytes([{ kind: 'encoded', header, data }], { checksum: false }));
  const t = readTable(f.hdu(1));
  assert.deepEqual(t.column('id').values, ids);
  assert.deepEqual(t.column('v').values, vals);
  assert.deepEqual(t.column('vec').values, vec);
  assert.deepEqual(t.column('name').values, names);
  const part = readTable(f.hdu(1), { rows: [123_457, 249_999], columns: ['vec', 'id'] });
  assert.deepEqual(part.column('vec').values, vec.slice(3 * 123_457, 3 * 249_999));
  assert.deepEqual(part.column('id').values, ids.slice(123_457, 249_999));
  assert.equal(part.fieldBytes('v').length, (249_999 - 123_457) * 8);
});

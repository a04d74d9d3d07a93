// The WebAssembly assembler and the SIMD CCD kernel: every SIMD opcode the kernels use is run
// against JavaScript's arithmetic (a wrong opcode number fails here, not in a calibration), and
// the kernel's pixels, flag counts and statistics equal the JavaScript kernels' to the bit.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { SCALAR, SCALAR_MEMORY, SIMD, SIMD_MEMORY } from '../../src/calib/wasm/opcodes.ts';
import {
  AsmError,
  assemble,
  type CcdPassInput,
  type ChipGeometry,
  ccdPass,
  chipGeometry,
  DEFAULT_OSCN,
  measureAmpBias,
  type RefImage,
  Rng,
  setSimdEnabled,
  type WasmFunc,
} from '../../src/calib/index.ts';

const f = Math.fround;

/** Every instruction a check below ran (the coverage test compares it with the opcode tables). */
const checked = new Set<string>(['v128.load', 'v128.store', 'i32.const', 'local.get', 'local.set']);

/** Runs `op` on the v128 values at bytes 0 and 16 (and 32 for a third operand); result at 48. */
function runOp(op: string, inputs: ArrayBufferView[], imm = ''): DataView {
  checked.add(op);
  const loads = inputs.map((_, i) => `i32.const ${16 * i} v128.load`).join(' ');
  const fn: WasmFunc = { name: 'op', params: {}, body: `i32.const 48 ${loads} ${op} ${imm} v128.store` };
  const inst = new WebAssembly.Instance(
    new WebAssembly.Module(
      assemble({ funcs: [fn], memory: { initial: 1, maximum: 1 } }) as Uint8Array<ArrayBuffer>,
    ),
  );
  const mem = (inst.exports.mem as WebAssembly.Memory).buffer;
  for (const [i, v] of inputs.entries()) {
    new Uint8Array(mem, 16 * i, 16).set(new Uint8Array(v.buffer, v.byteOffset, 16));
  }
  (inst.exports.op as () => void)();
  return new DataView(mem, 48, 16);
}

function instantiate(funcs: WasmFunc[]): WebAssembly.Instance {
  const bytes = assemble({ funcs, memory: { initial: 1, maximum: 1 } }) as Uint8Array<ArrayBuffer>;
  return new WebAssembly.Instance(new WebAssembly.Module(bytes));
}

const f32s = (d: DataView) => [0, 1, 2, 3].map((i) => d.getFloat32(4 * i, true));
const i32s = (d: DataView) => [0, 1, 2, 3].map((i) => d.getInt32(4 * i, true));
const i16s = (d: DataView) => [0, 1, 2, 3, 4, 5, 6, 7].map((i) => d.getInt16(2 * i, true));
const f64s = (d: DataView) => [0, 1].map((i) => d.getFloat64(8 * i, true));
const mask = (b: boolean) => (b ? -1 : 0);

describe('WebAssembly assembler: opcodes against JavaScript', () => {
  const a = new Float32Array([1.5, -2.25, 0, Number.NaN]);
  const b = new Float32Array([0.3, 7, -0.5, 2]);
  const binary: [string, (x: number, y: number) => number][] = [
    ['f32x4.add', (x, y) => f(x + y)],
    ['f32x4.sub', (x, y) => f(x - y)],
    ['f32x4.mul', (x, y) => f(x * y)],
    ['f32x4.div', (x, y) => f(x / y)],
    // pmin/pmax are defined by these comparisons (NaN and -0 handling), not by Math.min/max.
    // biome-ignore lint/complexity/useMathMinMax: the comparison is the definition under test
    ['f32x4.pmin', (x, y) => (y < x ? y : x)],
    // biome-ignore lint/complexity/useMathMinMax: the comparison is the definition under test
    ['f32x4.pmax', (x, y) => (x < y ? y : x)],
  ];
  for (const [op, js] of binary) {
    test(op, () =>
      assert.deepEqual(
        f32s(runOp(op, [a, b])),
        [...a].map((x, i) => js(x, b[i])),
      ),
    );
  }
  const compares: [string, (x: number, y: number) => boolean][] = [
    ['f32x4.eq', (x, y) => x === y],
    ['f32x4.gt', (x, y) => x > y],
    ['f32x4.ge', (x, y) => x >= y],
  ];
  for (const [op, js] of compares) {
    test(op, () =>
      assert.deepEqual(
        i32s(runOp(op, [a, b])),
        [...a].map((x, i) => mask(js(x, b[i]))),
      ),
    );
  }
  test('f32x4.sqrt, f32x4.abs', () => {
    const v = new Float32Array([2, 0.5, 1e6, 3]);
    assert.deepEqual(
      f32s(runOp('f32x4.sqrt', [v])),
      [...v].map((x) => f(Math.sqrt(x))),
    );
    assert.deepEqual(
      f32s(runOp('f32x4.abs', [b])),
      [...b].map((x) => Math.abs(x)),
    );
  });
  test('conversions and widening', () => {
    const u = new Uint16Array([1, 65535, 300, 0, 7, 8, 9, 40000]);
    assert.deepEqual(i32s(runOp('i32x4.extend_low_i16x8_u', [u])), [1, 65535, 300, 0]);
    assert.deepEqual(i32s(runOp('i32x4.extend_high_i16x8_u', [u])), [7, 8, 9, 40000]);
    assert.deepEqual(i32s(runOp('i32x4.extend_low_i16x8_s', [u])), [1, -1, 300, 0]);
    assert.deepEqual(i32s(runOp('i32x4.extend_high_i16x8_s', [u])), [7, 8, 9, 40000 - 65536]);
    const n = new Int32Array([1, -5, 70000, 3]);
    assert.deepEqual(f32s(runOp('f32x4.convert_i32x4_s', [n])), [1, -5, 70000, 3]);
    assert.deepEqual(f64s(runOp('f64x2.promote_low_f32x4', [a])), [1.5, -2.25]);
    assert.deepEqual(
      i16s(runOp('i16x8.narrow_i32x4_u', [n, new Int32Array([4, 5, 6, 7])])),
      [1, 0, -1, 3, 4, 5, 6, 7],
    );
  });
  test('integer lanes, bit operations, shuffle', () => {
    const x = new Int32Array([1, 2, -3, 4]);
    const y = new Int32Array([10, -1, 0, 0xff]);
    assert.deepEqual(i32s(runOp('i32x4.add', [x, y])), [11, 1, -3, 259]);
    assert.deepEqual(i32s(runOp('i32x4.sub', [x, y])), [-9, 3, -3, -251]);
    assert.deepEqual(i32s(runOp('v128.and', [x, y])), [0, 2, 0, 4]);
    assert.deepEqual(i32s(runOp('v128.or', [x, y])), [11, -1, -3, 0xff]);
    const sel = new Int32Array([-1, 0, -1, 0]);
    assert.deepEqual(i32s(runOp('v128.bitselect', [x, y, sel])), [1, -1, -3, 0xff]);
    assert.deepEqual(
      i16s(runOp('i16x8.eq', [new Int16Array([0, 1, 2, 3, 0, 0, 0, 0]), new Int16Array(8)])),
      [-1, 0, 0, 0, -1, -1, -1, -1],
    );
    assert.deepEqual(
      i32s(runOp('i8x16.shuffle', [x, y], '8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23')),
      [-3, 4, 10, -1],
    );
    const f64 = new Float64Array([1.25, -8]);
    assert.deepEqual(f64s(runOp('f64x2.add', [f64, new Float64Array([0.5, 0.5])])), [1.75, -7.5]);
  });
  test('splats', () => {
    const fn = (op: string, c: string): WasmFunc => ({
      name: 'splat',
      params: {},
      body: `i32.const 48 ${c} ${op} v128.store`,
    });
    const run = (op: string, c: string) => {
      checked.add(op);
      const inst = instantiate([fn(op, c)]);
      (inst.exports.splat as () => void)();
      return new DataView((inst.exports.mem as WebAssembly.Memory).buffer, 48, 16);
    };
    assert.deepEqual(f32s(run('f32x4.splat', 'f32.const 2.5')), [2.5, 2.5, 2.5, 2.5]);
    assert.deepEqual(i16s(run('i16x8.splat', 'i32.const -3')), [-3, -3, -3, -3, -3, -3, -3, -3]);
    checked.add('f32.const');
  });
  test('v128.any_true, if/else, loops, calls, scalar memory and arithmetic', () => {
    const any: WasmFunc = {
      name: 'any',
      params: { p: 'i32' },
      result: 'i32',
      locals: { r: 'i32' },
      body: `local.get $p v128.load v128.any_true if i32.const 7 local.set $r else i32.const 9 local.set $r end local.get $r`,
    };
    // Sums the i32 words [p, p + 4n) and stores the sum minus 1 at q, through a call.
    const sum: WasmFunc = {
      name: 'sum',
      params: { p: 'i32', n: 'i32' },
      result: 'i32',
      locals: { i: 'i32', s: 'i32' },
      body: `block $done local.get $n i32.eqz br_if $done
        loop $next
          local.get $s local.get $p i32.load offset=0 i32.add local.set $s
          local.get $p i32.const 4 i32.add local.set $p
          local.get $i i32.const 1 i32.add local.tee $i local.get $n i32.lt_u br_if $next
        end end local.get $s`,
    };
    const store: WasmFunc = {
      name: 'store',
      params: { p: 'i32', n: 'i32', q: 'i32' },
      body: 'local.get $q local.get $p local.get $n call $sum i32.const 1 i32.sub i32.store',
    };
    const inst = instantiate([any, sum, store]);
    const mem = (inst.exports.mem as WebAssembly.Memory).buffer;
    new Int32Array(mem, 64, 4).set([0, 0, 5, 0]);
    assert.equal((inst.exports.any as (p: number) => number)(0), 9);
    assert.equal((inst.exports.any as (p: number) => number)(64), 7);
    (inst.exports.store as (p: number, n: number, q: number) => void)(64, 4, 128);
    assert.equal(new Int32Array(mem, 128, 1)[0], 4);
    assert.equal((inst.exports.sum as (p: number, n: number) => number)(64, 0), 0);
    for (const op of [
      'v128.any_true',
      'i32.load',
      'i32.store',
      'i32.add',
      'i32.sub',
      'i32.eqz',
      'i32.lt_u',
      'local.tee',
    ]) {
      checked.add(op);
    }
  });
  test('v128.const lanes', () => {
    const fn: WasmFunc = {
      name: 'c',
      params: {},
      body: 'i32.const 48 v128.const f32x4 1.5 -2 0 inf v128.store i32.const 64 v128.const i32x4 1 -2 3 2048 v128.store',
    };
    const inst = instantiate([fn]);
    (inst.exports.c as () => void)();
    const mem = (inst.exports.mem as WebAssembly.Memory).buffer;
    assert.deepEqual(f32s(new DataView(mem, 48, 16)), [1.5, -2, 0, Infinity]);
    assert.deepEqual(i32s(new DataView(mem, 64, 16)), [1, -2, 3, 2048]);
  });
  test('every instruction in the opcode tables has a check here', () => {
    const tables = [SCALAR, SCALAR_MEMORY, SIMD, SIMD_MEMORY].flatMap((t) => Object.keys(t));
    const missing = tables.filter((op) => !checked.has(op));
    assert.deepEqual(missing, [], `opcode table entries without a check: ${missing.join(' ')}`);
  });
  test('bad source is an AsmError naming the function', () => {
    const bad = (body: string) => () =>
      assemble({ funcs: [{ name: 'k', params: {}, body }], memory: { initial: 1, maximum: 1 } });
    assert.throws(
      bad('f32x4.frobnicate'),
      (e: unknown) => e instanceof AsmError && /k: unknown instruction f32x4.frobnicate/.test(e.message),
    );
    assert.throws(bad('local.get $nope'), /unknown local \$nope/);
    assert.throws(bad('block $a'), /not closed/);
    assert.throws(bad('end'), /end without a block/);
    assert.throws(bad('block $a br $b end'), /unknown label \$b/);
  });
});

/** A WFC-like 2-amp chip with overscan, a bias, a dark and a flat with zeros, and hot/saturated pixels. */
function chipCase(seed: number, biasPlanes: boolean) {
  const rng = new Rng(seed);
  const row = {
    ...DEFAULT_OSCN.WFC[0],
    nx: 560,
    ny: 2068,
    biassectb1: 539,
    biassectb2: 558,
    vx2: 536,
    vy1: 2051,
    vy2: 2066,
  };
  const g: ChipGeometry = chipGeometry(row, ['C', 'D']);
  const raw = new Uint16Array(g.nx * g.ny);
  for (let i = 0; i < raw.length; i++) raw[i] = Math.round(2200 + 3 * rng.normal() + 400 * rng.uniform());
  for (let i = 0; i < 300; i++) raw[Math.floor(rng.uniform() * raw.length)] = 65535;
  for (let i = 0; i < 300; i++) raw[Math.floor(rng.uniform() * raw.length)] = 60000;
  const ref = (name: string, nx: number, ny: number, fill: () => number): RefImage => ({
    data: Float32Array.from({ length: nx * ny }, fill),
    nx,
    ny,
    ltv1: 0,
    ltv2: 0,
    file: name,
  });
  const bias = ref('bias', g.nx, g.ny, () => 1.5 + rng.normal());
  if (biasPlanes) {
    bias.err = Float32Array.from({ length: bias.data.length }, () => 0.5 + rng.uniform());
    bias.dq = Uint16Array.from({ length: bias.data.length }, () => (rng.uniform() < 0.002 ? 16 : 0));
  }
  const dark = ref('dark', g.outNx, g.outNy, () => 0.003 * rng.uniform());
  const flat = ref('flat', g.outNx, g.outNy, () => (rng.uniform() < 0.001 ? 0 : 0.9 + 0.2 * rng.uniform()));
  const fits = g.amps.map((_, i) => measureAmpBias(raw, g, i, { atodsat: 65535, fallbackLevel: 0 }));
  const input = {
    raw,
    geom: g,
    amps: fits.map((fit) => ({ gain: 2.02, readnoise: 4.3, rowLevel: fit.rowLevel, colDrift: fit.colDrift })),
    rawDq: 0,
    rawErr: 0,
    atodsat: 65535,
    bias: { ref: bias, space: 'raw' as const, dx: 0, dy: 0 },
    saturate: 100000,
    noise: true,
  };
  const post = {
    dark: { ref: dark, space: 'out' as const, dx: 0, dy: 0 },
    darktime: 517.3,
    flashdur: 0,
    flat: { ref: flat, space: 'out' as const, dx: 0, dy: 0 },
    exptime: 500,
    sdqflags: 31743,
  };
  return { g, input, post };
}

/** Output arrays with BPIXTAB-like flags set beforehand (the pass OR-s into them). */
function flagged(g: ChipGeometry) {
  const n = g.outNx * g.outNy;
  const dq = new Uint16Array(n);
  for (let i = 0; i < n; i += 997) dq[i] = 4;
  return { sci: new Float32Array(n), err: new Float32Array(n), dq, nx: g.outNx, ny: g.outNy };
}

/** Asserts two pixel arrays are identical, naming the first difference (a full diff of a million
 * pixels would take minutes to print). */
function sameBits(name: string, a: ArrayLike<number>, b: ArrayLike<number>): void {
  assert.equal(a.length, b.length, `${name} lengths`);
  let n = 0;
  let first = -1;
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) {
      n++;
      if (first < 0) first = i;
    }
  }
  assert.equal(n, 0, `${name}: ${n} pixels differ, first at ${first}: ${a[first]} vs ${b[first]}`);
}

interface KernelCase {
  name: string;
  post: 'none' | 'dark+flat' | 'dark';
  biasPlanes?: boolean;
  noBias?: boolean;
  noBlev?: boolean;
  /** Let ccdPass allocate the outputs (its DQ is known zero and is not read). */
  fresh?: boolean;
}

const CASES: KernelCase[] = [
  { name: 'dark and flat', post: 'dark+flat' },
  { name: 'CCD part only', post: 'none' },
  { name: 'dark and flat, bias ERR/DQ planes', post: 'dark+flat', biasPlanes: true },
  { name: 'CCD part only, bias ERR/DQ planes', post: 'none', biasPlanes: true },
  {
    name: 'dark without flat, no bias, no BLEVCORR, fresh outputs',
    post: 'dark',
    noBias: true,
    noBlev: true,
    fresh: true,
  },
  { name: 'CCD part only, no bias, fresh outputs', post: 'none', noBias: true, fresh: true },
];

function runBoth(c: KernelCase, seed: number) {
  const { g, input, post } = chipCase(seed, c.biasPlanes === true);
  const inp: CcdPassInput = {
    ...input,
    bias: c.noBias ? undefined : input.bias,
    amps: c.noBlev ? input.amps.map((a) => ({ gain: a.gain, readnoise: a.readnoise })) : input.amps,
  };
  const p = c.post === 'none' ? undefined : c.post === 'dark' ? { ...post, flat: undefined } : post;
  const outputs = () => (c.fresh ? undefined : flagged(g));
  try {
    setSimdEnabled(false);
    const js = ccdPass(inp, p, outputs());
    setSimdEnabled(true);
    const simd = ccdPass(inp, p, outputs());
    return { g, js, simd, input: inp, post: p };
  } finally {
    setSimdEnabled(true);
  }
}

function assertSame(js: ReturnType<typeof ccdPass>, simd: ReturnType<typeof ccdPass>): void {
  sameBits('SCI', simd.arrays.sci, js.arrays.sci);
  sameBits('ERR', simd.arrays.err, js.arrays.err);
  sameBits('DQ', simd.arrays.dq, js.arrays.dq);
  assert.deepEqual(simd.counts, js.counts);
  assert.deepEqual(simd.sums, js.sums);
}

describe('SIMD CCD kernel', () => {
  for (const [i, c] of CASES.entries()) {
    test(`gives the JavaScript kernel's pixels, counts and statistics (${c.name})`, () => {
      const { g, js, simd } = runBoth(c, 11 + i);
      assertSame(js, simd);
      assert.ok(js.counts.atodsat >= 250 && js.counts.saturated >= 250, JSON.stringify(js.counts));
      if (c.post !== 'none') {
        assert.ok(js.sums && js.sums.n > 0.99 * g.outNx * g.outNy && js.sums.n < g.outNx * g.outNy);
      }
    });
  }

  test('CALDERA_SIMD=0 selects the JavaScript kernels for the whole process', () => {
    const probe = (env: string | undefined) => {
      const src = `import { simdKernels } from ${JSON.stringify(new URL('../../src/calib/wasm/index.ts', import.meta.url).href)}; console.log(simdKernels() === null ? 'js' : 'simd');`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', src], {
        encoding: 'utf8',
        env: { ...process.env, CALDERA_SIMD: env },
      });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trim();
    };
    assert.equal(probe('0'), 'js');
    assert.equal(probe(undefined), 'simd');
  });

  test('a drift array refilled between chips is read afresh', () => {
    const { input, post, g } = runBoth(CASES[0], 3);
    // The same Float32Array objects with new contents, as a caller recycling its buffers would pass.
    for (const a of input.amps) a.colDrift?.fill(0.75);
    try {
      setSimdEnabled(false);
      const js = ccdPass(input, post, flagged(g));
      setSimdEnabled(true);
      assertSame(js, ccdPass(input, post, flagged(g)));
    } finally {
      setSimdEnabled(true);
    }
  });
});

// The WebAssembly SIMD kernels, assembled and compiled once per thread on first use. Each thread's
// instance owns a small memory of row buffers: a sweep copies a row's inputs in (memcpy-speed,
// the row stays in cache), runs the kernel, and copies the results out to the chip arrays, which
// stay ordinary typed arrays (backed by huge pages, shared with the writer and the workers).
import { AsmError, assemble } from './assemble.ts';
import { CCD_OUT, CCD_ROWS, type CcdVariant, ccdRowName } from './ccd-kernel.ts';

export { CCD_OUT, type CcdVariant } from './ccd-kernel.ts';
export { AsmError, assemble, type ValType, type WasmFunc, type WasmModuleSpec } from './assemble.ts';

/** Longest row segment the buffers hold (pixels); longer segments take the JavaScript kernels. */
export const SIMD_MAX_ROW = 8192;

type CcdRowFn = (
  raw: number,
  drift: number,
  bias: number,
  bErr: number,
  bDq: number,
  dark: number,
  inv: number,
  sci: number,
  err: number,
  dq: number,
  dqIn: number,
  out: number,
  count: number,
  lvl: number,
  g: number,
  bScale: number,
  dt: number,
  atod: number,
  sat: number,
  base: number,
  dq0: number,
  sdq: number,
) => void;

/** One thread's kernels and their row buffers (byte addresses and views of the same memory). */
export class SimdKernels {
  private readonly fns: Record<string, unknown>;
  /** Byte addresses of the row buffers (`zeros` stays all zero: absent terms read it). */
  readonly at: Record<
    'raw' | 'bias' | 'bErr' | 'bDq' | 'dark' | 'inv' | 'sci' | 'err' | 'dq' | 'zeros' | 'out',
    number
  >;
  /** Column-drift rows, one slot per amp, kept while the same drift array comes back. */
  private readonly driftSlots: { at: number; of: Float32Array | null }[];
  private nextDriftSlot = 0;
  readonly raw: Uint16Array;
  readonly bias: Float32Array;
  readonly bErr: Float32Array;
  readonly bDq: Uint16Array;
  readonly dark: Float32Array;
  readonly inv: Float32Array;
  readonly sci: Float32Array;
  readonly err: Float32Array;
  readonly dq: Uint16Array;
  /** A call's results (CCD_OUT layout) as float64, float32 and int32 words. */
  readonly outF64: Float64Array;
  readonly outF32: Float32Array;
  readonly outI32: Int32Array;

  constructor(instance: WebAssembly.Instance) {
    const ex = instance.exports as Record<string, unknown>;
    this.fns = ex;
    const buf = (ex.mem as WebAssembly.Memory).buffer;
    // Each buffer has room for SIMD_MAX_ROW pixels plus the padding of the last 4-pixel group.
    const f32 = (slot: number) => new Float32Array(buf, slot * SLOT, SIMD_MAX_ROW + 4);
    const u16 = (slot: number) => new Uint16Array(buf, slot * SLOT, SIMD_MAX_ROW + 4);
    this.at = {
      raw: 0,
      zeros: SLOT,
      bias: 2 * SLOT,
      bErr: 13 * SLOT,
      bDq: 14 * SLOT,
      dark: 3 * SLOT,
      inv: 4 * SLOT,
      sci: 5 * SLOT,
      err: 6 * SLOT,
      dq: 7 * SLOT,
      out: 8 * SLOT,
    };
    this.driftSlots = [0, 1, 2, 3].map((i) => ({ at: (9 + i) * SLOT, of: null }));
    this.raw = u16(0);
    this.bias = f32(2);
    this.bErr = f32(13);
    this.bDq = u16(14);
    this.dark = f32(3);
    this.inv = f32(4);
    this.sci = f32(5);
    this.err = f32(6);
    this.dq = u16(7);
    this.outF64 = new Float64Array(buf, this.at.out, CCD_OUT.bytes / 8);
    this.outF32 = new Float32Array(buf, this.at.out, CCD_OUT.bytes / 4);
    this.outI32 = new Int32Array(buf, this.at.out, CCD_OUT.bytes / 4);
    this.buf = buf;
  }

  private readonly buf: ArrayBuffer;

  /** The CCD row kernel of a variant. */
  ccdRow(v: CcdVariant): CcdRowFn {
    return this.fns[ccdRowName(v)] as CcdRowFn;
  }

  /**
   * Forgets the drift rows held in the slots. Called at the start of each chip's pass: within a
   * pass the drift arrays are fixed, but a caller may refill the same array for the next chip.
   */
  forgetDrift(): void {
    for (const s of this.driftSlots) s.of = null;
  }

  /**
   * Address of a drift row (zeros when there is none). A chip's amps alternate row by row, so each
   * keeps its own slot and is copied in once per chip rather than once per row.
   */
  driftAt(drift: Float32Array, w: number): number {
    if (drift.length === 0) return this.at.zeros;
    for (const s of this.driftSlots) if (s.of === drift) return s.at;
    const slot = this.driftSlots[this.nextDriftSlot];
    this.nextDriftSlot = (this.nextDriftSlot + 1) % this.driftSlots.length;
    new Float32Array(this.buf, slot.at, w).set(drift.subarray(0, w));
    slot.of = drift;
    return slot.at;
  }
}

const SLOT = (SIMD_MAX_ROW + 64) * 4;
const PAGES = Math.ceil((15 * SLOT) / 65536);

let compiled: WebAssembly.Module | null | undefined;
let kernels: SimdKernels | null | undefined;
let enabled = process.env.CALDERA_SIMD !== '0';

/**
 * Turns the SIMD kernels off or on for this thread (tests and benchmarks compare them with the
 * JavaScript kernels; CALDERA_SIMD=0 turns them off for a whole run).
 */
export function setSimdEnabled(on: boolean): void {
  enabled = on;
}

/**
 * This thread's kernels, or null when they are switched off (CALDERA_SIMD=0, to compare against
 * the JavaScript kernels) or the engine lacks WebAssembly SIMD.
 */
export function simdKernels(): SimdKernels | null {
  if (!enabled) return null;
  if (kernels !== undefined) return kernels;
  const mod = simdModule();
  kernels = mod ? new SimdKernels(new WebAssembly.Instance(mod, {})) : null;
  return kernels;
}

function simdModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  const bytes = assemble({ funcs: CCD_ROWS, memory: { initial: PAGES, maximum: PAGES } });
  try {
    compiled = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    // An engine without SIMD rejects the module at compile time; a wrong kernel is our bug.
    if (
      e instanceof WebAssembly.CompileError &&
      !WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123]))
    ) {
      compiled = null;
    } else throw new AsmError(`the SIMD kernels do not compile: ${(e as Error).message}`);
  }
  return compiled;
}

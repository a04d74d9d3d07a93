// A small WebAssembly assembler: functions written in the flat (linear) instruction form of the
// text format, with named params, locals and labels, become a module's bytes. It exists so the hot
// pixel kernels can use 128-bit SIMD, which JavaScript cannot, while their source stays readable
// text in this repository: no compiler toolchain, no committed binary. Only what the kernels need
// is supported (void blocks, loops and ifs, one or no result, one exported memory); anything else is an
// AsmError naming the function and token.
import { SCALAR, SCALAR_MEMORY, SIMD, SIMD_MEMORY, SIMD_SHUFFLE } from './opcodes.ts';

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';

export interface WasmFunc {
  name: string;
  /** Named parameters in call order. */
  params: Record<string, ValType>;
  result?: ValType;
  locals?: Record<string, ValType>;
  /** The body in linear text form: one instruction per token group, `;;` comments allowed. */
  body: string;
}

export interface WasmModuleSpec {
  funcs: WasmFunc[];
  /** Initial and maximum memory in 64 KiB pages; the memory is exported as "mem". */
  memory: { initial: number; maximum: number };
}

export class AsmError extends Error {
  readonly code = 'E_WASM_ASM';
  constructor(message: string) {
    super(message);
    this.name = 'AsmError';
  }
}

const TYPE_CODE: Record<ValType, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };

/** Assembles the module (validated by the engine when compiled). */
export function assemble(spec: WasmModuleSpec): Uint8Array {
  const funcIndex = new Map(spec.funcs.map((f, i) => [f.name, i]));
  const types: string[] = [];
  const typeOf = spec.funcs.map((f) => {
    const sig = `${Object.values(f.params).join(',')}->${f.result ?? ''}`;
    let t = types.indexOf(sig);
    if (t < 0) t = types.push(sig) - 1;
    return t;
  });
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  section(out, 1, vec(types.map((sig) => funcType(sig))));
  section(out, 3, vec(typeOf.map((t) => uleb(t))));
  const { initial, maximum } = spec.memory;
  section(out, 5, vec([[0x01, ...uleb(initial), ...uleb(maximum)]]));
  const exports = spec.funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]);
  exports.push([...name('mem'), 0x02, 0x00]);
  section(out, 7, vec(exports));
  section(out, 10, vec(spec.funcs.map((f) => sized(funcBody(f, funcIndex)))));
  return Uint8Array.from(out);
}

function funcType(sig: string): number[] {
  const [ps, r] = sig.split('->');
  const params = ps ? ps.split(',').map((t) => TYPE_CODE[t as ValType]) : [];
  const results = r ? [TYPE_CODE[r as ValType]] : [];
  return [0x60, ...vecBytes(params), ...vecBytes(results)];
}

function funcBody(f: WasmFunc, funcIndex: Map<string, number>): number[] {
  const names = [...Object.keys(f.params), ...Object.keys(f.locals ?? {})];
  const localIndex = new Map(names.map((n, i) => [n, i]));
  if (localIndex.size !== names.length) throw new AsmError(`${f.name}: a local repeats a parameter's name`);
  const localTypes = Object.values(f.locals ?? {});
  // Locals are declared one run per entry; the engine merges them.
  const decls = vec(localTypes.map((t) => [0x01, TYPE_CODE[t]]));
  const code = new Encoder(f.name, localIndex, funcIndex).encode(f.body);
  return [...decls, ...code, 0x0b];
}

/** Turns the instruction text into bytes, resolving names of locals, labels and functions. */
class Encoder {
  private readonly bytes: number[] = [];
  private readonly labels: (string | undefined)[] = [];
  private tokens: string[] = [];
  private pos = 0;

  private readonly func: string;
  private readonly locals: Map<string, number>;
  private readonly funcs: Map<string, number>;

  constructor(func: string, locals: Map<string, number>, funcs: Map<string, number>) {
    this.func = func;
    this.locals = locals;
    this.funcs = funcs;
  }

  encode(body: string): number[] {
    this.tokens = body
      .replace(/;;[^\n]*/g, ' ')
      .split(/\s+/)
      .filter((t) => t.length > 0);
    while (this.pos < this.tokens.length) this.instruction(this.next());
    if (this.labels.length !== 0) this.fail(`${this.labels.length} block(s) not closed by end`);
    return this.bytes;
  }

  private next(): string {
    const t = this.tokens[this.pos++];
    if (t === undefined) this.fail('the body ends inside an instruction');
    return t;
  }

  private fail(message: string): never {
    throw new AsmError(`wasm function ${this.func}: ${message}`);
  }

  private emit(...b: number[]): void {
    for (const x of b) this.bytes.push(x);
  }

  private instruction(op: string): void {
    this.emit(...this.bytesOf(op));
  }

  /** The bytes of one instruction and its immediates (consumed from the token stream). */
  private bytesOf(op: string): number[] {
    if (op === 'block' || op === 'loop' || op === 'if')
      return this.open({ block: 0x02, loop: 0x03, if: 0x04 }[op]);
    if (op === 'else') {
      if (this.labels.length === 0) this.fail('else outside an if');
      return [0x05];
    }
    if (op === 'end') {
      if (this.labels.pop() === undefined) this.fail('end without a block');
      return [0x0b];
    }
    if (op === 'br' || op === 'br_if') return [op === 'br' ? 0x0c : 0x0d, ...uleb(this.label())];
    if (op === 'local.get' || op === 'local.set' || op === 'local.tee') {
      return [SCALAR[op], ...uleb(this.local())];
    }
    if (op === 'call') {
      const n = this.next();
      const i = this.funcs.get(n.replace(/^\$/, ''));
      if (i === undefined) this.fail(`call to unknown function ${n}`);
      return [0x10, ...uleb(i)];
    }
    if (op === 'i32.const') return [0x41, ...sleb(this.integer())];
    if (op === 'f64.const') return [0x44, ...f64Bytes(this.float())];
    if (op === 'f32.const') return [0x43, ...f32Bytes(this.float())];
    if (op === 'v128.const') return [0xfd, ...uleb(12), ...this.v128()];
    if (op in SCALAR_MEMORY) return [SCALAR_MEMORY[op][0], ...this.memarg(SCALAR_MEMORY[op][1])];
    if (op in SCALAR) return [SCALAR[op]];
    if (op in SIMD_MEMORY) return [0xfd, ...uleb(SIMD_MEMORY[op][0]), ...this.memarg(SIMD_MEMORY[op][1])];
    if (op === SIMD_SHUFFLE) {
      const lanes = Array.from({ length: 16 }, () => this.integer());
      return [0xfd, ...uleb(13), ...lanes];
    }
    if (op in SIMD) return [0xfd, ...uleb(SIMD[op])];
    return this.fail(`unknown instruction ${op}`);
  }

  private open(code: number): number[] {
    const t = this.tokens[this.pos];
    const label = t?.startsWith('$') ? t : undefined;
    if (label) this.pos++;
    this.labels.push(label ?? '');
    return [code, 0x40];
  }

  /** A branch target: `$name` or a relative depth. */
  private label(): number {
    const t = this.next();
    if (/^\d+$/.test(t)) return Number(t);
    for (let d = 0; d < this.labels.length; d++) {
      if (this.labels[this.labels.length - 1 - d] === t) return d;
    }
    return this.fail(`branch to unknown label ${t}`);
  }

  private local(): number {
    const t = this.next();
    const i = /^\d+$/.test(t) ? Number(t) : this.locals.get(t.replace(/^\$/, ''));
    if (i === undefined) this.fail(`unknown local ${t}`);
    return i;
  }

  private integer(): number {
    const t = this.next();
    const v = Number(t);
    if (!Number.isInteger(v)) this.fail(`expected an integer, found ${t}`);
    return v;
  }

  private float(): number {
    const t = this.next();
    const v = t === 'inf' ? Infinity : t === '-inf' ? -Infinity : t === 'nan' ? Number.NaN : Number(t);
    if (Number.isNaN(v) && t !== 'nan') this.fail(`expected a number, found ${t}`);
    return v;
  }

  /** `v128.const <shape> lanes…` for the shapes i32x4 and f32x4. */
  private v128(): number[] {
    const shape = this.next();
    if (shape !== 'i32x4' && shape !== 'f32x4') this.fail(`v128.const shape ${shape} is not supported`);
    const buf = new DataView(new ArrayBuffer(16));
    for (let i = 0; i < 4; i++) {
      if (shape === 'i32x4') buf.setInt32(i * 4, this.integer(), true);
      else buf.setFloat32(i * 4, this.float(), true);
    }
    return [...new Uint8Array(buf.buffer)];
  }

  /** Optional `offset=N` and `align=N` (bytes) after a memory instruction. */
  private memarg(naturalAlignLog2: number): number[] {
    let offset = 0;
    let alignLog2 = naturalAlignLog2;
    for (;;) {
      const t = this.tokens[this.pos];
      const m = t && /^(offset|align)=(\d+)$/.exec(t);
      if (!m) break;
      this.pos++;
      if (m[1] === 'offset') offset = Number(m[2]);
      else alignLog2 = Math.log2(Number(m[2]));
      if (!Number.isInteger(alignLog2) || alignLog2 > naturalAlignLog2) this.fail(`bad alignment ${t}`);
    }
    return [...uleb(alignLog2), ...uleb(offset)];
  }
}

function uleb(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  let v = n | 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

function f64Bytes(v: number): number[] {
  return [...new Uint8Array(new Float64Array([v]).buffer)];
}

function f32Bytes(v: number): number[] {
  return [...new Uint8Array(new Float32Array([v]).buffer)];
}

function name(s: string): number[] {
  const b = [...new TextEncoder().encode(s)];
  return [...uleb(b.length), ...b];
}

function vecBytes(items: number[]): number[] {
  return [...uleb(items.length), ...items];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function sized(content: number[]): number[] {
  return [...uleb(content.length), ...content];
}

function section(out: number[], id: number, content: number[]): void {
  out.push(id, ...sized(content));
}

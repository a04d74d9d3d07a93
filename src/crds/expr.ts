// A safe evaluator for the Python expression subset used in rmap headers (rmap_relevance, rmap_omit,
// parkey_relevance): literals, names bound to header values, comparisons (incl. chained, in, not in,
// is), and/or/not, + and -, lists/tuples, and a few builtins. Compiled once to closures; never eval.
import { PyEvalError } from './errors.ts';
import { pyFloat, pyFloatRepr, pyInt, pyStrRepr } from './py.ts';

export type ExprValue = string | number | boolean | null | ExprValue[];
export type Env = Record<string, string>;
export type Compiled = (env: Env) => ExprValue;

type Tok = { t: 'name' | 'str' | 'num' | 'op' | 'eof'; v: string; n?: number };

const OPS = ['==', '!=', '<=', '>=', '<', '>', '(', ')', '[', ']', ',', '+', '-', '*', '%', '/'];

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\') {
          s += src[j + 1] === 'n' ? '\n' : src[j + 1];
          j += 2;
        } else s += src[j++];
      }
      if (j >= src.length) throw new SyntaxError('unterminated string');
      out.push({ t: 'str', v: s });
      i = j + 1;
    } else if (/[0-9.]/.test(c) && /[0-9]/.test(src[i + 1] ?? c)) {
      const m = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(src.slice(i))!;
      out.push({ t: 'num', v: m[0], n: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ t: 'name', v: m[0] });
      i += m[0].length;
    } else {
      const op = OPS.find((o) => src.startsWith(o, i));
      if (!op) throw new SyntaxError(`invalid character ${JSON.stringify(c)}`);
      out.push({ t: 'op', v: op });
      i += op.length;
    }
  }
  out.push({ t: 'eof', v: '' });
  return out;
}

function truthy(v: ExprValue): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'string') return v.length > 0;
  return Boolean(v);
}

function typeName(v: ExprValue): string {
  if (v === null) return 'NoneType';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  return Number.isInteger(v) ? 'int' : 'float';
}

function eq(a: ExprValue, b: ExprValue): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => eq(x, b[i]));
  if (typeof a === 'boolean' && typeof b === 'number') return Number(a) === b;
  if (typeof b === 'boolean' && typeof a === 'number') return Number(b) === a;
  return a === b;
}

function order(op: string, a: ExprValue, b: ExprValue): boolean {
  const num = (x: ExprValue) => typeof x === 'number' || typeof x === 'boolean';
  if (!((num(a) && num(b)) || (typeof a === 'string' && typeof b === 'string'))) {
    throw new PyEvalError(`'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
  }
  const x = a as number | string;
  const y = b as number | string;
  return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
}

function contains(container: ExprValue, item: ExprValue): boolean {
  if (Array.isArray(container)) return container.some((x) => eq(x, item));
  if (typeof container === 'string') {
    if (typeof item !== 'string') throw new PyEvalError("'in <string>' requires string as left operand");
    return container.includes(item);
  }
  throw new PyEvalError(`argument of type '${typeName(container)}' is not iterable`);
}

const BUILTINS: Record<string, (args: ExprValue[]) => ExprValue> = {
  float: ([x]) => (typeof x === 'string' ? pyFloat(x) : Number(x)),
  int: ([x]) => (typeof x === 'string' ? pyInt(x) : Math.trunc(Number(x))),
  str: ([x]) => (typeof x === 'number' && !Number.isInteger(x) ? pyFloatRepr(x) : String(x)),
  len: ([x]) => (Array.isArray(x) || typeof x === 'string' ? x.length : Number.NaN),
  abs: ([x]) => Math.abs(Number(x)),
  bool: ([x]) => truthy(x),
};

class ExprParser {
  private p = 0;
  private readonly toks: Tok[];
  constructor(toks: Tok[]) {
    this.toks = toks;
  }
  private peek(): Tok {
    return this.toks[this.p];
  }
  private isOp(v: string): boolean {
    const t = this.peek();
    return t.t === 'op' && t.v === v;
  }
  private isName(v: string): boolean {
    const t = this.peek();
    return t.t === 'name' && t.v === v;
  }
  private expect(v: string): void {
    const t = this.toks[this.p++];
    if (t.v !== v) throw new SyntaxError(`expected '${v}' but found '${t.v || 'end'}'`);
  }

  parse(): Compiled {
    const e = this.or();
    if (this.peek().t !== 'eof') throw new SyntaxError(`unexpected '${this.peek().v}'`);
    return e;
  }

  private or(): Compiled {
    let left = this.and();
    while (this.isName('or')) {
      this.p++;
      const l = left;
      const r = this.and();
      left = (env) => {
        const v = l(env);
        return truthy(v) ? v : r(env);
      };
    }
    return left;
  }

  private and(): Compiled {
    let left = this.not();
    while (this.isName('and')) {
      this.p++;
      const l = left;
      const r = this.not();
      left = (env) => {
        const v = l(env);
        return truthy(v) ? r(env) : v;
      };
    }
    return left;
  }

  private not(): Compiled {
    if (this.isName('not')) {
      this.p++;
      const e = this.not();
      return (env) => !truthy(e(env));
    }
    return this.comparison();
  }

  private compOp(): string | null {
    const t = this.peek();
    if (t.t === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.v)) {
      this.p++;
      return t.v;
    }
    if (this.isName('in')) {
      this.p++;
      return 'in';
    }
    if (this.isName('not') && this.toks[this.p + 1]?.v === 'in') {
      this.p += 2;
      return 'not in';
    }
    if (this.isName('is')) {
      this.p++;
      if (this.isName('not')) {
        this.p++;
        return 'is not';
      }
      return 'is';
    }
    return null;
  }

  private comparison(): Compiled {
    const first = this.arith();
    const ops: string[] = [];
    const rest: Compiled[] = [];
    for (let op = this.compOp(); op; op = this.compOp()) {
      ops.push(op);
      rest.push(this.arith());
    }
    if (ops.length === 0) return first;
    return (env) => {
      let a = first(env);
      for (let i = 0; i < ops.length; i++) {
        const b = rest[i](env);
        if (!compare(ops[i], a, b)) return false;
        a = b;
      }
      return true;
    };
  }

  private arith(): Compiled {
    let left = this.unary();
    while (this.isOp('+') || this.isOp('-')) {
      const op = this.toks[this.p++].v;
      const l = left;
      const r = this.unary();
      left = (env) => {
        const a = l(env);
        const b = r(env);
        if (op === '+' && typeof a === 'string' && typeof b === 'string') return a + b;
        if (typeof a === 'number' && typeof b === 'number') return op === '+' ? a + b : a - b;
        throw new PyEvalError(`unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
      };
    }
    return left;
  }

  private unary(): Compiled {
    if (this.isOp('-')) {
      this.p++;
      const e = this.unary();
      return (env) => {
        const v = e(env);
        if (typeof v !== 'number') throw new PyEvalError(`bad operand type for unary -: '${typeName(v)}'`);
        return -v;
      };
    }
    return this.atom();
  }

  private atom(): Compiled {
    const t = this.toks[this.p++];
    if (t.t === 'str') {
      let s = t.v;
      while (this.peek().t === 'str') s += this.toks[this.p++].v;
      return () => s;
    }
    if (t.t === 'num') {
      const n = t.n!;
      return () => n;
    }
    if (t.t === 'name') {
      if (t.v === 'True') return () => true;
      if (t.v === 'False') return () => false;
      if (t.v === 'None') return () => null;
      const name = t.v;
      if (this.isOp('(')) {
        this.p++;
        const args = this.items(')');
        const fn = BUILTINS[name];
        return (env) => {
          if (!fn) throw new PyEvalError(`name ${pyStrRepr(name)} is not defined`);
          return fn(args.map((a) => a(env)));
        };
      }
      return (env) => {
        const v = env[name];
        if (v === undefined) throw new PyEvalError(`name ${pyStrRepr(name)} is not defined`);
        return v;
      };
    }
    if (t.t === 'op' && (t.v === '(' || t.v === '[')) {
      const close = t.v === '(' ? ')' : ']';
      if (t.v === '(' && !this.isOp(')')) {
        const first = this.or();
        if (this.isOp(')')) {
          this.p++;
          return first;
        }
        this.expect(',');
        const rest = this.items(')');
        const all = [first, ...rest];
        return (env) => all.map((e) => e(env));
      }
      const items = this.items(close);
      return (env) => items.map((e) => e(env));
    }
    throw new SyntaxError(`unexpected '${t.v || 'end of expression'}'`);
  }

  private items(close: string): Compiled[] {
    const out: Compiled[] = [];
    while (!this.isOp(close)) {
      out.push(this.or());
      if (!this.isOp(close)) this.expect(',');
    }
    this.p++;
    return out;
  }
}

function compare(op: string, a: ExprValue, b: ExprValue): boolean {
  switch (op) {
    case '==':
      return eq(a, b);
    case '!=':
      return !eq(a, b);
    case 'in':
      return contains(b, a);
    case 'not in':
      return !contains(b, a);
    case 'is':
      return a === b;
    case 'is not':
      return a !== b;
    default:
      return order(op, a, b);
  }
}

/** Compiles a header expression; throws SyntaxError for anything outside the supported subset. */
export function compileExpr(src: string): Compiled {
  return new ExprParser(lex(src)).parse();
}

/** Names an expression refers to (for the lookup cache key). */
export function exprNames(src: string): string[] {
  try {
    return lex(src)
      .filter((t) => t.t === 'name')
      .map((t) => t.v);
  } catch {
    return [];
  }
}

export { truthy };

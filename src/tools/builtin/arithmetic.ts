/**
 * A small arithmetic evaluator: numbers (decimals, `1e3`), + - * / % ^ (power, right-assoc.,
 * binding tighter than unary minus: -2^2 = -4), parentheses, the constants pi and e, and the
 * functions sqrt, abs, round(x[, digits]), floor, ceil, min, max. It parses by hand; nothing
 * reaches eval or Function, so "process.exit()" is just an unknown name.
 */
export class ArithmeticError extends Error {
  override name = 'ArithmeticError';
}

/** Longest expression accepted, and deepest nesting (keeps the recursion far from the stack limit). */
export const MAX_EXPRESSION_LENGTH = 1000;
const MAX_DEPTH = 100;

type Token = { kind: 'num'; value: number; at: number } | { kind: 'name'; value: string; at: number } | { kind: 'op'; value: string; at: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(\*\*|[-+*/%^(),]))/y;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) throw new ArithmeticError(`Unexpected character "${text.slice(at).trim()[0]}" at position ${at + 1}`);
    const start = m.index + m[0].length - (m[1] ?? m[2] ?? m[3] ?? '').length;
    if (m[1] !== undefined) tokens.push({ kind: 'num', value: Number(m[1]), at: start });
    else if (m[2] !== undefined) tokens.push({ kind: 'name', value: m[2].toLowerCase(), at: start });
    else tokens.push({ kind: 'op', value: m[3] === '**' ? '^' : m[3]!, at: start });
    at = re.lastIndex;
  }
  return tokens;
}

const CONSTANTS: Record<string, number> = { pi: Math.PI, e: Math.E };

function roundTo(x: number, digits = 0): number {
  if (!Number.isInteger(digits) || digits < 0 || digits > 15) throw new ArithmeticError('round: digits must be a whole number from 0 to 15');
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

const FUNCTIONS: Record<string, { arity: [number, number]; fn: (...args: number[]) => number }> = {
  sqrt: {
    arity: [1, 1],
    fn: (x) => {
      if (x! < 0) throw new ArithmeticError('sqrt of a negative number');
      return Math.sqrt(x!);
    },
  },
  abs: { arity: [1, 1], fn: (x) => Math.abs(x!) },
  round: { arity: [1, 2], fn: (x, d) => roundTo(x!, d) },
  floor: { arity: [1, 1], fn: (x) => Math.floor(x!) },
  ceil: { arity: [1, 1], fn: (x) => Math.ceil(x!) },
  min: { arity: [1, 100], fn: (...xs) => Math.min(...xs) },
  max: { arity: [1, 100], fn: (...xs) => Math.max(...xs) },
};

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): number {
    if (this.tokens.length === 0) throw new ArithmeticError('The expression is empty');
    const value = this.expr();
    const extra = this.tokens[this.i];
    if (extra) throw new ArithmeticError(`Unexpected "${extra.value}" at position ${extra.at + 1}`);
    return value;
  }

  private peek(op: string) {
    const t = this.tokens[this.i];
    return t?.kind === 'op' && t.value === op;
  }

  private expect(op: string) {
    if (!this.peek(op)) {
      const t = this.tokens[this.i];
      throw new ArithmeticError(t ? `Expected "${op}" at position ${t.at + 1}, found "${t.value}"` : `Expected "${op}" at the end`);
    }
    this.i++;
  }

  private nested<T>(fn: () => T): T {
    if (++this.depth > MAX_DEPTH) throw new ArithmeticError('The expression is nested too deeply');
    try {
      return fn();
    } finally {
      this.depth--;
    }
  }

  private expr(): number {
    let left = this.term();
    while (this.peek('+') || this.peek('-')) {
      const op = this.tokens[this.i++]!.value;
      const right = this.term();
      left = op === '+' ? left + right : left - right;
    }
    return left;
  }

  private term(): number {
    let left = this.unary();
    while (this.peek('*') || this.peek('/') || this.peek('%')) {
      const op = this.tokens[this.i++]!.value;
      const right = this.unary();
      if ((op === '/' || op === '%') && right === 0) throw new ArithmeticError(op === '/' ? 'Division by zero' : 'Modulo by zero');
      left = op === '*' ? left * right : op === '/' ? left / right : left % right;
    }
    return left;
  }

  private unary(): number {
    if (this.peek('-') || this.peek('+')) {
      const op = this.tokens[this.i++]!.value;
      const value = this.nested(() => this.unary());
      return op === '-' ? -value : value;
    }
    return this.power();
  }

  private power(): number {
    const base = this.primary();
    if (!this.peek('^')) return base;
    this.i++;
    const exponent = this.nested(() => this.unary());
    return base ** exponent;
  }

  private primary(): number {
    const t = this.tokens[this.i++];
    if (!t) throw new ArithmeticError('The expression ends too early');
    if (t.kind === 'num') return t.value;
    if (t.kind === 'op' && t.value === '(') {
      const value = this.nested(() => this.expr());
      this.expect(')');
      return value;
    }
    if (t.kind === 'name') {
      if (t.value in CONSTANTS && !this.peek('(')) return CONSTANTS[t.value]!;
      const fn = FUNCTIONS[t.value];
      if (!fn) throw new ArithmeticError(`Unknown name "${t.value}"; functions: ${Object.keys(FUNCTIONS).join(', ')}; constants: pi, e`);
      this.expect('(');
      const args = [this.nested(() => this.expr())];
      while (this.peek(',')) {
        this.i++;
        args.push(this.nested(() => this.expr()));
      }
      this.expect(')');
      const [least, most] = fn.arity;
      if (args.length < least || args.length > most) throw new ArithmeticError(`${t.value} takes ${least === most ? least : `${least} to ${most}`} argument${most > 1 ? 's' : ''}`);
      return fn.fn(...args);
    }
    throw new ArithmeticError(`Unexpected "${t.value}" at position ${t.at + 1}`);
  }
}

/**
 * Evaluates an expression. The result is rounded to 15 significant digits so binary noise does
 * not reach the model (0.1 + 0.2 = 0.3); a non-finite result is an error.
 */
export function evaluate(expression: string): number {
  if (expression.length > MAX_EXPRESSION_LENGTH) throw new ArithmeticError(`The expression is longer than ${MAX_EXPRESSION_LENGTH} characters`);
  const value = new Parser(tokenize(expression)).parse();
  if (!Number.isFinite(value)) throw new ArithmeticError('The result is not a finite number');
  return Number(value.toPrecision(15)) + 0; // + 0 turns -0 into 0
}

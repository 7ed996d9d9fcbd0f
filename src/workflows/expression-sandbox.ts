import jsonata from 'jsonata';

/**
 * What makes JSONata safe to run for any workflow author (src/workflows/expressions.ts uses it).
 *
 * JSONata has no way to reach the host by itself: property lookups only read own fields of JSON
 * values (`constructor`, `__proto__`, `toString` give nothing), object constructors refuse the
 * internal `_jsonata_*` keys, and expressions cannot register functions (only the host API can,
 * and Troupe registers none). What remains is bound here:
 *
 * - `$eval` (runs a string as an expression) is replaced by a function that fails: it would dodge
 *   the length cap and the static checks (which nodes an expression reads).
 * - Every other built-in of JSONata 2.2 ({@link SAFE_FUNCTIONS}) is wrapped: string arguments and
 *   string results are at most {@link MAX_STRING_CHARS}, array results at most
 *   {@link MAX_SEQUENCE} items, and `$pad`/`$join` are refused before they would build more.
 *   `$now`/`$millis` (the evaluation's start), `$random` and `$shuffle` are kept: a node's output
 *   is recorded once, so a retried run never sees a different value.
 * - Regular expressions run on V8's linear-time engine (flag `l`) when it takes the pattern; the
 *   rest (the `i` flag, backreferences, lookaround, large counted repeats) run on the backtracking
 *   engine only when the pattern has no repeated group holding a repetition or an alternation (the
 *   shapes that backtrack exponentially) and on at most {@link MAX_BACKTRACKING_INPUT} characters.
 * - Time, depth and sequences are bounded by JSONata's own guardrails (`timeout`, `stack`,
 *   `sequence` options), checked at every evaluation step.
 */

/** Characters of JSON text a result may have (a value, a rendered template, a templated JSON). */
export const MAX_RESULT_CHARS = 1_000_000;
/** Longest string a built-in function takes or builds. */
export const MAX_STRING_CHARS = 10_000_000;
/** Longest sequence (array) built while evaluating. */
export const MAX_SEQUENCE = 1_000_000;
/**
 * JSONata's evaluation depth limit. About four levels per call of a user function, so a
 * non-tail-recursive function can go about 250 calls deep (measured: `$f(250)` passes, `$f(400)`
 * stops); tail calls are trampolined and not limited by it, the timeout stops those.
 */
export const MAX_DEPTH = 1000;
/** Longest text a regular expression the linear engine refuses may search. */
export const MAX_BACKTRACKING_INPUT = 10_000;
/** How deep a result may nest. */
export const MAX_RESULT_DEPTH = 500;

/** A failure raised by the sandbox; expressions.ts turns it into an ExpressionError. */
export class ExpressionFault extends Error {
  override name = 'ExpressionFault';
  constructor(
    readonly code: string,
    message: string,
    readonly position?: number,
  ) {
    super(message);
  }
}

/** The JSONata built-ins an expression may call (all of JSONata 2.2's but `$eval`), besides `$now` and `$millis`. */
export const SAFE_FUNCTIONS = [
  'sum', 'count', 'max', 'min', 'average', 'string', 'substring', 'substringBefore', 'substringAfter', 'lowercase',
  'uppercase', 'length', 'trim', 'pad', 'match', 'contains', 'replace', 'split', 'join', 'formatNumber', 'formatBase',
  'formatInteger', 'parseInteger', 'number', 'floor', 'ceil', 'round', 'abs', 'sqrt', 'power', 'random', 'boolean',
  'not', 'map', 'zip', 'filter', 'single', 'reduce', 'sift', 'keys', 'lookup', 'append', 'exists', 'spread', 'merge',
  'reverse', 'each', 'error', 'assert', 'type', 'sort', 'shuffle', 'distinct', 'base64encode', 'base64decode',
  'encodeUrlComponent', 'encodeUrl', 'decodeUrlComponent', 'decodeUrl', 'toMillis', 'fromMillis', 'clone',
] as const;
/** Built-ins that are bound to a failing function. */
export const DISABLED_FUNCTIONS = ['eval'] as const;

/** JSONata's shape for a host function. */
interface NativeFunction {
  _jsonata_function: true;
  implementation: (...args: unknown[]) => unknown;
  signature?: unknown;
  arity?: number;
}

const isThenable = (v: unknown): v is PromiseLike<unknown> => typeof (v as { then?: unknown } | null)?.then === 'function';

function checkStrings(name: string, args: unknown[]) {
  for (const a of args) {
    if (typeof a === 'string' && a.length > MAX_STRING_CHARS) throw new ExpressionFault('string_too_long', `$${name}: a string argument is longer than ${MAX_STRING_CHARS} characters`);
  }
}

function checkOutput(name: string, out: unknown): unknown {
  if (typeof out === 'string' && out.length > MAX_STRING_CHARS) throw new ExpressionFault('string_too_long', `$${name} would build a string longer than ${MAX_STRING_CHARS} characters`);
  if (Array.isArray(out) && out.length > MAX_SEQUENCE) throw new ExpressionFault('sequence_too_long', `$${name} would build a list longer than ${MAX_SEQUENCE} items`);
  return out;
}

/** Checks made before a built-in runs, for those whose output can be far larger than their input. */
const PRECHECKS: Partial<Record<string, (args: unknown[]) => void>> = {
  pad([, width, char]) {
    const unit = typeof char === 'string' && char.length > 1 ? char.length : 1;
    if (typeof width === 'number' && Math.abs(width) * unit > MAX_STRING_CHARS) throw new ExpressionFault('string_too_long', `$pad would build a string longer than ${MAX_STRING_CHARS} characters`);
  },
  join([strs, sep]) {
    if (!Array.isArray(strs)) return;
    let total = typeof sep === 'string' ? sep.length * strs.length : 0;
    for (const s of strs) total += typeof s === 'string' ? s.length : 0;
    if (total > MAX_STRING_CHARS) throw new ExpressionFault('string_too_long', `$join would build a string longer than ${MAX_STRING_CHARS} characters`);
  },
};

function guard(name: string, def: NativeFunction): NativeFunction {
  const original = def.implementation;
  const pre = PRECHECKS[name];
  const implementation = function (this: unknown, ...args: unknown[]) {
    checkStrings(name, args);
    pre?.(args);
    const out = original.apply(this, args);
    return isThenable(out) ? Promise.resolve(out).then((v) => checkOutput(name, v)) : checkOutput(name, out);
  };
  // JSONata reads a native function's parameter names from its source for partial application
  // (`$substring(?, 0, 2)`) and its arity for higher-order calls: keep the original's.
  Object.defineProperty(implementation, 'toString', { value: () => original.toString() });
  return { ...def, implementation, arity: original.length };
}

const disabled = (name: string): NativeFunction => ({
  _jsonata_function: true,
  implementation: () => {
    throw new ExpressionFault('function_disabled', `$${name} is not available in workflow expressions`);
  },
});

let bindings: Promise<Record<string, NativeFunction>> | undefined;

/** The variables every evaluation gets: the guarded built-ins and the disabled ones (they shadow JSONata's). */
export function sandboxBindings(): Promise<Record<string, NativeFunction>> {
  bindings ??= (async () => {
    // Built-ins are only reachable from an expression; fetch them all once.
    const names = SAFE_FUNCTIONS.map((n) => `"${n}": $${n}`).join(', ');
    const originals = (await jsonata(`{${names}}`).evaluate({})) as Record<string, NativeFunction>;
    const out: Record<string, NativeFunction> = {};
    for (const name of SAFE_FUNCTIONS) out[name] = guard(name, originals[name]!);
    for (const name of DISABLED_FUNCTIONS) out[name] = disabled(name);
    return out;
  })();
  return bindings;
}

// ---- regular expressions ----

/**
 * Whether V8's linear-time engine can be used. Node has it behind a flag that only makes the
 * RegExp constructor accept the `l` flag (no other regular expression changes). Elsewhere (a
 * browser) the backtracking rules apply to every pattern.
 */
/** V8's flag for its linear-time engine (a variable: linters know no such flag). */
const LINEAR_FLAG = 'l';
const LINEAR = (() => {
  const accepts = () => {
    try {
      new RegExp('a', LINEAR_FLAG);
      return true;
    } catch {
      return false;
    }
  };
  if (accepts()) return true;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const v8 = proc?.getBuiltinModule?.('node:v8') as { setFlagsFromString?: (flags: string) => void } | undefined;
  try {
    v8?.setFlagsFromString?.('--enable-experimental-regexp-engine');
  } catch {
    return false;
  }
  return accepts();
})();

/** Whether regular expressions run on the linear-time engine where it takes them (for tests and docs). */
export const LINEAR_REGEXP = LINEAR;

/** `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}` at `i`: its length and whether it repeats (more than once). */
function quantifierAt(p: string, i: number): { length: number; repeats: boolean } | undefined {
  const c = p[i];
  let length = 0;
  let repeats = false;
  if (c === '*' || c === '+') [length, repeats] = [1, true];
  else if (c === '?') [length, repeats] = [1, false];
  else if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i, i + 24));
    if (!m) return undefined;
    const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
    [length, repeats] = [m[0].length, max > 1];
  } else return undefined;
  if (p[i + length] === '?') length += 1;
  return { length, repeats };
}

/**
 * Why a pattern could backtrack exponentially, or undefined: a backreference, or a repeated group
 * that holds a repetition or an alternation (`(a+)+`, `(a|aa)*`). Polynomial cases (`.*.*x`) pass;
 * the input cap keeps them short.
 */
export function backtrackingRisk(p: string): string | undefined {
  const groups: { repeats: boolean; alternation: boolean }[] = [{ repeats: false, alternation: false }];
  let i = 0;
  while (i < p.length) {
    const c = p[i]!;
    if (c === '\\') {
      if (/[1-9k]/.test(p[i + 1] ?? '')) return 'it uses a backreference';
      i += 2;
    } else if (c === '[') {
      i += p[i + 1] === '^' ? 2 : 1;
      if (p[i] === ']') i += 1;
      while (i < p.length && p[i] !== ']') i += p[i] === '\\' ? 2 : 1;
      i += 1;
    } else if (c === '(') {
      groups.push({ repeats: false, alternation: false });
      i += 1;
      if (p[i] !== '?') continue;
      if (p[i + 1] !== '<') i += 2; // (?: (?= (?!
      else if (p[i + 2] === '=' || p[i + 2] === '!') i += 3; // (?<= (?<!
      else i = p.includes('>', i) ? p.indexOf('>', i) + 1 : p.length; // (?<name>
    } else if (c === ')') {
      const inner = groups.length > 1 ? groups.pop()! : groups[0]!;
      i += 1;
      const q = quantifierAt(p, i);
      if (q?.repeats && (inner.repeats || inner.alternation)) return 'a repeated group holds a repetition or an alternation';
      groups.at(-1)!.repeats ||= inner.repeats || Boolean(q?.repeats);
      i += q?.length ?? 0;
    } else if (c === '|') {
      groups.at(-1)!.alternation = true;
      i += 1;
    } else {
      const q = quantifierAt(p, i);
      if (q) {
        groups.at(-1)!.repeats ||= q.repeats;
        i += q.length;
      } else i += 1;
    }
  }
  return undefined;
}

interface RegexPlan {
  flags: string;
  linear: boolean;
  refused?: string;
}
const plans = new Map<string, RegexPlan>();

/** How a pattern will run (or why it is refused), decided once per pattern and flags. */
export function regexPlan(source: string, flags: string): RegexPlan {
  const key = `${flags}/${source}`;
  let plan = plans.get(key);
  if (plan) return plan;
  plan = { flags, linear: false };
  if (LINEAR) {
    try {
      new RegExp(source, flags + LINEAR_FLAG);
      plan = { flags: flags + LINEAR_FLAG, linear: true };
    } catch {
      // Not linear-time: the backtracking rules below.
    }
  }
  if (!plan.linear) {
    const risk = backtrackingRisk(source);
    if (risk) plan.refused = `the regular expression /${source}/ could take exponential time (${risk})`;
  }
  if (plans.size >= 1000) plans.clear();
  plans.set(key, plan);
  return plan;
}

/** JSONata's RegexEngine option: it is constructed with the literal's RegExp and used through `lastIndex` and `exec`. */
class GuardedRegExp {
  private readonly re: RegExp;
  private readonly maxInput: number;

  constructor(literal: RegExp) {
    const plan = regexPlan(literal.source, literal.flags);
    if (plan.refused) throw new ExpressionFault('regex_refused', plan.refused);
    this.re = new RegExp(literal.source, plan.flags);
    this.maxInput = plan.linear ? MAX_STRING_CHARS : MAX_BACKTRACKING_INPUT;
  }

  get lastIndex() {
    return this.re.lastIndex;
  }

  set lastIndex(value: number) {
    this.re.lastIndex = value;
  }

  exec(text: string) {
    if (text.length > this.maxInput) {
      throw new ExpressionFault('string_too_long', `the regular expression /${this.re.source}/ may search at most ${this.maxInput} characters (this text has ${text.length})`);
    }
    return this.re.exec(text);
  }
}

/** Options for jsonata(text, options). */
export function jsonataOptions(timeoutMs: number) {
  return { timeout: timeoutMs, stack: MAX_DEPTH, sequence: MAX_SEQUENCE, RegexEngine: GuardedRegExp as unknown as RegExpConstructor };
}

// ---- results ----

const isFunctionValue = (v: unknown) =>
  typeof v === 'function' || (typeof v === 'object' && v !== null && ((v as { _jsonata_lambda?: unknown })._jsonata_lambda === true || (v as { _jsonata_function?: unknown })._jsonata_function === true));

/**
 * A result as plain JSON: JSONata's sequences become arrays, functions and undefined are dropped
 * from objects (null in arrays, as JSON.stringify does), `__proto__` keys are dropped, and nothing
 * is shared with the scope. Refused over `maxChars` characters of JSON or {@link MAX_RESULT_DEPTH}
 * levels; the size is counted while copying, so a huge value is refused before it is serialized.
 *
 * @returns the copy and its JSON length (0 for undefined).
 */
export function toPlainJson(value: unknown, maxChars = MAX_RESULT_CHARS): { value: unknown; chars: number } {
  if (isFunctionValue(value)) throw new ExpressionFault('not_json', 'the expression gives a function, not a value');
  if (value === undefined) return { value: undefined, chars: 0 };
  let chars = 0;
  const add = (n: number) => {
    chars += n;
    if (chars > maxChars) throw new ExpressionFault('result_too_large', `the result is larger than ${maxChars} characters of JSON`);
  };
  const copy = (v: unknown, depth: number): unknown => {
    if (depth > MAX_RESULT_DEPTH) throw new ExpressionFault('result_too_deep', `the result nests deeper than ${MAX_RESULT_DEPTH} levels`);
    if (v === null || v === undefined || isFunctionValue(v)) {
      add(4);
      return null;
    }
    switch (typeof v) {
      case 'string':
        // Cheap lower bound first, so a huge string is refused without being escaped.
        add(v.length + 2);
        add(JSON.stringify(v).length - v.length - 2);
        return v;
      case 'number':
        if (!Number.isFinite(v)) {
          add(4);
          return null;
        }
        add(String(v).length);
        return v;
      case 'boolean':
        add(v ? 4 : 5);
        return v;
      case 'object': {
        if (Array.isArray(v)) {
          add(2 + Math.max(0, v.length - 1));
          return v.map((item) => copy(item, depth + 1));
        }
        const out: Record<string, unknown> = {};
        add(2);
        for (const key of Object.keys(v)) {
          const item = (v as Record<string, unknown>)[key];
          if (key === '__proto__' || item === undefined || isFunctionValue(item)) continue;
          add(JSON.stringify(key).length + 2);
          out[key] = copy(item, depth + 1);
        }
        return out;
      }
      default:
        add(4);
        return null;
    }
  };
  const out = copy(value, 0);
  return { value: out, chars };
}

import jsonata from 'jsonata';
import { ExpressionFault, MAX_RESULT_CHARS, MAX_SEQUENCE, jsonataOptions, regexPlan, sandboxBindings, toPlainJson } from './expression-sandbox.js';
import { soleExpression, splitTemplate } from './template-parts.js';

/**
 * Workflow expressions: JSONata (https://jsonata.org) over one scope, everywhere (docs/workflows.md).
 *
 * - A field named `expression`, `items`, `until`, `when`, `filter` or `result` is one expression.
 * - Every other string in a templated field is a template: `{{ expr }}` pieces are replaced by
 *   their value's text (strings as they are, numbers, booleans, objects and arrays as JSON,
 *   null and nothing as empty); a string that is exactly one `{{ expr }}` (whitespace around
 *   allowed) gives the value itself; `\{{` is a literal `{{`.
 * - The scope is the expression's input (`$`, and `$$` from anywhere): `input`, `nodes.<id>.output`,
 *   `run`, `env.org`, and in a map body `item` and `index`.
 *
 * Limits (src/workflows/expression-sandbox.ts has the rest): an expression is at most
 * {@link MAX_EXPRESSION_CHARS} characters and a template {@link MAX_TEMPLATE_CHARS}; one call
 * (an evaluation, a template, a templated JSON value) runs at most `timeoutMs` (default
 * {@link DEFAULT_TIMEOUT_MS}) per expression and starts no expression after that much time has
 * passed since it began; its result is at most 1,000,000 characters of JSON.
 */

/** As definition.ts caps an expression field. */
export const MAX_EXPRESSION_CHARS = 10_000;
/** As definition.ts caps a template field. */
export const MAX_TEMPLATE_CHARS = 50_000;
export const DEFAULT_TIMEOUT_MS = 1000;
/** Compiled expressions kept (by text); a definition of 500 nodes has a few hundred. */
const CACHE_SIZE = 1000;

export interface ExpressionScope {
  input: unknown;
  nodes: Record<string, { output: unknown }>;
  run: { id: string; workflowId: string; version: number; startedAt: string };
  env: { org: { id: string; name: string } };
  /** In a map body: the item this pass runs for, and its index. */
  item?: unknown;
  index?: number;
}

/** The top-level names of the scope. */
export const SCOPE_ROOTS = ['input', 'nodes', 'run', 'env', 'item', 'index'] as const;

/** Where an expression sits: its node (null outside any node) and field path (`config.args.to`). */
export interface ExpressionSite {
  nodeId: string | null;
  path: string;
}

export interface EvaluateOptions {
  /** Per expression, and for starting one in a template or templated JSON. Default {@link DEFAULT_TIMEOUT_MS}. */
  timeoutMs?: number;
}

/** A problem found without evaluating. `position`: a character offset in the field's text, near the problem. */
export interface SyntaxProblem {
  code: string;
  message: string;
  position?: number;
}

/**
 * An expression failed. `code` is JSONata's (`S0201` a syntax error, `T2001` a type error, `D3137`
 * `$error()`, …) or one of: `timeout`, `too_deep`, `sequence_too_long`, `string_too_long`,
 * `result_too_large`, `result_too_deep`, `not_json`, `regex_refused`, `function_disabled`,
 * `expression_too_long`, `template_too_long`, `template_syntax`, `empty`.
 */
export class ExpressionError extends Error {
  override name = 'ExpressionError';
  readonly nodeId: string | null;
  readonly path: string;
  readonly code: string;
  /** The field's whole text (the template, for a piece of one). */
  readonly expression: string;
  /** Character offset in `expression`, when known. */
  readonly position?: number;
  /** The message without its `node …, path:` prefix. */
  readonly detail: string;

  constructor(site: ExpressionSite, expression: string, fault: SyntaxProblem, offset = 0) {
    const position = fault.position === undefined ? undefined : fault.position + offset;
    const where = site.nodeId === null ? site.path : `node \`${site.nodeId}\`, ${site.path}`;
    super(`${where}: ${fault.message}${position === undefined ? '' : ` (at character ${position})`}`);
    this.nodeId = site.nodeId;
    this.path = site.path;
    this.code = fault.code;
    this.expression = expression;
    this.position = position;
    this.detail = fault.message;
  }

  toJSON() {
    return { code: this.code, message: this.message, nodeId: this.nodeId, path: this.path, expression: this.expression, position: this.position };
  }
}

// ---- compiling ----

interface Analysis {
  nodes: string[];
  roots: string[];
  problems: SyntaxProblem[];
}
type Compiled = { expr: jsonata.Expression; fault?: undefined; analysis?: Analysis } | { expr?: undefined; fault: SyntaxProblem };

const cache = new Map<string, Compiled>();
const cacheStats = { hits: 0, misses: 0 };

/** The compile cache's counters since the process started (for tests and metrics). */
export function expressionCacheStats(): { size: number; hits: number; misses: number } {
  return { size: cache.size, ...cacheStats };
}

/** JSONata's stable codes that Troupe names. */
const CODES: Record<string, string> = { D1012: 'timeout', D1011: 'too_deep', D2014: 'sequence_too_long', D2015: 'sequence_too_long' };

function faultOf(err: unknown, timeoutMs: number): SyntaxProblem {
  if (err instanceof ExpressionFault) return { code: err.code, message: err.message, position: err.position };
  if (err instanceof RangeError) {
    // A JavaScript stack overflow (a parse of thousands of nested brackets), or a string or array past V8's limits.
    if (/call stack/i.test(err.message)) return { code: 'too_deep', message: 'the expression nests too deeply' };
    return { code: 'string_too_long', message: `a value grew too large (${err.message})` };
  }
  const e = err as { code?: unknown; message?: unknown; position?: unknown };
  if (typeof e?.code === 'string') {
    const code = CODES[e.code] ?? e.code;
    const message =
      code === 'timeout'
        ? `the expression ran longer than ${timeoutMs} ms (an endless loop?)`
        : code === 'sequence_too_long'
          ? `a list would be longer than ${MAX_SEQUENCE} items`
          : String(e.message ?? e.code);
    return { code, message, position: typeof e.position === 'number' ? e.position : undefined };
  }
  return { code: 'error', message: err instanceof Error ? err.message : String(err) };
}

/** The compiled expression for a text, from a small LRU cache (keyed by text and time limit). */
function compile(text: string, timeoutMs = DEFAULT_TIMEOUT_MS): Compiled {
  const key = `${timeoutMs}\u0000${text}`;
  const hit = cache.get(key);
  if (hit) {
    cacheStats.hits += 1;
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  cacheStats.misses += 1;
  let entry: Compiled;
  if (text.length > MAX_EXPRESSION_CHARS) entry = { fault: { code: 'expression_too_long', message: `the expression is longer than ${MAX_EXPRESSION_CHARS} characters` } };
  else if (text.trim() === '') entry = { fault: { code: 'empty', message: 'the expression is empty' } };
  else {
    try {
      entry = { expr: jsonata(text, jsonataOptions(timeoutMs)) };
    } catch (err) {
      entry = { fault: faultOf(err, timeoutMs) };
    }
  }
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(key, entry);
  return entry;
}

// ---- static analysis ----

/** AST keys whose expressions see another context than their parent's (a step's items, a matched value). */
const INNER_KEYS = new Set(['stages', 'predicate', 'group', 'terms', 'pattern', 'update', 'delete']);

type AstNode = { type?: string; value?: unknown; position?: number; steps?: AstNode[]; procedure?: AstNode };

/**
 * Which scope roots and node ids an expression reads, and what it may not do ($eval, unsafe
 * regular expressions). A read is a path step from the scope: `nodes.a`, `$.nodes.a` and
 * `$$.nodes.a`, where `$` is the scope (not inside a predicate, a later path step, a group or a
 * transform, where it is the current item), `$$` everywhere. `nodes.*`, `nodes[…]`, `$lookup(nodes, …)`
 * and a variable holding `nodes` read no particular node.
 */
function analyze(ast: unknown): Analysis {
  const nodes = new Set<string>();
  const roots = new Set<string>();
  const problems: SyntaxProblem[] = [];
  const seen = new WeakSet<object>();
  const readFrom = (steps: AstNode[], at: number) => {
    const root = steps[at];
    if (root?.type !== 'name' || typeof root.value !== 'string') return;
    roots.add(root.value);
    const id = steps[at + 1];
    if (root.value === 'nodes' && id?.type === 'name' && typeof id.value === 'string') nodes.add(id.value);
  };
  const visit = (n: unknown, inner: boolean): void => {
    if (typeof n !== 'object' || n === null || n instanceof RegExp || seen.has(n)) return;
    seen.add(n);
    if (Array.isArray(n)) {
      for (const x of n) visit(x, inner);
      return;
    }
    const node = n as AstNode;
    if (node.type === 'path' && Array.isArray(node.steps) && node.steps.length > 0) {
      const first = node.steps[0]!;
      if (first.type === 'name' && !inner) readFrom(node.steps, 0);
      else if (first.type === 'variable' && (first.value === '$' || (first.value === '' && !inner))) readFrom(node.steps, 1);
      node.steps.forEach((step, i) => visit(step, inner || i > 0));
      return;
    }
    if (node.type === 'regex' && node.value instanceof RegExp) {
      const refused = regexPlan(node.value.source, node.value.flags).refused;
      if (refused) problems.push({ code: 'regex_refused', message: refused, position: node.position });
    }
    if (node.type === 'function' && node.procedure?.type === 'variable' && node.procedure.value === 'eval') {
      problems.push({ code: 'function_disabled', message: '$eval is not available in workflow expressions', position: node.procedure.position });
    }
    for (const [key, value] of Object.entries(node)) visit(value, inner || INNER_KEYS.has(key));
  };
  visit(ast, false);
  return { nodes: [...nodes], roots: [...roots], problems };
}

function analysisOf(text: string): Analysis | SyntaxProblem {
  const c = compile(text);
  if (c.fault) return c.fault;
  c.analysis ??= analyze(c.expr.ast());
  return c.analysis;
}

/** Problems in one expression (syntax, length, $eval, unsafe regular expressions), without evaluating it. */
export function checkSyntax(text: string): SyntaxProblem[] {
  const a = analysisOf(text);
  return 'code' in a ? [a] : a.problems;
}

/** Problems in a template: unclosed `{{`, and each piece's (positions in the whole text). */
export function checkTemplateSyntax(text: string): SyntaxProblem[] {
  if (text.length > MAX_TEMPLATE_CHARS) return [{ code: 'template_too_long', message: `the text is longer than ${MAX_TEMPLATE_CHARS} characters` }];
  const split = splitTemplate(text);
  if (split.fault) return [{ code: 'template_syntax', ...split.fault }];
  return split.parts.flatMap((p) =>
    p.kind === 'text' ? [] : checkSyntax(p.text).map((problem) => ({ ...problem, position: problem.position === undefined ? p.offset : problem.position + p.offset })),
  );
}

/**
 * The scope roots (`input`, `nodes`, `item`, …) and node ids (`nodes.<id>`) an expression or a
 * template reads (see {@link analyze} for what counts). A text that does not parse reads nothing.
 */
export function expressionReferences(text: string, kind: 'expression' | 'template' = 'expression'): { nodes: string[]; roots: string[] } {
  const texts = kind === 'expression' ? [text] : (splitTemplate(text).parts ?? []).flatMap((p) => (p.kind === 'expr' ? [p.text] : []));
  const nodes = new Set<string>();
  const roots = new Set<string>();
  for (const t of texts) {
    const a = analysisOf(t);
    if ('code' in a) continue;
    a.nodes.forEach((n) => nodes.add(n));
    a.roots.forEach((r) => roots.add(r));
  }
  return { nodes: [...nodes], roots: [...roots] };
}

/** The node ids an expression or template reads through `nodes.<id>` (path steps only; see {@link expressionReferences}). */
export function referencedNodes(text: string, kind: 'expression' | 'template' = 'expression'): string[] {
  return expressionReferences(text, kind).nodes;
}

// ---- evaluating ----

interface Budget {
  timeoutMs: number;
  deadline: number;
  /** Characters of JSON the call may still produce. */
  chars: number;
}

const newBudget = (options: EvaluateOptions): Budget => {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return { timeoutMs, deadline: Date.now() + timeoutMs, chars: MAX_RESULT_CHARS };
};

/**
 * JSONata's evaluation awaits only settled promises, so a timer cannot fire while it runs: its own
 * `timeout` guardrail (checked at every step) is what stops a long evaluation. This race is the
 * backstop for an evaluation that really waits (none of the bound functions does today).
 */
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ExpressionFault('timeout', `the expression ran longer than ${ms} ms (an endless loop?)`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function run(text: string, scope: ExpressionScope, site: ExpressionSite, budget: Budget, field = text, offset = 0): Promise<unknown> {
  if (Date.now() > budget.deadline) throw new ExpressionError(site, field, { code: 'timeout', message: `the expressions ran longer than ${budget.timeoutMs} ms`, position: 0 }, offset);
  const c = compile(text, budget.timeoutMs);
  if (c.fault) throw new ExpressionError(site, field, c.fault, offset);
  try {
    const result = await withTimeout(c.expr.evaluate(scope, await sandboxBindings()), budget.timeoutMs);
    const { value, chars } = toPlainJson(result, budget.chars);
    budget.chars -= chars;
    return value;
  } catch (err) {
    throw new ExpressionError(site, field, faultOf(err, budget.timeoutMs), offset);
  }
}

/** Evaluates one expression; its value as plain JSON (undefined when it gives nothing). Throws ExpressionError. */
export async function evaluateExpression(text: string, scope: ExpressionScope, site: ExpressionSite, options: EvaluateOptions = {}): Promise<unknown> {
  return run(text, scope, site, newBudget(options));
}

const textOf = (value: unknown) => (value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value));

async function renderString(text: string, scope: ExpressionScope, site: ExpressionSite, budget: Budget): Promise<unknown> {
  const charge = (n: number) => {
    budget.chars -= n;
    if (budget.chars < 0) throw new ExpressionError(site, text, { code: 'result_too_large', message: `the result is larger than ${MAX_RESULT_CHARS} characters` });
  };
  if (text.length > MAX_TEMPLATE_CHARS) throw new ExpressionError(site, text, { code: 'template_too_long', message: `the text is longer than ${MAX_TEMPLATE_CHARS} characters` });
  if (!text.includes('{{')) {
    charge(text.length);
    return text;
  }
  const split = splitTemplate(text);
  if (split.fault) throw new ExpressionError(site, text, { code: 'template_syntax', ...split.fault });
  const sole = soleExpression(split.parts);
  if (sole) return run(sole.text, scope, site, budget, text, sole.offset);
  let out = '';
  for (const part of split.parts) {
    if (part.kind === 'text') {
      charge(part.text.length);
      out += part.text;
    } else out += textOf(await run(part.text, scope, site, budget, text, part.offset));
  }
  return out;
}

/** Renders a template: a string, or the value itself when the text is exactly one `{{ expr }}`. Throws ExpressionError. */
export async function renderTemplate(text: string, scope: ExpressionScope, site: ExpressionSite, options: EvaluateOptions = {}): Promise<unknown> {
  return renderString(text, scope, site, newBudget(options));
}

/** `base.key` / `base[i]`: the field paths of problems and errors. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base === '' ? key : `${base}.${key}`;
}

/**
 * Renders every string of a JSON value as a template (object keys stay as they are). A string
 * that gives nothing is left out of its object, and is null in an array. Error paths name the
 * string (`config.args.to`, `config.value.list[2]`).
 */
export async function renderTemplatedJson(value: unknown, scope: ExpressionScope, site: ExpressionSite, options: EvaluateOptions = {}): Promise<unknown> {
  const budget = newBudget(options);
  const walk = async (v: unknown, path: string): Promise<unknown> => {
    if (typeof v === 'string') return renderString(v, scope, { nodeId: site.nodeId, path }, budget);
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      for (let i = 0; i < v.length; i++) out.push((await walk(v[i], joinPath(path, i))) ?? null);
      return out;
    }
    if (typeof v === 'object' && v !== null) {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v)) {
        if (key === '__proto__') continue;
        const rendered = await walk((v as Record<string, unknown>)[key], joinPath(path, key));
        if (rendered !== undefined) out[key] = rendered;
      }
      return out;
    }
    return v;
  };
  return walk(value, site.path);
}

/** Calls `fn` with every string in a JSON value and its path (for checking templated fields). */
export function forEachString(value: unknown, path: string, fn: (text: string, path: string) => void): void {
  if (typeof value === 'string') fn(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => forEachString(v, joinPath(path, i), fn));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) forEachString(v, joinPath(path, k), fn);
}

import { describe, expect, it } from 'vitest';
import { DISABLED_FUNCTIONS, LINEAR_REGEXP, MAX_BACKTRACKING_INPUT, SAFE_FUNCTIONS, backtrackingRisk } from './expression-sandbox.js';
import {
  ExpressionError,
  checkSyntax,
  checkTemplateSyntax,
  evaluateExpression,
  expressionCacheStats,
  expressionReferences,
  referencedNodes,
  renderTemplate,
  renderTemplatedJson,
  type ExpressionScope,
  type ExpressionSite,
} from './expressions.js';
import { splitTemplate } from './template-parts.js';

const scope: ExpressionScope = {
  input: { name: 'Ann', xs: [1, 2, 3], big: 'a'.repeat(50_000) + '!', nested: { deep: { n: 5 } } },
  nodes: {
    score: { output: { value: 72, tags: ['hot', 'new'], rows: [{ id: 1, ok: true }, { id: 2, ok: false }] } },
    mail: { output: 'sent' },
  },
  run: { id: 'run-1', workflowId: 'wf-1', version: 3, startedAt: '2025-01-02T03:04:05.000Z' },
  env: { org: { id: 'org-1', name: 'Gym' } },
};
const inBody: ExpressionScope = { ...scope, item: { email: 'b@example.com' }, index: 4 };
const site: ExpressionSite = { nodeId: 'score', path: 'config.expression' };

const ev = (text: string, s: ExpressionScope = scope, options?: { timeoutMs?: number }) => evaluateExpression(text, s, site, options);

/** The ExpressionError a promise rejects with (fails the test when it resolves or throws anything else). */
async function failure(p: Promise<unknown>): Promise<ExpressionError> {
  const err = await p.then(
    (v) => {
      throw new Error(`expected a failure, got ${JSON.stringify(v)}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ExpressionError);
  return err as ExpressionError;
}

describe('evaluateExpression', () => {
  it('reads the scope: input, node outputs, run, org, and item/index in a map body', async () => {
    expect(await ev('input.name')).toBe('Ann');
    expect(await ev('nodes.score.output.value + 1')).toBe(73);
    expect(await ev('run.version & "/" & env.org.name')).toBe('3/Gym');
    expect(await ev('item.email & "#" & $string(index)', inBody)).toBe('b@example.com#4');
    expect(await ev('input.xs[$ > 1]')).toEqual([2, 3]);
    // $$ is the scope inside a predicate, where names are the current item's.
    expect(await ev('nodes.score.output.rows[ok = $$.nodes.score.output.rows[0].ok].id')).toBe(1);
    expect(await ev('input.missing')).toBeUndefined();
  });

  it('gives plain JSON, shared with nothing in the scope', async () => {
    const rows = (await ev('nodes.score.output.rows')) as { id: number }[];
    expect(rows).toEqual([{ id: 1, ok: true }, { id: 2, ok: false }]);
    expect(Array.isArray(rows) && Object.keys(rows)).toEqual(['0', '1']);
    rows[0]!.id = 99;
    expect((scope.nodes.score!.output as { rows: { id: number }[] }).rows[0]!.id).toBe(1);
    // A sequence of one is its item; of several, an array.
    expect(await ev('nodes.score.output.rows.id')).toEqual([1, 2]);
    expect(await ev('{"a": input.missing, "b": 1}')).toEqual({ b: 1 });
  });

  it('names the node and the field in its errors, with the position', async () => {
    const syntax = await failure(ev('nodes.score.output.value +'));
    expect(syntax.message).toBe('node `score`, config.expression: Unexpected end of expression (at character 26)');
    expect([syntax.nodeId, syntax.path, syntax.code, syntax.position, syntax.expression]).toEqual(['score', 'config.expression', 'S0207', 26, 'nodes.score.output.value +']);
    const type = await failure(ev('input.name + 1'));
    expect(type.code).toBe('T2001');
    expect(type.message).toMatch(/^node `score`, config\.expression: The left side of the "\+" operator must evaluate to a number/);
    const thrown = await failure(ev('$error("no lead")'));
    expect(thrown.detail).toBe('no lead');
    const outside = await failure(evaluateExpression('1 +', scope, { nodeId: null, path: 'settings.x' }));
    expect(outside.message).toMatch(/^settings\.x: /);
    expect(JSON.parse(JSON.stringify(type))).toMatchObject({ code: 'T2001', nodeId: 'score', path: 'config.expression', expression: 'input.name + 1' });
  });

  it('refuses an expression longer than the definition allows, and an empty one', async () => {
    expect((await failure(ev(`1${' + 1'.repeat(2500)}`))).code).toBe('expression_too_long');
    expect((await failure(ev('   '))).code).toBe('empty');
  });

  it('compiles a text once', async () => {
    const text = `input.name & "${Math.random()}"`;
    const before = expressionCacheStats();
    await ev(text);
    await ev(text);
    const after = expressionCacheStats();
    expect(after.misses - before.misses).toBe(1);
    expect(after.hits - before.hits).toBe(1);
  });
});

describe('the sandbox', () => {
  it('has no $eval', async () => {
    expect(DISABLED_FUNCTIONS).toEqual(['eval']);
    const err = await failure(ev('$eval("1 + 1")'));
    expect(err.code).toBe('function_disabled');
    expect(checkSyntax('$eval("1")').map((p) => p.code)).toEqual(['function_disabled']);
  });

  it('binds every listed built-in, each still working through its guard', async () => {
    const types = (await ev(`[${SAFE_FUNCTIONS.map((n) => `$type($${n})`).join(', ')}]`)) as string[];
    expect(types).toEqual(SAFE_FUNCTIONS.map(() => 'function'));
    expect(await ev('$sum(input.xs) & "|" & $uppercase(input.name) & "|" & $join($map(input.xs, $string), "-")')).toBe('6|ANN|1-2-3');
    expect(await ev('$substring(?, 0, 2)("hello")')).toBe('he');
    expect(await ev('$map(["a", "b"], $uppercase)')).toEqual(['A', 'B']);
    expect(await ev('$sort([3, 1, 2])')).toEqual([1, 2, 3]);
    expect(await ev('$pad("7", -3, "0")')).toBe('007');
    expect(await ev('$keys({"b": 1, "a": 2})')).toEqual(['b', 'a']);
  });

  it('reaches nothing of JavaScript through property names', async () => {
    for (const text of ['constructor', '$.constructor', '"abc".constructor', 'input.__proto__', 'input.constructor.name', '$lookup(input, "constructor")', 'input.name.toString', 'input.xs.length']) {
      expect(await ev(text), text).toBeUndefined();
    }
    const made = await ev('{"__proto__": {"polluted": true}, "ok": 1}');
    expect(made).toEqual({ ok: 1 });
    expect(Object.getPrototypeOf(made)).toBe(Object.prototype);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect((await failure(ev('function($x) { $x }'))).code).toBe('not_json');
  });

  it('stops endless and deep recursion', async () => {
    const started = Date.now();
    const endless = await failure(ev('(function($f){ $f($f) })(function($f){ $f($f) })', scope, { timeoutMs: 200 }));
    expect(endless.code).toBe('timeout');
    expect(endless.message).toMatch(/ran longer than 200 ms/);
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await failure(ev('($f := function($x){ $f($x) + 1 }; $f(1))'))).code).toBe('too_deep');
    // A bounded recursion still runs: 1 + 1 + … 100 times.
    expect(await ev('($f := function($x){ $x <= 0 ? 0 : 1 + $f($x - 1) }; $f(100))')).toBe(100);
    expect(checkSyntax(`${'('.repeat(4000)}1${')'.repeat(4000)}`).map((p) => p.code)).toEqual(['too_deep']);
  });

  it('stops a map over a huge range, by time or by length', async () => {
    const started = Date.now();
    expect((await failure(ev('$count($map([1..999999], function($v){ $sum([1..1000]) }))', scope, { timeoutMs: 200 }))).code).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await failure(ev('$map([1..100000000], function($v){ $v })'))).code).toBe('sequence_too_long');
  });

  it('refuses results over 1 MB of JSON, and strings that would outgrow the limit', async () => {
    // 999,998 characters and two quotes: exactly 1,000,000.
    expect(((await ev('$pad("", 999998)')) as string).length).toBe(999_998);
    expect((await failure(ev('$pad("", 999999)'))).code).toBe('result_too_large');
    expect((await failure(ev('[1..300000]'))).code).toBe('result_too_large');
    expect((await failure(ev('$pad("", 20000000)'))).code).toBe('string_too_long');
    // $pad builds width × the pad's length before cutting: refused before, not after, it builds 20,000,000.
    expect((await failure(ev('$pad("", 2000000, "abcdefghij")'))).code).toBe('string_too_long');
    expect((await failure(ev('$join($map([1..20], function($v){ $pad("", 600000) }))'))).code).toBe('string_too_long');
    // Doubling a string 23 times (16,777,216 characters) is refused when a function gets it.
    expect((await failure(ev('$uppercase($reduce([1..23], function($a, $b){ $a & $a }, "xx"))'))).code).toBe('string_too_long');
    expect((await failure(ev('$length($reduce([1..40], function($a, $b){ $a & $a }, "xx"))'))).code).toBe('string_too_long');
  });

  it('runs regular expressions in linear time, or refuses the exponential shapes', async () => {
    expect(LINEAR_REGEXP).toBe(true);
    const started = Date.now();
    // /(a+)+$/ backtracks 2^50000 times on a backtracking engine.
    expect(await ev('$contains(input.big, /(a+)+$/)')).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await ev('$replace("a-b-c", /-/, "+")')).toBe('a+b+c');
    // The i flag is not linear-time in V8: a safe shape runs on short texts, an exponential one is refused.
    expect(await ev('$contains("Hello", /^HELLO$/i)')).toBe(true);
    expect((await failure(ev('$contains(input.big, /^a+!$/i)'))).code).toBe('string_too_long');
    expect(((await ev(`$contains($pad("", ${MAX_BACKTRACKING_INPUT}, "a"), /^a+$/i)`)) as boolean)).toBe(true);
    const refused = await failure(ev('$contains(input.name, /(a+)+$/i)'));
    expect(refused.code).toBe('regex_refused');
    expect(checkSyntax('$contains(input.name, /(a|aa)*$/i)').map((p) => p.code)).toEqual(['regex_refused']);
  });

  it('judges backtracking shapes', () => {
    expect(backtrackingRisk('(a+)+$')).toMatch(/repeated group/);
    expect(backtrackingRisk('(a|aa)*')).toMatch(/repeated group/);
    expect(backtrackingRisk('(?:x{2,}){3,}')).toMatch(/repeated group/);
    expect(backtrackingRisk('(a)\\1')).toMatch(/backreference/);
    expect(backtrackingRisk('\\k<n>')).toMatch(/backreference/);
    expect(backtrackingRisk('^\\w+@\\w+\\.com$')).toBeUndefined();
    expect(backtrackingRisk('(ab|cd)?x+')).toBeUndefined();
    expect(backtrackingRisk('([a-z]+)\\d')).toBeUndefined();
    expect(backtrackingRisk('(?<year>\\d{4})-(\\d{2}){1}')).toBeUndefined();
    expect(backtrackingRisk('[(+]*(x)')).toBeUndefined();
    expect(backtrackingRisk('(?<unclosed')).toBeUndefined();
  });
});

describe('templates', () => {
  it('replaces each piece by its text: strings as they are, the rest as JSON, nothing as empty', async () => {
    const text = 'Hi {{ input.name }}: {{ nodes.score.output.value }} {{ true }} {{ nodes.score.output.tags }} {{ input.nested.deep }} [{{ null }}{{ input.missing }}]';
    expect(await renderTemplate(text, scope, site)).toBe('Hi Ann: 72 true ["hot","new"] {"n":5} []');
    expect(await renderTemplate('no templates here', scope, site)).toBe('no templates here');
  });

  it('gives the value itself for exactly one template, whitespace around allowed', async () => {
    expect(await renderTemplate('{{ nodes.score.output.value }}', scope, site)).toBe(72);
    expect(await renderTemplate('  {{ input.nested }}\n', scope, site)).toEqual({ deep: { n: 5 } });
    expect(await renderTemplate('{{input.xs}}', scope, site)).toEqual([1, 2, 3]);
    expect(await renderTemplate('{{ false }}', scope, site)).toBe(false);
    expect(await renderTemplate('{{ null }}', scope, site)).toBeNull();
    expect(await renderTemplate('{{ input.missing }}', scope, site)).toBeUndefined();
    expect(await renderTemplate('x{{ 1 }}', scope, site)).toBe('x1');
  });

  it('reads braces inside expressions and escapes', async () => {
    expect(await renderTemplate('{{ {"a": {"b": input.name}} }}', scope, site)).toEqual({ a: { b: 'Ann' } });
    expect(await renderTemplate('{{ "}}" & input.name }}!', scope, site)).toBe('}}Ann!');
    expect(await renderTemplate('\\{{ input.name }} is {{ input.name }}', scope, site)).toBe('{{ input.name }} is Ann');
    expect(await renderTemplate('{{ /* a } comment */ 1 }}', scope, site)).toBe(1);
    expect(splitTemplate('a }} b').parts).toEqual([{ kind: 'text', text: 'a }} b' }]);
  });

  it('fails with the piece, the field and the position in the whole text', async () => {
    const err = await failure(renderTemplate('Dear {{ input.name + 1 }}', scope, { nodeId: 'mail', path: 'config.task' }));
    expect([err.nodeId, err.path, err.code, err.expression]).toEqual(['mail', 'config.task', 'T2001', 'Dear {{ input.name + 1 }}']);
    // JSONata points after the operator: character 20 of the piece, which starts at 7.
    expect(err.position).toBe(7 + ' input.name +'.length);
    const unclosed = await failure(renderTemplate('Dear {{ input.name', scope, site));
    expect([unclosed.code, unclosed.position]).toEqual(['template_syntax', 5]);
  });

  it('refuses a rendered text over 1 MB', async () => {
    expect((await failure(renderTemplate('{{ $pad("", 600000) }}{{ $pad("", 600000) }}', scope, site))).code).toBe('result_too_large');
  });

  it('renders every string of a JSON value, naming the string in errors', async () => {
    const args = { to: '{{ item.email }}', subject: 'Lead {{ index }}', list: ['{{ input.xs }}', '{{ input.missing }}', 3], gone: '{{ input.missing }}', keep: { n: 1, b: null, '{{ input.name }}': 'k' } };
    expect(await renderTemplatedJson(args, inBody, { nodeId: 'mail', path: 'config.args' })).toEqual({
      to: 'b@example.com',
      subject: 'Lead 4',
      list: [[1, 2, 3], null, 3],
      keep: { n: 1, b: null, '{{ input.name }}': 'k' },
    });
    const err = await failure(renderTemplatedJson({ list: ['ok', 'bad {{ 1 + }}'] }, scope, { nodeId: 'mail', path: 'config.args' }));
    expect([err.nodeId, err.path]).toEqual(['mail', 'config.args.list[1]']);
    expect(err.message).toMatch(/^node `mail`, config\.args\.list\[1\]: /);
    expect((await failure(renderTemplatedJson(['{{ $pad("", 600000) }}', '{{ $pad("", 600000) }}'], scope, site))).code).toBe('result_too_large');
  });
});

describe('static checks', () => {
  it('finds the nodes an expression reads through path steps', () => {
    expect(referencedNodes('nodes.a.output.x + $.nodes.b.output + $$.nodes.c + nodes.`d`.output').sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(referencedNodes('$map(input.xs, function($v){ nodes.e.output & $v })')).toEqual(['e']);
    expect(referencedNodes('($x := nodes.f; $x.output)')).toEqual(['f']);
    // Inside a predicate a name is the item's field, and $ the item; $$ is still the scope.
    expect(referencedNodes('input.rows[nodes.g = 1 and $.nodes.h = 2 and $$.nodes.i = 3]')).toEqual(['i']);
    expect(referencedNodes('input.rows.nodes.j')).toEqual([]);
    // Not path steps: documented as reading no particular node.
    expect(referencedNodes('nodes["k"] ~> $lookup("k") & nodes.*')).toEqual([]);
    expect(referencedNodes('nodes.a.', 'expression')).toEqual([]);
  });

  it('finds them in templates, and the scope roots read', () => {
    expect(referencedNodes('Hi {{ nodes.a.output }} and {{ nodes.b.output.x }} {{ nope', 'template')).toEqual([]);
    expect(referencedNodes('Hi {{ nodes.a.output }} and {{ nodes.b.output.x }}', 'template')).toEqual(['a', 'b']);
    expect(expressionReferences('item.name & index & foo & input.rows[bar > 1].baz & $$.run.id').roots.sort()).toEqual(['foo', 'index', 'input', 'item', 'run']);
  });

  it('reports problems without evaluating', () => {
    expect(checkSyntax('nodes.a.output > 3')).toEqual([]);
    expect(checkSyntax('nodes.a.')).toEqual([{ code: 'S0207', message: 'Unexpected end of expression', position: 8 }]);
    expect(checkSyntax('$error("never run")')).toEqual([]);
    expect(checkTemplateSyntax('plain text')).toEqual([]);
    expect(checkTemplateSyntax('x {{ 1 +  }}')).toEqual([{ code: 'S0207', message: 'Unexpected end of expression', position: 4 + ' 1 +  '.length }]);
    expect(checkTemplateSyntax('ok {{ 1 }} {{ a')).toEqual([expect.objectContaining({ code: 'template_syntax', position: 11 })]);
    expect(checkTemplateSyntax('{{ }}')).toEqual([expect.objectContaining({ code: 'empty', position: 2 })]);
    expect(checkTemplateSyntax('x'.repeat(50_001))).toEqual([expect.objectContaining({ code: 'template_too_long' })]);
  });
});

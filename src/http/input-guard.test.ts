import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedMember, type Member, type TestApp } from '../../test/helpers/app.js';
import { MAX_JSON_DEPTH } from './input-guard.js';

/** `depth` nested arrays around `inner` (raw JSON text). */
const nest = (depth: number, inner: string) => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;
const nestedPath = (depth: number) => Array.from({ length: depth }, () => '0').join('.');

/**
 * Crafted input that used to end in a 500 deep in a query or a serializer: lone surrogates,
 * NUL past the old guard's depth, JSON thousands of levels deep, and bad object keys. Each is
 * sent as raw JSON text (escapes as a client would write them) to four endpoints that store it.
 */
describe('the input guard: strings and nesting refused at the edge with the field path', () => {
  let t: TestApp;
  let owner: Member;
  let endpoints: { name: string; url: () => string; body: (poison: string) => string; at: string }[];

  beforeAll(async () => {
    t = await createTestApp('postgres');
    owner = await seedMember(t.ctx, 'owner');
    const agent = json<{ id: string }>(
      await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: owner.headers, payload: { name: 'Guarded', model: 'openai:gpt-4o-mini' } }),
    ).id;
    const conversation = json<{ id: string }>(
      await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: owner.headers, payload: { agentId: agent } }),
    ).id;
    endpoints = [
      { name: 'agent create', url: () => '/api/v1/agents', body: (p) => `{"name":"A","model":"openai:gpt-4o-mini","instructions":${p}}`, at: 'body.instructions' },
      { name: 'chat message', url: () => `/api/v1/conversations/${conversation}/messages`, body: (p) => `{"content":${p}}`, at: 'body.content' },
      { name: 'task create', url: () => '/api/v1/tasks', body: (p) => `{"agentId":"${agent}","title":"T","instructions":"Do","context":{"data":${p}}}`, at: 'body.context.data' },
      { name: 'agent execute context', url: () => `/api/v1/agents/${agent}/execute`, body: (p) => `{"task":"Do","context":{"data":${p}}}`, at: 'body.context.data' },
    ];
  });
  afterAll(() => t.close());

  const send = (url: string, payload: string) =>
    t.app.inject({ method: 'POST', url, headers: { ...owner.headers, 'content-type': 'application/json' }, payload });

  // Levels the poison's own containers add to each endpoint's base path (body = level 1).
  const baseDepth = (at: string) => at.split('.').length - 1;

  const cases: { cause: string; poison: (at: string) => string; path: (at: string) => string; message: string }[] = [
    { cause: 'a lone high surrogate', poison: () => '"x\\ud800y"', path: (at) => at, message: 'contains an unpaired UTF-16 surrogate' },
    { cause: 'a lone low surrogate', poison: () => '"\\udc00"', path: (at) => at, message: 'contains an unpaired UTF-16 surrogate' },
    { cause: 'a lone surrogate in an object key', poison: () => '{"ok":1,"k\\ud800":1}', path: (at) => `${at}.k\\ud800`, message: 'name contains an unpaired UTF-16 surrogate' },
    { cause: 'a NUL in an object key', poison: () => '{"k\\u0000":1}', path: (at) => `${at}.k\\u0000`, message: 'name contains a NUL character' },
    {
      cause: 'a NUL in the deepest accepted level',
      poison: (at) => nest(MAX_JSON_DEPTH - baseDepth(at), '"a\\u0000b"'),
      path: (at) => `${at}.${nestedPath(MAX_JSON_DEPTH - baseDepth(at))}`,
      message: 'contains a NUL character',
    },
    {
      cause: 'a NUL nested deeper than the guard once looked (70 levels)',
      poison: () => nest(70, '"a\\u0000b"'),
      path: (at) => `${at}.${nestedPath(MAX_JSON_DEPTH - baseDepth(at))}`,
      message: `is nested deeper than ${MAX_JSON_DEPTH} levels`,
    },
    {
      cause: 'JSON nested 5,000 deep',
      poison: () => nest(5000, '1'),
      path: (at) => `${at}.${nestedPath(MAX_JSON_DEPTH - baseDepth(at))}`,
      message: `is nested deeper than ${MAX_JSON_DEPTH} levels`,
    },
  ];

  for (const c of cases) {
    it(`refuses ${c.cause} with 400 naming the field, on every endpoint`, async () => {
      for (const e of endpoints) {
        const res = await send(e.url(), e.body(c.poison(e.at)));
        const problem = expectProblem(res, 400);
        expect(problem.errors, e.name).toEqual([{ path: c.path(e.at), message: c.message }]);
        expect(problem.detail.startsWith(`${c.path(e.at)}: `), e.name).toBe(true);
      }
    });
  }

  it('stored nothing from the refused requests', async () => {
    const agents = json<{ items: { name: string }[] }>(await t.app.inject({ url: '/api/v1/agents', headers: owner.headers }));
    expect(agents.items.map((a) => a.name)).toEqual(['Guarded']);
    expect(json<{ items: unknown[] }>(await t.app.inject({ url: '/api/v1/tasks', headers: owner.headers })).items).toEqual([]);
    expect(json<{ items: unknown[] }>(await t.app.inject({ url: '/api/v1/runs', headers: owner.headers })).items).toEqual([]);
  });

  it('accepts well-formed text (surrogate pairs, escapes) and the deepest accepted nesting, and stores it intact', async () => {
    const deep = nest(MAX_JSON_DEPTH - 2, '"deep 😀 \\ud83d\\ude00"');
    const e = endpoints.find((x) => x.name === 'task create')!;
    const res = await send(e.url(), e.body(deep));
    expect(res.statusCode, res.body).toBe(201);
    const task = json<{ id: string; context: { data: unknown } }>(res);
    expect(task.context.data).toEqual(JSON.parse(deep));
    const again = json<{ context: { data: unknown } }>(await t.app.inject({ url: `/api/v1/tasks/${task.id}`, headers: owner.headers }));
    expect(again.context.data).toEqual(JSON.parse(deep));
  });

  it('parses a body nested 100,000 deep without crashing, also when the prototype scan runs', async () => {
    const e = endpoints.find((x) => x.name === 'agent execute context')!;
    expect(expectProblem(await send(e.url(), e.body(nest(100_000, '1'))), 400).code).toBe('validation_failed');
    // "__proto__" makes secure-json-parse walk the parsed value: its walk must not recurse either.
    const proto = `${'{"a":'.repeat(100_000)}{"__proto__":{}}${'}'.repeat(100_000)}`;
    expect(expectProblem(await send(e.url(), e.body(proto)), 400).code).toBe('invalid_json');
  });

  it('refuses the same in query strings and path parameters', async () => {
    const query = await t.app.inject({ url: '/api/v1/agents?search=a%00b', headers: owner.headers });
    expect(expectProblem(query, 400).errors).toEqual([{ path: 'querystring.search', message: 'contains a NUL character' }]);
    const param = await t.app.inject({ url: '/api/v1/agents/a%00b', headers: owner.headers });
    expect(expectProblem(param, 400).errors).toEqual([{ path: 'params.id', message: 'contains a NUL character' }]);
  });
});

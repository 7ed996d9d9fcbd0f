import { describe, expect, it } from 'vitest';
import { json } from '../../../test/helpers/app.js';
import type { DbKind } from '../../../test/helpers/databases.js';
import { useWorkflowApi, type Run } from './runner.test-helpers.js';

/**
 * The workflow engine end to end through the API (issue 15): POST /workflows/:id/run, the run
 * executed by the app's own worker, GET /runs/:id and /runs/:id/nodes. On PostgreSQL and PGlite.
 * Routing, maps, expressions, versions and the list; waits and child runs: runner.waits.test.ts.
 */
describe.each(['postgres', 'pglite'] as DbKind[])('workflow runs on %s', (kind) => {
  const w = useWorkflowApi(kind);
  const { call, create, runToRest, until, nodes, byNode } = w;

  it('routes transforms, a condition, a switch and a parallel fan-out into a join, with JSONata over input and upstream outputs', async () => {
    const id = await create({
      name: 'Routing',
      inputSchema: { type: 'object', properties: { score: { type: 'number' }, name: { type: 'string' } }, required: ['score'] },
      graph: {
        nodes: [
          { id: 'start', type: 'trigger', config: { kind: 'manual' } },
          { id: 'shape', type: 'transform', config: { value: { doubled: '{{ input.score * 2 }}', hello: 'Hi {{ input.name }}' } } },
          { id: 'hot', type: 'condition', config: { expression: 'nodes.shape.output.doubled > 100' } },
          { id: 'tier', type: 'switch', config: { cases: [{ id: 'gold', when: 'input.score >= 90' }, { id: 'silver', when: 'input.score >= 70' }] } },
          { id: 'gold', type: 'transform', config: { value: { tier: 'gold' } } },
          { id: 'other', type: 'transform', config: { value: { tier: 'other' } } },
          { id: 'cold', type: 'transform', config: { value: 'cold' } },
          { id: 'fan', type: 'parallel', config: {} },
          { id: 'a', type: 'transform', config: { value: '{{ 1 + 1 }}' } },
          { id: 'b', type: 'tool', config: { tool: 'calculator', args: { expression: '{{ $string(input.score) }} * 3' } } },
          { id: 'both', type: 'join', config: { mode: 'all' } },
        ],
        edges: [
          { source: 'start', target: 'shape' },
          { source: 'shape', target: 'hot' },
          { source: 'hot', target: 'tier', sourceHandle: 'true' },
          { source: 'hot', target: 'cold', sourceHandle: 'false' },
          { source: 'tier', target: 'gold', sourceHandle: 'gold' },
          { source: 'tier', target: 'other', sourceHandle: 'silver' },
          { source: 'tier', target: 'other', sourceHandle: 'default' },
          { source: 'gold', target: 'fan' },
          { source: 'fan', target: 'a' },
          { source: 'fan', target: 'b' },
          { source: 'a', target: 'both' },
          { source: 'b', target: 'both' },
        ],
      },
    });
    const run = await runToRest(id, { score: 95, name: 'Ann' });
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(run.workflowId).toBe(id);
    expect(run.workflowVersion).toBe(1);
    expect(run.agentId).toBeNull();
    const n = byNode(await nodes(run.id));
    expect(n.get('shape')!.output).toEqual({ doubled: 190, hello: 'Hi Ann' });
    expect(n.get('hot')!.handle).toBe('true');
    expect(n.get('tier')!.handle).toBe('gold');
    expect(n.get('other')!.status).toBe('skipped');
    expect(n.get('cold')!.status).toBe('skipped');
    expect(n.get('b')!.output).toEqual({ expression: '95 * 3', result: 285 });
    expect(n.get('both')!.output).toEqual({ a: 2, b: { expression: '95 * 3', result: 285 } });
    // What each node received: the run's input, or its upstream nodes' outputs by id.
    expect(n.get('start')!.input).toEqual({ score: 95, name: 'Ann' });
    expect(n.get('hot')!.input).toEqual({ shape: { doubled: 190, hello: 'Hi Ann' } });
    expect(n.get('both')!.input).toEqual({ a: 2, b: { expression: '95 * 3', result: 285 } });
    // Several sinks ran: the output is the join's (the only sink that ran besides skipped ones).
    expect(run.result).toEqual({ a: 2, b: { expression: '95 * 3', result: 285 } });

    const cold = await runToRest(id, { score: 10 });
    expect(cold.status).toBe('succeeded');
    expect(cold.result).toBe('cold');
  });


  it('joins: any goes on with the first branch, first N with the first N to finish', async () => {
    const branches = ['a', 'b', 'c'].map((id, i) => ({ id, type: 'transform', config: { value: i } }));
    const joined = (join: Record<string, unknown>) => ({
      name: `Join ${String(join.mode)}`,
      graph: {
        nodes: [{ id: 'start', type: 'trigger', config: { kind: 'manual' } }, { id: 'fan', type: 'parallel', config: {} }, ...branches, { id: 'j', type: 'join', config: join }],
        edges: [{ source: 'start', target: 'fan' }, ...['a', 'b', 'c'].flatMap((id) => [{ source: 'fan', target: id }, { source: id, target: 'j' }])],
      },
    });
    const any = await runToRest(await create(joined({ mode: 'any' })));
    expect(any.status, JSON.stringify(any.error)).toBe('succeeded');
    expect(Object.keys(any.result as object)).toHaveLength(1);
    const first = await runToRest(await create(joined({ mode: 'first', count: 2 })));
    expect(first.status, JSON.stringify(first.error)).toBe('succeeded');
    expect(Object.keys(first.result as object)).toHaveLength(2);
    expect(Object.entries(first.result as object).every(([k, v]) => ({ a: 0, b: 1, c: 2 })[k] === v)).toBe(true);
  });


  it('checks the input against the input schema (400 naming the field) and starts nothing', async () => {
    const id = await create({ name: 'Typed', inputSchema: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] }, graph: { nodes: [{ id: 'start', type: 'trigger', config: { kind: 'manual' } }], edges: [] } });
    const res = await call('POST', `/workflows/${id}/run`, w.roles.admin, { input: { n: 'seven' } });
    expect(res.statusCode).toBe(400);
    expect(json<{ code: string; errors: { path: string }[] }>(res)).toMatchObject({ code: 'invalid_input', errors: [{ path: 'body.input.n' }] });
    const list = json<{ items: unknown[] }>(await call('GET', `/runs?workflowId=${id}`, w.roles.admin));
    expect(list.items).toHaveLength(0);
  });


  it('maps a sub-graph over a list with a concurrency limit, results in input order', async () => {
    const id = await create({
      name: 'Map',
      graph: {
        nodes: [
          { id: 'start', type: 'trigger', config: { kind: 'manual' } },
          {
            id: 'each',
            type: 'map',
            config: {
              items: 'input.people',
              concurrency: 2,
              graph: { nodes: [{ id: 'greet', type: 'transform', config: { value: '{{ $uppercase(item.name) }}#{{ index }}' } }], edges: [] },
            },
          },
        ],
        edges: [{ source: 'start', target: 'each' }],
      },
    });
    const run = await runToRest(id, { people: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] });
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(run.result).toEqual(['A#0', 'B#1', 'C#2']);
    const all = await nodes(run.id);
    const keys = all.map((x) => x.key);
    expect(keys).toEqual(expect.arrayContaining(['each', 'each[0].greet', 'each[1].greet', 'each[2].greet']));
    expect(byNode(all).get('each[1].greet')!.input).toEqual({ item: { name: 'b' }, index: 1 });
  });


  it('fails the run on an expression error naming the node and field; continue makes the error the output', async () => {
    const bad = await create({
      name: 'Broken',
      graph: {
        nodes: [
          { id: 'start', type: 'trigger', config: { kind: 'manual' } },
          { id: 'boom', type: 'transform', config: { value: '{{ $number("x") }}' } },
        ],
        edges: [{ source: 'start', target: 'boom' }],
      },
    });
    const run = await runToRest(bad);
    expect(run.status).toBe('failed');
    expect(run.error!.message).toContain('boom');
    expect(run.error!.message).toContain('config.value');
    const n = byNode(await nodes(run.id));
    expect(n.get('boom')!.status).toBe('failed');

    const tolerant = await create({
      name: 'Tolerant',
      graph: {
        nodes: [
          { id: 'start', type: 'trigger', config: { kind: 'manual' } },
          { id: 'boom', type: 'transform', onError: { policy: 'continue' }, config: { value: '{{ $number("x") }}' } },
          { id: 'after', type: 'transform', config: { value: '{{ nodes.boom.output.code }}' } },
        ],
        edges: [
          { source: 'start', target: 'boom' },
          { source: 'boom', target: 'after' },
        ],
      },
    });
    const ok = await runToRest(tolerant);
    expect(ok.status, JSON.stringify(ok.error)).toBe('succeeded');
    expect(String(ok.result)).toMatch(/^expression_/);
  });


  it('a failed run starts the error workflow with the failed run, once', async () => {
    const handler = await create({
      name: 'On error',
      graph: {
        nodes: [
          { id: 'start', type: 'trigger', config: { kind: 'manual' } },
          { id: 'note', type: 'transform', config: { value: 'failed at {{ input.failedRun.error.details.nodeId }}: {{ input.failedRun.input.tag }}' } },
        ],
        edges: [{ source: 'start', target: 'note' }],
      },
    });
    const id = await create({
      name: 'Fragile',
      settings: { errorWorkflowId: handler },
      graph: {
        nodes: [
          { id: 'start', type: 'trigger', config: { kind: 'manual' } },
          { id: 'boom', type: 'tool', config: { tool: 'calculator', args: { expression: '1 / ' } } },
        ],
        edges: [{ source: 'start', target: 'boom' }],
      },
    });
    const run = await runToRest(id, { tag: 'T1' });
    expect(run.status).toBe('failed');
    const runsOf = async (workflowId: string) => json<{ items: Run[] }>(await call('GET', `/runs?workflowId=${workflowId}`, w.roles.admin)).items;
    for (let i = 0; i < 200 && (await runsOf(handler))[0]?.status !== 'succeeded'; i++) await new Promise((r) => setTimeout(r, 50));
    const handled = await runsOf(handler);
    expect(handled).toHaveLength(1);
    expect(handled[0]!.result).toBe('failed at boom: T1');
  });


  it('a run keeps the version it started on when the workflow is saved while it waits', async () => {
    const def = (value: string) => ({
      name: 'Pinned',
      graph: {
        nodes: [
          { id: 'start', type: 'trigger', config: { kind: 'manual' } },
          { id: 'ok', type: 'approval', config: { title: 'Go?' } },
          { id: 'after', type: 'transform', config: { value } },
        ],
        edges: [
          { source: 'start', target: 'ok' },
          { source: 'ok', target: 'after', sourceHandle: 'approved' },
        ],
      },
    });
    const id = await create(def('version one'));
    const run = await runToRest(id);
    expect(run.status).toBe('waiting');
    expect((await call('PUT', `/workflows/${id}`, w.roles.admin, { definition: def('version two') })).statusCode).toBe(200);
    const approvalId = byNode(await nodes(run.id)).get('ok')!.waitingOn!.approvalId!;
    expect((await call('POST', `/approvals/${approvalId}/approve`, w.roles.admin, {})).statusCode).toBe(200);
    const done = await until(run.id, (r) => r.status === 'succeeded');
    expect(done).toMatchObject({ workflowVersion: 1, result: 'version one' });
    const next = await runToRest(id);
    expect(next.workflowVersion).toBe(2);
  });


  it("the workflows list shows each workflow's latest run and its finished runs, successes and failures", async () => {
    const id = await create({
      name: 'Stats',
      graph: {
        nodes: [
          { id: 'start', type: 'trigger', config: { kind: 'manual' } },
          { id: 'when', type: 'wait_until', config: { until: 'input.when' } },
        ],
        edges: [{ source: 'start', target: 'when' }],
      },
    });
    const idle = await create({ name: 'Never run', graph: { nodes: [{ id: 'start', type: 'trigger', config: { kind: 'manual' } }], edges: [] } });
    expect((await runToRest(id, { when: '2000-01-01T00:00:00Z' })).status).toBe('succeeded');
    expect((await runToRest(id, { when: '2001-01-01T00:00:00Z' })).status).toBe('succeeded');
    const bad = await runToRest(id, { when: 'not a time' });
    expect(bad.status).toBe('failed');
    const list = json<{ items: { id: string; stats: Record<string, unknown> }[] }>(await call('GET', '/workflows?limit=100', w.roles.admin)).items;
    expect(list.find((w) => w.id === id)!.stats).toEqual({ lastRunId: bad.id, lastRunStatus: 'failed', lastRunAt: expect.any(String), runs: 3, succeeded: 2, failed: 1, costMicros: 0, billedMicros: 0 });
    expect(list.find((w) => w.id === idle)!.stats).toEqual({ lastRunId: null, lastRunStatus: null, lastRunAt: null, runs: 0, succeeded: 0, failed: 0, costMicros: 0, billedMicros: 0 });
  });


  it("idempotent start; another organization's workflow and runs answer 404", async () => {
    const id = await create({ name: 'Once', graph: { nodes: [{ id: 'start', type: 'trigger', config: { kind: 'manual' } }], edges: [] } });
    const a = json<Run>(await call('POST', `/workflows/${id}/run`, w.roles.admin, {}, { 'idempotency-key': `k-${kind}` }));
    const b = json<Run>(await call('POST', `/workflows/${id}/run`, w.roles.admin, {}, { 'idempotency-key': `k-${kind}` }));
    expect(b.id).toBe(a.id);
    expect((await call('POST', `/workflows/${id}/run`, w.roles.stranger, {})).statusCode).toBe(404);
    expect((await call('GET', `/runs/${a.id}/nodes`, w.roles.stranger)).statusCode).toBe(404);
  });
});

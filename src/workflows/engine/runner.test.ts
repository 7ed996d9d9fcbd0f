import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, json, seedRoles, type Member, type TestApp } from '../../../test/helpers/app.js';
import type { DbKind } from '../../../test/helpers/databases.js';

/**
 * The workflow engine end to end through the API (issue 15): POST /workflows/:id/run, the run
 * executed by the app's own worker, GET /runs/:id and /runs/:id/nodes. On PostgreSQL and PGlite.
 */
interface Run {
  id: string;
  status: string;
  result: unknown;
  error: { code: string; message: string } | null;
  workflowId: string | null;
  workflowVersion: number | null;
  agentId: string | null;
  parentRunId: string | null;
  billedMicros: number;
}
interface NodeExec {
  key: string;
  startedAt: string;
  finishedAt: string | null;
  input: unknown;
  costMicros: number;
  nodeId: string;
  status: string;
  output: unknown;
  handle: string | null;
  error: { code: string; message: string } | null;
  childRunId: string | null;
  waitingOn: { kind: string; approvalId?: string } | null;
}

describe.each(['postgres', 'pglite'] as DbKind[])('workflow runs on %s', (kind) => {
  let t: TestApp;
  let roles: Awaited<ReturnType<typeof seedRoles>>;
  let agentId: string;

  const call = (method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, who: Member, payload?: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { ...who.headers, ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }) });

  async function create(definition: unknown): Promise<string> {
    const res = await call('POST', '/workflows', roles.admin, { definition });
    expect(res.statusCode, res.body).toBe(201);
    return json<{ id: string }>(res).id;
  }

  async function runToRest(id: string, input: unknown = {}, who: Member = roles.admin): Promise<Run> {
    const res = await call('POST', `/workflows/${id}/run?wait=true`, who, { input });
    expect([200, 202], res.body).toContain(res.statusCode);
    return json<Run>(res);
  }

  async function until(runId: string, done: (r: Run) => boolean, timeoutMs = 15_000): Promise<Run> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const r = json<Run>(await call('GET', `/runs/${runId}`, roles.admin));
      if (done(r)) return r;
      if (Date.now() > end) throw new Error(`run ${runId} stayed ${r.status}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  const nodes = async (runId: string) => json<{ items: NodeExec[] }>(await call('GET', `/runs/${runId}/nodes`, roles.admin)).items;
  const byNode = (items: NodeExec[]) => new Map(items.map((n) => [n.key, n]));

  beforeAll(async () => {
    t = await createTestApp(kind);
    roles = await seedRoles(t.ctx);
    const res = await call('POST', '/agents', roles.admin, { name: 'Writer', model: 'openai:gpt-4o-mini' });
    agentId = json<{ id: string }>(res).id;
  });
  afterAll(() => t.close());

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
    const res = await call('POST', `/workflows/${id}/run`, roles.admin, { input: { n: 'seven' } });
    expect(res.statusCode).toBe(400);
    expect(json<{ code: string; errors: { path: string }[] }>(res)).toMatchObject({ code: 'invalid_input', errors: [{ path: 'body.input.n' }] });
    const list = json<{ items: unknown[] }>(await call('GET', `/runs?workflowId=${id}`, roles.admin));
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
    const runsOf = async (workflowId: string) => json<{ items: Run[] }>(await call('GET', `/runs?workflowId=${workflowId}`, roles.admin)).items;
    for (let i = 0; i < 200 && (await runsOf(handler))[0]?.status !== 'succeeded'; i++) await new Promise((r) => setTimeout(r, 50));
    const handled = await runsOf(handler);
    expect(handled).toHaveLength(1);
    expect(handled[0]!.result).toBe('failed at boom: T1');
  });

  it('an approval node waits without a worker, shows in the approvals inbox, and the decision with form values goes on', async () => {
    const id = await create({
      name: 'Approve refund',
      graph: {
        nodes: [
          { id: 'start', type: 'trigger', config: { kind: 'manual' } },
          {
            id: 'ok',
            type: 'approval',
            config: { title: 'Refund {{ input.amount }} USD?', approverRole: 'admin', form: [{ name: 'reason', label: 'Reason', type: 'string', required: true }] },
          },
          { id: 'yes', type: 'transform', config: { value: 'refunded: {{ nodes.ok.output.values.reason }}' } },
          { id: 'no', type: 'transform', config: { value: 'kept' } },
        ],
        edges: [
          { source: 'start', target: 'ok' },
          { source: 'ok', target: 'yes', sourceHandle: 'approved' },
          { source: 'ok', target: 'no', sourceHandle: 'rejected' },
        ],
      },
    });
    const run = await runToRest(id, { amount: 40 });
    expect(run.status).toBe('waiting');
    const n = byNode(await nodes(run.id));
    expect(n.get('ok')!.status).toBe('waiting');
    const approvalId = n.get('ok')!.waitingOn!.approvalId!;
    const inbox = json<{ items: { id: string; workflow: { id: string; name: string } | null; args: { title: string } }[] }>(await call('GET', '/approvals?status=pending', roles.admin));
    const card = inbox.items.find((a) => a.id === approvalId)!;
    expect(card.workflow).toEqual({ id, name: 'Approve refund' });
    expect(card.args.title).toBe('Refund 40 USD?');
    // A member may not decide an admin's approval; a missing required field is named.
    expect((await call('POST', `/approvals/${approvalId}/approve`, roles.member, { values: { reason: 'x' } })).statusCode).toBe(403);
    const missing = await call('POST', `/approvals/${approvalId}/approve`, roles.admin, { values: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toContain('body.values.reason');
    expect((await call('POST', `/approvals/${approvalId}/approve`, roles.admin, { values: { reason: 'damaged' } })).statusCode).toBe(200);
    const done = await until(run.id, (r) => r.status === 'succeeded' || r.status === 'failed');
    expect(done.status).toBe('succeeded');
    expect(done.result).toBe('refunded: damaged');
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
    expect((await call('PUT', `/workflows/${id}`, roles.admin, { definition: def('version two') })).statusCode).toBe(200);
    const approvalId = byNode(await nodes(run.id)).get('ok')!.waitingOn!.approvalId!;
    expect((await call('POST', `/approvals/${approvalId}/approve`, roles.admin, {})).statusCode).toBe(200);
    const done = await until(run.id, (r) => r.status === 'succeeded');
    expect(done).toMatchObject({ workflowVersion: 1, result: 'version one' });
    const next = await runToRest(id);
    expect(next.workflowVersion).toBe(2);
  });

  it("a sub-workflow runs as a child workflow run; past the node's timeoutSeconds it is given up (node_timeout) and canceled", async () => {
    const slow = await create({
      name: 'Slow child',
      graph: {
        nodes: [
          { id: 'start', type: 'trigger', config: { kind: 'manual' } },
          { id: 'wait', type: 'delay', config: { seconds: 60 } },
          { id: 'out', type: 'transform', config: { value: 'child {{ input.x }}' } },
        ],
        edges: [
          { source: 'start', target: 'wait' },
          { source: 'wait', target: 'out' },
        ],
      },
    });
    const quick = await create({
      name: 'Quick child',
      graph: { nodes: [{ id: 'start', type: 'trigger', config: { kind: 'manual' } }, { id: 'out', type: 'transform', config: { value: 'child {{ input.x }}' } }], edges: [{ source: 'start', target: 'out' }] },
    });
    const parent = (child: string, timeoutSeconds?: number) => ({
      name: 'Parent',
      graph: {
        nodes: [
          { id: 'start', type: 'trigger', config: { kind: 'manual' } },
          { id: 'sub', type: 'sub_workflow', ...(timeoutSeconds ? { timeoutSeconds } : {}), config: { workflowId: child, input: { x: '{{ input.x }}' } } },
        ],
        edges: [{ source: 'start', target: 'sub' }],
      },
    });
    const ok = json<Run>(await call('POST', `/workflows/${await create(parent(quick))}/run`, roles.admin, { input: { x: 7 } }));
    const okDone = await until(ok.id, (r) => r.status === 'succeeded' || r.status === 'failed');
    expect(okDone.result).toBe('child 7');
    const childId = byNode(await nodes(ok.id)).get('sub')!.childRunId!;
    expect(json<Run>(await call('GET', `/runs/${childId}`, roles.admin))).toMatchObject({ parentRunId: ok.id, workflowId: quick, status: 'succeeded' });

    const late = json<Run>(await call('POST', `/workflows/${await create(parent(slow, 1))}/run`, roles.admin, { input: { x: 1 } }));
    const lateDone = await until(late.id, (r) => r.status === 'failed');
    expect(lateDone.error!.code).toBe('node_timeout');
    const slowChild = byNode(await nodes(late.id)).get('sub')!.childRunId!;
    expect(json<Run>(await call('GET', `/runs/${slowChild}`, roles.admin)).status).toBe('canceled');
  });

  it('settings.maxConcurrentRuns: a run waits in the queue until a place is free, waits included', async () => {
    const id = await create({
      name: 'One at a time',
      settings: { maxConcurrentRuns: 1 },
      graph: {
        nodes: [
          { id: 'start', type: 'trigger', config: { kind: 'manual' } },
          { id: 'wait', type: 'delay', config: { seconds: 1 } },
          { id: 'after', type: 'transform', config: { value: 'done' } },
        ],
        edges: [
          { source: 'start', target: 'wait' },
          { source: 'wait', target: 'after' },
        ],
      },
    });
    const started = await Promise.all([1, 2].map(() => call('POST', `/workflows/${id}/run`, roles.admin, { input: {} }).then((r) => json<Run>(r))));
    const done = await Promise.all(started.map((r) => until(r.id, (x) => x.status === 'succeeded' || x.status === 'failed')));
    expect(done.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    // From its first node's start to its last node's end: one after the other, never both at once.
    const spans = await Promise.all(
      done.map(async (r) => {
        const items = await nodes(r.id);
        return { from: Math.min(...items.map((n) => Date.parse(n.startedAt))), to: Math.max(...items.map((n) => Date.parse(n.finishedAt!))) };
      }),
    );
    spans.sort((a, b) => a.from - b.from);
    expect(spans[1]!.from).toBeGreaterThanOrEqual(spans[0]!.to);
  });

  it('a delay parks the run and it goes on when the timer is due', async () => {
    const id = await create({
      name: 'Later',
      graph: {
        nodes: [
          { id: 'start', type: 'trigger', config: { kind: 'manual' } },
          { id: 'wait', type: 'delay', config: { seconds: 1 } },
          { id: 'after', type: 'transform', config: { value: 'woke' } },
        ],
        edges: [
          { source: 'start', target: 'wait' },
          { source: 'wait', target: 'after' },
        ],
      },
    });
    const run = await runToRest(id);
    expect(run.status).toBe('waiting');
    const done = await until(run.id, (r) => r.status === 'succeeded');
    expect(done.result).toBe('woke');
  });

  it('an agent node runs the agent as a child run (parentRunId, in /runs) and its answer is the output', async () => {
    const id = await create({
      name: 'Ask agent',
      graph: {
        nodes: [
          { id: 'start', type: 'trigger', config: { kind: 'manual' } },
          { id: 'write', type: 'agent', config: { agentId, task: 'Say hello to {{ input.name }}' } },
          { id: 'wrap', type: 'transform', config: { value: { text: '{{ nodes.write.output }}' } } },
        ],
        edges: [
          { source: 'start', target: 'write' },
          { source: 'write', target: 'wrap' },
        ],
      },
    });
    const started = json<Run>(await call('POST', `/workflows/${id}/run`, roles.admin, { input: { name: 'Ann' } }));
    const done = await until(started.id, (r) => r.status === 'succeeded' || r.status === 'failed');
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    const n = byNode(await nodes(done.id));
    const childId = n.get('write')!.childRunId!;
    const child = json<Run & { input: { task: string }; output: string }>(await call('GET', `/runs/${childId}`, roles.admin));
    expect(child.parentRunId).toBe(done.id);
    expect(child.agentId).toBe(agentId);
    expect(child.input.task).toBe('Say hello to Ann');
    expect(child.status).toBe('succeeded');
    expect(done.result).toEqual({ text: child.output });
    const children = json<{ items: { id: string }[] }>(await call('GET', `/runs?parentRunId=${done.id}`, roles.admin));
    expect(children.items.map((c) => c.id)).toEqual([childId]);
  });

  it("an agent node's agentVersion runs that version of the agent, not the current one", async () => {
    // Version 1 may use the clock tool (the offline rules model calls a tool the task names), version 2 may not.
    const agent = json<{ id: string }>(await call('POST', '/agents', roles.admin, { name: 'Pinned', model: 'openai:gpt-4o-mini', tools: ['current_time'] }));
    const patched = await call('PATCH', `/agents/${agent.id}`, roles.admin, { tools: [] });
    expect(patched.statusCode, patched.body).toBe(200);
    const agentNode = (id: string, agentVersion?: number) => ({ id, type: 'agent', config: { agentId: agent.id, task: 'Tell me the current_time', ...(agentVersion ? { agentVersion } : {}) } });
    const id = await create({
      name: 'Pinned agent',
      graph: {
        nodes: [{ id: 'start', type: 'trigger', config: { kind: 'manual' } }, agentNode('old', 1), agentNode('now')],
        edges: [
          { source: 'start', target: 'old' },
          { source: 'start', target: 'now' },
        ],
      },
    });
    const started = json<Run>(await call('POST', `/workflows/${id}/run`, roles.admin, { input: {} }));
    const done = await until(started.id, (r) => r.status === 'succeeded' || r.status === 'failed');
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    const n = byNode(await nodes(done.id));
    const child = async (runId: string) => {
      const run = json<{ agentVersion: number }>(await call('GET', `/runs/${runId}`, roles.admin));
      const steps = json<{ items: { kind: string; toolName: string | null }[] }>(await call('GET', `/runs/${runId}/steps`, roles.admin)).items;
      return { version: run.agentVersion, tools: steps.filter((s) => s.kind === 'tool_call').map((s) => s.toolName) };
    };
    expect(await child(n.get('old')!.childRunId!)).toEqual({ version: 1, tools: ['current_time'] });
    expect(await child(n.get('now')!.childRunId!)).toEqual({ version: 2, tools: [] });
  });

  it('cancel cascades from a waiting workflow run to its pending approval', async () => {
    const id = await create({
      name: 'Cancel me',
      graph: {
        nodes: [
          { id: 'start', type: 'trigger', config: { kind: 'manual' } },
          { id: 'ok', type: 'approval', config: { title: 'Go?' } },
        ],
        edges: [{ source: 'start', target: 'ok' }],
      },
    });
    const run = await runToRest(id);
    expect(run.status).toBe('waiting');
    const approvalId = byNode(await nodes(run.id)).get('ok')!.waitingOn!.approvalId!;
    expect((await call('POST', `/runs/${run.id}/cancel`, roles.admin)).statusCode).toBe(200);
    const after = json<Run>(await call('GET', `/runs/${run.id}`, roles.admin));
    expect(after.status).toBe('canceled');
    const approval = json<{ status: string }>(await call('GET', `/approvals/${approvalId}`, roles.admin));
    expect(approval.status).toBe('rejected');
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
    const list = json<{ items: { id: string; stats: Record<string, unknown> }[] }>(await call('GET', '/workflows?limit=100', roles.admin)).items;
    expect(list.find((w) => w.id === id)!.stats).toEqual({ lastRunId: bad.id, lastRunStatus: 'failed', lastRunAt: expect.any(String), runs: 3, succeeded: 2, failed: 1, costMicros: 0, billedMicros: 0 });
    expect(list.find((w) => w.id === idle)!.stats).toEqual({ lastRunId: null, lastRunStatus: null, lastRunAt: null, runs: 0, succeeded: 0, failed: 0, costMicros: 0, billedMicros: 0 });
  });

  it("idempotent start; another organization's workflow and runs answer 404", async () => {
    const id = await create({ name: 'Once', graph: { nodes: [{ id: 'start', type: 'trigger', config: { kind: 'manual' } }], edges: [] } });
    const a = json<Run>(await call('POST', `/workflows/${id}/run`, roles.admin, {}, { 'idempotency-key': `k-${kind}` }));
    const b = json<Run>(await call('POST', `/workflows/${id}/run`, roles.admin, {}, { 'idempotency-key': `k-${kind}` }));
    expect(b.id).toBe(a.id);
    expect((await call('POST', `/workflows/${id}/run`, roles.stranger, {})).statusCode).toBe(404);
    expect((await call('GET', `/runs/${a.id}/nodes`, roles.stranger)).statusCode).toBe(404);
  });
});

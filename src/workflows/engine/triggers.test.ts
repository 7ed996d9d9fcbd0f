import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, json, seedRoles, type Member, type TestApp } from '../../../test/helpers/app.js';
import { toolContext } from '../../../test/helpers/tool-context.js';

/**
 * What starts workflow runs besides POST /workflows/:id/run (issue 15): the schedule trigger (a
 * schedule kept from the trigger on every save), the trigger_workflow tool, and trying one node
 * (POST /workflows/:id/nodes/:nodeId/test); and the node events of the run's event log.
 */
interface Run {
  id: string;
  status: string;
  source: string;
  input: Record<string, unknown>;
  result: unknown;
}

const actorOf = (m: Member) => ({ orgId: m.orgId, userId: m.userId, apiKeyId: null, role: m.role });

describe('workflow triggers and node tests', () => {
  let t: TestApp;
  let roles: Awaited<ReturnType<typeof seedRoles>>;
  let agentId: string;

  const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, who: Member, payload?: unknown) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { ...who.headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }) });

  const scheduled = (cron: string) => ({
    name: 'Weekly digest',
    inputSchema: { type: 'object', properties: { firedAt: { type: 'string' }, kind: { type: 'string' } }, required: ['kind'] },
    graph: {
      nodes: [
        { id: 'start', type: 'trigger', config: { kind: 'schedule', cron, timezone: 'America/New_York', input: { kind: 'digest', firedAt: '{{ input.firedAt }}' } } },
        { id: 'out', type: 'transform', config: { value: '{{ input.kind }} at {{ input.firedAt }}' } },
      ],
      edges: [{ source: 'start', target: 'out' }],
    },
  });

  beforeAll(async () => {
    t = await createTestApp('postgres');
    roles = await seedRoles(t.ctx);
    agentId = json<{ id: string }>(await call('POST', '/agents', roles.admin, { name: 'Writer', model: 'openai:gpt-4o-mini' })).id;
  });
  afterAll(() => t.close());

  it('a schedule trigger becomes a schedule on save (a bad cron is a 400 on the trigger), goes with archive, and each fire runs once', async () => {
    const bad = await call('POST', '/workflows', roles.admin, { definition: scheduled('61 * * * *') });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('graph.nodes[0].config');

    const created = await call('POST', '/workflows', roles.admin, { definition: scheduled('0 9 * * 1') });
    expect(created.statusCode, created.body).toBe(201);
    const id = json<{ id: string }>(created).id;
    const schedules = json<{ items: { workflowId: string | null; taskId: string | null; cron: string; timezone: string; nextFireAt: string }[] }>(await call('GET', '/schedules', roles.admin));
    const mine = schedules.items.find((s) => s.workflowId === id)!;
    expect(mine).toMatchObject({ taskId: null, cron: '0 9 * * 1', timezone: 'America/New_York' });
    expect(new Date(mine.nextFireAt).getUTCDay()).toBe(1);

    const fireAt = new Date('2030-01-07T14:00:00Z');
    const runId = await t.ctx.services.workflows.fire(roles.admin.orgId, id, fireAt);
    expect(await t.ctx.services.workflows.fire(roles.admin.orgId, id, fireAt)).toBe(runId);
    const run = await t.ctx.services.runs.waitForRest(actorOf(roles.admin), runId!, 10_000);
    expect(run).toMatchObject({ source: 'schedule', status: 'succeeded', input: { kind: 'digest', firedAt: fireAt.toISOString() } });
    expect(run.result).toBe(`digest at ${fireAt.toISOString()}`);

    // A save whose trigger is manual drops the schedule; archive drops it too.
    const def = scheduled('0 9 * * 1');
    def.graph.nodes[0] = { id: 'start', type: 'trigger', config: { kind: 'manual' } as never };
    expect((await call('PUT', `/workflows/${id}`, roles.admin, { definition: def })).statusCode).toBe(200);
    const after = json<{ items: { workflowId: string | null }[] }>(await call('GET', '/schedules', roles.admin));
    expect(after.items.some((s) => s.workflowId === id)).toBe(false);
    expect(await t.ctx.services.workflows.fire(roles.admin.orgId, id, new Date())).toBeNull();
  });

  it('trigger_workflow starts a run once per tool call, its input checked against the schema', async () => {
    const id = json<{ id: string }>(
      await call('POST', '/workflows', roles.admin, {
        definition: {
          name: 'From agent',
          inputSchema: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] },
          graph: { nodes: [{ id: 'start', type: 'trigger', config: { kind: 'manual' } }, { id: 'sq', type: 'transform', config: { value: '{{ input.n * input.n }}' } }], edges: [{ source: 'start', target: 'sq' }] },
        },
      }),
    ).id;
    const ctx = toolContext({ app: t.ctx, orgId: roles.admin.orgId });
    const first = await t.ctx.services.tools.execute('trigger_workflow', { workflowId: id, input: { n: 7 } }, ctx);
    expect(first.ok).toBe(true);
    const again = await t.ctx.services.tools.execute('trigger_workflow', { workflowId: id, input: { n: 7 } }, ctx);
    const runId = (first as { output: { runId: string } }).output.runId;
    expect((again as { output: { runId: string } }).output.runId).toBe(runId);
    const run = await t.ctx.services.runs.waitForRest(actorOf(roles.admin), runId, 10_000);
    expect(run).toMatchObject({ source: 'agent', status: 'succeeded', result: 49 });

    const wrong = await t.ctx.services.tools.execute('trigger_workflow', { workflowId: id, input: { n: 'x' } }, toolContext({ app: t.ctx, orgId: roles.admin.orgId }));
    expect(wrong).toMatchObject({ ok: false, error: { code: 'invalid_arguments', issues: [{ path: 'input.n' }] } });
    const foreign = await t.ctx.services.tools.execute('trigger_workflow', { workflowId: id, input: { n: 1 } }, toolContext({ app: t.ctx, orgId: roles.stranger.orgId }));
    expect(foreign).toMatchObject({ ok: false, error: { code: 'invalid_arguments' } });
  });

  it('tries one node with pinned upstream outputs: pure nodes, a tool, an agent; waits are not testable', async () => {
    const id = json<{ id: string }>(
      await call('POST', '/workflows', roles.admin, {
        definition: {
          name: 'Builder',
          graph: {
            nodes: [
              { id: 'start', type: 'trigger', config: { kind: 'manual' } },
              { id: 'score', type: 'agent', config: { agentId, task: 'Score {{ input.email }}' } },
              { id: 'hot', type: 'condition', config: { expression: 'nodes.score.output.value > 50' } },
              { id: 'calc', type: 'tool', config: { tool: 'calculator', args: { expression: '{{ $string(nodes.score.output.value) }} / 2' } } },
              { id: 'later', type: 'delay', config: { seconds: 60 } },
            ],
            edges: [
              { source: 'start', target: 'score' },
              { source: 'score', target: 'hot' },
              { source: 'hot', target: 'calc', sourceHandle: 'true' },
              { source: 'hot', target: 'later', sourceHandle: 'false' },
            ],
          },
        },
      }),
    ).id;
    const pinned = { nodes: { score: { output: { value: 80 } } } };
    const hot = json<{ status: string; output: unknown; handle: string }>(await call('POST', `/workflows/${id}/nodes/hot/test`, roles.member, pinned));
    expect(hot).toMatchObject({ status: 'succeeded', output: true, handle: 'true' });
    const calc = json<{ output: unknown }>(await call('POST', `/workflows/${id}/nodes/calc/test`, roles.member, pinned));
    expect(calc.output).toEqual({ expression: '80 / 2', result: 40 });
    const broken = json<{ status: string; error: { code: string; message: string } }>(
      await call('POST', `/workflows/${id}/nodes/calc/test`, roles.member, { nodes: { score: { output: { value: 'x' } } } }),
    );
    expect(broken).toMatchObject({ status: 'failed', error: { code: 'invalid_arguments' } });
    const agent = json<{ status: string; output: unknown; runId: string }>(await call('POST', `/workflows/${id}/nodes/score/test`, roles.member, { input: { email: 'a@b.c' } }));
    expect(agent.status).toBe('succeeded');
    const run = json<{ input: { task: string }; output: string }>(await call('GET', `/runs/${agent.runId}`, roles.admin));
    expect(run.input.task).toBe('Score a@b.c');
    expect(agent.output).toBe(run.output);
    expect((await call('POST', `/workflows/${id}/nodes/later/test`, roles.member, {})).statusCode).toBe(400);
    expect((await call('POST', `/workflows/${id}/nodes/nope/test`, roles.member, {})).statusCode).toBe(404);
    expect((await call('POST', `/workflows/${id}/nodes/hot/test`, roles.viewer, pinned)).statusCode).toBe(403);
    expect((await call('POST', `/workflows/${id}/nodes/hot/test`, roles.stranger, pinned)).statusCode).toBe(404);
  });

  it('the run event log carries node.started / node.finished with each node id, after run.started', async () => {
    const id = json<{ id: string }>(
      await call('POST', '/workflows', roles.admin, {
        definition: {
          name: 'Events',
          graph: { nodes: [{ id: 'start', type: 'trigger', config: { kind: 'manual' } }, { id: 'a', type: 'transform', config: { value: 1 } }], edges: [{ source: 'start', target: 'a' }] },
        },
      }),
    ).id;
    const run = json<Run>(await call('POST', `/workflows/${id}/run?wait=true`, roles.admin, {}));
    expect(run.status).toBe('succeeded');
    const events = await t.ctx.services.runs.events(actorOf(roles.admin), run.id, 0);
    const types = events.map((e) => `${e.type}${e.data.nodeId ? `:${String(e.data.nodeId)}` : ''}`);
    expect(types[0]).toBe('run.started');
    expect(types).toEqual(expect.arrayContaining(['node.started:start', 'node.finished:start', 'node.started:a', 'node.finished:a']));
    expect(types.at(-1)).toBe('run.finished');
    expect(types.indexOf('node.finished:start')).toBeLessThan(types.indexOf('node.started:a'));
  });
});

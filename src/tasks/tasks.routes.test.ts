import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedRoles, type TestApp } from '../../test/helpers/app.js';

interface Task {
  id: string;
  agentId: string;
  title: string;
  priority: string;
  kind: string;
  status: string;
  runCount: number;
  lastRunId: string | null;
  lastResult: string | null;
  nextRunAt: string | null;
  schedule: { cron: string | null; timezone: string; onceAt: string | null; description: string | null; nextFireAt: string | null; paused: boolean } | null;
}

describe('tasks routes', () => {
  let t: TestApp;
  let r: Awaited<ReturnType<typeof seedRoles>>;
  let agentId: string;
  let foreignAgent: string;

  beforeAll(async () => {
    t = await createTestApp('postgres');
    r = await seedRoles(t.ctx);
    const make = async (headers: Record<string, string>) =>
      json<{ id: string }>(await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers, payload: { name: `Agent ${randomUUID()}`, model: 'openai:gpt-4o-mini', tools: ['calculator', 'schedule_follow_up'] } })).id;
    agentId = await make(r.owner.headers);
    foreignAgent = await make(r.stranger.headers);
  });
  afterAll(() => t.close());

  const create = (headers: Record<string, string>, payload: object) => t.app.inject({ method: 'POST', url: '/api/v1/tasks', headers, payload });

  it('creates ad-hoc and scheduled tasks, naming the field that is wrong', async () => {
    const adhoc = json<Task>(await create(r.member.headers, { agentId, title: 'Weekly report', instructions: 'Summarize the week', priority: 'high', context: { team: 'ops' } }));
    expect(adhoc).toMatchObject({ title: 'Weekly report', priority: 'high', kind: 'adhoc', status: 'idle', runCount: 0, schedule: null, nextRunAt: null });

    const scheduled = json<Task>(await create(r.member.headers, { agentId, title: 'Morning check', instructions: 'Check the inbox', schedule: { cron: '0 9 * * 1-5', timezone: 'Europe/Berlin' } }));
    expect(scheduled.kind).toBe('scheduled');
    expect(scheduled.schedule).toMatchObject({ cron: '0 9 * * 1-5', timezone: 'Europe/Berlin', paused: false });
    expect(scheduled.schedule!.description).toMatch(/09:00/);
    expect(Date.parse(scheduled.nextRunAt!)).toBeGreaterThan(Date.now());

    const missing = expectProblem(await create(r.member.headers, { agentId, instructions: 'x' }), 400);
    expect(missing.errors!.map((e) => e.path)).toContain('body.title');
    expect(expectProblem(await create(r.member.headers, { agentId, title: 'x', instructions: 'x', priority: 'asap' }), 400).errors![0]!.path).toBe('body.priority');
    expect(expectProblem(await create(r.member.headers, { agentId: foreignAgent, title: 'x', instructions: 'x' }), 400).errors![0]!.path).toBe('body.agentId');
    expect(expectProblem(await create(r.member.headers, { agentId, title: 'x', instructions: 'x', schedule: { cron: '61 * * * *' } }), 400).errors![0]!.path).toMatch(/cron/);
    expect(expectProblem(await create(r.member.headers, { agentId, title: 'x', instructions: 'x', schedule: { cron: '* * * * *', timezone: 'Mars/Olympus' } }), 400).errors![0]!.path).toMatch(/timezone/);
    expect(expectProblem(await create(r.member.headers, { agentId, title: 'x', instructions: 'x', schedule: {} }), 400).errors![0]!.path).toMatch(/cron/);
    expectProblem(await create(r.viewer.headers, { agentId, title: 'x', instructions: 'x' }), 403);
  });

  it('lists with filters, sorts and pages; another organization sees nothing', async () => {
    for (const [title, priority] of [['Low one', 'low'], ['Urgent one', 'urgent']] as const) {
      expect((await create(r.owner.headers, { agentId, title, instructions: 'do it', priority })).statusCode).toBe(201);
    }
    const byPriority = json<{ items: Task[]; total: number; nextCursor: string | null }>(await t.app.inject({ url: '/api/v1/tasks?sortBy=priority&limit=2', headers: r.viewer.headers }));
    expect(byPriority.items.map((i) => i.priority)).toEqual(['urgent', 'high']);
    const next = json<{ items: Task[] }>(await t.app.inject({ url: `/api/v1/tasks?sortBy=priority&limit=2&cursor=${byPriority.nextCursor}`, headers: r.viewer.headers }));
    expect(next.items.map((i) => i.priority)).toEqual(['normal', 'low']);
    const scheduled = json<{ items: Task[] }>(await t.app.inject({ url: '/api/v1/tasks?kind=scheduled', headers: r.viewer.headers }));
    expect(scheduled.items.map((i) => i.title)).toEqual(['Morning check']);
    const urgent = json<{ items: Task[] }>(await t.app.inject({ url: `/api/v1/tasks?priority=urgent&agentId=${agentId}&status=idle`, headers: r.viewer.headers }));
    expect(urgent.items.map((i) => i.title)).toEqual(['Urgent one']);
    expect(expectProblem(await t.app.inject({ url: '/api/v1/tasks?sortBy=colour', headers: r.viewer.headers }), 400).errors![0]!.path).toBe('querystring.sortBy');
    expect(expectProblem(await t.app.inject({ url: `/api/v1/tasks?sortBy=title&cursor=${byPriority.nextCursor}`, headers: r.viewer.headers }), 400).errors![0]!.path).toBe('querystring.cursor');
    expect(json<{ total: number }>(await t.app.inject({ url: '/api/v1/tasks', headers: r.stranger.headers })).total).toBe(0);
  });

  it('gets, updates and deletes; another organization, unknown and malformed ids are 404', async () => {
    const task = json<Task>(await create(r.member.headers, { agentId, title: 'Edit me', instructions: 'v1' }));
    const patched = json<Task>(await t.app.inject({ method: 'PATCH', url: `/api/v1/tasks/${task.id}`, headers: r.member.headers, payload: { title: 'Edited', schedule: { onceAt: new Date(Date.now() + 3_600_000).toISOString() } } }));
    expect(patched).toMatchObject({ title: 'Edited', kind: 'scheduled' });
    expect(patched.schedule!.onceAt).not.toBeNull();
    const adhoc = json<Task>(await t.app.inject({ method: 'PATCH', url: `/api/v1/tasks/${task.id}`, headers: r.member.headers, payload: { schedule: null } }));
    expect(adhoc).toMatchObject({ kind: 'adhoc', schedule: null, nextRunAt: null });
    expectProblem(await t.app.inject({ method: 'PATCH', url: `/api/v1/tasks/${task.id}`, headers: r.member.headers, payload: {} }), 400);

    for (const id of [randomUUID(), 'not-a-uuid']) expectProblem(await t.app.inject({ url: `/api/v1/tasks/${id}`, headers: r.viewer.headers }), 404);
    expectProblem(await t.app.inject({ url: `/api/v1/tasks/${task.id}`, headers: r.stranger.headers }), 404);
    expectProblem(await t.app.inject({ method: 'PATCH', url: `/api/v1/tasks/${task.id}`, headers: r.stranger.headers, payload: { title: 'mine' } }), 404);
    expectProblem(await t.app.inject({ method: 'POST', url: `/api/v1/tasks/${task.id}/execute`, headers: r.stranger.headers }), 404);
    expectProblem(await t.app.inject({ method: 'DELETE', url: `/api/v1/tasks/${task.id}`, headers: r.stranger.headers }), 404);

    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/tasks/${task.id}`, headers: r.member.headers })).statusCode).toBe(204);
    expectProblem(await t.app.inject({ url: `/api/v1/tasks/${task.id}`, headers: r.viewer.headers }), 404);
  });

  it('executes a task as a run; the task follows its run, lists its executions and counts in the stats', async () => {
    const task = json<Task>(await create(r.member.headers, { agentId, title: 'Run me', instructions: 'What is 6 * 7?', priority: 'urgent' }));
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/tasks/${task.id}/execute`, headers: r.member.headers });
    expect(res.statusCode).toBe(202);
    const run = json<{ id: string; taskId: string; source: string }>(res);
    expect(run).toMatchObject({ taskId: task.id, source: 'task' });
    const actor = { orgId: r.owner.orgId, role: 'owner' as const, userId: r.owner.userId, apiKeyId: null };
    const rested = await t.ctx.services.runs.waitForRest(actor, run.id, 10_000);
    expect(rested.status).toBe('succeeded');

    const after = json<Task>(await t.app.inject({ url: `/api/v1/tasks/${task.id}`, headers: r.viewer.headers }));
    expect(after).toMatchObject({ status: 'completed', runCount: 1, lastRunId: run.id, lastResult: rested.output });
    const executions = json<{ items: { id: string }[] }>(await t.app.inject({ url: `/api/v1/tasks/${task.id}/executions`, headers: r.viewer.headers }));
    expect(executions.items.map((e) => e.id)).toEqual([run.id]);

    const stats = json<Record<string, number>>(await t.app.inject({ url: '/api/v1/tasks/stats', headers: r.viewer.headers }));
    expect(stats.completed).toBeGreaterThanOrEqual(1);
    expect(stats.total).toBe(stats.idle! + stats.queued! + stats.running! + stats.completed! + stats.failed! + stats.canceled!);
    expect(stats.scheduled).toBeGreaterThanOrEqual(1);
  });

  it("makes the run from the task in one call: its instructions and context, its priority to the queue, an Idempotency-Key's run again", async () => {
    const task = json<Task>(await create(r.member.headers, { agentId, title: 'Ship', instructions: 'Ship order 42', context: { order: 42 }, priority: 'high' }));
    const plain = json<Task>(await create(r.member.headers, { agentId, title: 'Plain', instructions: 'No context' }));
    const jobs: { runId: string; priority?: string }[] = [];
    const dispatcher = t.ctx.services.runs['dispatcher'];
    t.ctx.services.runs.setDispatcher({ dispatch: (job) => jobs.push(job) });
    try {
      const execute = (id: string, key?: string) =>
        t.app.inject({ method: 'POST', url: `/api/v1/tasks/${id}/execute`, headers: { ...r.member.headers, ...(key ? { 'idempotency-key': key } : {}) } });
      const first = await execute(task.id, 'ship-1');
      expect(first.statusCode).toBe(202);
      const run = json<{ id: string; input: unknown; agentId: string; taskId: string }>(first);
      expect(run).toMatchObject({ agentId, taskId: task.id, input: { task: 'Ship order 42', context: { order: 42 } } });
      expect(jobs).toEqual([expect.objectContaining({ runId: run.id, priority: 'high' })]);
      // The same key: the same run, not dispatched again; on another task: a conflict.
      expect(json<{ id: string }>(await execute(task.id, 'ship-1')).id).toBe(run.id);
      expect(jobs).toHaveLength(1);
      expect(expectProblem(await execute(plain.id, 'ship-1'), 409).code).toBe('idempotency_key_reused');
      const other = json<{ input: unknown }>(await execute(plain.id));
      expect(other.input).toEqual({ task: 'No context' });
      expect(jobs.at(-1)!.priority).toBe('normal');
    } finally {
      t.ctx.services.runs.setDispatcher(dispatcher!);
    }
  });

  it('schedule_follow_up creates a task that runs once when it falls due', async () => {
    const outcome = await t.ctx.services.tools.execute(
      'schedule_follow_up',
      { inMinutes: 30, note: 'Call the customer back about the invoice' },
      { orgId: r.owner.orgId, agentId, runId: randomUUID(), toolCallId: 'c1', signal: new AbortController().signal, database: t.ctx.database, config: t.ctx.config, logger: t.ctx.logger },
    );
    expect(outcome.ok).toBe(true);
    const taskId = (outcome as { ok: true; output: { taskId: string } }).output.taskId;
    const task = json<Task>(await t.app.inject({ url: `/api/v1/tasks/${taskId}`, headers: r.viewer.headers }));
    expect(task).toMatchObject({ agentId, kind: 'scheduled', title: 'Follow-up: Call the customer back about the invoice' });
    expect(Math.abs(Date.parse(task.schedule!.onceAt!) - (Date.now() + 30 * 60_000))).toBeLessThan(60_000);
    expect(task.nextRunAt).toBe(task.schedule!.onceAt);
  });
});

import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessWorker, scriptedExecutor } from '../../test/helpers/worker.js';
import { createTestApp, expectProblem, json, seedRoles, type TestApp } from '../../test/helpers/app.js';
import { runs } from './schema.js';

describe('runs API', () => {
  let t: TestApp;
  let r: Awaited<ReturnType<typeof seedRoles>>;
  let agentId: string;
  beforeAll(async () => {
    t = await createTestApp('postgres');
    r = await seedRoles(t.ctx);
    const { executor } = scriptedExecutor(t.ctx, [], 'w');
    t.ctx.services.runs.setDispatcher(inProcessWorker(executor));
    agentId = json<{ id: string }>(await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: r.admin.headers, payload: { name: 'Runner', model: 'openai:gpt-4o-mini' } })).id;
  });
  afterAll(() => t.close());

  const execute = (headers: Record<string, string>, payload: object, query = '?wait=true') => t.app.inject({ method: 'POST', url: `/api/v1/agents/${agentId}/execute${query}`, headers, payload });

  it('creates one run per Idempotency-Key', async () => {
    const headers = { ...r.member.headers, 'idempotency-key': 'order-42' };
    const first = await execute(headers, { task: 'Once' });
    const second = await execute(headers, { task: 'Once' });
    expect(first.statusCode).toBe(200);
    expect(json(second).id).toBe(json(first).id);
    const rows = await t.ctx.database.system((tx) => tx.select().from(runs).where(eq(runs.idempotencyKey, 'order-42')));
    expect(rows).toHaveLength(1);
  });

  it('validates, gates by role and hides other organizations', async () => {
    expect(expectProblem(await execute(r.member.headers, { task: '' }), 400).errors![0]!.path).toBe('body.task');
    expectProblem(await execute(r.viewer.headers, { task: 'x' }), 403);
    expectProblem(await execute(r.stranger.headers, { task: 'x' }), 404);
    const run = json<{ id: string }>(await execute(r.member.headers, { task: 'Mine' }));
    expectProblem(await t.app.inject({ url: `/api/v1/runs/${run.id}`, headers: r.stranger.headers }), 404);
    expectProblem(await t.app.inject({ url: `/api/v1/runs/${run.id}/steps`, headers: r.stranger.headers }), 404);
    const theirs = json<{ items: unknown[] }>(await t.app.inject({ url: '/api/v1/runs', headers: r.stranger.headers }));
    expect(theirs.items).toEqual([]);
    await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agentId}/disable`, headers: r.admin.headers });
    expect(expectProblem(await execute(r.member.headers, { task: 'x' }), 409).code).toBe('agent_paused');
    await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agentId}/enable`, headers: r.admin.headers });
  });

  it('lists with filters, shows steps and metrics', async () => {
    const run = json<{ id: string; status: string }>(await execute(r.member.headers, { task: 'List me' }));
    expect(run.status).toBe('succeeded');
    const list = json<{ items: { id: string }[]; total: number }>(await t.app.inject({ url: `/api/v1/runs?agentId=${agentId}&status=succeeded&source=api`, headers: r.viewer.headers }));
    expect(list.items.map((x) => x.id)).toContain(run.id);
    const none = json<{ total: number }>(await t.app.inject({ url: `/api/v1/runs?status=failed&agentId=${agentId}`, headers: r.viewer.headers }));
    expect(none.total).toBe(0);
    const steps = json<{ items: { stepKey: string; billedMicros: number }[] }>(await t.app.inject({ url: `/api/v1/runs/${run.id}/steps`, headers: r.viewer.headers }));
    expect(steps.items.map((s) => s.stepKey)).toEqual(['model:1']);
    const metrics = json<{ executionCount: number; successRate: number; averageCostMicros: number; lastExecutedAt: string }>(
      await t.app.inject({ url: `/api/v1/agents/${agentId}/metrics`, headers: r.viewer.headers }),
    );
    expect(metrics.executionCount).toBeGreaterThanOrEqual(3);
    expect(metrics.successRate).toBe(1);
    expect(metrics.averageCostMicros).toBeGreaterThan(0);
    const executions = json<{ items: { agentId: string }[] }>(await t.app.inject({ url: `/api/v1/agents/${agentId}/executions?limit=2`, headers: r.viewer.headers }));
    expect(executions.items).toHaveLength(2);
  });

  it('streams stored events as SSE and resumes after Last-Event-ID', async () => {
    const run = json<{ id: string }>(await execute(r.member.headers, { task: 'Stream me' }));
    const all = json<{ items: { seq: number; type: string }[] }>(await t.app.inject({ url: `/api/v1/runs/${run.id}/events`, headers: r.viewer.headers }));
    expect(all.items.map((e) => e.type)).toEqual(['run.started', 'step.started', 'step.finished', 'run.finished']);
    const sse = await t.app.inject({ url: `/api/v1/runs/${run.id}/events`, headers: { ...r.viewer.headers, accept: 'text/event-stream', 'last-event-id': '2' } });
    expect(sse.headers['content-type']).toContain('text/event-stream');
    const ids = [...sse.body.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids).toEqual([3, 4]);
    expect(sse.body).toContain('event: run.finished');
  });
});

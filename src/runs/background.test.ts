import { eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, json, seedMember, type Member, type TestApp } from '../../test/helpers/app.js';
import type { Turn } from '../../test/helpers/scripted-model.js';
import { scriptedExecutor } from '../../test/helpers/worker.js';
import { InProcessDispatcher } from '../dispatch/in-process.js';
import { DelayJob } from './dispatch-port.js';
import { rateLimitWait } from './engine/rate-limit.js';
import { runs, runSteps } from './schema.js';

/** Background work at the executor's edges: the agent's own rate limits and a graceful shutdown. */
describe('runs in the background: agent rate limits and drain on shutdown', () => {
  let t: TestApp;
  let owner: Member;
  const open: InProcessDispatcher[] = [];

  beforeAll(async () => {
    t = await createTestApp('postgres');
    owner = await seedMember(t.ctx, 'owner');
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((d) => d.close(0)));
  });
  afterAll(() => t.close());

  const actor = () => ({ orgId: owner.orgId, role: 'owner' as const, userId: owner.userId, apiKeyId: null });

  /** A worker: a scripted model behind a real executor, fed by its own in-process dispatcher. */
  function worker(turns: Turn[], workerId = 'test-worker') {
    const { script, executor } = scriptedExecutor(t.ctx, turns, workerId);
    const dispatcher = new InProcessDispatcher({ concurrency: 5 });
    const handled: unknown[] = [];
    dispatcher.work((job, signal) =>
      executor.execute(job.orgId, job.runId, signal).catch((err: unknown) => {
        handled.push(err);
        throw err;
      }),
    );
    open.push(dispatcher);
    t.ctx.services.runs.setDispatcher(dispatcher);
    return { script, executor, dispatcher, handled };
  }

  async function agent(body: Record<string, unknown> = {}) {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: owner.headers, payload: { name: `Agent ${Math.random()}`, model: 'openai:gpt-4o-mini', tools: ['calculator'], ...body } });
    if (res.statusCode !== 201) throw new Error(res.body);
    return json<{ id: string }>(res).id;
  }
  const start = async (agentId: string, task = 'Do it') => {
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agentId}/execute`, headers: owner.headers, payload: { task } });
    expect(res.statusCode).toBe(202);
    return json<{ id: string }>(res).id;
  };
  const rest = (runId: string) => t.ctx.services.runs.waitForRest(actor(), runId, 10_000);
  const row = async (runId: string) => (await t.ctx.database.system((tx) => tx.select().from(runs).where(eq(runs.id, runId))))[0]!;
  const until = async (cond: () => boolean | Promise<boolean>, ms = 10_000) => {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  it('holds an agent to its actions per minute: the run over the limit waits, queued, for the window to have room', async () => {
    const w = worker([]);
    const id = await agent({ limits: { actionsPerMinute: 2 } });
    const first = await start(id, 'one');
    const second = await start(id, 'two');
    expect(await rest(first)).toMatchObject({ status: 'succeeded' });
    expect(await rest(second)).toMatchObject({ status: 'succeeded' });

    const third = await start(id, 'three');
    await until(() => w.handled.length === 1);
    // The executor said how long to wait: until the oldest of the two leaves the minute.
    const delay = w.handled[0];
    expect(delay).toBeInstanceOf(DelayJob);
    expect((delay as DelayJob).delayMs).toBeGreaterThan(50_000);
    expect((delay as DelayJob).delayMs).toBeLessThanOrEqual(60_000);
    // Handed back without using anything: queued, no steps, no model call; the job is delayed.
    expect(await row(third)).toMatchObject({ status: 'queued', leaseOwner: null });
    expect(await t.ctx.database.system((tx) => tx.select().from(runSteps).where(eq(runSteps.runId, third)))).toEqual([]);
    expect(w.script.calls).toBe(2);
    expect(await w.dispatcher.stats()).toMatchObject({ delayed: 1, active: 0 });
    // The agent's other limit is untouched by a queued run: only started runs count.
    const limits = { actionsPerMinute: 2, actionsPerHour: null };
    expect(await rateLimitWait(t.ctx.database, await row(third), limits)).toBeGreaterThan(50_000);

    // A minute later (moved back in time here) the window has room and the run goes.
    await t.ctx.database.system((tx) => tx.execute(sql`update runs set started_at = started_at - interval '61 seconds' where id in (${first}, ${second})`));
    expect(await rateLimitWait(t.ctx.database, await row(third), limits)).toBe(0);
    await w.executor.execute(owner.orgId, third);
    expect(await row(third)).toMatchObject({ status: 'succeeded' });
  });

  it('counts runs started, not tool calls, as its schema and README say', async () => {
    // Three tool calls in one run, then the answer: one action, so a second run still goes at once.
    const calls = (id: string) => ({ toolCalls: [1, 2, 3].map((n) => ({ name: 'calculator', args: { expression: `${n} + 1` }, id: `${id}${n}` })) });
    const w = worker([calls('a'), { text: 'Done.' }, calls('b'), { text: 'Done again.' }]);
    const id = await agent({ limits: { actionsPerMinute: 2 } });
    const first = await start(id, 'one');
    expect(await rest(first)).toMatchObject({ status: 'succeeded', output: 'Done.' });
    const steps = await t.ctx.database.system((tx) => tx.select().from(runSteps).where(eq(runSteps.runId, first)));
    expect(steps.filter((s) => s.kind === 'tool_call')).toHaveLength(3);
    expect(await rest(await start(id, 'two'))).toMatchObject({ status: 'succeeded', output: 'Done again.' });
    expect(w.handled).toEqual([]);
    // The third run is over two runs a minute, whatever the tool calls: it waits.
    const third = await start(id, 'three');
    await until(() => w.handled.length === 1);
    expect(w.handled[0]).toBeInstanceOf(DelayJob);
    expect(await row(third)).toMatchObject({ status: 'queued' });

    const spec = json<{ components: { schemas: Record<string, { properties: Record<string, { properties: Record<string, { description?: string }> }> }> } }>(
      await t.app.inject({ url: '/api/v1/openapi.json' }),
    );
    for (const schema of ['Agent', 'CreateAgent']) {
      const limits = spec.components.schemas[schema]!.properties.limits!.properties;
      for (const key of ['actionsPerMinute', 'actionsPerHour']) {
        expect(limits[key]!.description).toMatch(/^Runs of this agent started per rolling (minute|hour)/);
        expect(limits[key]!.description).not.toMatch(/tool/i);
      }
    }
  });

  it('holds an agent to its actions per hour, counting runs from every worker', async () => {
    const a = worker([], 'worker-a');
    const id = await agent({ limits: { actionsPerHour: 1 } });
    expect(await rest(await start(id))).toMatchObject({ status: 'succeeded' });
    // Another worker (its own dispatcher and executor) sees the same count: it is in the database.
    const b = worker([], 'worker-b');
    const second = await start(id);
    await until(() => b.handled.length === 1);
    expect((b.handled[0] as DelayJob).delayMs).toBeGreaterThan(3_500_000);
    expect(await row(second)).toMatchObject({ status: 'queued' });
    expect(a.script.calls + b.script.calls).toBe(1);
  });

  it('on shutdown, a run reaching a step boundary within the grace is handed back and resumed elsewhere from there', async () => {
    const first = worker([{ toolCalls: [{ name: 'calculator', args: { expression: '6 * 7' }, id: 'c1' }], delayMs: 400 }]);
    const runId = await start(await agent(), 'compute');
    await until(() => first.script.calls === 1);
    // SIGTERM: stop taking work; the model call in flight finishes, then the run stops before its tool call.
    first.executor.drain();
    const t0 = performance.now();
    await first.dispatcher.close(10_000);
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(await row(runId)).toMatchObject({ status: 'queued', leaseOwner: null });
    const steps = await t.ctx.database.system((tx) => tx.select().from(runSteps).where(eq(runSteps.runId, runId)).orderBy(runSteps.seq));
    expect(steps.map((s) => `${s.stepKey}:${s.status}`)).toEqual(['model:1:succeeded']);

    // Another worker picks it up where it stopped: the first model call is not made again.
    const second = worker([{ text: 'It is 42.' }], 'worker-2');
    await second.executor.execute(owner.orgId, runId);
    expect(await row(runId)).toMatchObject({ status: 'succeeded', output: 'It is 42.', generation: 2 });
    expect(second.script.calls).toBe(1);
    // A draining executor takes nothing new.
    t.ctx.services.runs.setDispatcher({ dispatch() {} });
    const late = await start(await agent(), 'late');
    await first.executor.execute(owner.orgId, late);
    expect(await row(late)).toMatchObject({ status: 'queued', generation: 0 });
  });

  it('on shutdown, a run still in a call when the grace ends is aborted and handed back at once', async () => {
    const first = worker([{ text: 'too slow', delayMs: 20_000 }]);
    const runId = await start(await agent(), 'slow');
    await until(() => first.script.calls === 1);
    first.executor.drain();
    const t0 = performance.now();
    await first.dispatcher.close(300);
    expect(performance.now() - t0).toBeLessThan(3_000);
    expect(await row(runId)).toMatchObject({ status: 'queued', leaseOwner: null });
    const second = worker([{ text: 'Quick now.' }], 'worker-3');
    await second.executor.execute(owner.orgId, runId);
    expect(await row(runId)).toMatchObject({ status: 'succeeded', output: 'Quick now.' });
  });
});

describe('worker housekeeping', () => {
  it("cleans finished jobs and recurring schedules' fire records older than TROUPE_JOB_RETENTION_HOURS every hour (or sooner for a shorter retention)", async () => {
    const t = await createTestApp('pglite', { TROUPE_JOB_RETENTION_HOURS: '2' });
    try {
      // createTestApp started the worker role already; start a second context's roles under fake timers.
      const { createContext } = await import('../app.js');
      vi.useFakeTimers({ toFake: ['setInterval'] });
      const ctx = await createContext(t.ctx.config, { database: t.ctx.database, logger: t.ctx.logger });
      const clean = vi.spyOn(ctx.services.dispatcher, 'clean').mockResolvedValue(0);
      const prune = vi.spyOn(ctx.services.schedules, 'pruneFires').mockResolvedValue(0);
      ctx.startRoles({ worker: true, scheduler: false, recover: false });
      vi.advanceTimersByTime(3_600_000);
      expect(clean).toHaveBeenCalledTimes(1);
      expect(clean).toHaveBeenCalledWith(2 * 3_600_000);
      expect(prune).toHaveBeenCalledWith(2 * 3_600_000);
      vi.advanceTimersByTime(3_600_000);
      expect(clean).toHaveBeenCalledTimes(2);
      expect(prune).toHaveBeenCalledTimes(2);
      vi.useRealTimers();
      // Not ctx.close(): the database belongs to the test app.
      await ctx.services.dispatcher.close(0);
    } finally {
      vi.useRealTimers();
      await t.close();
    }
  });
});

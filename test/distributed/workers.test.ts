import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { and, count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type AppContext } from '../../src/app.js';
import type { Actor } from '../../src/shared/roles.js';
import { loadConfig } from '../../src/config/load.js';
import { runs, runSteps } from '../../src/runs/schema.js';
import { tasks } from '../../src/tasks/schema.js';
import { supportTickets } from '../../src/tools/schema.js';
import { TEST_SECRET_KEY, seedOperator, type Member } from '../helpers/app.js';
import { createPgDatabase } from '../helpers/databases.js';
import { startTroupe, type TroupeProcess } from '../helpers/processes.js';
import { startProviderStub, type ProviderStub, type StubReply } from '../helpers/provider-stub.js';

const TASKS = 300;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** First call: open a ticket; once the tool result is in the conversation: done. */
function respond({ body }: { body: Record<string, unknown> }): StubReply {
  const messages = (body.messages ?? []) as { role: string; content?: unknown }[];
  const usage = { input: 120, output: 15 };
  // A little latency, so that runs are in flight on both workers when one is killed.
  if (messages.some((m) => m.role === 'tool')) return { text: 'Ticket opened.', usage, delayMs: 15 };
  const task = JSON.stringify(messages.at(-1)?.content ?? '').match(/Ticket #(\d+)/)?.[1] ?? '?';
  return { toolCalls: [{ name: 'create_support_ticket', args: { subject: `Ticket #${task}`, priority: 'normal' } }], usage, delayMs: 15 };
}

const until = async (what: string, cond: () => Promise<boolean>, ms: number) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('distributed: one API and two worker processes on PostgreSQL and Redis', () => {
  let stub: ProviderStub;
  let ctx: AppContext;
  let drop: () => Promise<void>;
  let env: Record<string, string>;
  const procs: TroupeProcess[] = [];

  beforeAll(async () => {
    stub = await startProviderStub({ record: false, respond });
    const db = await createPgDatabase();
    drop = db.drop;
    env = {
      DATABASE_URL: db.url,
      REDIS_URL,
      TROUPE_SECRET_KEY: TEST_SECRET_KEY,
      // This test's own queue, so parallel test files and earlier runs do not meet it.
      TROUPE_QUEUE_NAME: `troupe-test-${process.pid}-${randomBytes(4).toString('hex')}`,
      // A dead worker's runs are taken over after ~3 s instead of 30.
      TROUPE_RUN_LEASE_SECONDS: '3',
      TROUPE_RECOVER_EVERY_SECONDS: '1',
      TROUPE_WORKER_CONCURRENCY: '5',
      HOST: '127.0.0.1',
      // The stub (127.0.0.1) is stored as the organization's base URL: allowed by the operator's setting.
      TROUPE_PRIVATE_MODEL_HOSTS: '127.0.0.1',
    };
    // This process only seeds and checks the database.
    ctx = await createContext(loadConfig({ DATABASE_URL: db.url, TROUPE_SECRET_KEY: TEST_SECRET_KEY, TROUPE_PRIVATE_MODEL_HOSTS: '127.0.0.1', LOG_LEVEL: 'silent' }));
  });

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    if (env?.TROUPE_QUEUE_NAME) {
      const queue = new Queue(env.TROUPE_QUEUE_NAME, { connection: { url: REDIS_URL } });
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
    }
    await ctx?.close();
    await stub?.close();
    await drop?.();
  });

  it(`runs ${TASKS} tasks to success with one worker killed (SIGKILL) mid-way, each tool effect exactly once`, { timeout: 240_000 }, async () => {
    // The instance operator (it pauses the install's queue), who also owns the organization.
    const owner: Member = await seedOperator(ctx, 'owner');
    const actor: Actor = { orgId: owner.orgId, role: 'owner', userId: owner.userId, apiKeyId: null };
    await ctx.services.models.putCredential(actor, 'openai', { apiKey: 'sk-test', baseUrl: `${stub.url}/v1` });

    const api = startTroupe(['api', '--port', '0'], env);
    const workers = [startTroupe(['worker'], env), startTroupe(['worker'], env)];
    procs.push(api, ...workers);
    const [, base] = await api.waitFor(/Troupe is running at (http:\/\/\S+)/);
    await Promise.all(workers.map((w) => w.waitFor(/worker started/)));

    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: { ...owner.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return JSON.parse(text) as Record<string, unknown>;
    };

    const ticketCount = async () => {
      const [n] = await ctx.database.system((tx) => tx.select({ n: count() }).from(supportTickets).where(eq(supportTickets.orgId, owner.orgId)));
      return n!.n;
    };

    const agent = await call('POST', '/agents', { name: 'Support desk', model: 'openai:gpt-4o-mini', tools: ['create_support_ticket'] });
    // Created and started through the API process, which hands the runs to the workers through
    // Redis. The queue is paused meanwhile, so the kill below comes mid-way through the work.
    await call('POST', '/queue/pause');
    for (let i = 0; i < TASKS; i += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, TASKS - i) }, async (_, j) => {
          const task = await call('POST', '/tasks', { agentId: agent.id, title: `Ticket #${i + j}`, instructions: `Open Ticket #${i + j} for the customer` });
          const run = await call('POST', `/tasks/${task.id}/execute`);
          expect(run).toMatchObject({ status: 'queued', taskId: task.id });
        }),
      );
    }

    expect(await call('GET', '/queue')).toMatchObject({ paused: true, waiting: TASKS, active: 0 });
    expect(await ticketCount()).toBe(0);
    await call('POST', '/queue/resume');

    // Kill the first worker while it holds runs, once a good part of the work is done.
    const victim = workers[0]!;
    const pid = String(victim.child.pid);
    // Runs it holds: their leases name it (until someone takes them over, if it died).
    const heldByVictim = () =>
      ctx.database.system((tx) =>
        tx.select({ id: runs.id }).from(runs).where(and(eq(runs.orgId, owner.orgId), eq(runs.status, 'running'), sql`${runs.leaseOwner} like ${`%:${pid}:%`}`)),
      );
    await until('the first worker to hold runs mid-way', async () => (await ticketCount()) >= TASKS / 4 && (await heldByVictim()).length > 0, 120_000);
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBeNull();
    const doneAtKill = await ticketCount();
    const orphans = await heldByVictim();
    expect(orphans.length).toBeGreaterThan(0);
    expect(doneAtKill).toBeLessThan(TASKS);

    // The survivor finishes everything, including what the dead worker held (after its lease).
    const statusCounts = async () => {
      const rows = await ctx.database.system((tx) => tx.select({ status: tasks.status, n: count() }).from(tasks).where(eq(tasks.orgId, owner.orgId)).groupBy(tasks.status));
      return Object.fromEntries(rows.map((r) => [r.status, r.n]));
    };
    await until('every task to complete', async () => (await statusCounts()).completed === TASKS, 120_000).catch(async (err: unknown) => {
      throw new Error(`${String(err)}: ${JSON.stringify(await statusCounts())}\nsurvivor:\n${workers[1]!.output()}`);
    });

    const allRuns = await ctx.database.system((tx) => tx.select().from(runs).where(eq(runs.orgId, owner.orgId)));
    expect(allRuns).toHaveLength(TASKS);
    expect(allRuns.every((r) => r.status === 'succeeded' && r.output === 'Ticket opened.')).toBe(true);
    // The runs the dead worker held were taken over (claimed again: a higher generation).
    const taken = new Set(orphans.map((o) => o.id));
    expect(allRuns.filter((r) => taken.has(r.id)).every((r) => r.generation > 1)).toBe(true);

    // Every side effect exactly once: one ticket per run, none without a run.
    const tickets = await ctx.database.system((tx) => tx.select().from(supportTickets).where(eq(supportTickets.orgId, owner.orgId)));
    expect(tickets).toHaveLength(TASKS);
    expect(new Set(tickets.map((t) => t.runId)).size).toBe(TASKS);
    expect(new Set(tickets.map((t) => t.subject)).size).toBe(TASKS);
    // And one finished tool step per run.
    const toolSteps = await ctx.database.system((tx) =>
      tx.select({ runId: runSteps.runId, status: runSteps.status }).from(runSteps).where(and(eq(runSteps.orgId, owner.orgId), eq(runSteps.kind, 'tool_call'))),
    );
    expect(toolSteps).toHaveLength(TASKS);
    expect(toolSteps.every((s) => s.status === 'succeeded')).toBe(true);

    // The API process's queue view agrees: nothing waiting, active or failed. The dead worker's
    // own jobs stay active in Redis until BullMQ's stalled check (every lease) moves them back;
    // their runs were taken over already (a takeover is a job of its own, decision 40), so they
    // then complete without running anything: wait for that, then check nothing failed.
    await until('the dead worker\'s jobs to drain from the queue', async () => {
      const q = (await call('GET', '/queue')) as { waiting: number; active: number; delayed: number };
      return q.waiting === 0 && q.active === 0 && q.delayed === 0;
    }, 60_000);
    const queue = await call('GET', '/queue');
    expect(queue).toMatchObject({ adapter: 'bullmq', waiting: 0, active: 0, failed: 0 });
    console.info(`[distributed] ${TASKS} tasks, worker ${pid} killed after ${doneAtKill} tickets holding ${orphans.length} runs; ${allRuns.filter((r) => r.generation > 1).length} runs claimed more than once`);
  });
});

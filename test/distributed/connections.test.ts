import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { and, count, eq, gt, sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type AppContext } from '../../src/app.js';
import type { Actor } from '../../src/shared/roles.js';
import { loadConfig } from '../../src/config/load.js';
import { createAgentSchema } from '../../src/agents/dto.js';
import { runs } from '../../src/runs/schema.js';
import { scheduleFires } from '../../src/schedules/schema.js';
import { TEST_SECRET_KEY, seedMember } from '../helpers/app.js';
import { createPgDatabase } from '../helpers/databases.js';
import { startTroupe, type TroupeProcess } from '../helpers/processes.js';
import { startProviderStub, type ProviderStub } from '../helpers/provider-stub.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const until = async (what: string, cond: () => Promise<boolean>, ms: number) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
};

/**
 * Item 16 of issue 12: an operator (or a failover) terminating the server side of every
 * connection must not take `troupe worker` or `troupe scheduler` down; queries in flight fail and
 * are retried by the queue's attempts, the run lease and the scheduler loop.
 */
describe('distributed: worker and scheduler survive pg_terminate_backend of all their connections', () => {
  let stub: ProviderStub;
  let ctx: AppContext;
  let drop: () => Promise<void>;
  let url: string;
  let env: Record<string, string>;
  const procs: TroupeProcess[] = [];

  beforeAll(async () => {
    // A model call takes a while, so runs are in flight when the connections go.
    stub = await startProviderStub({ record: false, defaultReply: { text: 'Done.', usage: { input: 50, output: 5 }, delayMs: 100 } });
    const db = await createPgDatabase();
    ({ url, drop } = db);
    const queue = { REDIS_URL, TROUPE_QUEUE_NAME: `troupe-test-${process.pid}-${randomBytes(4).toString('hex')}` };
    env = {
      DATABASE_URL: url,
      ...queue,
      TROUPE_SECRET_KEY: TEST_SECRET_KEY,
      // The operator's own provider endpoint (the stub), not a tenant's stored URL.
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: `${stub.url}/v1`,
      TROUPE_RUN_LEASE_SECONDS: '3',
      TROUPE_RECOVER_EVERY_SECONDS: '1',
      TROUPE_QUEUE_BACKOFF_MS: '200',
      TROUPE_QUEUE_ATTEMPTS: '10',
      TROUPE_WORKER_CONCURRENCY: '10',
    };
    // This process seeds, dispatches through Redis (it plays the API) and checks.
    ctx = await createContext(loadConfig({ DATABASE_URL: url, ...queue, TROUPE_SECRET_KEY: TEST_SECRET_KEY, LOG_LEVEL: 'silent' }));
  });

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    if (env?.TROUPE_QUEUE_NAME) {
      const q = new Queue(env.TROUPE_QUEUE_NAME, { connection: { url: REDIS_URL } });
      await q.obliterate({ force: true }).catch(() => {});
      await q.close();
    }
    await ctx?.close();
    await stub?.close();
    await drop?.();
  });

  /** Terminates every backend of the test database but this query's own; answers how many. */
  async function terminateAll(): Promise<number> {
    const admin = new pg.Client({ connectionString: url });
    admin.on('error', () => {});
    await admin.connect();
    try {
      const { rows } = await admin.query<{ n: string }>(
        'select count(*) filter (where pg_terminate_backend(pid)) as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
      );
      return Number(rows[0]!.n);
    } finally {
      await admin.end();
    }
  }

  it('under load and idle: both processes stay up, every run succeeds, the schedule keeps firing', { timeout: 240_000 }, async () => {
    const owner = await seedMember(ctx, 'owner');
    const actor: Actor = { orgId: owner.orgId, role: 'owner', userId: owner.userId, apiKeyId: null };
    const agent = await ctx.services.agents.create(actor, createAgentSchema.parse({ name: 'Clerk', model: 'openai:gpt-4o-mini', limits: { actionsPerMinute: 100_000 } }));

    const worker = startTroupe(['worker'], env);
    const scheduler = startTroupe(['scheduler'], env);
    procs.push(worker, scheduler);
    await Promise.all([worker.waitFor(/worker started/), scheduler.waitFor(/scheduler started/)]);

    const ticking = await ctx.services.tasks.create(actor, {
      agentId: agent.id,
      title: 'Tick',
      instructions: 'Say the time',
      context: {},
      priority: 'normal',
      schedule: { cron: '* * * * * *', timezone: 'UTC' },
    });
    const firesSince = async (since: Date) => {
      const [n] = await ctx.database.system((tx) =>
        tx.select({ n: count() }).from(scheduleFires).where(and(eq(scheduleFires.scheduleId, ticking.schedule!.id), gt(scheduleFires.createdAt, since))),
      );
      return n!.n;
    };
    await until('the schedule to fire', async () => (await firesSince(new Date(0))) > 0, 30_000);

    const startTasks = async (n: number, label: string) => {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const task = await ctx.services.tasks.create(actor, { agentId: agent.id, title: `${label} ${i}`, instructions: `Do ${label} ${i}`, context: {}, priority: 'normal' });
        ids.push((await ctx.services.tasks.execute(actor, task.id)).run.id);
      }
      return ids;
    };
    const unfinished = async (ids: string[]) => {
      const rows = await ctx.database.system((tx) => tx.select({ id: runs.id, status: runs.status }).from(runs).where(sql`${runs.id} in ${ids}`));
      return rows.filter((r) => r.status !== 'succeeded');
    };
    const alive = () => {
      for (const [name, p] of Object.entries({ worker, scheduler })) expect(p.child.exitCode, `troupe ${name} exited:\n${p.output().slice(-6000)}`).toBeNull();
    };

    // Under load: runs in flight on the worker, fires every second on the scheduler. The
    // connections are cut again and again for as long as runs remain.
    const loaded = await startTasks(120, 'Load');
    await until('runs to be in flight', async () => (await unfinished(loaded)).length < 120, 60_000);
    let cuts = 0;
    while (cuts < 3 || ((await unfinished(loaded)).length > 0 && cuts < 20)) {
      await terminateAll();
      cuts++;
      await sleep(400);
      alive();
    }
    await sleep(1_000);
    alive();
    const afterLoad = new Date();
    await until('every run started under load to succeed', async () => (await unfinished(loaded)).length === 0, 120_000).catch(async (err: unknown) => {
      throw new Error(`${String(err)}: ${JSON.stringify(await unfinished(loaded))}\nworker:\n${worker.output().slice(-4000)}`);
    });
    await until('the schedule to fire again', async () => (await firesSince(afterLoad)) >= 2, 30_000);

    // Idle: nothing in flight; the pools' idle connections are cut.
    await until('the worker to go idle', async () => (await unfinished(loaded)).length === 0, 10_000);
    for (let i = 0; i < 2; i++) {
      expect(await terminateAll()).toBeGreaterThan(0);
      await sleep(500);
      alive();
    }
    await sleep(1_000);
    alive();
    const afterIdle = new Date();
    const later = await startTasks(5, 'Later');
    await until('runs started after the idle cut to succeed', async () => (await unfinished(later)).length === 0, 60_000);
    await until('the schedule to fire after the idle cut', async () => (await firesSince(afterIdle)) >= 2, 30_000);
    alive();
    expect(worker.output()).not.toMatch(/Unhandled 'error' event/);
    expect(scheduler.output()).not.toMatch(/Unhandled 'error' event/);
    // What the cuts hit in flight was logged and retried, not thrown.
    const hits = (out: string) => out.split('\n').filter((l) => /terminat|Connection terminated/i.test(l)).length;
    console.info(`[distributed] ${cuts} cuts under load and 2 idle: ${hits(worker.output())} worker and ${hits(scheduler.output())} scheduler log lines about ended connections`);
  });
});

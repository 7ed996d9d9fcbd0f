import { and, count, eq, isNull, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type AppContext } from '../../src/app.js';
import { createAgentSchema } from '../../src/agents/dto.js';
import { loadConfig } from '../../src/config/load.js';
import { events, triggerFires } from '../../src/events/schema.js';
import { runs } from '../../src/runs/schema.js';
import type { Actor } from '../../src/shared/roles.js';
import { TEST_SECRET_KEY, seedMember } from '../helpers/app.js';
import { createPgDatabase } from '../helpers/databases.js';
import { spawnScript, until } from './spawn.js';

/**
 * Trigger processing under SIGKILL (issue 16): a worker process is killed while it works through
 * a backlog of events; two others take over (the dead one's events once their lease lapses), and
 * every (event, trigger) pair has fired exactly once: one fire row, one run. A debounced trigger
 * (ten keys, a one-second window) has one fire row per event too, each either carried by a fire
 * that made one run, or that fire itself; its runs carry every event between them once.
 */
const workerProcess = (env: Record<string, string>) => spawnScript('workflow-worker.ts', [], env);
const EVENTS = 200;

describe('event triggers under SIGKILL', () => {
  let ctx: AppContext;
  let env: Record<string, string>;
  let drop: () => Promise<void>;
  let actor: Actor;

  beforeAll(async () => {
    const db = await createPgDatabase();
    drop = db.drop;
    env = { DATABASE_URL: db.url, TROUPE_SECRET_KEY: TEST_SECRET_KEY, TROUPE_RUN_LEASE_SECONDS: '2', TROUPE_RECOVER_EVERY_SECONDS: '1' };
    ctx = await createContext(loadConfig({ ...env, LOG_LEVEL: 'silent' }));
    // This process stores events and starts nothing: the worker processes fire the triggers.
    ctx.services.runs.setDispatcher({ dispatch() {} });
    const owner = await seedMember(ctx, 'owner');
    actor = { orgId: owner.orgId, role: 'owner', userId: owner.userId, apiKeyId: null };
  });
  afterAll(async () => {
    await ctx?.close();
    await drop?.();
  });

  it('a worker killed mid-backlog: every (event, trigger) fires exactly once', { timeout: 120_000 }, async () => {
    const agent = await ctx.services.agents.create(actor, createAgentSchema.parse({ name: 'Clerk', model: 'openai:gpt-4o-mini' }));
    const triggers = await Promise.all(
      ['one', 'two'].map((name) => ctx.services.triggers.create(actor, { name, eventType: 'order.*', agentId: agent.id, task: `Handle {{ event.payload.n }} (${name})` })),
    );
    const debounced = await ctx.services.triggers.create(actor, {
      name: 'digest',
      eventType: 'order.*',
      agentId: agent.id,
      task: 'Digest {{ debounce.count }} orders of key {{ event.payload.n % 10 }}',
      debounce: { key: '{{ event.payload.n % 10 }}', seconds: 1 },
    });
    for (let i = 0; i < EVENTS; i++) await ctx.services.events.emit(actor.orgId, { type: 'order.placed', source: 'api', payload: { n: i } });
    const fired = async () => (await ctx.database.system((tx) => tx.select({ n: count() }).from(triggerFires)))[0]!.n;

    const first = workerProcess(env);
    await until(async () => (await fired()) >= 20, 60_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const left = await ctx.database.system((tx) => tx.select({ n: count() }).from(events).where(isNull(events.processedAt)));
    expect(left[0]!.n).toBeGreaterThan(0);

    const others = [workerProcess(env), workerProcess(env)];
    const waiting = async () => (await ctx.database.system((tx) => tx.select({ n: count() }).from(triggerFires).where(sql`${triggerFires.status} in ('pending', 'firing', 'queued')`)))[0]!.n;
    try {
      await until(async () => (await ctx.database.system((tx) => tx.select({ n: count() }).from(events).where(isNull(events.processedAt))))[0]!.n === 0, 90_000);
      await until(async () => (await waiting()) === 0, 60_000);
    } finally {
      for (const p of others) p.child.kill('SIGTERM');
      await Promise.all(others.map((p) => p.exited));
    }
    const all = await ctx.database.system((tx) => tx.select().from(triggerFires));
    expect(all).toHaveLength(EVENTS * (triggers.length + 1));
    const digest = all.filter((f) => f.triggerId === debounced.id);
    expect(new Set(digest.map((f) => f.eventId)).size).toBe(EVENTS);
    const carriers = new Map(digest.filter((f) => f.status === 'fired').map((f) => [f.id, f]));
    expect(digest.every((f) => (f.status === 'fired' && f.runId) || (f.status === 'debounced' && carriers.has(f.carriedBy!)))).toBe(true);
    expect([...carriers.values()].reduce((n, f) => n + f.collapsed, 0)).toBe(EVENTS);
    expect(new Set([...carriers.values()].map((f) => f.runId)).size).toBe(carriers.size);
    const fires = all.filter((f) => f.triggerId !== debounced.id);
    expect(fires).toHaveLength(EVENTS * triggers.length);
    expect(fires.every((f) => f.status === 'fired' && f.runId)).toBe(true);
    expect(new Set(fires.map((f) => `${f.eventId}/${f.triggerId}`)).size).toBe(EVENTS * triggers.length);
    // One run per pair, no more: the runs a trigger made, counted by their idempotency keys.
    const made = await ctx.database.system((tx) => tx.select({ n: count() }).from(runs).where(and(eq(runs.orgId, actor.orgId), like(runs.idempotencyKey, 'trigger:%'))));
    expect(made[0]!.n).toBe(EVENTS * triggers.length + carriers.size);
    expect(new Set(fires.map((f) => f.runId)).size).toBe(EVENTS * triggers.length);
    const tasks = await ctx.database.system((tx) => tx.select({ task: sql<string>`${runs.input}->>'task'` }).from(runs).where(eq(runs.id, fires[0]!.runId!)));
    expect(tasks[0]!.task).toMatch(/^Handle \d+ \((one|two)\)$/);
  });
});

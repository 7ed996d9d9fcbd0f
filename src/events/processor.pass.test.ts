import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, isNull } from 'drizzle-orm';
import { TEST_SECRET_KEY } from '../../test/helpers/app.js';
import { openTestDatabase, type DbKind } from '../../test/helpers/databases.js';
import { createContext, type AppContext } from '../app.js';
import { memberships, organizations, users } from '../auth/schema.js';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../shared/logger.js';
import type { Actor } from '../shared/roles.js';
import { EventProcessor, type FireStarter } from './processor.js';
import { events, triggerFires } from './schema.js';

/**
 * A pass of the event processor writes the fires of plain triggers (no debounce, throttle or
 * limit) a pass at a time (decision 75): the statements it sends do not grow with the events it
 * takes. Its own statements are counted here: the runs' starts are the starter's, stubbed. No
 * worker runs in this context, so the pass under test is the only one.
 */
describe.each(['postgres', 'pglite'] as DbKind[])('the event processor pass on %s', (kind) => {
  let ctx: AppContext;
  let actor: Actor;
  let workflowId: string;

  beforeAll(async () => {
    const database = await openTestDatabase(kind);
    ctx = await createContext(loadConfig({ TROUPE_SECRET_KEY: TEST_SECRET_KEY, TROUPE_DATA_DIR: `/tmp/troupe-test-${randomUUID()}` }), { database, logger: createLogger('silent') });
    const ids = await ctx.database.system(async (tx) => {
      const [org] = await tx.insert(organizations).values({ name: 'Pass' }).returning();
      const [user] = await tx.insert(users).values({ email: `pass-${randomUUID()}@example.com`, name: 'Pass', passwordHash: 'x' }).returning();
      await tx.insert(memberships).values({ orgId: org!.id, userId: user!.id, role: 'owner' });
      return { orgId: org!.id, userId: user!.id };
    });
    actor = { orgId: ids.orgId, role: 'owner', userId: ids.userId, apiKeyId: null };
  });
  afterAll(() => ctx?.close());

  it('takes 60 events of two plain triggers in a few statements, each pair fired once with its own run, and a replayed pair the one-by-one way', async () => {
    const workflow = await ctx.services.workflows.create(actor, {
      definition: { name: 'Note', graph: { nodes: [{ id: 'start', type: 'trigger', config: { kind: 'manual' } }, { id: 'note', type: 'transform', config: { value: '{{ input.n }}' } }], edges: [{ source: 'start', target: 'note' }] } },
    });
    workflowId = workflow.id;
    const every = await ctx.services.triggers.create(actor, { name: 'Every order', eventType: 'order.placed', workflowId: workflow.id });
    const big = await ctx.services.triggers.create(actor, { name: 'Big orders', eventType: 'order.*', workflowId: workflow.id, filter: 'event.payload.qty > 5' });
    for (let i = 0; i < 60; i++) await ctx.services.events.emit(actor.orgId, { type: 'order.placed', source: 'api', payload: { n: i, qty: i % 10 } });

    const started: string[] = [];
    const starter: FireStarter = {
      agentRun: async () => {
        throw new Error('no agent triggers here');
      },
      workflowRun: async (_org, _wf, _input, key) => {
        started.push(key);
        return randomUUID();
      },
      decision: async () => {
        throw new Error('no decision triggers here');
      },
      orgName: async () => 'Pass',
      activeRuns: async () => new Set(),
    };
    const processor = new EventProcessor(ctx.database, ctx.services.triggers, starter, createLogger('silent'), { batch: 100 });
    await ctx.services.triggers.enabledOf(actor.orgId);
    const before = ctx.database.stats.statements;
    expect(await processor.pass()).toBe(60);
    const statements = ctx.database.stats.statements - before;
    // One-by-one it was three transactions per fire and one per event (about 800 statements here).
    expect(statements).toBeLessThanOrEqual(16);

    const fires = await ctx.database.system((tx) => tx.select().from(triggerFires).where(eq(triggerFires.orgId, actor.orgId)));
    expect(fires.filter((f) => f.triggerId === every.id)).toHaveLength(60);
    // qty 6..9 in each ten.
    expect(fires.filter((f) => f.triggerId === big.id)).toHaveLength(24);
    expect(fires.every((f) => f.status === 'fired' && f.runId && f.dueAt === null)).toBe(true);
    expect(new Set(fires.map((f) => f.runId)).size).toBe(84);
    expect(new Set(started).size).toBe(84);
    const open = await ctx.database.system((tx) => tx.select({ id: events.id }).from(events).where(and(eq(events.orgId, actor.orgId), isNull(events.processedAt))));
    expect(open).toHaveLength(0);

    // A pair whose fire exists (an event taken again after its processor died before closing it):
    // the pass finds the fire and starts nothing new.
    const one = fires.find((f) => f.triggerId === every.id)!;
    await ctx.database.system((tx) => tx.update(events).set({ processedAt: null, leaseUntil: null }).where(eq(events.id, one.eventId)));
    expect(await processor.pass()).toBe(1);
    expect(started).toHaveLength(84);
    const [after] = await ctx.database.system((tx) => tx.select().from(triggerFires).where(eq(triggerFires.id, one.id)));
    expect(after).toMatchObject({ status: 'fired', runId: one.runId });
  });

  it('a start that fails leaves its fire failed (a dead letter, replayable) and the event processed', async () => {
    const trig = await ctx.services.triggers.create(actor, { name: 'Refunds', eventType: 'refund.asked', workflowId });
    const sent = await ctx.services.events.emit(actor.orgId, { type: 'refund.asked', source: 'api', payload: {} });
    const failing: FireStarter = {
      agentRun: async () => '',
      workflowRun: async () => {
        throw new Error('the database went away');
      },
      decision: async () => '',
      orgName: async () => 'Pass',
      activeRuns: async () => new Set(),
    };
    const processor = new EventProcessor(ctx.database, ctx.services.triggers, failing, createLogger('silent'));
    await processor.pass();
    const [fire] = await ctx.database.system((tx) => tx.select().from(triggerFires).where(eq(triggerFires.triggerId, trig.id)));
    expect(fire).toMatchObject({ status: 'failed', error: { code: 'fire_failed', message: 'the database went away' } });
    const [row] = await ctx.database.system((tx) => tx.select().from(events).where(eq(events.id, sent.event.id)));
    expect(row!.processedAt).not.toBeNull();
  });
});

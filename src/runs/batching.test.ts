import { and, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, seedMember, type Member, type TestApp } from '../../test/helpers/app.js';
import { agents } from '../agents/schema.js';
import { createAgentSchema } from '../agents/dto.js';
import type { Actor } from '../shared/roles.js';
import type { Database } from '../db/client.js';
import { LeaseLostError } from './errors.js';
import { auditLog } from '../audit/schema.js';
import { ledgerEntries } from '../billing/schema.js';
import { runEvents, runs, runSteps } from './schema.js';
import { claimRun, type Claim } from './claim.js';
import { RunWriter } from './store.js';

/**
 * Runs created, claimed and written at the same moment share database calls (db/call-batcher.ts
 * and migrations/0004): each still gets exactly its own answer, and the set forms do what the
 * single calls do.
 */
describe.each(['postgres', 'pglite'] as const)('runs batched on %s', (kind) => {
  let t: TestApp;
  let owner: Member;
  let actor: Actor;
  const N = 120;

  beforeAll(async () => {
    t = await createTestApp(kind);
    owner = await seedMember(t.ctx, 'owner');
    actor = { orgId: owner.orgId, role: 'owner', userId: owner.userId, apiKeyId: null };
    t.ctx.services.runs.setDispatcher({ dispatch() {} });
  });
  afterAll(() => t.close());

  /** The database, counting the calls of each SQL function. */
  function counting(): { database: Database; calls: Map<string, number> } {
    const calls = new Map<string, number>();
    const database = {
      ...t.ctx.database,
      call: (fn: string, args: unknown[], tx?: never) => (calls.set(fn, (calls.get(fn) ?? 0) + 1), t.ctx.database.call(fn, args, tx)),
    } as Database;
    return { database, calls };
  }

  it('creates, claims and writes many runs in few calls, each with its own answer', async () => {
    const agent = await t.ctx.services.agents.create(actor, createAgentSchema.parse({ name: `Batch ${kind}`, model: 'openai:gpt-4o-mini' }));
    const paused = await t.ctx.services.agents.create(actor, createAgentSchema.parse({ name: `Paused ${kind}`, model: 'openai:gpt-4o-mini' }));
    await t.ctx.database.withOrg(owner.orgId, (tx) => tx.update(agents).set({ status: 'paused' }).where(eq(agents.id, paused.id)));

    // Creates: one for a paused agent and two with the same idempotency key, among many.
    const creates = await Promise.allSettled([
      ...Array.from({ length: N }, (_, i) => t.ctx.services.runs.create(actor, agent.id, { task: `task ${i}` }, { source: 'api' })),
      t.ctx.services.runs.create(actor, paused.id, { task: 'never' }, { source: 'api' }),
      t.ctx.services.runs.create(actor, agent.id, { task: 'once' }, { source: 'api', idempotencyKey: `key-${kind}` }),
      t.ctx.services.runs.create(actor, agent.id, { task: 'once' }, { source: 'api', idempotencyKey: `key-${kind}` }),
    ]);
    const made = creates.slice(0, N).map((c) => (c.status === 'fulfilled' ? c.value.run : null));
    expect(made.map((r) => r?.input.task)).toEqual(Array.from({ length: N }, (_, i) => `task ${i}`));
    expect(creates[N]).toMatchObject({ status: 'rejected', reason: { code: 'agent_paused' } });
    const twice = creates.slice(N + 1).map((c) => (c.status === 'fulfilled' ? c.value : null));
    expect(twice.map((c) => c?.created).sort()).toEqual([false, true]);
    expect(twice[0]!.run.id).toBe(twice[1]!.run.id);

    // Claims: every run once, each claim with its own run; the agent's execution count counts each.
    const ids = made.map((r) => r!.id);
    const { database, calls } = counting();
    const claims = await Promise.all(ids.map((id) => claimRun(database, owner.orgId, id, `worker-${kind}`)));
    expect(claims.map((c) => c?.run.id)).toEqual(ids);
    expect(claims.every((c) => c!.lease.generation === 1 && c!.agent!.id === agent.id && c!.steps.length === 0)).toBe(true);
    expect(calls.get('troupe_runs_claim') ?? 0).toBeGreaterThan(0);
    expect((calls.get('troupe_run_claim') ?? 0) + (calls.get('troupe_runs_claim') ?? 0)).toBeLessThan(N / 4);
    const [row] = await t.ctx.database.withOrg(owner.orgId, (tx) => tx.select({ n: agents.executionCount }).from(agents).where(eq(agents.id, agent.id)));
    expect(row!.n).toBe(N);
    // A second claim of a running run with a live lease finds nothing.
    expect(await Promise.all(ids.slice(0, 3).map((id) => claimRun(database, owner.orgId, id, 'other')))).toEqual([null, null, null]);

    // Writes: one fenced-off writer among many gets LeaseLostError; the others' events land.
    const fenced = ids[7]!;
    await t.ctx.database.system((tx) => tx.update(runs).set({ generation: sql`${runs.generation} + 1` }).where(eq(runs.id, fenced)));
    calls.clear();
    const writers = claims.map((c: Claim | null) => new RunWriter(database, c!.lease, c!.lastSeq));
    const written = await Promise.allSettled(writers.map((w, i) => w.commit({ events: [{ type: 'test.batched', data: { i } }], add: { stepCount: 1 } })));
    expect(written.map((w, i) => (w.status === 'rejected' ? (w.reason instanceof LeaseLostError ? `lost ${i}` : String(w.reason)) : 'ok'))).toEqual(
      ids.map((id, i) => (id === fenced ? `lost ${i}` : 'ok')),
    );
    expect((calls.get('troupe_run_write') ?? 0) + (calls.get('troupe_runs_write') ?? 0)).toBeLessThan(N / 4);
    const events = await t.ctx.database.system((tx) => tx.select().from(runEvents).where(and(inArray(runEvents.runId, ids), eq(runEvents.type, 'test.batched'))));
    expect(events).toHaveLength(N - 1);
    expect(new Set(events.map((e) => e.runId)).has(fenced)).toBe(false);
    const counted = await t.ctx.database.system((tx) => tx.select({ id: runs.id, n: runs.stepCount }).from(runs).where(inArray(runs.id, ids)));
    expect(counted.filter((r) => r.n === 1)).toHaveLength(N - 1);
  });

  it('writes whole steps of runs of two organizations in one batch as each run alone would', async () => {
    const other = await seedMember(t.ctx, 'owner');
    const otherActor: Actor = { orgId: other.orgId, role: 'owner', userId: other.userId, apiKeyId: null };
    const mine = await t.ctx.services.agents.create(actor, createAgentSchema.parse({ name: `Steps ${kind}`, model: 'openai:gpt-4o-mini' }));
    const theirs = await t.ctx.services.agents.create(otherActor, createAgentSchema.parse({ name: `Steps ${kind}`, model: 'openai:gpt-4o-mini' }));
    const made = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? t.ctx.services.runs.create(otherActor, theirs.id, { task: `o ${i}` }, { source: 'api' }) : t.ctx.services.runs.create(actor, mine.id, { task: `m ${i}` }, { source: 'api' }))),
    );
    const claims = (await Promise.all(made.map(({ run }) => claimRun(t.ctx.database, run.orgId, run.id, 'steps-worker')))).map((c) => c!);
    const fenced = claims[5]!.run.id;
    await t.ctx.database.system((tx) => tx.update(runs).set({ generation: sql`${runs.generation} + 1` }).where(eq(runs.id, fenced)));
    const { database, calls } = counting();
    const writers = claims.map((c) => new RunWriter(database, c.lease, c.lastSeq));
    // One write per run: a model step started and finished, its ledger row, events, audit, patch and counters.
    const results = await Promise.allSettled(
      writers.map((w, i) =>
        w.commit({
          start: [{ seq: 1, stepKey: 'model:1', kind: 'model_call', model: 'openai:gpt-4o-mini', input: { i } }],
          finish: [{ stepKey: 'model:1', status: 'succeeded', output: { text: `out ${i}` }, inputTokens: 10, outputTokens: 2, costMicros: 5, billedMicros: 6, latencyMs: 3 }],
          ledger: [
            {
              stepKey: 'model:1', agentId: claims[i]!.agent!.id, conversationId: null, taskId: null, provider: 'openai', model: 'gpt-4o-mini',
              inputTokens: 10, outputTokens: 2, cachedInputTokens: 0, baseCostMicros: 5, billedCostMicros: 6, markupBps: 2000, priceEffectiveFrom: null, at: new Date(),
            },
          ],
          events: [{ type: 'step.finished', data: { i } }],
          audit: [{ action: 'run.finished', details: { i } }],
          patch: { status: 'succeeded', stopReason: 'completed', output: `out ${i}`, finished: true, release: true },
          add: { stepCount: 1, inputTokens: 10, outputTokens: 2, costMicros: 5, billedMicros: 6 },
          spendAgent: claims[i]!.agent!.id,
        }),
      ),
    );
    expect(results.map((r, i) => (r.status === 'rejected' ? (r.reason instanceof LeaseLostError ? 'lost' : String(r.reason)) : claims[i]!.run.id === fenced ? 'written' : 'ok'))).toEqual(
      claims.map((c) => (c.run.id === fenced ? 'lost' : 'ok')),
    );
    expect(calls.get('troupe_runs_write') ?? 0).toBeGreaterThan(0);
    // Each organization's standing counts its own agent's ledger rows.
    const spends = results.flatMap((r, i) => (r.status === 'fulfilled' ? [{ org: claims[i]!.run.orgId, spend: r.value.spend! }] : []));
    for (const s of spends) expect(s.spend.agentSpent).toBeGreaterThanOrEqual(6);
    const ids = claims.map((c) => c.run.id);
    const written = ids.filter((id) => id !== fenced);
    const [runRows, steps, ledger, events, audit] = await t.ctx.database.system(async (tx) => [
      await tx.select().from(runs).where(inArray(runs.id, ids)),
      await tx.select().from(runSteps).where(inArray(runSteps.runId, ids)),
      await tx.select().from(ledgerEntries).where(inArray(ledgerEntries.runId, ids)),
      await tx.select().from(runEvents).where(and(inArray(runEvents.runId, ids), eq(runEvents.type, 'step.finished'))),
      await tx.select().from(auditLog).where(and(inArray(auditLog.targetId, ids), eq(auditLog.action, 'run.finished'))),
    ]);
    for (const r of runRows) {
      const i = ids.indexOf(r.id);
      if (r.id === fenced) expect(r).toMatchObject({ status: 'running', stepCount: 0, billedMicros: 0 });
      else expect(r).toMatchObject({ status: 'succeeded', stopReason: 'completed', output: `out ${i}`, stepCount: 1, inputTokens: 10, billedMicros: 6, leaseOwner: null });
    }
    expect(steps.map((s) => [s.runId, s.status, s.output]).sort()).toEqual(written.map((id) => [id, 'succeeded', { text: `out ${ids.indexOf(id)}` }]).sort());
    expect(ledger.map((l) => [l.runId, l.orgId, l.stepId]).sort()).toEqual(steps.map((s) => [s.runId, s.orgId, s.id]).sort());
    expect(events.map((e) => e.runId).sort()).toEqual([...written].sort());
    expect(audit.map((a) => [a.targetId, a.orgId]).sort()).toEqual(written.map((id) => [id, claims[ids.indexOf(id)]!.run.orgId]).sort());
  });
});

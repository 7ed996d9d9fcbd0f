import { randomUUID } from 'node:crypto';
import { and, count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedMember, type Member, type TestApp } from '../../test/helpers/app.js';
import { inProcessWorker, scriptedExecutor } from '../../test/helpers/worker.js';
import type { Actor } from '../shared/roles.js';
import { messages } from '../conversations/schema.js';
import { runs } from '../runs/schema.js';
import { claimRun } from '../runs/claim.js';
import { RunWriter } from '../runs/store.js';
import { budgetReservations, ledgerEntries } from './schema.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp('postgres');
});
afterAll(() => t.close());

const actorOf = (m: Member): Actor => ({ orgId: m.orgId, role: 'owner', userId: m.userId, apiKeyId: null });

async function agent(owner: Member, body: Record<string, unknown> = {}): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: owner.headers, payload: { name: `Agent ${randomUUID()}`, model: 'openai:gpt-4o-mini', ...body } });
  if (res.statusCode !== 201) throw new Error(res.body);
  return json<{ id: string }>(res).id;
}

async function orgBudget(owner: Member, micros: number | null) {
  const res = await t.app.inject({ method: 'PATCH', url: '/api/v1/orgs/current', headers: owner.headers, payload: { monthlyBudgetMicros: micros } });
  expect(res.statusCode).toBe(200);
}

/** A ledger row with a chosen billed cost (spend from earlier in the month). */
const spend = (owner: Member, agentId: string, billedCostMicros: number) =>
  t.ctx.database.withOrg(owner.orgId, (tx) =>
    tx.insert(ledgerEntries).values({
      orgId: owner.orgId,
      agentId,
      runId: randomUUID(),
      stepId: randomUUID(),
      provider: 'openai',
      model: 'gpt-4o-mini',
      inputTokens: 1,
      outputTokens: 1,
      baseCostMicros: billedCostMicros,
      billedCostMicros,
      markupBps: 0,
    }),
  );

const runsOf = (owner: Member) => t.ctx.database.withOrg(owner.orgId, (tx) => tx.select().from(runs).where(eq(runs.orgId, owner.orgId)));
const billed = async (owner: Member) => (await t.ctx.database.withOrg(owner.orgId, (tx) => tx.select().from(ledgerEntries).where(eq(ledgerEntries.orgId, owner.orgId)))).reduce((s, l) => s + l.billedCostMicros, 0);

async function untilRested(owner: Member, n: number) {
  const end = Date.now() + 90_000;
  for (;;) {
    const all = await runsOf(owner);
    if (all.length === n && all.every((r) => r.finishedAt)) return all;
    if (Date.now() > end) throw new Error(`runs still going: ${all.map((r) => r.status).join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('budget reservations under concurrency', () => {
  // Every call: 2,000 prompt and 200 output tokens of gpt-4o-mini (0.15 / 0.60 $ per Mtok), +20%.
  const usage = { input: 2000, output: 200 };

  it('25 runs at once per organization make at most the calls that fit plus one, in each of two organizations', { timeout: 120_000 }, async () => {
    const { script, executor } = scriptedExecutor(t.ctx, []);
    script.push(...Array.from({ length: 100 }, () => ({ text: 'done', usage })));
    t.ctx.services.runs.setDispatcher(inProcessWorker(executor, 100));
    const orgs = [await seedMember(t.ctx, 'owner'), await seedMember(t.ctx, 'owner')];
    const perCall = (await t.ctx.services.billing.priceCall(orgs[0]!.orgId, 'openai', 'gpt-4o-mini', { inputTokens: 2000, outputTokens: 200, cachedInputTokens: 0 }, new Date())).billedCostMicros;
    const budget = 5_000;
    const fits = Math.floor(budget / perCall);

    // One organization's budget is its own; the other's is its agent's.
    await orgBudget(orgs[0]!, budget);
    const agents = [await agent(orgs[0]!), await agent(orgs[1]!, { limits: { monthlyBudgetMicros: budget } })];
    await Promise.all(
      orgs.flatMap((o, i) => Array.from({ length: 25 }, (_, k) => t.ctx.services.runs.create(actorOf(o), agents[i]!, { task: `Task ${k}` }, { source: 'api' }))),
    );
    for (const o of orgs) {
      const all = await untilRested(o, 25);
      const succeeded = all.filter((r) => r.status === 'succeeded');
      // Before: every run saw the spend of the moment it was claimed (0) and called (25 calls).
      expect(succeeded.length).toBeLessThanOrEqual(fits + 1);
      // ... and no run was stopped while the budget had room.
      expect(succeeded.length).toBeGreaterThanOrEqual(fits);
      expect(all.filter((r) => r.status === 'failed').every((r) => r.stopReason === 'budget_exceeded')).toBe(true);
      expect(await billed(o)).toBe(succeeded.length * perCall);
      expect(await billed(o)).toBeLessThan(budget + perCall);
    }
    expect(script.calls).toBeLessThanOrEqual(2 * (fits + 1));
  });

  it('calls with a small output limit run side by side; the overshoot stays under one call', { timeout: 120_000 }, async () => {
    // Prompt tokens as few as a provider would count for this short prompt (the reservation estimates them from its text).
    const small = { input: 20, output: 100 };
    const { script, executor } = scriptedExecutor(t.ctx, []);
    script.push(...Array.from({ length: 60 }, () => ({ text: 'done', usage: small, delayMs: 50 })));
    t.ctx.services.runs.setDispatcher(inProcessWorker(executor, 100));
    const o = await seedMember(t.ctx, 'owner');
    await orgBudget(o, 1_500);
    const id = await agent(o, { maxOutputTokens: 100 });
    const most = await t.ctx.services.billing.maxCallCost(o.orgId, ['openai:gpt-4o-mini'], 5000, 100, new Date());
    await Promise.all(Array.from({ length: 50 }, (_, k) => t.ctx.services.runs.create(actorOf(o), id, { task: `Task ${k}` }, { source: 'api' })));
    const all = await untilRested(o, 50);
    const spent = await billed(o);
    expect(spent).toBeGreaterThanOrEqual(1_500);
    expect(spent).toBeLessThan(1_500 + most);
    expect(all.filter((r) => r.status === 'succeeded').length).toBeGreaterThan(1);
  });
});

describe('a reservation', () => {
  it("counts while its call is in flight, gives way to the call's cost, and dies with a crashed worker's lease or a new claim", { timeout: 60_000 }, async () => {
    t.ctx.services.runs.setDispatcher({ dispatch() {} });
    const o = await seedMember(t.ctx, 'owner');
    await orgBudget(o, 10_000);
    const agentId = await agent(o);
    const queued = async () => (await t.ctx.services.runs.create(actorOf(o), agentId, { task: 'x' }, { source: 'api' })).run.id;
    const reserve = (runId: string, generation: number, amountMicros: number, stepKey = 'model:1') =>
      t.ctx.services.billing.reserve({ orgId: o.orgId, agentId, runId, generation, stepKey, agentBudgetMicros: null, amountMicros });
    const rows = () => t.ctx.database.withOrg(o.orgId, (tx) => tx.select({ n: count() }).from(budgetReservations).where(eq(budgetReservations.orgId, o.orgId)));

    // A worker takes run A and reserves more than the budget (its call's most); B must wait for it.
    const a = await queued();
    const claimA = (await claimRun(t.ctx.database, o.orgId, a, 'worker-that-dies'))!;
    expect((await reserve(a, claimA.lease.generation, 12_000)).state).toBe('granted');
    const b = await queued();
    const claimB = (await claimRun(t.ctx.database, o.orgId, b, 'worker-alive'))!;
    expect(await reserve(b, claimB.lease.generation, 2_000)).toMatchObject({ state: 'wait', held: { org: 12_000 } });

    // A's worker dies: its lease expires and its reservation with it (no leak); B goes ahead.
    await t.ctx.database.system((tx) => tx.update(runs).set({ leaseExpiresAt: sql`now() - interval '1 second'` }).where(eq(runs.id, a)));
    expect(await reserve(b, claimB.lease.generation, 2_000)).toMatchObject({ state: 'granted', held: { org: 0 } });
    expect((await rows())[0]!.n).toBe(1); // A's row was deleted

    // Another worker resumes A (a new generation): it reserves afresh, the old holder's would not count.
    const resumed = (await claimRun(t.ctx.database, o.orgId, a, 'worker-new'))!;
    expect(resumed.lease.generation).toBe(claimA.lease.generation + 1);
    expect((await reserve(a, resumed.lease.generation, 8_000)).state).toBe('granted');
    expect((await reserve(a, claimA.lease.generation, 1, 'model:2')).state).toBe('wait');

    // B's call finishes: its step and ledger row are written together, and its reservation gives way to the cost.
    const writer = new RunWriter(t.ctx.database, claimB.lease, claimB.lastSeq);
    await writer.commit({ start: [{ seq: 1, stepKey: 'model:1', kind: 'model_call', input: {} }] });
    const c = await queued();
    const claimC = (await claimRun(t.ctx.database, o.orgId, c, 'worker-alive'))!;
    expect(await reserve(c, claimC.lease.generation, 100)).toMatchObject({ state: 'wait', held: { org: 10_000 } });
    await writer.commit({
      finish: [{ stepKey: 'model:1', status: 'succeeded', output: {} }],
      ledger: [{ stepKey: 'model:1', agentId, conversationId: null, taskId: null, provider: 'openai', model: 'gpt-4o-mini', inputTokens: 1, outputTokens: 1, cachedInputTokens: 0, baseCostMicros: 500, billedCostMicros: 500, markupBps: 0, priceEffectiveFrom: null, at: new Date() }],
    });
    expect(await reserve(c, claimC.lease.generation, 100)).toMatchObject({ state: 'granted', held: { org: 8_000 }, standing: { orgSpent: 500 } });

    // The budget used up: exceeded, whatever is held.
    await spend(o, agentId, 9_500);
    expect((await reserve(c, claimC.lease.generation, 100, 'model:2')).state).toBe('exceeded');
  });
});

describe('work over budget is refused up front', () => {
  it('POST /agents/:id/execute, /tasks/:id/execute and a chat message answer 402 budget_exceeded and create nothing', async () => {
    t.ctx.services.runs.setDispatcher({ dispatch() {} });
    const o = await seedMember(t.ctx, 'owner');
    const agentId = await agent(o);
    const execute = (key?: string) =>
      t.app.inject({ method: 'POST', url: `/api/v1/agents/${agentId}/execute`, headers: { ...o.headers, ...(key ? { 'idempotency-key': key } : {}) }, payload: { task: 'Go' } });
    const task = json<{ id: string }>(await t.app.inject({ method: 'POST', url: '/api/v1/tasks', headers: o.headers, payload: { agentId, title: 'Report', instructions: 'Write it' } })).id;
    const conversation = json<{ id: string }>(await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: o.headers, payload: { agentId } })).id;
    const say = () => t.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversation}/messages`, headers: o.headers, payload: { content: 'Hello?' } });

    const first = await execute('same-request');
    expect(first.statusCode).toBe(202);
    await orgBudget(o, 1_000);
    await spend(o, agentId, 1_000);

    const refused = expectProblem(await execute(), 402);
    expect(refused).toMatchObject({ code: 'budget_exceeded' });
    expect(refused.detail).toContain("organization's monthly budget is used up ($0.001000 of $0.001000)");
    expect(expectProblem(await t.app.inject({ method: 'POST', url: `/api/v1/tasks/${task}/execute`, headers: o.headers }), 402).code).toBe('budget_exceeded');
    expect(expectProblem(await say(), 402).code).toBe('budget_exceeded');
    expect(await runsOf(o)).toHaveLength(1);
    const stored = await t.ctx.database.withOrg(o.orgId, (tx) => tx.select().from(messages).where(eq(messages.conversationId, conversation)));
    expect(stored).toHaveLength(0);
    // A schedule's fire is refused the same way (the scheduler records it as budget_exceeded).
    await expect(t.ctx.services.tasks.fire(o.orgId, task)).rejects.toMatchObject({ status: 402, code: 'budget_exceeded' });
    // A repeated request (same Idempotency-Key) still gets the run the first one made.
    expect(json<{ id: string }>(await execute('same-request')).id).toBe(json<{ id: string }>(first).id);

    // The agent's own budget refuses only that agent.
    await orgBudget(o, null);
    const capped = await agent(o, { limits: { monthlyBudgetMicros: 500 } });
    const other = await agent(o);
    await spend(o, capped, 500);
    const agentRefusal = expectProblem(await t.app.inject({ method: 'POST', url: `/api/v1/agents/${capped}/execute`, headers: o.headers, payload: { task: 'Go' } }), 402);
    expect(agentRefusal.detail).toContain("agent's monthly budget is used up");
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/agents/${other}/execute`, headers: o.headers, payload: { task: 'Go' } })).statusCode).toBe(202);
    expect((await execute()).statusCode).toBe(202);
    expect(await t.ctx.database.withOrg(o.orgId, (tx) => tx.select({ n: count() }).from(runs).where(and(eq(runs.orgId, o.orgId), eq(runs.agentId, capped))))).toEqual([{ n: 0 }]);
  });
});

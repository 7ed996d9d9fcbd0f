import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, json, seedMember, type Member, type TestApp } from '../../test/helpers/app.js';
import { auditLog } from '../audit/schema.js';
import { notifications } from '../tools/schema.js';
import { budgetAlerts, ledgerEntries } from './schema.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp('postgres');
});
afterAll(() => t.close());

async function org(): Promise<Member> {
  return seedMember(t.ctx, 'owner');
}
async function agent(owner: Member, name: string): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: owner.headers, payload: { name, model: 'openai:gpt-4o-mini' } });
  return json<{ id: string }>(res).id;
}
/** A ledger row with a chosen billed cost (the budget math does not care how it was priced). */
function spend(owner: Member, agentId: string, billedCostMicros: number, at = new Date()) {
  return t.ctx.database.withOrg(owner.orgId, (tx) =>
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
      createdAt: at,
    }),
  );
}
const notes = (owner: Member) => t.ctx.database.withOrg(owner.orgId, (tx) => tx.select().from(notifications).where(eq(notifications.orgId, owner.orgId)).orderBy(notifications.createdAt));
const alertAudits = (owner: Member) =>
  t.ctx.database.withOrg(owner.orgId, (tx) =>
    tx.select().from(auditLog).where(and(eq(auditLog.orgId, owner.orgId), eq(auditLog.action, 'budget.threshold_reached'))),
  );
const check = (owner: Member, agentId: string, agentBudget: number | null, now?: Date) => t.ctx.services.billing.checkBudget(owner.orgId, agentId, agentBudget, now);

describe('checkBudget', () => {
  it('allows everything without budgets and still reports the spend', async () => {
    const o = await org();
    const a = await agent(o, 'Free');
    await spend(o, a, 123);
    expect(await check(o, a, null)).toEqual({ allowed: true, org: { spentMicros: 123, budgetMicros: null }, agent: { spentMicros: 123, budgetMicros: null } });
    expect(await notes(o)).toHaveLength(0);
  });

  it("alerts once at 80% of an agent's budget and stops it at 100%", async () => {
    const o = await org();
    const a = await agent(o, 'Budgeted');
    const other = await agent(o, 'Other');
    await spend(o, a, 799_999);
    await spend(o, other, 5_000_000); // another agent's spend is not this agent's
    expect(await check(o, a, 1_000_000)).toMatchObject({ allowed: true, agent: { spentMicros: 799_999, budgetMicros: 1_000_000 } });
    expect(await notes(o)).toHaveLength(0);

    await spend(o, a, 1);
    expect((await check(o, a, 1_000_000)).allowed).toBe(true);
    expect((await check(o, a, 1_000_000)).allowed).toBe(true);
    let list = await notes(o);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ userId: null, level: 'warning', title: 'Agent "Budgeted" has used 80% of its monthly budget' });
    expect(list[0]!.body).toContain('$0.80 of $1.00');
    expect(list[0]!.data).toMatchObject({ kind: 'budget_alert', targetType: 'agent', targetId: a, thresholdPercent: 80 });

    await spend(o, a, 200_000);
    for (let i = 0; i < 2; i++) {
      expect(await check(o, a, 1_000_000)).toMatchObject({ allowed: false, reason: 'agent_budget_exceeded', agent: { spentMicros: 1_000_000 } });
    }
    expect((await check(o, other, null)).allowed).toBe(true); // the other agent runs on
    list = await notes(o);
    expect(list).toHaveLength(2);
    expect(list[1]).toMatchObject({ level: 'urgent', title: 'Agent "Budgeted" has reached its monthly budget' });
    const audits = await alertAudits(o);
    expect(audits.map((x) => [x.actorType, x.targetType, x.targetId, x.details.thresholdPercent]).sort()).toEqual([
      ['system', 'agent', a, 100],
      ['system', 'agent', a, 80],
    ]);
  });

  it("stops every agent at the organization's budget, with its own alerts", async () => {
    const o = await org();
    const a = await agent(o, 'A');
    const b = await agent(o, 'B');
    const res = await t.app.inject({ method: 'PATCH', url: '/api/v1/orgs/current', headers: o.headers, payload: { monthlyBudgetMicros: 10_000 } });
    expect(res.statusCode).toBe(200);
    await spend(o, a, 8_000);
    expect(await check(o, b, null)).toMatchObject({ allowed: true, org: { spentMicros: 8_000, budgetMicros: 10_000 }, agent: { spentMicros: 0 } });
    expect((await notes(o)).map((n) => n.title)).toEqual(['Your organization has used 80% of its monthly budget']);
    await spend(o, b, 2_000);
    // The organization's reason wins over an agent's own budget, also exceeded here.
    expect(await check(o, b, 1_000)).toMatchObject({ allowed: false, reason: 'org_budget_exceeded' });
    const titles = (await notes(o)).map((n) => n.title);
    expect(titles).toContain('Your organization has reached its monthly budget');
    expect(titles).toContain('Agent "B" has reached its monthly budget');
  });

  it('sends one alert, the highest, when a call jumps past both thresholds', async () => {
    const o = await org();
    const a = await agent(o, 'Jumper');
    await spend(o, a, 2_000_000);
    expect((await check(o, a, 1_000_000)).allowed).toBe(false);
    expect((await notes(o)).map((n) => n.level)).toEqual(['urgent']);
    const marked = await t.ctx.database.withOrg(o.orgId, (tx) => tx.select().from(budgetAlerts).where(eq(budgetAlerts.orgId, o.orgId)));
    expect(marked.map((m) => m.thresholdPercent).sort()).toEqual([100, 80]);
  });

  it('counts calendar months in UTC, and alerts again in a new month', async () => {
    const o = await org();
    const a = await agent(o, 'Monthly');
    await spend(o, a, 900, new Date('2025-01-31T23:59:59.999Z'));
    await spend(o, a, 50, new Date('2025-02-01T00:00:00.000Z'));
    expect(await check(o, a, 1_000, new Date('2025-01-15T00:00:00Z'))).toMatchObject({ allowed: true, agent: { spentMicros: 900 } });
    expect(await check(o, a, 1_000, new Date('2025-02-28T23:59:59Z'))).toMatchObject({ allowed: true, agent: { spentMicros: 50 } });
    await spend(o, a, 800, new Date('2025-02-10T00:00:00Z'));
    expect((await check(o, a, 1_000, new Date('2025-02-11T00:00:00Z'))).agent.spentMicros).toBe(850);
    const months = (await notes(o)).map((n) => n.data.month);
    expect(months).toEqual(['2025-01', '2025-02']);
  });

  it("never counts another organization's spend", async () => {
    const o = await org();
    const stranger = await org();
    const a = await agent(o, 'Mine');
    const s = await agent(stranger, 'Theirs');
    await spend(stranger, s, 1_000_000);
    expect(await check(o, a, 10)).toMatchObject({ allowed: true, org: { spentMicros: 0 }, agent: { spentMicros: 0 } });
  });
});

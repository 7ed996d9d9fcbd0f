import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organizations } from '../../../auth/schema.js';
import type { Database } from '../../../db/client.js';
import { openTestDatabase, type DbKind } from '../../../../test/helpers/databases.js';
import { toolContext } from '../../../../test/helpers/tool-context.js';
import { executeTool } from '../../../tools/execute.js';
import type { DemoGym } from '../demo/rows.js';
import { fillDemoGym } from '../demo/service.js';
import { truthEngagementOf } from '../demo/truth-activity.js';
import { truthOf } from '../demo/truth.js';
import { fitnessContacts, fitnessPlans, fitnessSubscriptions } from '../crm/schema.js';
import { activeMembersQuery, engagementOf, engagementQuery, engagementRow, engagementScore } from './engagement.js';
import { monthlyAmount } from './format.js';
import { REPORTS } from './reports.js';
import { analyticsTools } from './tools.js';

/*
 * Every analytics report on a demo gym, on PostgreSQL and on PGlite, against the ground truth the
 * generator's rows give (computed in TypeScript, not by the reports' SQL): equal to the
 * micro-dollar, with the default parameters and with others. A second, smaller gym in another
 * organization must never count, and an empty organization reads zeros.
 */

const AS_OF = new Date('2026-03-15T00:00:00Z');
const json = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

/** Parameters besides the defaults, per tool: other ranges, buckets, thresholds, a past asOf. */
const VARIANTS: Record<string, Record<string, unknown>[]> = {
  calculate_mrr: [{ months: 0 }, { months: 24, asOf: '2025-09-10T12:34:56Z' }],
  calculate_arr: [{ asOf: '2025-06-01' }],
  generate_revenue_report: [
    { groupBy: 'day', from: '2026-01-01', to: '2026-02-15' },
    { groupBy: 'week', from: '2025-06-01', to: '2026-03-20' },
    { asOf: '2025-12-01T00:00:00Z' },
  ],
  generate_churn_report: [{ fromMonth: '2024-12', toMonth: '2025-08' }, { asOf: '2026-03-01T00:00:00Z' }],
  generate_ltv_report: [{ asOf: '2025-10-20', fromMonth: '2025-01' }],
  generate_monthly_turnover_report: [{ fromMonth: '2025-03', toMonth: '2025-03' }, { asOf: '2025-12-31T23:59:59Z' }],
  analyze_payment_trends: [{ groupBy: 'week', from: '2025-12-01' }],
  analyze_class_attendance: [{ from: '2025-03-01', to: '2026-04-01' }, { asOf: '2025-08-15T18:00:00Z' }],
  analyze_member_engagement: [{ asOf: '2025-10-01' }, { asOf: '2026-03-14T09:30:00Z' }],
  analyze_no_show_rates: [{ minNoShows: 1, limit: 5, from: '2025-06-01' }],
  identify_at_risk_members: [
    { threshold: 70, inactiveDays: 3, limit: 500 },
    { asOf: '2025-11-11T11:11:11Z', inactiveDays: 60 },
  ],
  generate_operations_report: [{ from: '2025-12-20', to: '2026-01-10' }, { asOf: '2026-03-20' }],
};

describe.each<DbKind>(['postgres', 'pglite'])('the analytics on %s', (kind) => {
  let db: Database;
  let gym: DemoGym;
  let small: DemoGym;
  let empty: string;

  beforeAll(async () => {
    db = await openTestDatabase(kind);
    const [a, b, c] = await db.system((tx) => tx.insert(organizations).values([{ name: 'Gym A' }, { name: 'Gym B' }, { name: 'Empty' }]).returning());
    gym = (await fillDemoGym(db, a!.id, { seed: 7, members: 400, asOf: AS_OF })).gym;
    small = (await fillDemoGym(db, b!.id, { seed: 11, members: 60, asOf: AS_OF })).gym;
    empty = c!.id;
  }, 180_000);
  afterAll(() => db?.close());

  /** A report through readOrg (one round trip on PostgreSQL), as the tools and routes run it. */
  const run = (orgId: string, tool: string, raw: Record<string, unknown>) => {
    const report = REPORTS.find((r) => r.tool === tool)!;
    const params = report.params.parse({ asOf: AS_OF.toISOString(), ...raw });
    return db.readOrg(orgId, (tx) => report.run(tx, orgId, params));
  };

  it('equals the ground truth for every report, in both organizations', async () => {
    for (const r of REPORTS) {
      const got = await run(gym.orgId, r.tool, {});
      expect(json(got), r.tool).toEqual(json(truthOf(gym, r.tool)));
      expect(r.result.safeParse(got).success, r.tool).toBe(true);
      expect(json(await run(small.orgId, r.tool, {})), `${r.tool} (small gym)`).toEqual(json(truthOf(small, r.tool)));
    }
    // The truths are not trivially equal: the gyms differ in every headline.
    expect(truthOf(gym, 'calculate_mrr')).not.toEqual(truthOf(small, 'calculate_mrr'));
  }, 60_000);

  it('equals the ground truth with other parameters', async () => {
    const someClass = gym.rows.classes[2]!.id!;
    const variants = { ...VARIANTS, analyze_class_attendance: [...VARIANTS.analyze_class_attendance!, { classId: someClass }] };
    for (const [tool, list] of Object.entries(variants)) {
      for (const raw of list) expect(json(await run(gym.orgId, tool, raw)), `${tool} ${JSON.stringify(raw)}`).toEqual(json(truthOf(gym, tool, raw)));
    }
  }, 60_000);

  it('reads zeros for an organization without a gym', async () => {
    const mrr = (await run(empty, 'calculate_mrr', {})) as { mrr: { micros: number; display: string }; activeMembers: number; history: { activeSubscriptions: number }[] };
    expect(mrr.mrr).toEqual({ micros: 0, display: '$0.00' });
    expect(mrr.activeMembers).toBe(0);
    expect(mrr.history.every((h) => h.activeSubscriptions === 0)).toBe(true);
    expect(await run(empty, 'identify_at_risk_members', {})).toMatchObject({ total: 0, members: [], monthlyRevenueAtRisk: { micros: 0 } });
    expect(await run(empty, 'analyze_member_engagement', {})).toMatchObject({ members: 0, averageScore: null, medianScore: null });
    expect(await run(empty, 'generate_revenue_report', {})).toMatchObject({ totals: { net: { micros: 0 }, payments: 0 }, byPlan: [] });
    expect(await run(empty, 'generate_ltv_report', {})).toMatchObject({ totals: { members: 0, ltv: { micros: 0 } } });
  });

  it('scores every active member in SQL as the pure formula does', async () => {
    const { rows } = await db.readOrg(gym.orgId, (tx) => tx.execute(engagementQuery(gym.orgId, AS_OF, activeMembersQuery(gym.orgId, AS_OF))));
    const sql = rows.map(engagementRow).sort((a, b) => a.contactId.localeCompare(b.contactId));
    const truth = truthEngagementOf(gym, AS_OF).sort((a, b) => a.contactId.localeCompare(b.contactId));
    expect(sql).toEqual(truth);
    for (const e of sql) expect(engagementScore(e)).toEqual({ score: e.score, recency: e.recency, frequency: e.frequency, reliability: e.reliability, payments: e.payments });
    expect(new Set(sql.map((e) => e.score)).size).toBeGreaterThan(20);

    // For a few contacts (the CRM tool's use): another organization's contact and a non-id are absent.
    const mine = truth.slice(0, 3).map((e) => e.contactId);
    const theirs = small.rows.contacts[0]!.id!;
    const some = await db.readOrg(gym.orgId, (tx) => engagementOf(tx, gym.orgId, [...mine, theirs, 'not-an-id'], AS_OF));
    expect([...some.keys()].sort()).toEqual([...mine].sort());
    for (const id of mine) expect(some.get(id)).toEqual(truth.find((e) => e.contactId === id));
  });

  it('answers through the tools as the reports do, and refuses bad arguments', async () => {
    expect(analyticsTools.map((t) => t.name).sort()).toEqual(REPORTS.map((r) => r.tool).sort());
    const ctx = toolContext({ orgId: gym.orgId, database: db });
    for (const tool of analyticsTools) {
      const outcome = await executeTool(tool, { asOf: AS_OF.toISOString() }, ctx);
      expect(outcome, tool.name).toEqual({ ok: true, output: json(truthOf(gym, tool.name)) });
    }
    const revenue = analyticsTools.find((t) => t.name === 'generate_revenue_report')!;
    const bad = await executeTool(revenue, { from: '2026-02-01', to: '2026-01-01' }, ctx);
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_arguments' } });
    expect(JSON.stringify(bad)).toContain('input.from');
    const days = await executeTool(revenue, { groupBy: 'day', from: '2020-01-01', to: '2026-01-01' }, ctx);
    expect(JSON.stringify(days)).toMatch(/input\.groupBy.*more than 400 days/);
    // The other organization's tool call sees the other gym only.
    const theirs = await executeTool(analyticsTools.find((t) => t.name === 'calculate_mrr')!, { asOf: AS_OF.toISOString() }, toolContext({ orgId: small.orgId, database: db }));
    expect(theirs).toEqual({ ok: true, output: json(truthOf(small, 'calculate_mrr')) });
  });

  it("rounds each subscription's monthly amount half up before summing, in SQL as in the definition", async () => {
    const org = (await db.system((tx) => tx.insert(organizations).values({ name: 'Rounding' }).returning()))[0]!.id;
    const prices = [
      { priceMicros: 6, billingInterval: 'year', intervalCount: 1 }, // 0.5 -> 1
      { priceMicros: 5, billingInterval: 'year', intervalCount: 1 }, // 0.4167 -> 0
      { priceMicros: 3, billingInterval: 'week', intervalCount: 1 }, // 13
      { priceMicros: 1_000_001, billingInterval: 'month', intervalCount: 2 }, // 500,000.5 -> 500,001
      { priceMicros: 19_000_000, billingInterval: 'week', intervalCount: 1 }, // 82,333,333.33 -> 82,333,333
      { priceMicros: 199_000_000, billingInterval: 'month', intervalCount: 3 }, // 66,333,333.33 -> 66,333,333
      { priceMicros: 200_000_000, billingInterval: 'month', intervalCount: 3 }, // 66,666,666.67 -> 66,666,667
    ] as const;
    await db.withOrg(org, async (tx) => {
      const [contact] = await tx.insert(fitnessContacts).values({ orgId: org, firstName: 'Round', status: 'active' }).returning();
      const [plan] = await tx.insert(fitnessPlans).values({ orgId: org, name: 'Any', priceMicros: 1 }).returning();
      await tx.insert(fitnessSubscriptions).values(
        prices.map((x) => ({ orgId: org, contactId: contact!.id, planId: plan!.id, startedAt: new Date('2026-01-01T00:00:00Z'), currency: 'USD', ...x })),
      );
    });
    const mrr = (await run(org, 'calculate_mrr', { months: 0 })) as { mrr: { micros: number } };
    expect(mrr.mrr.micros).toBe(1 + 0 + 13 + 500_001 + 82_333_333 + 66_333_333 + 66_666_667);
    expect(mrr.mrr.micros).toBe(prices.reduce((a, x) => a + monthlyAmount(x.priceMicros, x.billingInterval, x.intervalCount), 0));
  });

  it('refuses to fill an organization that already has a gym', async () => {
    await expect(fillDemoGym(db, gym.orgId, { members: 5, asOf: AS_OF })).rejects.toMatchObject({ status: 409, code: 'fitness_data_exists' });
  });
});

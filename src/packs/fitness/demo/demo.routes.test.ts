import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedMember, seedRoles, type Member, type TestApp } from '../../../../test/helpers/app.js';
import { generateDemoGym } from './generate.js';
import { truthOf } from './truth.js';

// POST /fitness/demo and GET /fitness/analytics/* through the real server.

let t: TestApp;
let roles: Awaited<ReturnType<typeof seedRoles>>;

beforeAll(async () => {
  t = await createTestApp('postgres');
  roles = await seedRoles(t.ctx);
});
afterAll(() => t.close());

const call = (method: 'GET' | 'POST', url: string, who: Member | null, payload?: object) =>
  t.app.inject({ method, url: `/api/v1/fitness${url}`, headers: who?.headers ?? {}, ...(payload ? { payload } : {}) });

describe('POST /fitness/demo', () => {
  let summary: { orgId: string; seed: number; asOf: string; members: number; leads: number; rows: Record<string, number>; totalRows: number };

  it('is for admins: viewers and members are refused, and nothing is written', async () => {
    expect(expectProblem(await call('POST', '/demo', roles.member, { members: 20 }), 403).code).toBe('insufficient_role');
    expectProblem(await call('POST', '/demo', roles.viewer, { members: 20 }), 403);
    expectProblem(await call('POST', '/demo', null, { members: 20 }), 401);
    expect(json<{ total: number }>(await call('GET', '/contacts?limit=1', roles.viewer)).total).toBe(0);
  });

  it('refuses bad input with 400 naming the field', async () => {
    for (const [body, path] of [
      [{ members: 0 }, 'body.members'],
      [{ members: 5001 }, 'body.members'],
      [{ members: 2.5 }, 'body.members'],
      [{ seed: -1 }, 'body.seed'],
      [{ seed: 'one' }, 'body.seed'],
    ] as const) {
      expect(expectProblem(await call('POST', '/demo', roles.admin, body), 400).errors?.[0]?.path, JSON.stringify(body)).toBe(path);
    }
    expect(expectProblem(await call('POST', '/demo', roles.admin, { size: 3 }), 400).detail).toMatch(/size/);
  });

  it('fills the organization as of today, audited, and the same seed makes the same gym', async () => {
    const res = await call('POST', '/demo', roles.admin, { seed: 3, members: 40 });
    expect(res.statusCode, res.body).toBe(201);
    summary = json(res);
    const today = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()));
    expect(summary).toMatchObject({ orgId: roles.owner.orgId, seed: 3, asOf: today.toISOString(), members: 40, leads: 12 });
    const gym = generateDemoGym(roles.owner.orgId, { seed: 3, members: 40, asOf: today });
    expect(summary.rows).toEqual(Object.fromEntries(Object.entries(gym.rows).map(([k, v]) => [k, v.length])));
    expect(json<{ total: number }>(await call('GET', '/contacts?limit=1', roles.viewer)).total).toBe(52);
    const first = gym.rows.contacts[0]!;
    expect(json(await call('GET', `/contacts/${first.id}`, roles.viewer))).toMatchObject({ email: first.email, firstName: first.firstName, status: first.status });

    const audit = json<{ items: { action: string; actor: unknown }[] }>(await t.app.inject({ url: '/api/v1/audit?action=fitness.demo.created', headers: roles.admin.headers }));
    expect(audit.items).toHaveLength(1);
  });

  it('answers 409 when the organization already has gym data', async () => {
    expect(expectProblem(await call('POST', '/demo', roles.admin, { members: 10 }), 409).code).toBe('fitness_data_exists');
    // Any gym data, not only contacts: a plan is enough.
    const other = await seedMember(t.ctx, 'owner');
    expect((await call('POST', '/plans', other, { name: 'Monthly Unlimited', priceMicros: 50_000_000 })).statusCode).toBe(201);
    expect(expectProblem(await call('POST', '/demo', other, { members: 10 }), 409).detail).toMatch(/plans/);
  });

  describe('GET /fitness/analytics', () => {
    const gym = () => generateDemoGym(roles.owner.orgId, { seed: 3, members: 40, asOf: new Date(summary.asOf) });

    it('answers every report as its tool does, for viewers, parameters in the query string', async () => {
      const cases: [string, string, Record<string, unknown>][] = [
        ['mrr', 'calculate_mrr', {}],
        ['mrr', 'calculate_mrr', { months: '3' }],
        ['arr', 'calculate_arr', {}],
        ['revenue', 'generate_revenue_report', { groupBy: 'week', from: '2025-01-01' }],
        ['churn', 'generate_churn_report', {}],
        ['ltv', 'generate_ltv_report', {}],
        ['turnover', 'generate_monthly_turnover_report', {}],
        ['payment-trends', 'analyze_payment_trends', {}],
        ['class-attendance', 'analyze_class_attendance', {}],
        ['member-engagement', 'analyze_member_engagement', {}],
        ['no-show-rates', 'analyze_no_show_rates', { minNoShows: '1' }],
        ['at-risk-members', 'identify_at_risk_members', { threshold: '60', limit: '5' }],
        ['operations', 'generate_operations_report', {}],
      ];
      const g = gym();
      for (const [path, tool, query] of cases) {
        const qs = new URLSearchParams({ asOf: summary.asOf, ...query } as Record<string, string>);
        const res = await call('GET', `/analytics/${path}?${qs}`, roles.viewer);
        expect(res.statusCode, `${path}: ${res.body.slice(0, 300)}`).toBe(200);
        // The same query, coerced by the same schema.
        expect(json(res), path).toEqual(JSON.parse(JSON.stringify(truthOf(g, tool, query))));
      }
    });

    it("shows another organization its own figures only", async () => {
      const res = await call('GET', '/analytics/mrr', roles.stranger);
      expect(res.statusCode).toBe(200);
      expect(json(res)).toMatchObject({ mrr: { micros: 0 }, activeMembers: 0 });
    });

    it('refuses bad parameters with 400 naming them', async () => {
      for (const [url, path] of [
        ['/analytics/revenue?from=2026-02-01&to=2026-01-01', 'querystring.from'],
        ['/analytics/revenue?groupBy=year', 'querystring.groupBy'],
        ['/analytics/revenue?groupBy=day&from=2020-01-01&to=2025-01-01', 'querystring.groupBy'],
        ['/analytics/mrr?months=100', 'querystring.months'],
        ['/analytics/mrr?asOf=yesterday', 'querystring.asOf'],
        ['/analytics/churn?toMonth=2999-01', 'querystring.toMonth'],
        ['/analytics/churn?fromMonth=2026-13', 'querystring.fromMonth'],
        ['/analytics/class-attendance?classId=nope', 'querystring.classId'],
        ['/analytics/at-risk-members?threshold=0', 'querystring.threshold'],
      ] as const) {
        expect(expectProblem(await call('GET', url, roles.viewer), 400).errors?.[0]?.path, url).toBe(path);
      }
      expect(expectProblem(await call('GET', '/analytics/mrr?colour=red', roles.viewer), 400).detail).toMatch(/colour/);
      expectProblem(await call('GET', '/analytics/mrr', null), 401);
    });
  });
});

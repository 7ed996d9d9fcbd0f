import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, json, seedMember, type Member, type TestApp } from '../../test/helpers/app.js';
import type { ModelCallEntry } from './ledger.js';
import { ledgerEntries } from './schema.js';

let t: TestApp;
let owner: Member;
let agentId: string;

beforeAll(async () => {
  t = await createTestApp('postgres');
  owner = await seedMember(t.ctx, 'owner');
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: owner.headers, payload: { name: 'Ledger', model: 'openai:gpt-4o-mini' } });
  agentId = json<{ id: string }>(res).id;
});
afterAll(() => t.close());

const entry = (over: Partial<ModelCallEntry> = {}): ModelCallEntry => ({
  orgId: owner.orgId,
  agentId,
  runId: randomUUID(),
  stepId: randomUUID(),
  provider: 'openai',
  model: 'gpt-4o-mini',
  inputTokens: 0,
  outputTokens: 0,
  cachedInputTokens: 0,
  at: new Date(),
  ...over,
});
const record = (e: ModelCallEntry) => t.ctx.database.withOrg(e.orgId, (tx) => t.ctx.services.billing.recordModelCall(tx, e));
const rowsOf = (stepId: string) => t.ctx.database.withOrg(owner.orgId, (tx) => tx.select().from(ledgerEntries).where(eq(ledgerEntries.stepId, stepId)));
const setMarkup = (markupPercent: number) =>
  t.app.inject({ method: 'PATCH', url: '/api/v1/orgs/current', headers: owner.headers, payload: { markupPercent } });

describe('recordModelCall', () => {
  it('prices tokens at the catalog price, each component rounded half up, plus the default 20% markup', async () => {
    // gpt-4o-mini: $0.15 in, $0.60 out per Mtok. 1234 × 0.15 = 185.1 → 185; 567 × 0.6 = 340.2 → 340.
    const e = entry({ inputTokens: 1234, outputTokens: 567, conversationId: randomUUID() });
    expect(await record(e)).toEqual({ baseCostMicros: 525, billedCostMicros: 630, markupBps: 2000, priceEffectiveFrom: '2024-07-18' });
    const [row] = await rowsOf(e.stepId);
    expect(row).toMatchObject({ orgId: owner.orgId, agentId, runId: e.runId, conversationId: e.conversationId, taskId: null, inputTokens: 1234, outputTokens: 567, cachedInputTokens: 0 });
    expect(row!.createdAt.toISOString()).toBe(e.at.toISOString());
  });

  it('charges cached tokens at the cached price, or at the input price when there is none', async () => {
    // 1000 uncached × 0.15 = 150, 1000 cached × 0.075 = 75.
    expect((await record(entry({ inputTokens: 2000, cachedInputTokens: 1000 }))).baseCostMicros).toBe(225);
    // Groq publishes no cached price: 600 × 0.59 + 400 × 0.59 = 590, the same as no cache.
    const groq = { provider: 'groq', model: 'llama-3.3-70b-versatile' };
    expect((await record(entry({ ...groq, inputTokens: 1000, cachedInputTokens: 400 }))).baseCostMicros).toBe(590);
    expect((await record(entry({ ...groq, inputTokens: 1000 }))).baseCostMicros).toBe(590);
  });

  it('uses the price in force on the day of the call', async () => {
    // o3 dropped from $10 to $2 per Mtok input on 2025-06-10.
    const before = await record(entry({ model: 'o3', inputTokens: 1000, at: new Date('2025-06-09T23:59:59Z') }));
    const after = await record(entry({ model: 'o3', inputTokens: 1000, at: new Date('2025-06-10T00:00:00Z') }));
    expect(before).toMatchObject({ baseCostMicros: 10_000, priceEffectiveFrom: '2025-04-16' });
    expect(after).toMatchObject({ baseCostMicros: 2_000, priceEffectiveFrom: '2025-06-10' });
  });

  it('records a model without a list price at cost 0', async () => {
    const e = entry({ provider: 'ollama', model: 'llama3:8b', inputTokens: 5000, outputTokens: 800 });
    expect(await record(e)).toEqual({ baseCostMicros: 0, billedCostMicros: 0, markupBps: 2000, priceEffectiveFrom: null });
    expect(await rowsOf(e.stepId)).toHaveLength(1);
  });

  it("applies the organization's markup at the time of the call, rounded half up", async () => {
    expect((await setMarkup(12.34)).statusCode).toBe(200);
    // base 525; 525 × 12.34% = 64.785 → 65.
    expect(await record(entry({ inputTokens: 1234, outputTokens: 567 }))).toMatchObject({ baseCostMicros: 525, billedCostMicros: 590, markupBps: 1234 });
    expect((await setMarkup(20)).statusCode).toBe(200);
  });

  it('bills a step once: a repeat returns the first figures and writes nothing', async () => {
    const first = entry({ inputTokens: 1000, outputTokens: 1000 });
    const figures = await record(first);
    await setMarkup(50);
    const again = await record({ ...first, inputTokens: 99_999, outputTokens: 99_999 });
    await setMarkup(20);
    expect(again).toEqual(figures);
    const rows = await rowsOf(first.stepId);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.inputTokens).toBe(1000);
  });

  it('refuses impossible token counts and writes nothing', async () => {
    const bad = entry({ inputTokens: 10, cachedInputTokens: 11 });
    await expect(record(bad)).rejects.toThrow(RangeError);
    await expect(record(entry({ outputTokens: -1 }))).rejects.toThrow(RangeError);
    await expect(record(entry({ provider: 'ollama', model: 'x', inputTokens: 1.5 }))).rejects.toThrow(RangeError);
    expect(await rowsOf(bad.stepId)).toHaveLength(0);
  });
});

describe('monthly_spend', () => {
  it('equals the sum of the ledger rows per agent and UTC month, by construction (trigger)', async () => {
    const other = json<{ id: string }>(await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: owner.headers, payload: { name: 'Spender', model: 'openai:gpt-4o-mini' } })).id;
    await record(entry({ agentId: other, inputTokens: 1000, at: new Date('2031-01-31T23:59:59Z') }));
    await record(entry({ agentId: other, inputTokens: 3000, at: new Date('2031-02-01T00:00:00Z') }));
    await record(entry({ agentId, outputTokens: 1000, at: new Date('2031-02-15T12:00:00Z') }));
    const { rows: spend } = await t.ctx.database.withOrg(owner.orgId, (tx) =>
      tx.execute(sql`select month, agent_id, sum(billed_micros)::text as billed from monthly_spend where org_id = ${owner.orgId} group by month, agent_id order by month, agent_id`),
    );
    const { rows: ledger } = await t.ctx.database.withOrg(owner.orgId, (tx) =>
      tx.execute(sql`select to_char(created_at at time zone 'UTC', 'YYYY-MM') as month, agent_id, sum(billed_cost_micros)::text as billed
        from ledger_entries where org_id = ${owner.orgId} group by 1, 2 order by 1, 2`),
    );
    expect(spend).toEqual(ledger);
    expect(spend.filter((r) => String(r.month).startsWith('2031'))).toHaveLength(3);
    const standing = await t.ctx.services.billing.checkBudget(owner.orgId, other, 1_000_000, new Date('2031-02-10T00:00:00Z'));
    // 3000 input tokens of gpt-4o-mini: 450 base, 540 billed; January's row does not count.
    expect(standing.agent.spentMicros).toBe(540);

    // Writers on other connections bump other shard rows of the same agent and month; readers sum them.
    await t.ctx.database.system((tx) =>
      tx.execute(sql`insert into monthly_spend (org_id, month, agent_id, shard, billed_micros) values (${owner.orgId}, '2031-02', ${other}, 15, 100)
                     on conflict (org_id, month, agent_id, shard) do update set billed_micros = monthly_spend.billed_micros + 100`),
    );
    const sharded = await t.ctx.services.billing.checkBudget(owner.orgId, other, 1_000_000, new Date('2031-02-10T00:00:00Z'));
    expect(sharded.agent.spentMicros).toBe(640);
  });

  it('counts a statement of many ledger rows (a set write) per agent and month', async () => {
    const other = json<{ id: string }>(await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: owner.headers, payload: { name: 'Batch spender', model: 'openai:gpt-4o-mini' } })).id;
    const month = (m: string) =>
      t.ctx.database.withOrg(owner.orgId, async (tx) => {
        const { rows } = await tx.execute(sql`select agent_id, sum(billed_micros)::int as billed from monthly_spend where org_id = ${owner.orgId} and month = ${m} and agent_id in (${agentId}, ${other}) group by 1`);
        return Object.fromEntries((rows as { agent_id: string; billed: number }[]).map((r) => [r.agent_id === agentId ? 'first' : 'second', r.billed]));
      });
    await t.ctx.database.withOrg(owner.orgId, (tx) =>
      tx.execute(sql`insert into ledger_entries (org_id, agent_id, run_id, step_id, provider, model, input_tokens, output_tokens, base_cost_micros, billed_cost_micros, markup_bps, created_at)
        select ${owner.orgId}::uuid, a, gen_random_uuid(), gen_random_uuid(), 'openai', 'gpt-4o-mini', 0, 0, 0, b, 0, at
        from (values (${other}::uuid, 11::bigint, '2032-03-15T00:00:00Z'::timestamptz), (${agentId}::uuid, 13, '2032-03-15T00:00:00Z'),
                     (${other}::uuid, 17, '2032-03-31T23:59:59Z'), (${other}::uuid, 19, '2032-04-01T00:00:00Z'), (${agentId}::uuid, 23, '2032-03-01T00:00:00Z')) v(a, b, at)`),
    );
    expect(await month('2032-03')).toEqual({ first: 36, second: 28 });
    expect(await month('2032-04')).toEqual({ second: 19 });
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedMember, seedRoles, type Member, type TestApp } from '../../test/helpers/app.js';
import { ledgerCsv } from './export.js';
import type { ModelCallEntry } from './ledger.js';
import { formatUsd } from './money.js';
import { monthOf } from './month.js';
import type { UsageReport } from './usage.js';

let t: TestApp;
let r: Awaited<ReturnType<typeof seedRoles>>;
const agents: Record<'support' | 'sales' | 'stranger', string> = { support: '', sales: '', stranger: '' };
const conversations = [randomUUID(), randomUUID(), randomUUID()];
const tasks = [randomUUID(), randomUUID()];
/** The figures recordModelCall returned for every March row of the organization, as the engine would see them. */
const written: { agentId: string; model: string; conversationId: string | null; taskId: string | null; at: Date; inputTokens: number; outputTokens: number; cachedInputTokens: number; base: number; billed: number }[] = [];

const MODELS = [
  ['openai', 'gpt-4o-mini'],
  ['openai', 'gpt-4o'],
  ['openai', 'o3'],
  ['groq', 'llama-3.3-70b-versatile'],
  ['ollama', 'llama3:8b'], // no list price: cost 0
] as const;

async function createAgent(owner: Member, name: string): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: owner.headers, payload: { name, model: 'openai:gpt-4o-mini' } });
  expect(res.statusCode, res.body).toBe(201);
  return json<{ id: string }>(res).id;
}
function record(e: ModelCallEntry) {
  return t.ctx.database.withOrg(e.orgId, (tx) => t.ctx.services.billing.recordModelCall(tx, e));
}
const call = (url: string, who: Member | null) => t.app.inject({ url: `/api/v1${url}`, headers: who?.headers ?? {} });
const usage = async (who: Member, query = 'month=2025-03') => {
  const res = await call(`/usage?${query}`, who);
  expect(res.statusCode, res.body).toBe(200);
  return json<UsageReport>(res);
};

const KEYS = ['calls', 'inputTokens', 'outputTokens', 'cachedInputTokens', 'baseCostMicros', 'billedCostMicros'] as const;
type Totals = Record<(typeof KEYS)[number], number>;
const add = (items: Partial<Totals>[]): Totals => Object.fromEntries(KEYS.map((k) => [k, items.reduce((s, i) => s + (i[k] ?? 0), 0)])) as Totals;
const totalsOfRows = (rows: typeof written): Totals => ({
  calls: rows.length,
  inputTokens: rows.reduce((s, w) => s + w.inputTokens, 0),
  outputTokens: rows.reduce((s, w) => s + w.outputTokens, 0),
  cachedInputTokens: rows.reduce((s, w) => s + w.cachedInputTokens, 0),
  baseCostMicros: rows.reduce((s, w) => s + w.base, 0),
  billedCostMicros: rows.reduce((s, w) => s + w.billed, 0),
});
const pick = (x: Partial<Totals>): Totals => Object.fromEntries(KEYS.map((k) => [k, x[k]])) as Totals;

beforeAll(async () => {
  t = await createTestApp('postgres');
  r = await seedRoles(t.ctx);
  agents.support = await createAgent(r.owner, 'Support');
  agents.sales = await createAgent(r.owner, 'Sales, "EU"');
  agents.stranger = await createAgent(r.stranger, 'Stranger');
  const markup = await t.app.inject({ method: 'PATCH', url: '/api/v1/orgs/current', headers: r.owner.headers, payload: { markupPercent: 12.34 } });
  expect(markup.statusCode).toBe(200);

  // 157 calls with odd token counts spread over March 2025 (UTC), models, conversations and tasks.
  let seed = 7;
  const next = (n: number) => (seed = (seed * 48_271) % 2_147_483_647) % n;
  for (let i = 0; i < 157; i++) {
    const [provider, model] = MODELS[i % MODELS.length]!;
    const inputTokens = 1 + next(250_000);
    const cachedInputTokens = i % 3 === 0 ? next(inputTokens + 1) : 0;
    const outputTokens = next(40_000);
    const at = new Date(Date.UTC(2025, 2, 1 + (i % 31), next(24), next(60), next(60), next(1000)));
    const agentId = i % 4 === 0 ? agents.sales : agents.support;
    const conversationId = i % 5 === 4 ? null : conversations[i % 3]!;
    const taskId = i % 2 ? tasks[next(2)]! : null;
    const f = await record({ orgId: r.owner.orgId, agentId, runId: randomUUID(), stepId: randomUUID(), conversationId, taskId, provider, model, inputTokens, outputTokens, cachedInputTokens, at });
    written.push({ agentId, model: `${provider}:${model}`, conversationId, taskId, at, inputTokens, outputTokens, cachedInputTokens, base: f.baseCostMicros, billed: f.billedCostMicros });
  }
  // Just outside March, and another organization inside it: none of these may count.
  const common = { runId: randomUUID(), provider: 'openai', model: 'gpt-4o', inputTokens: 1_000_000, outputTokens: 0, cachedInputTokens: 0 };
  await record({ ...common, orgId: r.owner.orgId, agentId: agents.support, stepId: randomUUID(), at: new Date('2025-02-28T23:59:59.999Z') });
  await record({ ...common, orgId: r.owner.orgId, agentId: agents.support, stepId: randomUUID(), at: new Date('2025-04-01T00:00:00.000Z') });
  await record({ ...common, orgId: r.stranger.orgId, agentId: agents.stranger, stepId: randomUUID(), at: new Date('2025-03-15T12:00:00Z') });
}, 120_000);
afterAll(() => t.close());

describe('GET /usage', () => {
  it('totals equal the sum of the ledger rows exactly, and so does every breakdown', async () => {
    const u = await usage(r.viewer);
    const expected = totalsOfRows(written);
    expect(expected.billedCostMicros).toBeGreaterThan(expected.baseCostMicros); // the markup applied
    expect(u.totals).toEqual(expected);
    expect(add(u.byAgent)).toEqual(expected);
    expect(add(u.byModel)).toEqual(expected);
    expect(add(u.byDay)).toEqual(expected);
    expect(add([...u.byConversation, u.omitted.conversations])).toEqual(expected);
    expect(add([...u.byTask, u.omitted.tasks])).toEqual(expected);
    expect(u.byDay).toHaveLength(31);
    expect(u.markupPercent).toBe(12.34);
  });

  it('breaks down by agent, model, conversation, task and day, each group exact', async () => {
    const u = await usage(r.owner);
    const group = <K extends string | null>(key: (w: (typeof written)[number]) => K) => {
      const m = new Map<K, typeof written>();
      for (const w of written) m.set(key(w), [...(m.get(key(w)) ?? []), w]);
      return m;
    };
    for (const [agentId, rows] of group((w) => w.agentId)) {
      const item = u.byAgent.find((a) => a.agentId === agentId)!;
      expect(pick(item)).toEqual(totalsOfRows(rows));
      expect(item.agentName).toBe(agentId === agents.sales ? 'Sales, "EU"' : 'Support');
    }
    for (const [model, rows] of group((w) => w.model)) {
      expect(pick(u.byModel.find((m) => `${m.provider}:${m.model}` === model)!)).toEqual(totalsOfRows(rows));
    }
    expect(u.byModel.find((m) => m.provider === 'ollama')).toMatchObject({ model: 'llama3:8b', baseCostMicros: 0, billedCostMicros: 0 });
    for (const [conversationId, rows] of group((w) => w.conversationId)) {
      expect(pick(u.byConversation.find((c) => c.conversationId === conversationId)!)).toEqual(totalsOfRows(rows));
    }
    for (const [taskId, rows] of group((w) => w.taskId)) {
      expect(pick(u.byTask.find((c) => c.taskId === taskId)!)).toEqual(totalsOfRows(rows));
    }
    for (const [date, rows] of group((w) => w.at.toISOString().slice(0, 10))) {
      expect(pick(u.byDay.find((d) => d.date === date)!)).toEqual(totalsOfRows(rows));
    }
    // Most billed first.
    const billed = u.byAgent.map((a) => a.billedCostMicros);
    expect(billed).toEqual([...billed].sort((a, b) => b - a));
  });

  it('lists the top conversations and tasks and sums the rest', async () => {
    const u = await usage(r.owner, 'month=2025-03&top=2');
    expect(u.byConversation).toHaveLength(2);
    expect(u.omitted.conversations.groups).toBe(2); // 3 conversations + "none" = 4 groups
    expect(u.byTask).toHaveLength(2);
    expect(u.omitted.tasks.groups).toBe(1);
    expect(add([...u.byConversation, u.omitted.conversations])).toEqual(u.totals);
    expect(add([...u.byTask, u.omitted.tasks])).toEqual(u.totals);
    const full = await usage(r.owner);
    expect(u.byConversation).toEqual(full.byConversation.slice(0, 2));
    expect(full.omitted.conversations).toEqual({ groups: 0, calls: 0, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, baseCostMicros: 0, billedCostMicros: 0 });
  });

  it('shows budgets against the billed spend', async () => {
    const patch = await t.app.inject({ method: 'PATCH', url: `/api/v1/agents/${agents.sales}`, headers: r.owner.headers, payload: { limits: { monthlyBudgetMicros: 3_000_000 } } });
    expect(patch.statusCode, patch.body).toBe(200);
    await t.app.inject({ method: 'PATCH', url: '/api/v1/orgs/current', headers: r.owner.headers, payload: { monthlyBudgetMicros: 1_000_000_000 } });
    const u = await usage(r.member);
    const sales = u.byAgent.find((a) => a.agentId === agents.sales)!;
    expect(u.budgets.agents).toEqual([
      { agentId: agents.sales, agentName: 'Sales, "EU"', budgetMicros: 3_000_000, spentMicros: sales.billedCostMicros, percent: Math.floor((sales.billedCostMicros * 10_000) / 3_000_000) / 100 },
    ]);
    expect(u.budgets.org).toMatchObject({ budgetMicros: 1_000_000_000, spentMicros: u.totals.billedCostMicros });
  });

  it("sees only the caller's organization", async () => {
    const theirs = await usage(r.stranger);
    expect(theirs.totals.calls).toBe(1);
    expect(theirs.byAgent.map((a) => a.agentId)).toEqual([agents.stranger]);
    const mine = await usage(r.owner);
    expect(mine.byAgent.map((a) => a.agentId)).not.toContain(agents.stranger);
  });

  it('defaults to the current month; an empty month is all zeros', async () => {
    const u = await usage(r.owner, '');
    expect(u.month).toBe(monthOf(new Date()));
    expect(u.totals.calls).toBe(0);
    expect(u.byAgent).toEqual([]);
    expect((await usage(r.owner, 'month=2024-03')).totals.billedCostMicros).toBe(0);
  });

  it('answers 400 naming querystring.month for a bad month, and 401 without credentials', async () => {
    for (const bad of ['2025-13', '2025-3', 'march', '2025-03-01']) {
      const p = expectProblem(await call(`/usage?month=${bad}`, r.owner), 400);
      expect(p.errors![0]!.path).toBe('querystring.month');
    }
    expectProblem(await call('/usage/export.csv?month=2025-00', r.owner), 400);
    for (const url of ['/usage', '/usage/history', '/usage/export.csv']) expectProblem(await call(url, null), 401);
  });
});

describe('GET /usage/history', () => {
  it('gives monthly totals, oldest first, zeros for quiet months', async () => {
    const o = await seedMember(t.ctx, 'owner');
    const a = await createAgent(o, 'H');
    const now = new Date();
    const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
    const base = { orgId: o.orgId, agentId: a, runId: randomUUID(), provider: 'openai', model: 'gpt-4o-mini', inputTokens: 1_000_000, outputTokens: 0, cachedInputTokens: 0 };
    await record({ ...base, stepId: randomUUID(), at: now });
    await record({ ...base, stepId: randomUUID(), at: lastMonth });
    await record({ ...base, stepId: randomUUID(), at: lastMonth });
    const res = await call('/usage/history?months=3', o);
    const { items } = json<{ items: (Totals & { month: string })[] }>(res);
    expect(items.map((i) => [i.month, i.calls, i.billedCostMicros])).toEqual([
      [monthOf(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 2, 1))), 0, 0],
      [monthOf(lastMonth), 2, 360_000],
      [monthOf(now), 1, 180_000],
    ]);
    expect(json<{ items: unknown[] }>(await call('/usage/history', o)).items).toHaveLength(12);
    expectProblem(await call('/usage/history?months=0', o), 400);
  });
});

/** A small RFC 4180 reader, to check the export from the outside. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  const endField = () => {
    record.push(field);
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') endField();
    else if (c === '\r' && text[i + 1] === '\n') {
      endField();
      records.push(record);
      record = [];
      i++;
    } else field += c;
  }
  expect(field).toBe(''); // ends with CRLF
  return records;
}

describe('GET /usage/export.csv', () => {
  it("exports the month's ledger rows; parsed back, they sum to the usage totals", async () => {
    const res = await call('/usage/export.csv?month=2025-03', r.viewer);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="troupe-usage-2025-03.csv"');
    const [header, ...rows] = parseCsv(res.body);
    expect(header).toEqual([
      'created_at', 'entry_id', 'agent_id', 'agent_name', 'run_id', 'step_id', 'conversation_id', 'task_id', 'workflow_id', 'provider', 'model',
      'input_tokens', 'cached_input_tokens', 'output_tokens', 'base_cost_micros', 'billed_cost_micros', 'markup_bps', 'price_effective_from',
      'base_cost_usd', 'billed_cost_usd',
    ]);
    const col = (name: string) => header!.indexOf(name);
    expect(rows).toHaveLength(written.length);
    const u = await usage(r.owner);
    const sum = (name: string) => rows.reduce((s, row) => s + Number(row[col(name)]), 0);
    expect(sum('billed_cost_micros')).toBe(u.totals.billedCostMicros);
    expect(sum('base_cost_micros')).toBe(u.totals.baseCostMicros);
    expect(sum('input_tokens')).toBe(u.totals.inputTokens);
    for (const row of rows) {
      expect(row[col('billed_cost_usd')]).toBe(formatUsd(Number(row[col('billed_cost_micros')])));
      expect(row[col('markup_bps')]).toBe('1234');
      expect(row[col('created_at')]!.startsWith('2025-03-')).toBe(true);
    }
    expect(new Set(rows.map((row) => row[col('agent_name')]))).toEqual(new Set(['Support', 'Sales, "EU"']));
    expect(res.body).toContain('"Sales, ""EU"""');
    // Oldest first.
    const times = rows.map((row) => row[col('created_at')]!);
    expect(times).toEqual([...times].sort());
  });

  it('reads page by page without losing or repeating a row', async () => {
    const whole = (await call('/usage/export.csv?month=2025-03', r.owner)).body;
    let paged = '';
    for await (const chunk of ledgerCsv(t.ctx.database, r.owner.orgId, '2025-03', 10)) paged += chunk;
    expect(paged).toBe(whole);
  });

  it("never includes another organization's rows; an empty month is just the header", async () => {
    const [, ...rows] = parseCsv((await call('/usage/export.csv?month=2025-03', r.stranger)).body);
    expect(rows).toHaveLength(1);
    expect(parseCsv((await call('/usage/export.csv?month=2020-01', r.owner)).body)).toHaveLength(1);
  });
});

import { eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { organizations } from '../db/tenancy.js';
import { agentBudgets, agentNames } from '../agents/lookups.js';
import { percentUsed } from './money.js';
import { monthRange, monthsEndingWith, type Month } from './month.js';
import { inRange, sumBy, sumRows, sumTopBy, ZERO_TOTALS, type UsageTotals } from './totals.js';

export interface BudgetView {
  budgetMicros: number | null;
  spentMicros: number;
  /** Percent of the budget spent (two decimals, rounded down); null without a budget. */
  percent: number | null;
}

export interface UsageReport {
  month: Month;
  totals: UsageTotals;
  byAgent: (UsageTotals & { agentId: string; agentName: string | null })[];
  byModel: (UsageTotals & { provider: string; model: string })[];
  /** conversationId null: calls outside any conversation. The `top` most billed; the rest in `omitted`. */
  byConversation: (UsageTotals & { conversationId: string | null })[];
  byTask: (UsageTotals & { taskId: string | null })[];
  /** workflowId null: calls of runs no workflow started (issue 15: an agent node's run carries its workflow). */
  byWorkflow: (UsageTotals & { workflowId: string | null })[];
  /** Every UTC day of the month that has calls. */
  byDay: (UsageTotals & { date: string })[];
  /** What byConversation / byTask left out past `top` (groups: how many keys). */
  omitted: { conversations: UsageTotals & { groups: number }; tasks: UsageTotals & { groups: number } };
  budgets: { org: BudgetView; agents: (BudgetView & { agentId: string; agentName: string })[] };
  markupPercent: number;
}

const budgetView = (spentMicros: number, budgetMicros: number | null): BudgetView => ({
  budgetMicros,
  spentMicros,
  percent: budgetMicros === null ? null : percentUsed(spentMicros, budgetMicros),
});

/**
 * One month of usage (UTC): totals and breakdowns, each an SQL sum over the same ledger rows in
 * one transaction (one snapshot), so every breakdown adds up to the totals exactly. Budgets show
 * the billed cost spent in that month against today's budgets. `top` (default 100) caps the
 * conversation and task lists, which can be long; agents, models and days are never capped.
 */
export async function usageReport(database: Database, orgId: string, month: Month, top = 100): Promise<UsageReport> {
  const { start, end } = monthRange(month);
  const where = inRange(orgId, start, end);
  return database.withOrg(orgId, async (tx) => {
    const totals = await sumRows(tx, where);
    const agents = await sumBy(tx, where, sql`agent_id`);
    const models = await sumBy(tx, where, sql`provider || ':' || model`);
    const days = await sumBy(tx, where, sql`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD')`);
    const conversations = await sumTopBy(tx, where, sql`conversation_id`, top);
    const tasks = await sumTopBy(tx, where, sql`task_id`, top);
    const workflows = await sumBy(tx, where, sql`workflow_id`);
    const [org] = await tx.select().from(organizations).where(eq(organizations.id, orgId));
    const budgeted = await agentBudgets(tx, orgId);
    const names = await agentNames(tx, orgId, agents.map((a) => a.key!));

    const spentBy = new Map(agents.map((a) => [a.key!, a.totals.billedCostMicros]));
    return {
      month,
      totals,
      byAgent: agents.map((a) => ({ agentId: a.key!, agentName: names.get(a.key!) ?? null, ...a.totals })),
      byModel: models.map((m) => {
        const [provider, ...rest] = m.key!.split(':');
        return { provider: provider!, model: rest.join(':'), ...m.totals };
      }),
      byConversation: conversations.items.map((c) => ({ conversationId: c.key, ...c.totals })),
      byTask: tasks.items.map((t) => ({ taskId: t.key, ...t.totals })),
      byWorkflow: workflows.map((w) => ({ workflowId: w.key, ...w.totals })),
      byDay: days.map((d) => ({ date: d.key!, ...d.totals })),
      omitted: { conversations: conversations.rest, tasks: tasks.rest },
      budgets: {
        org: budgetView(totals.billedCostMicros, org?.monthlyBudgetMicros ?? null),
        agents: budgeted.map((b) => ({ agentId: b.agentId, agentName: b.agentName, ...budgetView(spentBy.get(b.agentId) ?? 0, b.budgetMicros) })),
      },
      markupPercent: (org?.markupBps ?? 0) / 100,
    };
  });
}

/** Totals per month for the `months` months ending with `last`, oldest first; months without calls are zeros. */
export async function usageHistory(database: Database, orgId: string, last: Month, months: number): Promise<(UsageTotals & { month: Month })[]> {
  const list = monthsEndingWith(last, months);
  const where = inRange(orgId, monthRange(list[0]!).start, monthRange(last).end);
  const rows = await database.withOrg(orgId, (tx) => sumBy(tx, where, sql`to_char(created_at at time zone 'UTC', 'YYYY-MM')`));
  const byMonth = new Map(rows.map((r) => [r.key, r.totals]));
  return list.map((month) => ({ month, ...(byMonth.get(month) ?? ZERO_TOTALS) }));
}

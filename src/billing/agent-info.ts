import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { agents } from '../agents/schema.js';
import type { Tx } from '../db/client.js';

/**
 * The only place billing reads another module's table, and only for display: agent names for
 * usage reports and alert titles, and the agents' monthly budgets for the usage page.
 * AgentService has no batch lookup by ids and each of its calls opens its own transaction (which
 * the budget check, inside its own, cannot nest on PGlite). Switch to an agents service call
 * when one exists. Soft-deleted agents keep their names: their costs stay in the ledger.
 */
export async function agentNames(tx: Tx, orgId: string, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await tx
    .select({ id: agents.id, name: agents.name })
    .from(agents)
    .where(and(eq(agents.orgId, orgId), inArray(agents.id, [...new Set(ids)])));
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** Live agents that have a monthly budget (agents.limits.monthlyBudgetMicros), by name. */
export async function agentBudgets(tx: Tx, orgId: string): Promise<{ agentId: string; agentName: string; budgetMicros: number }[]> {
  const budget = sql<string>`(${agents.limits} ->> 'monthlyBudgetMicros')`;
  const rows = await tx
    .select({ agentId: agents.id, agentName: agents.name, budget })
    .from(agents)
    .where(and(eq(agents.orgId, orgId), isNull(agents.deletedAt), sql`${budget} is not null`))
    .orderBy(agents.name);
  return rows.map((r) => ({ agentId: r.agentId, agentName: r.agentName, budgetMicros: Number(r.budget) }));
}

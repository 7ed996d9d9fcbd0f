import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import { rowFromJson } from '../db/json-row.js';
import { agents } from './schema.js';
import type { AgentRow } from './snapshot.js';

/**
 * What other modules read of agents, inside the caller's transaction (an AgentService call opens
 * its own, which a transaction already open cannot nest on PGlite): names for usage reports,
 * alert titles and approval cards, the monthly budgets for the usage page, and the agent row the
 * run engine's take returns as JSON. Soft-deleted agents keep their names: their costs stay in
 * the ledger and their runs in the history.
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

/** The agent row the engine's take (troupe_run_take) returns as JSON, as Drizzle's select gives it. */
export function agentFromJson(json: unknown): AgentRow {
  return rowFromJson(agents, json as Record<string, unknown>);
}

export type { AgentRow };

/** Name and state of agents (deleted ones too) by id: what the task types list shows beside each mapping. */
export async function agentStates(
  tx: Tx,
  orgId: string,
  ids: readonly string[],
): Promise<Map<string, { name: string; status: 'active' | 'paused'; deleted: boolean }>> {
  if (ids.length === 0) return new Map();
  const rows = await tx
    .select({ id: agents.id, name: agents.name, status: agents.status, deletedAt: agents.deletedAt })
    .from(agents)
    .where(and(eq(agents.orgId, orgId), inArray(agents.id, [...new Set(ids)])));
  return new Map(rows.map((r) => [r.id, { name: r.name, status: r.status, deleted: r.deletedAt !== null }]));
}

/** Live (not soft-deleted) agents by id, with their current version: what a workflow naming them is validated against. */
export async function liveAgentVersions(tx: Tx, orgId: string, ids: readonly string[]): Promise<Map<string, { currentVersion: number }>> {
  if (ids.length === 0) return new Map();
  const rows = await tx
    .select({ id: agents.id, version: agents.version })
    .from(agents)
    .where(and(eq(agents.orgId, orgId), inArray(agents.id, [...new Set(ids)]), isNull(agents.deletedAt)));
  return new Map(rows.map((r) => [r.id, { currentVersion: r.version }]));
}

/** An agent's name, tools and state (the decision engine: which actions it may take). Null when it does not exist. */
export async function agentToolsOf(tx: Tx, orgId: string, id: string): Promise<{ name: string; tools: string[]; status: 'active' | 'paused'; deleted: boolean } | null> {
  const [row] = await tx
    .select({ name: agents.name, tools: agents.tools, status: agents.status, deletedAt: agents.deletedAt })
    .from(agents)
    .where(and(eq(agents.orgId, orgId), eq(agents.id, id)));
  return row ? { name: row.name, tools: row.tools, status: row.status, deleted: row.deletedAt !== null } : null;
}

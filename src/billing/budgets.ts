import type { AuditService } from '../audit/service.js';
import type { Database, Tx } from '../db/client.js';
import { agentNames } from '../agents/lookups.js';
import { ALERT_THRESHOLDS, raiseAlerts, type RaisedAlert } from './alerts.js';
import { reached, sumOf } from './money.js';
import { monthOf, type Month } from './month.js';

export interface BudgetStanding {
  spentMicros: number;
  /** null: no budget. */
  budgetMicros: number | null;
}

export interface BudgetCheck {
  /** false once the organization or the agent has spent 100% of its budget this month. */
  allowed: boolean;
  reason?: 'org_budget_exceeded' | 'agent_budget_exceeded';
  org: BudgetStanding;
  agent: BudgetStanding;
}

/** Spend of an organization and one agent in a month, as troupe_spend() returns it (migration 0003). */
export interface SpendStanding {
  month: Month;
  orgSpent: number;
  agentSpent: number;
  orgBudget: number | null;
  /** Alerts raised this month, as `scope:percent` ('org:80', '<agentId>:100'). */
  raised: string[];
}

/** The spend standing read in `tx` (org-scoped): a few rows of monthly_spend, never a sum over the ledger. */
export async function readStanding(database: Database, tx: Tx, orgId: string, agentId: string, month: Month): Promise<SpendStanding> {
  return normalize(await database.call<SpendStanding>('troupe_spend', [orgId, agentId, month], tx));
}

/** JSON numbers from the database may arrive as strings (numeric sums); money stays integers. */
export function normalize(s: SpendStanding): SpendStanding {
  return { month: s.month, orgSpent: sumOf(s.orgSpent), agentSpent: sumOf(s.agentSpent), orgBudget: s.orgBudget == null ? null : sumOf(s.orgBudget), raised: s.raised ?? [] };
}

/**
 * Budget check before a model call. Budgets compare the BILLED cost (what the organization pays,
 * markup included) spent in the calendar month of `now`, UTC. The call about to be made is not
 * known yet, so a budget can be overshot by the one call that crosses it; the next call stops.
 *
 * The spend comes from monthly_spend, which a trigger keeps equal to the ledger (migration 0003),
 * so the check costs the same with ten ledger rows or ten million. Only when a threshold is newly
 * reached does it write (see alerts.ts).
 */
export async function checkBudget(
  database: Database,
  audit: AuditService,
  orgId: string,
  agentId: string,
  agentMonthlyBudgetMicros: number | null,
  now: Date,
  raised?: RaisedAlert[],
): Promise<BudgetCheck> {
  return database.withOrg(orgId, async (tx) => judgeInTx(tx, audit, orgId, agentId, agentMonthlyBudgetMicros, await readStanding(database, tx, orgId, agentId, monthOf(now)), raised));
}

/** The thresholds a standing newly reaches (not raised yet), per scope. */
export function newlyReached(s: SpendStanding, agentId: string, agentMonthlyBudgetMicros: number | null): { org: number[]; agent: number[] } {
  const raised = new Set(s.raised);
  const newly = (scope: string, spent: number, budget: number | null) =>
    budget === null ? [] : ALERT_THRESHOLDS.filter((p) => reached(spent, budget, p) && !raised.has(`${scope}:${p}`));
  return { org: newly('org', s.orgSpent, s.orgBudget), agent: newly(agentId, s.agentSpent, agentMonthlyBudgetMicros) };
}

/** Allowed or not, from a standing alone (no writes). */
export function verdict(s: SpendStanding, agentMonthlyBudgetMicros: number | null): BudgetCheck {
  const org: BudgetStanding = { spentMicros: s.orgSpent, budgetMicros: s.orgBudget };
  const agent: BudgetStanding = { spentMicros: s.agentSpent, budgetMicros: agentMonthlyBudgetMicros };
  const over = (b: BudgetStanding) => b.budgetMicros !== null && reached(b.spentMicros, b.budgetMicros, 100);
  if (over(org)) return { allowed: false, reason: 'org_budget_exceeded', org, agent };
  if (over(agent)) return { allowed: false, reason: 'agent_budget_exceeded', org, agent };
  return { allowed: true, org, agent };
}

/**
 * The verdict, after raising the alerts the standing newly reaches (notification + audit, once per
 * scope and month); the alerts sent go into `raised` (told to the engine once committed).
 */
export async function judgeInTx(tx: Tx, audit: AuditService, orgId: string, agentId: string, agentMonthlyBudgetMicros: number | null, s: SpendStanding, raised?: RaisedAlert[]): Promise<BudgetCheck> {
  const check = verdict(s, agentMonthlyBudgetMicros);
  const fresh = newlyReached(s, agentId, agentMonthlyBudgetMicros);
  if (fresh.org.length) {
    const alert = await raiseAlerts(tx, audit, orgId, s.month, { scope: 'org', label: 'Your organization', targetType: 'organization', targetId: orgId, ...withBudget(check.org) }, fresh.org);
    if (alert) raised?.push(alert);
  }
  if (fresh.agent.length) {
    const name = (await agentNames(tx, orgId, [agentId])).get(agentId);
    const label = name ? `Agent "${name}"` : `Agent ${agentId}`;
    const alert = await raiseAlerts(tx, audit, orgId, s.month, { scope: agentId, label, targetType: 'agent', targetId: agentId, ...withBudget(check.agent) }, fresh.agent);
    if (alert) raised?.push(alert);
  }
  return check;
}

const withBudget = (s: BudgetStanding) => ({ spentMicros: s.spentMicros, budgetMicros: s.budgetMicros ?? 0 });

import { sql } from 'drizzle-orm';
import type { AuditService } from '../audit/service.js';
import type { Database, Tx } from '../db/client.js';
import { agentNames } from './agent-info.js';
import { ALERT_THRESHOLDS, raiseAlerts, type BudgetScope } from './alerts.js';
import { reached, sumOf } from './money.js';
import { monthOf, monthRange } from './month.js';

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

/**
 * Budget check before a model call. Budgets compare the BILLED cost (what the organization pays,
 * markup included) spent in the calendar month of `now`, UTC. The call about to be made is not
 * known yet, so a budget can be overshot by the one call that crosses it; the next call stops.
 *
 * One query in the common case: both sums (an index range on (org_id, created_at) of this
 * month; the agent's is a FILTER over the same rows), the organization's budget and the alerts
 * already raised this month. Only when a threshold is newly reached does it write (see alerts.ts).
 */
export async function checkBudget(
  database: Database,
  audit: AuditService,
  orgId: string,
  agentId: string,
  agentMonthlyBudgetMicros: number | null,
  now: Date,
  inTx?: Tx,
): Promise<BudgetCheck> {
  const month = monthOf(now);
  const { start, end } = monthRange(month);
  const run = <T>(fn: (tx: Tx) => Promise<T>) => (inTx ? fn(inTx) : database.withOrg(orgId, fn));
  return run(async (tx) => {
    const { rows } = await tx.execute(sql`
      select
        (select monthly_budget_micros::text from organizations where id = ${orgId}) as org_budget,
        coalesce(sum(billed_cost_micros), 0)::text as org_spent,
        coalesce(sum(billed_cost_micros) filter (where agent_id = ${agentId}), 0)::text as agent_spent,
        (select string_agg(scope || ':' || threshold_percent, ',') from budget_alerts
          where org_id = ${orgId} and month = ${month}) as raised
      from ledger_entries
      where org_id = ${orgId} and created_at >= ${start.toISOString()}::timestamptz and created_at < ${end.toISOString()}::timestamptz`);
    const row = rows[0] ?? {};
    const org: BudgetStanding = { spentMicros: sumOf(row.org_spent), budgetMicros: row.org_budget == null ? null : sumOf(row.org_budget) };
    const agent: BudgetStanding = { spentMicros: sumOf(row.agent_spent), budgetMicros: agentMonthlyBudgetMicros };
    const raised = new Set(String(row.raised ?? '').split(',').filter(Boolean));

    const newly = (scope: string, s: BudgetStanding) =>
      s.budgetMicros === null ? [] : ALERT_THRESHOLDS.filter((p) => reached(s.spentMicros, s.budgetMicros!, p) && !raised.has(`${scope}:${p}`));
    const orgNew = newly('org', org);
    const agentNew = newly(agentId, agent);
    if (orgNew.length) {
      const scope: BudgetScope = { scope: 'org', label: 'Your organization', targetType: 'organization', targetId: orgId, ...withBudget(org) };
      await raiseAlerts(tx, audit, orgId, month, scope, orgNew);
    }
    if (agentNew.length) {
      const name = (await agentNames(tx, orgId, [agentId])).get(agentId);
      const label = name ? `Agent "${name}"` : `Agent ${agentId}`;
      await raiseAlerts(tx, audit, orgId, month, { scope: agentId, label, targetType: 'agent', targetId: agentId, ...withBudget(agent) }, agentNew);
    }

    const over = (s: BudgetStanding) => s.budgetMicros !== null && reached(s.spentMicros, s.budgetMicros, 100);
    if (over(org)) return { allowed: false, reason: 'org_budget_exceeded', org, agent };
    if (over(agent)) return { allowed: false, reason: 'agent_budget_exceeded', org, agent };
    return { allowed: true, org, agent };
  });
}

const withBudget = (s: BudgetStanding) => ({ spentMicros: s.spentMicros, budgetMicros: s.budgetMicros ?? 0 });

import type { AuditService } from '../audit/service.js';
import type { Tx } from '../db/client.js';
import { insertNotifications } from '../tools/notifications.js';
import { formatUsd } from './money.js';
import type { Month } from './month.js';
import { budgetAlerts } from './schema.js';

/** Percentages of a budget at which members are told: a warning first, then the stop. */
export const ALERT_THRESHOLDS = [80, 100] as const;

export interface BudgetScope {
  /** budget_alerts.scope: 'org' or the agent id. */
  scope: string;
  /** For the message: "Your organization" or `Agent "<name>"`. */
  label: string;
  targetType: 'organization' | 'agent';
  targetId: string;
  spentMicros: number;
  budgetMicros: number;
}

/**
 * Marks `thresholds` (those newly reached) as raised for the scope and month, and tells people
 * about the highest one this call actually inserted: a notification to every member (userId
 * null) and an audit entry `budget.threshold_reached`. A jump past several thresholds at once
 * sends one alert, the highest. The unique (org, scope, month, threshold) row makes each alert
 * fire once, even when concurrent budget checks race here.
 */
export async function raiseAlerts(tx: Tx, audit: AuditService, orgId: string, month: Month, s: BudgetScope, thresholds: number[]): Promise<RaisedAlert | null> {
  if (thresholds.length === 0) return null;
  const inserted = await tx
    .insert(budgetAlerts)
    .values(thresholds.map((thresholdPercent) => ({ orgId, scope: s.scope, month, thresholdPercent })))
    .onConflictDoNothing()
    .returning({ thresholdPercent: budgetAlerts.thresholdPercent });
  if (inserted.length === 0) return null;
  const percent = Math.max(...inserted.map((r) => r.thresholdPercent));
  const stopped = percent >= 100;
  const title = stopped
    ? `${s.label} has reached its monthly budget`
    : `${s.label} has used ${percent}% of its monthly budget`;
  const spent = `$${formatUsd(s.spentMicros, 2)} of $${formatUsd(s.budgetMicros, 2)} spent in ${month} (billed cost).`;
  const body = stopped
    ? `${spent} Runs ${s.targetType === 'agent' ? 'of this agent ' : ''}stop with budget_exceeded until next month or until the budget is raised.`
    : spent;
  const data = { kind: 'budget_alert', scope: s.scope, targetType: s.targetType, targetId: s.targetId, month, thresholdPercent: percent, spentMicros: s.spentMicros, budgetMicros: s.budgetMicros };
  await insertNotifications(tx, orgId, [{ userId: null, title, body, level: stopped ? 'urgent' : 'warning', data }]);
  await audit.record(
    {
      orgId,
      actor: { type: 'system' },
      action: 'budget.threshold_reached',
      targetType: s.targetType,
      targetId: s.targetId,
      details: { month, thresholdPercent: percent, spentMicros: s.spentMicros, budgetMicros: s.budgetMicros },
    },
    tx,
  );
  return { orgId, scope: s.scope, targetType: s.targetType, targetId: s.targetId, month, thresholdPercent: percent, spentMicros: s.spentMicros, budgetMicros: s.budgetMicros };
}

/** An alert raiseAlerts sent: told to the engine's event port once its transaction committed (`budget:alert`). */
export interface RaisedAlert {
  orgId: string;
  scope: string;
  targetType: 'organization' | 'agent';
  targetId: string;
  month: Month;
  thresholdPercent: number;
  spentMicros: number;
  budgetMicros: number;
}

import { and, eq, sql } from 'drizzle-orm';
import type { Database, Tx } from '../db/client.js';
import type { EffectivePolicy } from './policy.js';
import { DEFAULT_POLICY } from './policy.js';
import { decisionPolicies, decisions } from './schema.js';

export type DecisionRow = typeof decisions.$inferSelect;
export type PolicyRow = typeof decisionPolicies.$inferSelect;

/** What a decision run's input holds (the run is created first; the row follows from it). */
export interface DecisionRunInput {
  agentId: string;
  decisionType: string;
  input: { source: string; type: string; data: unknown };
  eventId?: string | null;
  triggerId?: string | null;
}

/** The decision row of a run: made from the run's input when missing (a crash between the run and the row). */
export async function ensureDecision(database: Database, orgId: string, runId: string, input: DecisionRunInput): Promise<DecisionRow> {
  return database.withOrg(orgId, async (tx) => {
    await tx
      .insert(decisions)
      .values({ id: runId, orgId, agentId: input.agentId, decisionType: input.decisionType, input: input.input, eventId: input.eventId ?? null, triggerId: input.triggerId ?? null })
      .onConflictDoNothing();
    const [row] = await tx.select().from(decisions).where(and(eq(decisions.orgId, orgId), eq(decisions.id, runId)));
    return row!;
  });
}

export async function updateDecision(db: Database | Tx, orgId: string, id: string, patch: Partial<Omit<DecisionRow, 'id' | 'orgId' | 'createdAt'>>): Promise<void> {
  const run = (tx: Tx) => tx.update(decisions).set({ ...patch, updatedAt: sql`now()` }).where(and(eq(decisions.orgId, orgId), eq(decisions.id, id)));
  if ('withOrg' in db) await db.withOrg(orgId, run);
  else await run(db);
}

/** The policy for (agent, type): the type's own, else the agent's default, else the built-in defaults. */
export async function policyFor(database: Database, orgId: string, agentId: string, decisionType: string): Promise<EffectivePolicy> {
  const rows = await database.readOrg(orgId, (tx) =>
    tx
      .select()
      .from(decisionPolicies)
      .where(and(eq(decisionPolicies.orgId, orgId), eq(decisionPolicies.agentId, agentId), sql`(${decisionPolicies.decisionType} = ${decisionType} or ${decisionPolicies.decisionType} is null)`)),
  );
  const row = rows.find((r) => r.decisionType === decisionType) ?? rows.find((r) => r.decisionType === null);
  return row ? effective(row) : DEFAULT_POLICY;
}

export function effective(row: PolicyRow): EffectivePolicy {
  return {
    id: row.id,
    autoExecuteThreshold: row.autoExecuteThreshold,
    requireApprovalThreshold: row.requireApprovalThreshold,
    allowedActions: row.allowedActions ?? null,
    actionRules: row.actionRules,
    maxActionsPerMinute: row.maxActionsPerMinute,
    maxActionsPerHour: row.maxActionsPerHour,
    notifyOnHighPriority: row.notifyOnHighPriority,
    notifyOnFailure: row.notifyOnFailure,
    escalationEmail: row.escalationEmail,
    automationUrl: row.automationUrl,
    approverRole: row.approverRole,
    rulesConfidence: row.rulesConfidence,
    fallbackRules: row.fallbackRules,
    instructions: row.instructions,
    enabled: row.enabled,
  };
}

/** Actions (NO_ACTION aside) this agent's decisions executed without a person in the last minute and hour: the policy's rate limits. */
export async function recentActions(tx: Tx, orgId: string, agentId: string, exceptId: string): Promise<{ minute: number; hour: number }> {
  const counted = sql`(select count(*) from jsonb_array_elements(${decisions.actions}) a where a->>'type' <> 'NO_ACTION')`;
  const [row] = await tx
      .select({
        minute: sql<string>`coalesce(sum(${counted}) filter (where ${decisions.resolvedAt} > now() - interval '1 minute'), 0)`,
        hour: sql<string>`coalesce(sum(${counted}), 0)`,
      })
      .from(decisions)
      .where(
        and(
          eq(decisions.orgId, orgId),
          eq(decisions.agentId, agentId),
          eq(decisions.outcome, 'execute'),
          sql`${decisions.resolvedAt} > now() - interval '1 hour'`,
          sql`${decisions.id} <> ${exceptId}`,
        ),
      );
  return { minute: Number(row?.minute ?? 0), hour: Number(row?.hour ?? 0) };
}

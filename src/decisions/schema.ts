import { sql } from 'drizzle-orm';
import { boolean, doublePrecision, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { agents } from '../agents/schema.js';
import { createdAt, id, orgId, ts, updatedAt } from '../db/columns.js';
import { runs } from '../runs/schema.js';
import type { ActionResult, DecisionAction } from './dto.js';
import type { ActionType, DecisionSource, DecisionStatus, PolicyOutcome } from './enums.js';

/**
 * One decision (issue 16; docs/decision-engine.md): what came in, what the model (or the rules)
 * decided with what confidence, what the policy made of it, who approved, and what each action
 * did. Its id is its run's: a decision is a run (source `decision`) whose steps are the model's
 * child run, the policy, the approval and one step per action (src/decisions/runner.ts).
 */
export const decisions = pgTable(
  'decisions',
  {
    id: uuid('id')
      .primaryKey()
      .references(() => runs.id, { onDelete: 'cascade' }),
    orgId: orgId(),
    agentId: uuid('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    /** Which policy applies: a word the trigger or caller gives, default the input's type. */
    decisionType: text('decision_type').notNull(),
    input: jsonb('input').$type<{ source: string; type: string; data: unknown }>().notNull(),
    eventId: uuid('event_id'),
    triggerId: uuid('trigger_id'),
    status: text('status').$type<DecisionStatus>().notNull().default('pending'),
    source: text('source').$type<DecisionSource>(),
    intent: text('intent'),
    urgency: integer('urgency'),
    confidence: doublePrecision('confidence'),
    reasoning: text('reasoning'),
    prompt: text('prompt'),
    rawResponse: text('raw_response'),
    parsed: jsonb('parsed').$type<unknown>(),
    modelError: text('model_error'),
    outcome: text('outcome').$type<PolicyOutcome>(),
    outcomeReason: text('outcome_reason'),
    proposedActions: jsonb('proposed_actions').$type<DecisionAction[]>().notNull().default([]),
    actions: jsonb('actions').$type<DecisionAction[]>().notNull().default([]),
    actionsEdited: boolean('actions_edited').notNull().default(false),
    actionResults: jsonb('action_results').$type<ActionResult[]>().notNull().default([]),
    decidedBy: jsonb('decided_by').$type<{ type: 'policy' | 'user' | 'api_key'; id: string | null }>(),
    comment: text('comment'),
    approvalId: uuid('approval_id'),
    error: jsonb('error').$type<{ code: string; message: string }>(),
    decidedAt: ts('decided_at'),
    resolvedAt: ts('resolved_at'),
    finishedAt: ts('finished_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('decisions_org_created_idx').on(t.orgId, t.createdAt),
    index('decisions_org_status_created_idx').on(t.orgId, t.status, t.createdAt),
    index('decisions_agent_created_idx').on(t.agentId, t.createdAt),
  ],
);

/**
 * How an agent's decisions are handled, per decision type (null: the agent's default): the
 * confidence thresholds, which actions it may take and which always need a person, rate limits,
 * notifications, and the rule fallback's actions per intent.
 */
export const decisionPolicies = pgTable(
  'decision_policies',
  {
    id: id(),
    orgId: orgId(),
    agentId: uuid('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    decisionType: text('decision_type'),
    autoExecuteThreshold: doublePrecision('auto_execute_threshold').notNull().default(0.85),
    requireApprovalThreshold: doublePrecision('require_approval_threshold').notNull().default(0.5),
    allowedActions: jsonb('allowed_actions').$type<ActionType[] | null>(),
    actionRules: jsonb('action_rules').$type<{ type: ActionType; mode: 'auto' | 'ask' | 'never'; maxRecipients?: number }[]>().notNull().default([]),
    maxActionsPerMinute: integer('max_actions_per_minute'),
    maxActionsPerHour: integer('max_actions_per_hour'),
    notifyOnHighPriority: boolean('notify_on_high_priority').notNull().default(true),
    notifyOnFailure: boolean('notify_on_failure').notNull().default(true),
    escalationEmail: text('escalation_email'),
    automationUrl: text('automation_url'),
    approverRole: text('approver_role').$type<'member' | 'admin' | 'owner'>().notNull().default('member'),
    rulesConfidence: doublePrecision('rules_confidence').notNull().default(0.6),
    fallbackRules: jsonb('fallback_rules').$type<{ intent: string; urgency?: number; actions: DecisionAction[] }[]>().notNull().default([]),
    instructions: text('instructions').notNull().default(''),
    enabled: boolean('enabled').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('decision_policies_agent_type').on(t.orgId, t.agentId, sql`coalesce(${t.decisionType}, '')`)],
);

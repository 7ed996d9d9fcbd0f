import { sql } from 'drizzle-orm';
import { bigint, date, index, integer, pgTable, primaryKey, smallint, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, orgId, runOrgId } from '../db/columns.js';
import { runs } from '../runs/schema.js';

/**
 * The cost ledger: exactly one row per model call. Every usage figure, statement, breakdown and
 * budget check is a sum over these rows. Money is integer micro-dollars.
 */
export const ledgerEntries = pgTable(
  'ledger_entries',
  {
    id: id(),
    orgId: orgId(),
    agentId: uuid('agent_id').notNull(),
    runId: uuid('run_id').notNull(),
    /** The model-call step this row prices; unique, so a retried write cannot double-bill. */
    stepId: uuid('step_id').notNull(),
    conversationId: uuid('conversation_id'),
    taskId: uuid('task_id'),
    workflowId: uuid('workflow_id'),
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    inputTokens: integer('input_tokens').notNull(),
    outputTokens: integer('output_tokens').notNull(),
    cachedInputTokens: integer('cached_input_tokens').notNull().default(0),
    baseCostMicros: bigint('base_cost_micros', { mode: 'number' }).notNull(),
    billedCostMicros: bigint('billed_cost_micros', { mode: 'number' }).notNull(),
    markupBps: integer('markup_bps').notNull(),
    /** effective_from of the price row used; null when the model has no list price (local models). */
    priceEffectiveFrom: date('price_effective_from', { mode: 'string' }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('ledger_entries_step_key').on(t.stepId),
    index('ledger_entries_org_created_idx').on(t.orgId, t.createdAt),
    index('ledger_entries_org_agent_created_idx').on(t.orgId, t.agentId, t.createdAt),
    index('ledger_entries_org_workflow_idx').on(t.orgId, t.workflowId, t.createdAt).where(sql`workflow_id is not null`),
  ],
);

/** Budget alerts already raised, so each threshold fires once per scope and month. */
export const budgetAlerts = pgTable(
  'budget_alerts',
  {
    id: id(),
    orgId: orgId(),
    /** 'org' or the agent id. */
    scope: text('scope').notNull(),
    /** Calendar month, UTC: 'YYYY-MM'. */
    month: text('month').notNull(),
    thresholdPercent: integer('threshold_percent').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('budget_alerts_once').on(t.orgId, t.scope, t.month, t.thresholdPercent)],
);

/**
 * Billed spend per organization, agent and calendar month (UTC 'YYYY-MM'), kept by a trigger on
 * ledger_entries (migration 0003), so it always equals the sum of the ledger rows. Budget checks
 * read these few rows instead of summing a month of ledger rows before every model call.
 */
export const monthlySpend = pgTable(
  'monthly_spend',
  {
    orgId: orgId(),
    month: text('month').notNull(),
    agentId: uuid('agent_id').notNull(),
    /** Writers spread over 16 rows per agent and month (by backend), so concurrent runs of one agent do not queue on one row lock; readers sum them. */
    shard: smallint('shard').notNull().default(0),
    billedMicros: bigint('billed_micros', { mode: 'number' }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.month, t.agentId, t.shard] })],
);

/**
 * What model calls in flight may still cost (decision 44, migration 0015): each call of a run
 * under a budget reserves its most before it starts, checked atomically against budget - spend -
 * the others' reservations. A row counts while its run holds the lease of `generation` and its
 * step has not finished (then the ledger row stands in for it); rows that no longer count are
 * deleted by the organization's next reservation.
 */
export const budgetReservations = pgTable(
  'budget_reservations',
  {
    orgId: runOrgId(),
    runId: uuid('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    stepKey: text('step_key').notNull(),
    agentId: uuid('agent_id').notNull(),
    generation: integer('generation').notNull(),
    /** Billed µ$: estimated prompt tokens plus the output limit, at the dearest model the call may use. */
    amountMicros: bigint('amount_micros', { mode: 'number' }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.stepKey] }), index('budget_reservations_org_idx').on(t.orgId)],
);

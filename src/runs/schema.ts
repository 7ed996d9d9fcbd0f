import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, type AnyPgColumn, integer, json, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { agents } from '../agents/schema.js';
import { workflows } from '../workflows/schema.js';
import { createdAt, id, orgId, runOrgId, ts, updatedAt } from '../db/columns.js';
import { APPROVAL_STATUSES, RUN_SOURCES, RUN_STATUSES, STEP_KINDS, STEP_STATUSES } from './enums.js';

export { APPROVAL_STATUSES, RUN_SOURCES, RUN_STATUSES, STEP_KINDS, STEP_STATUSES, type RunSource, type RunStatus, type StepStatus } from './enums.js';

/** A failure as stored and rendered: stable code, who is at fault, a message a person can act on. */
export interface RunError {
  code: string;
  category: 'user' | 'system' | 'third_party';
  message: string;
  details?: Record<string, unknown>;
}

/** What a run was asked to do. */
export interface RunInput {
  /** The task or user message. */
  task: string;
  context?: Record<string, unknown>;
  maxTokens?: number;
  /** A workflow run's input is the workflow's own (no task). */
  [key: string]: unknown;
}

/**
 * One execution of one agent on one input. The row is the source of truth for the run's state;
 * `generation` and the lease fence writes, so a worker that lost its lease cannot overwrite the
 * new owner's work.
 */
export const runs = pgTable(
  'runs',
  {
    id: id(),
    orgId: orgId(),
    /** Null for a workflow run (it has `workflowId` instead) and a decision run (source `decision`; its model call is a child run of the agent): runs_agent_or_workflow. */
    agentId: uuid('agent_id').references(() => agents.id, { onDelete: 'cascade' }),
    agentVersion: integer('agent_version'),
    /**
     * A workflow run's workflow and the version it runs (pinned at start); on an agent run started
     * by a workflow node, the workflow it serves (its ledger rows carry it).
     */
    workflowId: uuid('workflow_id').references(() => workflows.id, { onDelete: 'cascade' }),
    workflowVersion: integer('workflow_version'),
    /** The workflow run that started this one (an agent node's or a sub-workflow's child run), and the execution key it serves. */
    parentRunId: uuid('parent_run_id').references((): AnyPgColumn => runs.id, { onDelete: 'cascade' }),
    parentKey: text('parent_key'),
    /** A workflow run's output (JSON), or an agent run's structured output. */
    result: jsonb('result').$type<unknown>(),
    /** A `waiting` workflow run's earliest timer: it may be claimed again from then on. */
    wakeAt: ts('wake_at'),
    /** When a run of a workflow with `settings.maxConcurrentRuns` took one of its places (it keeps it until it ends). */
    admittedAt: ts('admitted_at'),
    source: text('source', { enum: RUN_SOURCES }).notNull(),
    conversationId: uuid('conversation_id'),
    taskId: uuid('task_id'),
    status: text('status', { enum: RUN_STATUSES }).notNull().default('queued'),
    input: jsonb('input').$type<RunInput>().notNull(),
    output: text('output'),
    error: jsonb('error').$type<RunError>(),
    /** Why the run ended: completed, max_steps, timeout, budget_exceeded, canceled, rejected, error. */
    stopReason: text('stop_reason'),
    usedRulesModel: boolean('used_rules_model').notNull().default(false),
    stepCount: integer('step_count').notNull().default(0),
    inputTokens: bigint('input_tokens', { mode: 'number' }).notNull().default(0),
    outputTokens: bigint('output_tokens', { mode: 'number' }).notNull().default(0),
    cachedInputTokens: bigint('cached_input_tokens', { mode: 'number' }).notNull().default(0),
    costMicros: bigint('cost_micros', { mode: 'number' }).notNull().default(0),
    billedMicros: bigint('billed_micros', { mode: 'number' }).notNull().default(0),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: ts('lease_expires_at'),
    generation: integer('generation').notNull().default(0),
    cancelRequestedAt: ts('cancel_requested_at'),
    deadlineAt: ts('deadline_at'),
    createdBy: uuid('created_by'),
    apiKeyId: uuid('api_key_id'),
    idempotencyKey: text('idempotency_key'),
    startedAt: ts('started_at'),
    finishedAt: ts('finished_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('runs_org_created_idx').on(t.orgId, t.createdAt),
    index('runs_org_agent_created_idx').on(t.orgId, t.agentId, t.createdAt),
    index('runs_org_task_created_idx').on(t.orgId, t.taskId, t.createdAt).where(sql`task_id is not null`),
    // Runs not yet finished, oldest first (dispatch/recovery.ts). Not on status: a claim changes
    // the status, and an indexed column changed makes the update write every index anew (no HOT
    // update); finished_at changes once, at the end (migration 0011).
    index('runs_unfinished_idx').on(t.createdAt).where(sql`finished_at is null`),
    uniqueIndex('runs_org_idempotency_key').on(t.orgId, t.idempotencyKey).where(sql`idempotency_key is not null`),
    index('runs_org_workflow_created_idx').on(t.orgId, t.workflowId, t.createdAt).where(sql`workflow_id is not null`),
    index('runs_parent_idx').on(t.parentRunId).where(sql`parent_run_id is not null`),
    // The places taken of each limited workflow (admitted, not finished).
    index('runs_workflow_admitted_idx').on(t.workflowId).where(sql`admitted_at is not null and finished_at is null`),
    check('runs_agent_or_workflow', sql`${t.agentId} is not null or ${t.workflowId} is not null or ${t.source} = 'decision'`),
  ],
);

/**
 * Every model call and tool call, written before it happens (status started) and after
 * (succeeded/failed). `stepKey` is deterministic (e.g. `model:3`, `tool:3:call_abc`), so a resumed
 * run finds the finished step instead of doing it again.
 */
export const runSteps = pgTable(
  'run_steps',
  {
    id: id(),
    orgId: runOrgId(),
    runId: uuid('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    stepKey: text('step_key').notNull(),
    kind: text('kind', { enum: STEP_KINDS }).notNull(),
    status: text('status', { enum: STEP_STATUSES }).notNull(),
    model: text('model'),
    toolName: text('tool_name'),
    toolCallId: text('tool_call_id'),
    // json, not jsonb: replayed into prompts, so kept as written (key order; decision 45).
    input: json('input').$type<unknown>(),
    output: json('output').$type<unknown>(),
    error: jsonb('error').$type<RunError>(),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    cachedInputTokens: integer('cached_input_tokens').notNull().default(0),
    costMicros: bigint('cost_micros', { mode: 'number' }).notNull().default(0),
    billedMicros: bigint('billed_micros', { mode: 'number' }).notNull().default(0),
    latencyMs: integer('latency_ms'),
    attempts: integer('attempts').notNull().default(1),
    startedAt: ts('started_at').notNull().defaultNow(),
    finishedAt: ts('finished_at'),
  },
  (t) => [uniqueIndex('run_steps_run_key').on(t.runId, t.stepKey), index('run_steps_run_seq_idx').on(t.runId, t.seq)],
);

/** Append-only log per run; `seq` is also the SSE event id (Last-Event-ID resumes after it). */
export const runEvents = pgTable(
  'run_events',
  {
    orgId: runOrgId(),
    runId: uuid('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    type: text('type').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.seq] })],
);

/** A tool call waiting for a person: the tool requires approval, or it may have half-run before a crash. */
export const approvals = pgTable(
  'approvals',
  {
    id: id(),
    orgId: orgId(),
    runId: uuid('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    stepId: uuid('step_id').notNull(),
    toolName: text('tool_name').notNull(),
    toolCallId: text('tool_call_id').notNull(),
    args: jsonb('args').$type<unknown>(),
    /** requires_approval | interrupted (a non-idempotent call started but never finished). */
    reason: text('reason').notNull(),
    status: text('status', { enum: APPROVAL_STATUSES }).notNull().default('pending'),
    decidedBy: uuid('decided_by'),
    /** The API key that decided (no user); migration 0020. */
    decidedByApiKeyId: uuid('decided_by_api_key_id'),
    comment: text('comment'),
    /** A workflow approval node's: the lowest role that may decide (else the tool's grant roles). */
    approverRole: text('approver_role'),
    /** A workflow approval node's form values, given with the decision. */
    response: jsonb('response').$type<Record<string, unknown>>(),
    decidedAt: ts('decided_at'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('approvals_step_key').on(t.stepId), index('approvals_org_status_idx').on(t.orgId, t.status)],
);

import { z } from 'zod';
import { pageQuery } from '../shared/page-schema.js';
import { APPROVAL_STATUSES, RUN_SOURCES, RUN_STATUSES, STEP_KINDS, STEP_STATUSES } from './enums.js';

const iso = z.date().transform((d) => d.toISOString()).pipe(z.string());
const isoOrNull = z.date().nullable().transform((d) => d?.toISOString() ?? null).pipe(z.string().nullable());
const runErrorSchema = z.object({ code: z.string(), category: z.enum(['user', 'system', 'third_party']), message: z.string(), details: z.record(z.string(), z.unknown()).optional() });

export const runSchema = z
  .object({
    id: z.uuid(),
    agentId: z.uuid().nullable().describe('Null for a workflow run'),
    agentVersion: z.number().int().nullable(),
    source: z.enum(RUN_SOURCES),
    workflowId: z.uuid().nullable().describe("A workflow run's workflow; on an agent run a workflow node started, the workflow it serves"),
    workflowVersion: z.number().int().nullable().describe('The workflow version a workflow run runs (pinned at its start)'),
    parentRunId: z.uuid().nullable().describe('The workflow run that started this run'),
    result: z.unknown().describe("A workflow run's output (JSON), or an agent run's structured output; null otherwise"),
    conversationId: z.uuid().nullable(),
    taskId: z.uuid().nullable(),
    status: z.enum(RUN_STATUSES),
    input: z
      .looseObject({ task: z.string().optional(), context: z.record(z.string(), z.unknown()).optional(), maxTokens: z.number().int().optional() })
      .describe("An agent run's task (with context and maxTokens); a workflow run's input, as the workflow's input schema says"),
    output: z.string().nullable(),
    error: runErrorSchema.nullable(),
    stopReason: z.string().nullable().describe('completed, max_steps, timeout, budget_exceeded, canceled, waiting_approval, error'),
    usedRulesModel: z.boolean().describe('The offline rules model answered at least one call'),
    stepCount: z.number().int().describe('Model calls made'),
    inputTokens: z.number().int(),
    outputTokens: z.number().int(),
    cachedInputTokens: z.number().int(),
    costMicros: z.number().int().describe('Base cost, micro-dollars'),
    billedMicros: z.number().int().describe('Cost with the organization markup, micro-dollars'),
    createdBy: z.uuid().nullable(),
    deadlineAt: isoOrNull,
    startedAt: isoOrNull,
    finishedAt: isoOrNull,
    createdAt: iso,
    updatedAt: iso,
  })
  .meta({ id: 'Run' });

export const stepSchema = z
  .object({
    id: z.uuid(),
    seq: z.number().int(),
    stepKey: z.string(),
    kind: z.enum(STEP_KINDS),
    status: z.enum(STEP_STATUSES),
    model: z.string().nullable(),
    toolName: z.string().nullable(),
    toolCallId: z.string().nullable(),
    input: z.unknown(),
    output: z.unknown(),
    error: runErrorSchema.nullable(),
    inputTokens: z.number().int(),
    outputTokens: z.number().int(),
    cachedInputTokens: z.number().int(),
    costMicros: z.number().int(),
    billedMicros: z.number().int(),
    latencyMs: z.number().int().nullable(),
    attempts: z.number().int(),
    startedAt: iso,
    finishedAt: isoOrNull,
  })
  .meta({ id: 'RunStep' });

export const approvalSchema = z
  .object({
    id: z.uuid(),
    runId: z.uuid(),
    stepId: z.uuid(),
    toolName: z.string(),
    toolCallId: z.string(),
    args: z.unknown(),
    reason: z.string().describe('requires_approval, interrupted (a call that may have half-run before a crash), or workflow (a workflow approval node: args hold its title, description and form)'),
    response: z.record(z.string(), z.unknown()).nullable().describe("A workflow approval's form values, given with the decision"),
    status: z.enum(APPROVAL_STATUSES),
    decidedBy: z.uuid().nullable().describe('The user who decided; null for a decision made with an API key (see decider)'),
    decidedByApiKeyId: z.uuid().nullable().describe('The API key that decided, when no user did'),
    comment: z.string().nullable(),
    decidedAt: isoOrNull,
    createdAt: iso.describe('When the agent asked'),
    agent: z.object({ id: z.uuid(), name: z.string() }).nullable().describe('The agent whose run asks (null for a workflow approval node)'),
    workflow: z.object({ id: z.uuid(), name: z.string() }).nullable().describe('The workflow the run belongs to'),
    task: z.object({ id: z.uuid(), title: z.string() }).nullable().describe('The task the run came from; null for other runs'),
    description: z.string().describe('The call in one readable line, e.g. "Send an email to a@b.c: \'Subject\'"'),
    decider: z
      .object({ type: z.enum(['user', 'api_key']), id: z.uuid(), name: z.string() })
      .nullable()
      .describe('Who decided (a person or an API key, by name); null while pending or once they were deleted'),
  })
  .meta({ id: 'Approval' });

export const executeBody = z.object({
  task: z.string().trim().min(1).max(100_000).describe('What the agent should do'),
  context: z.record(z.string(), z.unknown()).optional().describe('Data the agent gets with the task'),
  max_tokens: z.number().int().min(1).max(1_000_000).optional().describe('Cap on output tokens per model call'),
});

/** `POST /approvals/:id/approve|reject`: an optional comment (a rejection's goes to the model). */
export const decisionBody = z.object({
  comment: z.string().trim().max(2000).optional(),
  values: z.record(z.string(), z.unknown()).optional().describe("A workflow approval's form values (checked against its form's fields when approving)"),
});

/** `status=failed,canceled` or `status=failed&status=canceled`: any of these statuses. */
const runStatuses = z
  .union([z.string(), z.array(z.string())])
  .transform((v, ctx) => {
    const list = [...new Set((Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean))];
    const unknown = list.filter((s) => !(RUN_STATUSES as readonly string[]).includes(s));
    if (unknown.length) ctx.addIssue({ code: 'custom', message: `unknown status ${unknown.map((s) => `"${s}"`).join(', ')}; one of ${RUN_STATUSES.join(', ')}` });
    return list as (typeof RUN_STATUSES)[number][];
  })
  .describe(`Any of these statuses, comma-separated or repeated: ${RUN_STATUSES.join(', ')}`);

/**
 * Query of the run lists (`GET /runs`, an agent's and a task's executions): the shared page
 * parameters plus filters, combined with AND. `from` and `to` are inclusive.
 */
export const runListQuery = pageQuery.extend({
  agentId: z.uuid().optional(),
  workflowId: z.uuid().optional().describe("The workflow's own runs (not the agent runs its nodes started)"),
  parentRunId: z.uuid().optional().describe('The runs a workflow run started (its agent nodes and sub-workflows)'),
  status: runStatuses.optional(),
  source: z.enum(RUN_SOURCES).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  q: z
    .string()
    .trim()
    .max(200)
    .optional()
    .transform((v) => v || undefined)
    .describe('Text: every word starts a word of the task, the answer or the error code; or the agent name contains it; or the run id starts with it'),
});

/** `GET /agents/:id/metrics`: an agent's execution figures (the last execution as an ISO time). */
export const agentMetricsSchema = z
  .object({
    executionCount: z.number().int(),
    succeeded: z.number().int(),
    failed: z.number().int(),
    successRate: z.number().nullable(),
    averageTokens: z.number().int().nullable(),
    averageCostMicros: z.number().int().nullable(),
    averageResponseMs: z.number().int().nullable(),
    lastExecutedAt: z.date().nullable().transform((d) => d?.toISOString() ?? null),
  })
  .meta({ id: 'AgentMetrics' });

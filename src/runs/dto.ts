import { z } from 'zod';
import { pageQuery } from '../shared/page-schema.js';
import { APPROVAL_STATUSES, RUN_SOURCES, RUN_STATUSES, STEP_KINDS, STEP_STATUSES } from './enums.js';

const iso = z.date().transform((d) => d.toISOString()).pipe(z.string());
const isoOrNull = z.date().nullable().transform((d) => d?.toISOString() ?? null).pipe(z.string().nullable());
const runErrorSchema = z.object({ code: z.string(), category: z.enum(['user', 'system', 'third_party']), message: z.string(), details: z.record(z.string(), z.unknown()).optional() });

export const runSchema = z
  .object({
    id: z.uuid(),
    agentId: z.uuid(),
    agentVersion: z.number().int(),
    source: z.enum(RUN_SOURCES),
    conversationId: z.uuid().nullable(),
    taskId: z.uuid().nullable(),
    status: z.enum(RUN_STATUSES),
    input: z.object({ task: z.string(), context: z.record(z.string(), z.unknown()).optional(), maxTokens: z.number().int().optional() }),
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
    reason: z.string().describe('requires_approval, or interrupted (a call that may have half-run before a crash)'),
    status: z.enum(APPROVAL_STATUSES),
    decidedBy: z.uuid().nullable(),
    comment: z.string().nullable(),
    decidedAt: isoOrNull,
    createdAt: iso,
  })
  .meta({ id: 'Approval' });

export const executeBody = z.object({
  task: z.string().trim().min(1).max(100_000).describe('What the agent should do'),
  context: z.record(z.string(), z.unknown()).optional().describe('Data the agent gets with the task'),
  max_tokens: z.number().int().min(1).max(1_000_000).optional().describe('Cap on output tokens per model call'),
});

/** `POST /approvals/:id/approve|reject`: an optional comment (a rejection's goes to the model). */
export const decisionBody = z.object({ comment: z.string().trim().max(2000).optional() });

export const runListQuery = pageQuery.extend({
  agentId: z.uuid().optional(),
  status: z.enum(RUN_STATUSES).optional(),
  source: z.enum(RUN_SOURCES).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
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

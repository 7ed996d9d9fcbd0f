import { z } from 'zod';
import { pageQuery } from '../shared/page-schema.js';
import { NOTIFICATION_LEVELS, TICKET_PRIORITIES } from '../tools/enums.js';
import { ACTION_STATUSES, ACTION_TYPES, DECISION_SOURCES, DECISION_STATUSES, DECISION_TYPE_RE, POLICY_OUTCOMES, type ActionType } from './enums.js';

/** The wire shapes of decisions, their actions and policies (docs/decision-engine.md). Browser-pure. */

const iso = z.date().transform((d) => d.toISOString());
const isoOrNull = z
  .date()
  .nullable()
  .transform((d) => d?.toISOString() ?? null);
const text = (max: number) => z.string().trim().min(1).max(max);
const email = z.email().max(254);
const isoTime = z.iso.datetime({ offset: true });

/** What each action type takes (`params`); the model is shown these, a person's edits are checked against them. */
export const ACTION_PARAMS = {
  ASSIGN_PIPELINE: z.object({
    pipeline: text(200).describe('The pipeline, by name or id'),
    stage: text(200).optional().describe('The stage, by name or id (default: its first open stage)'),
    title: text(300).optional().describe('The item title (default: from the input)'),
    summary: z.string().max(5_000).optional(),
    priority: z.number().int().min(1).max(5).optional().describe('1 (low) to 5 (urgent)'),
    assigneeRole: z.string().trim().min(1).max(50).optional().describe('Choose the assignee among staff with this role, by load'),
    assigneeId: z.uuid().optional().describe('A staff member, by id'),
  }),
  CREATE_EVENT: z.object({
    calendar: text(200).describe('The calendar, by name or id'),
    title: text(300),
    start: isoTime.describe('ISO 8601 start time with offset'),
    durationMinutes: z.number().int().min(5).max(24 * 60).optional().describe('Default 30'),
    attendees: z.array(z.object({ name: z.string().max(200).optional(), email })).max(50).optional(),
    description: z.string().max(5_000).optional(),
    location: z.string().max(500).optional(),
    onConflict: z.enum(['reject', 'next_slot']).optional().describe('next_slot: take the first free slot after start'),
  }),
  UPDATE_EVENT: z.object({
    eventId: z.uuid(),
    start: isoTime.optional(),
    durationMinutes: z.number().int().min(5).max(24 * 60).optional(),
    title: text(300).optional(),
  }),
  CANCEL_EVENT: z.object({ eventId: z.uuid(), reason: z.string().max(1_000).optional() }),
  SEND_NOTIFICATION: z.object({
    to: z
      .union([z.enum(['assignee', 'everyone']), z.uuid()])
      .default('everyone')
      .describe('"assignee" (who an earlier ASSIGN_PIPELINE chose), "everyone", or a staff member or user id'),
    title: text(200),
    body: z.string().max(5_000).optional(),
    level: z.enum(NOTIFICATION_LEVELS).optional(),
  }),
  SEND_EMAIL: z.object({
    to: z.union([email, z.array(email).min(1).max(50)]),
    subject: text(500).refine((s) => !/[\r\n]/.test(s), { message: 'cannot contain line breaks' }),
    text: text(100_000),
  }),
  TRIGGER_AUTOMATION: z.object({
    url: z.string().max(2048).optional().describe("The receiver (default: the policy's automationUrl)"),
    event: z.string().max(200).optional().describe('A name for what happened, sent in the payload'),
    payload: z.record(z.string(), z.unknown()).optional(),
  }),
  START_WORKFLOW: z.object({ workflowId: z.uuid(), input: z.record(z.string(), z.unknown()).optional() }),
  CREATE_TICKET: z.object({ subject: text(300), description: z.string().max(20_000).optional(), priority: z.enum(TICKET_PRIORITIES).optional() }),
  ESCALATE: z.object({ reason: text(2_000) }),
  NO_ACTION: z.object({}).loose(),
} satisfies Record<ActionType, z.ZodType>;

/** One action of a decision: a type and its params (checked against ACTION_PARAMS[type]). */
export const actionSchema = z
  .object({ type: z.enum(ACTION_TYPES), params: z.record(z.string(), z.unknown()).default({}) })
  .superRefine((a, ctx) => {
    const r = ACTION_PARAMS[a.type].safeParse(a.params);
    if (!r.success) for (const issue of r.error.issues) ctx.addIssue({ code: 'custom', path: ['params', ...issue.path.map(String)], message: issue.message });
  })
  .meta({ id: 'DecisionAction' });
export type DecisionAction = z.output<typeof actionSchema>;

/** What a decision says (the model's answer, or the rules'). */
export const decisionBodySchema = z.object({
  intent: text(100).describe('What the input is about, e.g. SALES_INQUIRY'),
  urgency: z.number().int().min(1).max(5).default(3).describe('1 (low) to 5 (urgent)'),
  confidence: z.number().min(0).max(1),
  reasoning: z.string().max(5_000).default(''),
  actions: z.array(actionSchema).max(20).default([]),
  requiresApproval: z.boolean().default(false).describe('The model asks for a person even when sure'),
});
export type DecisionBody = z.output<typeof decisionBodySchema>;

const actionResultSchema = z.object({
  type: z.enum(ACTION_TYPES),
  status: z.enum(ACTION_STATUSES),
  tool: z.string().nullable(),
  output: z.unknown().optional(),
  error: z.object({ code: z.string(), message: z.string() }).nullable().optional(),
});
export type ActionResult = z.output<typeof actionResultSchema>;

export const decisionSchema = z
  .object({
    id: z.uuid().describe("The decision's id, also the id of its run (/runs/{id})"),
    agentId: z.uuid(),
    decisionType: z.string(),
    status: z.enum(DECISION_STATUSES),
    input: z.object({ source: z.string(), type: z.string(), data: z.unknown() }),
    eventId: z.uuid().nullable(),
    triggerId: z.uuid().nullable(),
    source: z.enum(DECISION_SOURCES).nullable().describe('model, or rules when the model was down or its answer stayed invalid'),
    intent: z.string().nullable(),
    urgency: z.number().int().nullable(),
    confidence: z.number().nullable(),
    reasoning: z.string().nullable(),
    prompt: z.string().nullable().describe('The task the model was given'),
    rawResponse: z.string().nullable().describe("The model's last answer as it came"),
    parsed: z.unknown().nullable().describe('The validated decision'),
    modelError: z.string().nullable().describe('Why the model did not decide (the rules did)'),
    outcome: z.enum(POLICY_OUTCOMES).nullable(),
    outcomeReason: z.string().nullable(),
    proposedActions: z.array(z.unknown()),
    actions: z.array(z.unknown()).describe('What is (or was) executed: the proposal, or what the approver changed it to'),
    actionsEdited: z.boolean(),
    actionResults: z.array(actionResultSchema),
    decidedBy: z.object({ type: z.enum(['policy', 'user', 'api_key']), id: z.string().nullable() }).nullable(),
    comment: z.string().nullable(),
    approvalId: z.uuid().nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    decidedAt: isoOrNull.describe('When the model (or the rules) answered'),
    resolvedAt: isoOrNull.describe('When the policy or a person settled it'),
    finishedAt: isoOrNull,
    createdAt: iso,
    updatedAt: iso,
  })
  .meta({ id: 'Decision' });

export const listDecisionsQuery = pageQuery.extend({
  status: z.enum(DECISION_STATUSES).optional(),
  agentId: z.uuid().optional(),
  intent: z.string().max(100).optional(),
  decisionType: z.string().max(100).optional(),
  source: z.enum(DECISION_SOURCES).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});
export type ListDecisionsQuery = z.output<typeof listDecisionsQuery>;

export const decisionType = z.string().trim().regex(DECISION_TYPE_RE, 'letters, digits, _ . : - (1-100 characters)');

export const processBody = z
  .object({
    agentId: z.uuid(),
    decisionType: decisionType.optional().describe('Which policy applies (default: the input type)'),
    input: z.object({
      source: z.string().trim().min(1).max(50).default('api'),
      type: text(200).describe('What came in, e.g. form.submitted'),
      data: z.unknown().describe('The payload to decide on'),
    }),
  })
  .meta({ id: 'ProcessDecision' });
export type ProcessInput = z.output<typeof processBody>;

export const approveDecisionBody = z
  .object({
    actions: z.array(actionSchema).max(20).optional().describe('Changed actions to execute instead of the proposal'),
    comment: z.string().max(2_000).optional(),
  })
  .meta({ id: 'ApproveDecision' });
export const rejectDecisionBody = z.object({ comment: z.string().max(2_000).optional() }).meta({ id: 'RejectDecision' });
export const bulkDecideBody = z
  .object({ ids: z.array(z.uuid()).min(1).max(100), decision: z.enum(['approve', 'reject']), comment: z.string().max(2_000).optional() })
  .meta({ id: 'BulkDecide' });

const actionRule = z.object({
  type: z.enum(ACTION_TYPES),
  mode: z.enum(['auto', 'ask', 'never']).default('ask').describe('ask: always a person first; never: the action is not allowed'),
  maxRecipients: z.number().int().min(1).max(10_000).optional().describe('For SEND_EMAIL: ask when mailing more people than this'),
});

const fallbackRule = z.object({
  intent: text(100).describe('A classification rule label'),
  urgency: z.number().int().min(1).max(5).optional(),
  actions: z.array(actionSchema).max(20),
});

export const policyBody = z
  .object({
    agentId: z.uuid(),
    decisionType: decisionType.nullable().default(null).describe('null: the agent\'s default policy'),
    autoExecuteThreshold: z.number().min(0).max(1).default(0.85),
    requireApprovalThreshold: z.number().min(0).max(1).default(0.5),
    allowedActions: z.array(z.enum(ACTION_TYPES)).max(ACTION_TYPES.length).nullable().default(null).describe('null: every action the agent has the tool for'),
    actionRules: z.array(actionRule).max(50).default([]),
    maxActionsPerMinute: z.number().int().min(1).max(100_000).nullable().default(null),
    maxActionsPerHour: z.number().int().min(1).max(1_000_000).nullable().default(null),
    notifyOnHighPriority: z.boolean().default(true),
    notifyOnFailure: z.boolean().default(true),
    escalationEmail: email.nullable().default(null),
    automationUrl: z.string().max(2048).nullable().default(null),
    approverRole: z.enum(['member', 'admin', 'owner']).default('member'),
    rulesConfidence: z.number().min(0).max(1).default(0.6).describe('The confidence a rule decision gets'),
    fallbackRules: z.array(fallbackRule).max(200).default([]),
    instructions: z.string().max(20_000).default('').describe('Extra guidance for the model (added to the task)'),
    enabled: z.boolean().default(true),
  })
  .refine((p) => p.requireApprovalThreshold <= p.autoExecuteThreshold, { path: ['requireApprovalThreshold'], message: 'must not be above autoExecuteThreshold' })
  .meta({ id: 'DecisionPolicyBody' });
export type PolicyInput = z.output<typeof policyBody>;

export const policySchema = z
  .object({
    id: z.uuid(),
    agentId: z.uuid(),
    decisionType: z.string().nullable(),
    autoExecuteThreshold: z.number(),
    requireApprovalThreshold: z.number(),
    allowedActions: z.array(z.enum(ACTION_TYPES)).nullable(),
    actionRules: z.array(actionRule),
    maxActionsPerMinute: z.number().int().nullable(),
    maxActionsPerHour: z.number().int().nullable(),
    notifyOnHighPriority: z.boolean(),
    notifyOnFailure: z.boolean(),
    escalationEmail: z.string().nullable(),
    automationUrl: z.string().nullable(),
    approverRole: z.enum(['member', 'admin', 'owner']),
    rulesConfidence: z.number(),
    fallbackRules: z.array(fallbackRule),
    instructions: z.string(),
    enabled: z.boolean(),
    createdAt: iso,
    updatedAt: iso,
  })
  .meta({ id: 'DecisionPolicy' });
export type PolicyView = z.input<typeof policySchema>;

const bucket = z.object({ key: z.string(), count: z.number().int(), autoExecuted: z.number().int(), approved: z.number().int(), rejected: z.number().int(), edited: z.number().int(), failed: z.number().int(), avgConfidence: z.number().nullable() });
export const analyticsSchema = z
  .object({
    total: z.number().int(),
    byStatus: z.record(z.string(), z.number().int()),
    bySource: z.record(z.string(), z.number().int()),
    byIntent: z.array(bucket),
    byType: z.array(bucket),
    confidenceHistogram: z.array(z.object({ from: z.number(), to: z.number(), count: z.number().int() })).describe('Ten buckets of 0.1'),
    autoExecutionRate: z.number().nullable().describe('Executed without a person, of those decided'),
    approvalRate: z.number().nullable().describe('Approved, of those a person decided'),
    editRate: z.number().nullable().describe('Approved with changed actions, of those approved'),
  })
  .meta({ id: 'DecisionAnalytics' });
export const analyticsQuery = z.object({
  agentId: z.uuid().optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

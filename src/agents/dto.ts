import { z } from 'zod';
import { modelRefProblem } from '../models/providers.js';

/**
 * The agents API's wire shapes, shared with the CLI and the web dashboard. Field schemas are
 * defined once without defaults; create adds the defaults, update makes everything optional, so
 * a PATCH never silently resets a field it did not mention.
 */

/** Tool names as the tools registry will spell them (validated against it once it exists). */
export const TOOL_NAME = /^[a-z][a-z0-9_]{0,63}$/;
export const MAX_LIST_ITEMS = 50;

/** Keeps the first of each value (compared by `key`), so repeated entries cannot pile up. */
const unique = (key: (s: string) => string = (s) => s) => (list: string[]) => {
  const seen = new Set<string>();
  return list.filter((s) => !seen.has(key(s)) && seen.add(key(s)));
};

const modelRef = z
  .string()
  .trim()
  .max(250)
  .superRefine((ref, ctx) => {
    const problem = modelRefProblem(ref);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe('`provider:model`, e.g. `openai:gpt-4o-mini` or `ollama:llama3.2`');

const text = (max: number) => z.string().trim().max(max);
const nonNegativeInt = (max = Number.MAX_SAFE_INTEGER) => z.number().int().min(0).max(max);

export const agentStatusSchema = z.enum(['active', 'paused']);
export type AgentStatus = z.output<typeof agentStatusSchema>;

const fields = {
  name: z.string().trim().min(1).max(100),
  description: text(2000),
  role: text(200).describe('Reads after "You are {name}, ", e.g. "a support specialist for Acme"'),
  model: modelRef,
  fallbackModels: z.array(modelRef).max(MAX_LIST_ITEMS).transform(unique()).describe('Tried in order when the model fails'),
  temperature: z.number().min(0).max(2).nullable().describe('0–2; null = provider default'),
  maxOutputTokens: z.number().int().min(1).max(1_000_000).nullable().describe('null = provider default'),
  topP: z.number().min(0).max(1).nullable().describe('0–1; null = provider default'),
  instructions: text(50_000),
  tools: z
    .array(z.string().trim().regex(TOOL_NAME, 'must be a tool name: lowercase letters, digits and _, starting with a letter'))
    .max(MAX_LIST_ITEMS)
    .transform(unique()),
  approvalTools: z
    .array(z.string().trim().regex(TOOL_NAME, 'must be a tool name: lowercase letters, digits and _, starting with a letter'))
    .max(MAX_LIST_ITEMS)
    .transform(unique())
    .describe("Tools of this agent whose every call waits for a person's approval (tools that always ask, ask anyway)"),
  tags: z.array(z.string().trim().min(1).max(50)).max(MAX_LIST_ITEMS).transform(unique((t) => t.toLowerCase())),
  status: agentStatusSchema,
};

const personalityText = text(2000);
const traits = z.array(z.string().trim().min(1).max(100)).max(MAX_LIST_ITEMS).transform(unique((t) => t.toLowerCase()));
const historyLength = z.number().int().min(0).max(1000).describe('Past messages sent to the model');
const contextBudget = z.number().int().min(1).max(10_000_000).nullable().describe("Tokens for history; null = the model's window minus the reply");
const maxSteps = z.number().int().min(1).max(200).describe('Model calls per run');
const timeoutSeconds = z.number().int().min(1).max(86_400);
// An "action" is a run started (a chat reply, a task execution, an execute call), not a tool
// call: a run over the rate waits, queued, until the rolling window has room (decision 37).
const perMinute = z.number().int().min(1).max(1_000_000).nullable().describe('Runs of this agent started per rolling minute (chat replies, task executions, execute calls); a run over it waits, queued. null = unlimited');
const perHour = z.number().int().min(1).max(100_000_000).nullable().describe('Runs of this agent started per rolling hour (chat replies, task executions, execute calls); a run over it waits, queued. null = unlimited');
const budget = nonNegativeInt().nullable().describe('Micro-dollars (1 USD = 1 000 000) per calendar month; null = unlimited');

// Empty strings mean "not set": they are dropped rather than stored, so the prompt has no empty lines.
const dropEmpty = <T extends Record<string, unknown>>(o: T) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== '' && v !== undefined)) as T;

const personalityInput = z
  .strictObject({
    traits: traits.default([]),
    tone: personalityText.optional(),
    behavior: personalityText.optional(),
    languageStyle: personalityText.optional(),
  })
  .transform(dropEmpty);

export const DEFAULT_MEMORY = { historyLength: 20, contextBudget: null };
export const DEFAULT_LIMITS = {
  maxSteps: 10,
  timeoutSeconds: 300,
  actionsPerMinute: null,
  actionsPerHour: null,
  monthlyBudgetMicros: null,
};

const createShape = {
  name: fields.name,
  description: fields.description.default(''),
  role: fields.role.default(''),
  model: fields.model,
  fallbackModels: fields.fallbackModels.default([]),
  temperature: fields.temperature.default(null),
  maxOutputTokens: fields.maxOutputTokens.default(null),
  topP: fields.topP.default(null),
  instructions: fields.instructions.default(''),
  personality: personalityInput.default({ traits: [] }),
  tools: fields.tools.default([]),
  approvalTools: fields.approvalTools.default([]),
  memory: z
    .strictObject({ historyLength: historyLength.default(20), contextBudget: contextBudget.default(null) })
    .default(DEFAULT_MEMORY),
  limits: z
    .strictObject({
      maxSteps: maxSteps.default(10),
      timeoutSeconds: timeoutSeconds.default(300),
      actionsPerMinute: perMinute.default(null),
      actionsPerHour: perHour.default(null),
      monthlyBudgetMicros: budget.default(null),
    })
    .default(DEFAULT_LIMITS),
  tags: fields.tags.default([]),
  status: fields.status.default('active'),
};

/**
 * Body of `POST /agents`. Defaults: description/role/instructions '', personality {traits: []},
 * tools/tags/fallbackModels [], temperature/maxOutputTokens/topP null (provider default),
 * memory {historyLength: 20, contextBudget: null}, limits {maxSteps: 10, timeoutSeconds: 300,
 * rates and budget null = unlimited}, status 'active'.
 */
export const createAgentSchema = z.strictObject(createShape).meta({ id: 'CreateAgent' });
export type CreateAgentInput = z.output<typeof createAgentSchema>;

/** A draft for `POST /agents/prompt-preview`: the create body with name and model optional. */
export const agentDraftSchema = z
  .strictObject({ ...createShape, name: fields.name.optional(), model: fields.model.optional() })
  .meta({ id: 'AgentDraft' });
export type AgentDraft = z.output<typeof agentDraftSchema>;

/**
 * Body of `PATCH /agents/:id`: every field optional; personality, memory and limits merge key by
 * key into the current values; `null` clears a nullable field (personality texts included).
 */
export const updateAgentSchema = z
  .strictObject({
    name: fields.name.optional(),
    description: fields.description.optional(),
    role: fields.role.optional(),
    model: fields.model.optional(),
    fallbackModels: fields.fallbackModels.optional(),
    temperature: fields.temperature.optional(),
    maxOutputTokens: fields.maxOutputTokens.optional(),
    topP: fields.topP.optional(),
    instructions: fields.instructions.optional(),
    personality: z
      .strictObject({
        traits: traits.optional(),
        tone: personalityText.nullable().optional(),
        behavior: personalityText.nullable().optional(),
        languageStyle: personalityText.nullable().optional(),
      })
      .optional(),
    tools: fields.tools.optional(),
    approvalTools: fields.approvalTools.optional(),
    memory: z.strictObject({ historyLength: historyLength.optional(), contextBudget: contextBudget.optional() }).optional(),
    limits: z
      .strictObject({
        maxSteps: maxSteps.optional(),
        timeoutSeconds: timeoutSeconds.optional(),
        actionsPerMinute: perMinute.optional(),
        actionsPerHour: perHour.optional(),
        monthlyBudgetMicros: budget.optional(),
      })
      .optional(),
    tags: fields.tags.optional(),
    status: fields.status.optional(),
    changeNote: z.string().trim().max(500).optional().describe('Stored with the new version'),
    expectedVersion: z.number().int().min(1).optional().describe('Fail with 409 version_conflict unless the agent is at this version'),
  })
  .meta({ id: 'UpdateAgent' });
export type UpdateAgentInput = z.output<typeof updateAgentSchema>;

/** An agent's configuration: what every version stores and what a version restore brings back. */
export const agentSnapshotSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    role: z.string(),
    model: z.string(),
    fallbackModels: z.array(z.string()),
    temperature: z.number().nullable(),
    maxOutputTokens: z.number().int().nullable(),
    topP: z.number().nullable(),
    instructions: z.string(),
    personality: z.object({
      traits: z.array(z.string()),
      tone: z.string().optional(),
      behavior: z.string().optional(),
      languageStyle: z.string().optional(),
    }),
    tools: z.array(z.string()),
    approvalTools: z.array(z.string()),
    memory: z.object({ historyLength: z.number().int(), contextBudget: z.number().int().nullable() }),
    limits: z.object({
      maxSteps: z.number().int(),
      timeoutSeconds: z.number().int(),
      actionsPerMinute: z.number().int().nullable().describe(perMinute.description!),
      actionsPerHour: z.number().int().nullable().describe(perHour.description!),
      monthlyBudgetMicros: z.number().int().nullable(),
    }),
    tags: z.array(z.string()),
    status: agentStatusSchema,
  })
  .meta({ id: 'AgentSnapshot' });
export type AgentSnapshot = z.output<typeof agentSnapshotSchema>;

const isoTime = z.iso.datetime();

export const agentSchema = agentSnapshotSchema
  .extend({
    id: z.uuid(),
    orgId: z.uuid(),
    version: z.number().int().describe('Counts from 1; bumped by every configuration change'),
    executionCount: z.number().int(),
    createdBy: z.uuid().nullable().describe('User who created it; null when an API key did'),
    createdAt: isoTime,
    updatedAt: isoTime,
    deletedAt: isoTime.nullable().describe('Set when soft-deleted'),
  })
  .meta({ id: 'Agent' });
export type Agent = z.output<typeof agentSchema>;

export const agentVersionSummarySchema = z
  .object({
    version: z.number().int(),
    changeNote: z.string(),
    changedBy: z.uuid().nullable(),
    createdAt: isoTime,
    changedFields: z.array(z.string()).describe('Dotted paths changed since the previous version; empty for version 1'),
  })
  .meta({ id: 'AgentVersionSummary' });
export type AgentVersionSummary = z.output<typeof agentVersionSummarySchema>;

export const agentVersionSchema = agentVersionSummarySchema
  .extend({ snapshot: agentSnapshotSchema })
  .meta({ id: 'AgentVersion' });
export type AgentVersion = z.output<typeof agentVersionSchema>;

export const fieldChangeSchema = z.object({
  field: z.string().describe('Dotted path, e.g. `limits.maxSteps`'),
  from: z.unknown(),
  to: z.unknown(),
});
export type FieldChange = z.output<typeof fieldChangeSchema>;

export const versionComparisonSchema = z
  .object({ from: z.number().int(), to: z.number().int(), changes: z.array(fieldChangeSchema) })
  .meta({ id: 'AgentVersionComparison' });
export type VersionComparison = z.output<typeof versionComparisonSchema>;

export const systemPromptSchema = z
  .object({
    systemPrompt: z.string(),
    sections: z.array(z.object({ name: z.string().describe('identity | instructions | personality'), text: z.string() })),
  })
  .meta({ id: 'AgentSystemPrompt' });

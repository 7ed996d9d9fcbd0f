import { z } from 'zod';
import { taskTypeName } from '../shared/task-type.js';
import { agentSchema, createAgentSchema, TOOL_NAME } from './dto.js';

/**
 * Agent templates: the shape of a template file (`src/packs/<pack>/templates/<id>.yaml`, checked
 * at start-up by templates.ts) and the wire shapes of `/agent-templates`. Pure (zod and pure
 * files only): shared with the dashboard.
 */

const toolName = z.string().regex(TOOL_NAME, 'must be a tool name: lowercase letters, digits and _, starting with a letter');
const modelRef = createAgentSchema.shape.model;

/** A task type a template answers by default, with what every run of that type is told besides its input. */
export const templateTaskTypeSchema = z.strictObject({
  type: taskTypeName,
  description: z.string().trim().max(500).default(''),
  instruction: z.string().trim().max(4000).default('').describe("Added to every run's task of this type, after the task type line"),
});

/** A template file. `id` is the file's name without `.yaml`; `pack` its pack's folder. */
export const templateFileSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be kebab-case: lowercase letters and digits joined by -').max(64),
    name: z.string().trim().min(1).max(100),
    pack: z.string().regex(/^[a-z][a-z0-9-]*$/).max(50),
    category: z.string().trim().min(1).max(60),
    description: z.string().trim().min(1).max(2000),
    role: z.string().trim().min(1).max(200),
    personality: z.strictObject({
      traits: z.array(z.string().trim().min(1).max(100)).max(20).default([]),
      tone: z.string().trim().max(2000).optional(),
      behavior: z.string().trim().max(2000).optional(),
      languageStyle: z.string().trim().max(2000).optional(),
    }),
    systemPrompt: z.string().trim().min(200, 'a real prompt: at least 200 characters').max(50_000),
    recommendedModel: modelRef,
    /** Other models the gallery offers besides the recommended one. */
    alternativeModels: z.array(modelRef).max(10).default([]),
    temperature: z.number().min(0).max(2).nullable().default(null),
    tools: z.array(toolName).max(50),
    approvalTools: z.array(toolName).max(50).default([]),
    taskTypes: z.array(templateTaskTypeSchema).max(20).default([]),
    tags: z.array(z.string().trim().min(1).max(50)).max(20).default([]),
    limits: z.strictObject({ maxSteps: z.number().int().min(1).max(200).optional(), timeoutSeconds: z.number().int().min(1).max(86_400).optional() }).default({}),
  })
  .superRefine((t, ctx) => {
    t.approvalTools.forEach((name, i) => {
      if (!t.tools.includes(name)) ctx.addIssue({ code: 'custom', path: ['approvalTools', i], message: `${name} is not in tools` });
    });
    const seen = new Set<string>();
    t.taskTypes.forEach((tt, i) => {
      if (seen.has(tt.type)) ctx.addIssue({ code: 'custom', path: ['taskTypes', i, 'type'], message: `${tt.type} is listed twice` });
      seen.add(tt.type);
    });
  });
export type TemplateFile = z.output<typeof templateFileSchema>;

/** A template as `GET /agent-templates` shows it. */
export const agentTemplateSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    pack: z.string(),
    category: z.string(),
    description: z.string(),
    role: z.string(),
    personality: z.object({ traits: z.array(z.string()), tone: z.string().optional(), behavior: z.string().optional(), languageStyle: z.string().optional() }),
    systemPrompt: z.string(),
    recommendedModel: z.string(),
    models: z.array(z.string()).describe('The recommended model first, then the alternatives'),
    temperature: z.number().nullable(),
    tools: z.array(z.string()),
    approvalTools: z.array(z.string()),
    missingTools: z.array(z.string()).describe('Tools the template names that this server does not have: installing skips them'),
    taskTypes: z.array(z.object({ type: z.string(), description: z.string(), instruction: z.string() })),
    tags: z.array(z.string()),
    limits: z.object({ maxSteps: z.number().int().optional(), timeoutSeconds: z.number().int().optional() }),
  })
  .meta({ id: 'AgentTemplate' });
export type AgentTemplate = z.output<typeof agentTemplateSchema>;

export const templateListQuery = z.object({
  pack: z.string().trim().max(50).optional().describe('Only this pack’s templates (e.g. `fitness`)'),
  tag: z.string().trim().max(50).optional().describe('Only templates with this tag (any case)'),
  q: z.string().trim().max(200).optional().describe('Words that must each appear in the name, description, role, category or tags'),
});

/** Body of `POST /agent-templates/:id/install`. */
export const installTemplateBody = z
  .strictObject({
    name: createAgentSchema.shape.name.optional().describe("The new agent's name (default: the template's); names are unique in an organization"),
    model: modelRef.optional().describe('Instead of the recommended model'),
  })
  .meta({ id: 'InstallTemplate' });
export type InstallTemplateInput = z.output<typeof installTemplateBody>;

export const installResultSchema = z
  .object({
    agent: agentSchema,
    template: z.string(),
    skippedTools: z.array(
      z.object({ name: z.string(), reason: z.enum(['unknown_tool', 'not_grantable']), message: z.string() }),
    ).describe('Tools of the template the agent did not get: not on this server, or not yours to grant'),
    taskTypes: z.array(
      z.object({
        type: z.string(),
        status: z.enum(['mapped', 'already_mapped']).describe('mapped: now answered by the new agent; already_mapped: another agent keeps it'),
        agentId: z.uuid(),
      }),
    ),
  })
  .meta({ id: 'InstalledTemplate' });
export type InstallResult = z.output<typeof installResultSchema>;

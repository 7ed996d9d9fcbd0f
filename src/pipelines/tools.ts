import { z } from 'zod';
import { AppError } from '../shared/errors.js';
import { STAFF_ROLE_HINT, STAFF_ROLE_RE } from '../staff/enums.js';
import { defineTool, type ToolContext, type ToolDefinition } from '../tools/define.js';
import { ToolError, type ToolErrorCode } from '../tools/errors.js';
import { pipelineContextSchema } from './dto.js';
import { MAX_PRIORITY, MIN_PRIORITY } from './enums.js';
import type { ItemResult, PipelineItemService } from './items.js';
import type { ItemActor } from './schema.js';
import type { PipelineService } from './service.js';

/**
 * The pipelines' tools (docs/pipelines.md "Tools"): a decision's "assign to a pipeline stage"
 * action is `pipeline_assign`; agents also move items and read the pipelines and staff.
 */

const staffOut = z.object({ id: z.string(), name: z.string(), email: z.string().nullable(), userId: z.string().nullable() }).nullable();

const agentActor = (ctx: ToolContext): ItemActor => ({ kind: 'agent', id: ctx.agentId });

/** A service's 4xx as a tool failure the model can act on (the message names the choices). */
async function asTool<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AppError && err.status < 500) {
      const code: ToolErrorCode = err.status === 404 ? 'not_found' : err.status === 409 ? 'conflict' : 'invalid_arguments';
      throw new ToolError(err.message, code, err.errors?.map((e) => ({ path: e.path.replace(/^body\./, 'input.'), message: e.message })));
    }
    throw err;
  }
}

const assignOutput = (r: ItemResult) => ({
  itemId: r.item.id,
  pipelineId: r.pipeline.id,
  pipelineName: r.pipeline.name,
  stageId: r.stage.id,
  stageName: r.stage.name,
  assignee: r.item.assignee,
  created: r.created,
});

export function pipelineTools(pipelines: PipelineService, items: PipelineItemService): ToolDefinition[] {
  const pipelineAssign = defineTool({
    name: 'pipeline_assign',
    category: 'automation',
    description:
      'Puts an item (an intake, a lead, a request) into one of the organization’s pipelines, in a stage (default: its first open stage), with an assignee chosen by the pipeline’s rule (role, least load or round robin, within capacity) unless assigneeId or assigneeRole says otherwise. Returns the item id, pipeline, stage and assignee.',
    inputSchema: z.object({
      pipeline: z.string().trim().min(1).max(200).describe('The pipeline’s id or name (case-insensitive)'),
      stage: z.string().trim().min(1).max(200).optional().describe('The stage’s id or name (default: the first open stage)'),
      title: z.string().trim().min(1).max(300),
      summary: z.string().max(20_000).default(''),
      data: z.record(z.string(), z.unknown()).default({}).describe('Details worth keeping (form fields, the email)'),
      // Lenient, unlike the API's: a contact detail copied from a form (an address a person typed
      // as "ann@shop") must not make the assignment fail; it is shown, never mailed from here.
      contact: z
        .object({ name: z.string().trim().max(200).optional(), email: z.string().trim().max(254).optional(), phone: z.string().trim().max(50).optional() })
        .default({})
        .describe('Who the item is about: name, email, phone'),
      priority: z.number().int().min(MIN_PRIORITY).max(MAX_PRIORITY).default(3).describe('1 (low) to 5 (urgent)'),
      assigneeId: z.uuid().optional().describe('A staff member to assign (wins over the rule)'),
      assigneeRole: z.string().trim().toLowerCase().regex(STAFF_ROLE_RE, STAFF_ROLE_HINT).optional().describe('Choose among staff with this job role instead of the pipeline’s'),
      sourceEventId: z.uuid().optional().describe('The event this item comes from'),
    }),
    outputSchema: z.object({ itemId: z.string(), pipelineId: z.string(), pipelineName: z.string(), stageId: z.string(), stageName: z.string(), assignee: staffOut, created: z.boolean() }),
    grantRoles: ['member', 'admin', 'owner'],
    requiresApproval: false,
    idempotent: false,
    // One item per tool call ((run, tool call) is unique), so a call interrupted mid-way is made again.
    keyedByCall: true,
    timeoutMs: 15_000,
    async execute(input, ctx) {
      const call = { runId: ctx.runId, toolCallId: ctx.toolCallId };
      const again = await items.byToolCall(ctx.orgId, call);
      if (again) return assignOutput(again);
      return asTool(async () => {
        const { pipeline, stage } = await items.resolve(ctx.orgId, input.pipeline, input.stage);
        const { pipeline: _p, stage: _s, ...rest } = input;
        return assignOutput(await items.create(ctx.orgId, agentActor(ctx), pipeline.id, { ...rest, stageId: stage.id }, call));
      });
    },
    describe: (input) => `Put "${input.title}" into the pipeline ${input.pipeline}${input.stage ? ` (stage ${input.stage})` : ''}`,
  });

  const pipelineMoveItem = defineTool({
    name: 'pipeline_move_item',
    category: 'automation',
    description: 'Moves a pipeline item to another stage of its pipeline (by stage id or name), optionally reassigning it and noting why. Moving it where it already is changes nothing. Returns the item’s stage and assignee.',
    inputSchema: z.object({
      itemId: z.uuid(),
      stage: z.string().trim().min(1).max(200).describe('The stage’s id or name'),
      assigneeId: z.uuid().optional().describe('Reassign to this staff member'),
      note: z.string().trim().max(2_000).optional().describe('Why (kept in the item’s history)'),
    }),
    outputSchema: z.object({ itemId: z.string(), stageId: z.string(), stageName: z.string(), assignee: staffOut }),
    grantRoles: ['member', 'admin', 'owner'],
    requiresApproval: false,
    // Moving to a stage and an assignee is the same change however often it is made.
    idempotent: true,
    timeoutMs: 15_000,
    async execute(input, ctx) {
      return asTool(async () => {
        const stage = await items.stageOfItem(ctx.orgId, input.itemId, input.stage);
        const moved = await items.update(ctx.orgId, agentActor(ctx), input.itemId, { stageId: stage.id, assigneeId: input.assigneeId, note: input.note });
        return { itemId: moved.id, stageId: moved.stage.id, stageName: moved.stage.name, assignee: moved.assignee };
      });
    },
    describe: (input) => `Move pipeline item ${input.itemId} to ${input.stage}`,
  });

  const pipelineOverview = defineTool({
    name: 'pipeline_overview',
    category: 'automation',
    description: 'Lists the organization’s pipelines (stages, assignment rule) and its active staff (job roles, open items, capacity): what pipeline_assign can choose from.',
    inputSchema: z.object({}),
    outputSchema: pipelineContextSchema,
    grantRoles: ['viewer', 'member', 'admin', 'owner'],
    requiresApproval: false,
    idempotent: true,
    timeoutMs: 10_000,
    execute: (_input, ctx) => pipelines.contextOf(ctx.orgId),
  });

  return [pipelineAssign, pipelineMoveItem, pipelineOverview];
}

import { z } from 'zod';
import { pageQuery } from '../shared/page-schema.js';
import { STAFF_ROLE_HINT, STAFF_ROLE_RE } from '../staff/enums.js';
import { ACTOR_KINDS, ASSIGNMENT_MODES, DEFAULT_PRIORITY, MAX_PRIORITY, MAX_STAGES, MIN_PRIORITY, STAGE_KINDS } from './enums.js';

/** The wire shapes of pipelines, their stages and items (docs/pipelines.md). */

const iso = z.date().transform((d) => d.toISOString());
const isoOrNull = z
  .date()
  .nullable()
  .transform((d) => d?.toISOString() ?? null);

export const assignmentRule = z
  .strictObject({
    mode: z.enum(ASSIGNMENT_MODES).describe('least_load: fewest open items; round_robin: the next in turn; none: nobody'),
    role: z.string().trim().toLowerCase().regex(STAFF_ROLE_RE, STAFF_ROLE_HINT).optional().describe('Candidates hold this job role (default: every active staff member)'),
  })
  .meta({ id: 'AssignmentRule' });

const stageName = z.string().trim().min(1).max(100);
const stageInput = z.strictObject({
  id: z.uuid().optional().describe('An existing stage of this pipeline (rename, reorder); absent: a new stage'),
  name: stageName,
  kind: z.enum(STAGE_KINDS).default('open').describe('open (counts as load), done or lost'),
});
const stages = z
  .array(stageInput)
  .min(1)
  .max(MAX_STAGES)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((s, i) => {
      const key = s.name.toLowerCase();
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `the name "${s.name}" is used twice` });
      seen.add(key);
    });
    const ids = list.map((s) => s.id).filter(Boolean);
    if (new Set(ids).size !== ids.length) ctx.addIssue({ code: 'custom', message: 'a stage id is given twice' });
    if (!list.some((s) => s.kind === 'open')) ctx.addIssue({ code: 'custom', message: 'needs at least one open stage (where new items start)' });
  })
  .describe('The stages in board order: the whole list (stages left out are removed)');

export const createPipelineBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2_000).default(''),
    stages,
    assignment: assignmentRule.default({ mode: 'least_load' }),
  })
  .meta({ id: 'CreatePipeline' });
export type CreatePipelineInput = z.output<typeof createPipelineBody>;

export const updatePipelineBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(2_000).optional(),
    stages: stages.optional(),
    assignment: assignmentRule.optional(),
    archived: z.boolean().optional().describe('Archived pipelines take no new items and leave the decision context'),
  })
  .meta({ id: 'UpdatePipeline' });
export type UpdatePipelineInput = z.output<typeof updatePipelineBody>;

export const stageSchema = z
  .object({ id: z.uuid(), name: z.string(), position: z.number().int(), kind: z.enum(STAGE_KINDS), itemCount: z.number().int().describe("Items in it") })
  .meta({ id: 'PipelineStage' });

export const pipelineSchema = z
  .object({
    id: z.uuid(),
    orgId: z.uuid(),
    name: z.string(),
    description: z.string(),
    assignment: assignmentRule,
    stages: z.array(stageSchema),
    archivedAt: isoOrNull,
    createdAt: iso,
    updatedAt: iso,
  })
  .meta({ id: 'Pipeline' });

export const listPipelinesQuery = z.object({ archived: z.enum(['true', 'false', 'all']).default('false') });

// ---- items ----

export const itemContact = z
  .strictObject({
    name: z.string().trim().max(200).optional(),
    email: z.email().max(254).optional(),
    phone: z.string().trim().max(50).optional(),
  })
  .describe('Who the item is about');
const priority = z.number().int().min(MIN_PRIORITY).max(MAX_PRIORITY).describe('1 (low) to 5 (urgent)');
const data = z.record(z.string(), z.unknown()).describe('Any JSON object (the form fields, the email)');

export const createItemBody = z
  .strictObject({
    stageId: z.uuid().optional().describe('Default: the first open stage'),
    title: z.string().trim().min(1).max(300),
    summary: z.string().max(20_000).default(''),
    data: data.default({}),
    contact: itemContact.default({}),
    priority: priority.default(DEFAULT_PRIORITY),
    assigneeId: z.uuid().nullable().optional().describe('A staff member; absent: the pipeline’s rule chooses; null: nobody'),
    assigneeRole: z.string().trim().toLowerCase().regex(STAFF_ROLE_RE, STAFF_ROLE_HINT).optional().describe('Choose among staff with this role instead of the pipeline’s'),
    sourceEventId: z.uuid().optional().describe('The event it came from'),
  })
  .meta({ id: 'CreatePipelineItem' });
export type CreateItemInput = z.output<typeof createItemBody>;

export const updateItemBody = z
  .strictObject({
    stageId: z.uuid().optional().describe('Move it to this stage of its pipeline'),
    assigneeId: z.uuid().nullable().optional().describe('Assign it (null: unassign)'),
    title: z.string().trim().min(1).max(300).optional(),
    summary: z.string().max(20_000).optional(),
    data: data.optional(),
    contact: itemContact.optional(),
    priority: priority.optional(),
    note: z.string().trim().max(2_000).optional().describe('Kept in the history with a stage or assignee change'),
  })
  .meta({ id: 'UpdatePipelineItem' });
export type UpdateItemInput = z.output<typeof updateItemBody>;

export const staffRefSchema = z
  .object({ id: z.uuid(), name: z.string(), email: z.string().nullable(), userId: z.uuid().nullable() })
  .meta({ id: 'StaffRef' });
const actorSchema = z.object({ kind: z.enum(ACTOR_KINDS), id: z.string().nullable() });

export const itemSchema = z
  .object({
    id: z.uuid(),
    orgId: z.uuid(),
    pipelineId: z.uuid(),
    stageId: z.uuid(),
    title: z.string(),
    summary: z.string(),
    data: z.record(z.string(), z.unknown()),
    contact: z.object({ name: z.string().optional(), email: z.string().optional(), phone: z.string().optional() }),
    priority: z.number().int(),
    assignee: staffRefSchema.nullable(),
    sourceEventId: z.uuid().nullable(),
    createdBy: actorSchema,
    runId: z.uuid().nullable(),
    createdAt: iso,
    updatedAt: iso,
  })
  .meta({ id: 'PipelineItem' });

export const historySchema = z
  .object({
    id: z.uuid(),
    fromStage: z.object({ id: z.uuid(), name: z.string() }).nullable().describe('null: created'),
    toStage: z.object({ id: z.uuid(), name: z.string() }).nullable(),
    fromAssignee: staffRefSchema.nullable(),
    toAssignee: staffRefSchema.nullable(),
    actor: actorSchema,
    note: z.string().nullable(),
    at: iso,
  })
  .meta({ id: 'PipelineItemChange' });

export const itemWithHistorySchema = itemSchema.extend({ pipelineName: z.string(), history: z.array(historySchema) }).meta({ id: 'PipelineItemWithHistory' });

export const listItemsQuery = pageQuery.extend({
  stageId: z.uuid().optional().describe('Only the items in this stage'),
  assigneeId: z.uuid().optional(),
  sortBy: z.enum(['updatedAt', 'createdAt']).default('updatedAt'),
});
export type ListItemsQuery = z.output<typeof listItemsQuery>;

/** What the decision prompt and `pipeline_overview` show (PipelineService.contextOf). */
export const pipelineContextSchema = z
  .object({
    pipelines: z.array(
      z.object({
        id: z.uuid(),
        name: z.string(),
        description: z.string(),
        stages: z.array(z.object({ id: z.uuid(), name: z.string(), kind: z.enum(STAGE_KINDS) })),
        assignment: z.object({ mode: z.enum(ASSIGNMENT_MODES), role: z.string().optional() }),
      }),
    ),
    staff: z.array(
      z.object({
        id: z.uuid(),
        name: z.string(),
        email: z.string().nullable(),
        roles: z.array(z.string()),
        userId: z.uuid().nullable(),
        openItems: z.number().int(),
        capacity: z.number().int().nullable(),
      }),
    ),
  })
  .meta({ id: 'PipelineContext' });
export type PipelineContext = z.output<typeof pipelineContextSchema>;

import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, orgId, ts, updatedAt } from '../db/columns.js';
import { staffMembers } from '../staff/schema.js';
import type { ActorKind, AssignmentMode } from './enums.js';
import { STAGE_KINDS } from './enums.js';

/** How a pipeline picks the assignee of a new item (docs/pipelines.md "Assignment"). */
export interface AssignmentRule {
  mode: AssignmentMode;
  /** Candidates hold this job role; absent: every active staff member. */
  role?: string;
}
export interface ItemActor {
  kind: ActorKind;
  id: string | null;
}
export interface ItemContact {
  name?: string;
  email?: string;
  phone?: string;
}

/**
 * A pipeline (issue 16; docs/pipelines.md): "Sales Inquiries", "Support Requests": ordered stages
 * that items move through, and the rule that picks a new item's assignee.
 */
export const pipelines = pgTable(
  'pipelines',
  {
    id: id(),
    orgId: orgId(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    assignment: jsonb('assignment').$type<AssignmentRule>().notNull().default({ mode: 'least_load' }),
    /** Round robin's place: the staff member it assigned last (the pipeline row is locked while it moves on). */
    lastAssignedStaffId: uuid('last_assigned_staff_id'),
    archivedAt: ts('archived_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('pipelines_org_name').on(t.orgId, sql`lower(${t.name})`)],
);

/** A column of a pipeline, in `position` order; only items in `open` stages count as load. */
export const pipelineStages = pgTable(
  'pipeline_stages',
  {
    id: id(),
    orgId: orgId(),
    pipelineId: uuid('pipeline_id')
      .notNull()
      .references(() => pipelines.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    position: integer('position').notNull(),
    kind: text('kind', { enum: STAGE_KINDS }).notNull().default('open'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('pipeline_stages_pipeline_name').on(t.pipelineId, sql`lower(${t.name})`), index('pipeline_stages_pipeline_idx').on(t.pipelineId, t.position)],
);

/**
 * Work in a pipeline: an intake, a lead, a request; with its contact, priority, assignee and the
 * event it came from. `(run_id, tool_call_id)` is unique: the tool call that created it, made
 * again, answers the same item.
 */
export const pipelineItems = pgTable(
  'pipeline_items',
  {
    id: id(),
    orgId: orgId(),
    pipelineId: uuid('pipeline_id')
      .notNull()
      .references(() => pipelines.id, { onDelete: 'cascade' }),
    stageId: uuid('stage_id')
      .notNull()
      .references(() => pipelineStages.id),
    title: text('title').notNull(),
    summary: text('summary').notNull().default(''),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    contact: jsonb('contact').$type<ItemContact>().notNull().default({}),
    priority: integer('priority').notNull().default(3),
    assigneeStaffId: uuid('assignee_staff_id').references(() => staffMembers.id, { onDelete: 'set null' }),
    /** The event it came from (the events module's; no foreign key: events are pruned). */
    sourceEventId: uuid('source_event_id'),
    createdBy: jsonb('created_by').$type<ItemActor>().notNull(),
    runId: uuid('run_id'),
    toolCallId: text('tool_call_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('pipeline_items_tool_call').on(t.runId, t.toolCallId).where(sql`${t.toolCallId} is not null`),
    index('pipeline_items_stage_idx').on(t.pipelineId, t.stageId, t.updatedAt),
    index('pipeline_items_assignee_idx').on(t.assigneeStaffId).where(sql`${t.assigneeStaffId} is not null`),
    check('pipeline_items_priority', sql`${t.priority} between 1 and 5`),
  ],
);

/** Every change of an item's stage or assignee (and its creation: from null), oldest first. */
export const pipelineItemHistory = pgTable(
  'pipeline_item_history',
  {
    id: id(),
    orgId: orgId(),
    itemId: uuid('item_id')
      .notNull()
      .references(() => pipelineItems.id, { onDelete: 'cascade' }),
    fromStageId: uuid('from_stage_id'),
    toStageId: uuid('to_stage_id'),
    fromAssigneeId: uuid('from_assignee_id'),
    toAssigneeId: uuid('to_assignee_id'),
    actor: jsonb('actor').$type<ItemActor>().notNull(),
    note: text('note'),
    at: ts('at').notNull().defaultNow(),
  },
  (t) => [index('pipeline_item_history_item_idx').on(t.itemId, t.at), index('pipeline_item_history_assignee_idx').on(t.toAssigneeId, t.at).where(sql`${t.toAssigneeId} is not null`)],
);

import { index, integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { agents } from '../agents/schema.js';
import { createdAt, id, orgId, ts, updatedAt } from '../db/columns.js';
import type { RunError } from '../runs/schema.js';
import { TASK_KINDS, TASK_PRIORITIES, TASK_STATUSES } from './enums.js';

export { TASK_KINDS, TASK_PRIORITIES, TASK_STATUSES, type TaskKind, type TaskPriority, type TaskStatus } from './enums.js';

/**
 * Work assigned to an agent: done now (`POST /tasks/:id/execute`), or by its schedule
 * (src/schedules). Each execution is a run with `task_id` and source `task` (`schedule` when
 * its schedule fired it); the task keeps a summary of the latest one (status, result, error) so
 * lists need no join.
 */
export const tasks = pgTable(
  'tasks',
  {
    id: id(),
    orgId: orgId(),
    agentId: uuid('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    instructions: text('instructions').notNull(),
    context: jsonb('context').$type<Record<string, unknown>>().notNull().default({}),
    priority: text('priority', { enum: TASK_PRIORITIES }).notNull().default('normal'),
    kind: text('kind', { enum: TASK_KINDS }).notNull().default('adhoc'),
    status: text('status', { enum: TASK_STATUSES }).notNull().default('idle'),
    runCount: integer('run_count').notNull().default(0),
    lastRunId: uuid('last_run_id'),
    lastRunAt: ts('last_run_at'),
    lastResult: text('last_result'),
    lastError: jsonb('last_error').$type<RunError>(),
    createdBy: uuid('created_by'),
    /** Set when an agent created the task (schedule_follow_up). */
    createdByRunId: uuid('created_by_run_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('tasks_org_created_idx').on(t.orgId, t.createdAt),
    index('tasks_org_agent_idx').on(t.orgId, t.agentId),
  ],
);

export type TaskRow = typeof tasks.$inferSelect;

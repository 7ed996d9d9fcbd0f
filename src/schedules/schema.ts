import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, orgId, ts, updatedAt } from '../db/columns.js';
import { tasks } from '../tasks/schema.js';
import { workflows } from '../workflows/schema.js';
import { MISFIRE_POLICIES } from './enums.js';

export { MISFIRE_POLICIES, type MisfirePolicy } from './enums.js';

/**
 * When a scheduled task runs: a cron expression (5 or 6 fields) in an IANA time zone, or once at
 * `onceAt` (a follow-up an agent scheduled). `nextFireAt` is the next fire time (null when paused
 * or when a one-off has fired); the scheduler leader fires every schedule whose time has come.
 */
export const schedules = pgTable(
  'schedules',
  {
    id: id(),
    orgId: orgId(),
    /** The task it runs; or, for a workflow's schedule trigger, null and `workflowId` set. */
    taskId: uuid('task_id').references(() => tasks.id, { onDelete: 'cascade' }),
    /** The workflow whose schedule trigger this is (its current version runs at each fire; issue 15). */
    workflowId: uuid('workflow_id').references(() => workflows.id, { onDelete: 'cascade' }),
    cron: text('cron'),
    timezone: text('timezone').notNull().default('UTC'),
    onceAt: ts('once_at'),
    paused: boolean('paused').notNull().default(false),
    /** After downtime: `skip` the missed fires, or `run_once` for all of them together. */
    misfire: text('misfire', { enum: MISFIRE_POLICIES }).notNull().default('run_once'),
    nextFireAt: ts('next_fire_at'),
    lastFireAt: ts('last_fire_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('schedules_task_key').on(t.taskId),
    uniqueIndex('schedules_workflow_key').on(t.workflowId),
    check('schedules_task_or_workflow', sql`${t.taskId} is not null or ${t.workflowId} is not null`),
    index('schedules_due_idx').on(t.nextFireAt).where(sql`next_fire_at is not null and not paused`),
  ],
);

/**
 * One row per schedule and fire time: the primary key is what makes a fire happen exactly once,
 * even when two scheduler processes both think they lead.
 */
export const scheduleFires = pgTable(
  'schedule_fires',
  {
    orgId: orgId(),
    scheduleId: uuid('schedule_id')
      .notNull()
      .references(() => schedules.id, { onDelete: 'cascade' }),
    fireAt: ts('fire_at').notNull(),
    runId: uuid('run_id'),
    /** How late the fire was, in ms (the scheduler's fire delay). */
    delayMs: integer('delay_ms'),
    /** fired | skipped (a misfire skipped, or the agent was paused) | failed | budget_exceeded (no run: a monthly budget was used up) */
    outcome: text('outcome').notNull().default('fired'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.scheduleId, t.fireAt] })],
);

/** An organization whose scheduler was stopped (`POST /scheduler/stop`): its schedules do not fire until started. */
export const schedulerStops = pgTable('scheduler_stops', {
  orgId: orgId().primaryKey(),
  stoppedAt: ts('stopped_at').notNull().defaultNow(),
  stoppedBy: uuid('stopped_by'),
});

/**
 * The scheduler leader's lease (src/schedules/leader.ts, decision 39): one install-wide row (no
 * org_id, so troupe_app cannot see it; the scheduler reaches it through database.system()). The
 * leader renews `expiresAt` in every pass, in the transaction that claims fires; a follower takes
 * the row over once `expiresAt` has passed. The status API shows the holder while it is unexpired.
 */
export const schedulerLeader = pgTable('scheduler_leader', {
  id: integer('id').primaryKey().default(1),
  holder: text('holder').notNull(),
  since: ts('since').notNull().defaultNow(),
  heartbeatAt: ts('heartbeat_at').notNull().defaultNow(),
  expiresAt: ts('expires_at').notNull().defaultNow(),
});

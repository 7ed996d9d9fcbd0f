import { sql } from 'drizzle-orm';
import { timestampSort, type KeysetSort } from '../shared/keyset.js';
import { describeSpec } from './cron.js';
import { schedules, type MisfirePolicy } from './schema.js';

export type ScheduleRow = typeof schedules.$inferSelect;

/** A schedule as services and the API show it. */
export interface ScheduleView {
  id: string;
  /** The task it runs; null for a workflow's schedule trigger. */
  taskId: string | null;
  /** The workflow whose schedule trigger it is; null for a task's. */
  workflowId: string | null;
  /** Set for a repeating schedule; null for a one-off. */
  cron: string | null;
  timezone: string;
  /** Set for a one-off; null for a repeating schedule. */
  onceAt: Date | null;
  paused: boolean;
  misfire: MisfirePolicy;
  /** Null when paused, or when a one-off has fired. */
  nextFireAt: Date | null;
  lastFireAt: Date | null;
  /** The timing in words ("At 09:00, Monday through Friday"). */
  description: string;
  createdAt: Date;
  updatedAt: Date;
}

export const scheduleView = (r: ScheduleRow): ScheduleView => ({
  id: r.id,
  taskId: r.taskId,
  workflowId: r.workflowId,
  cron: r.cron,
  timezone: r.timezone,
  onceAt: r.onceAt,
  paused: r.paused,
  misfire: r.misfire,
  nextFireAt: r.nextFireAt,
  lastFireAt: r.lastFireAt,
  description: describeSpec(r),
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

const ISO = timestampSort(schedules.nextFireAt);
/**
 * Soonest fire first; schedules that will not fire (paused, one-off done) sort as if their next
 * fire were at infinity, so they come last ascending and first descending, and still page.
 */
export const nextFireSort: KeysetSort = {
  expr: sql`coalesce(${schedules.nextFireAt}, 'infinity'::timestamptz)`,
  key: sql<string>`coalesce(to_char(${schedules.nextFireAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), 'infinity')`,
  param: (v) => (v === 'infinity' ? sql`'infinity'::timestamptz` : ISO.param(v)),
};

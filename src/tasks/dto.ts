import { z } from 'zod';
import { scheduleSchema } from '../schedules/dto.js';
import { MISFIRE_POLICIES } from '../schedules/enums.js';
import { pageQuery } from '../shared/page-schema.js';
import { TASK_KINDS, TASK_PRIORITIES, TASK_STATUSES } from './enums.js';

const iso = z.date().transform((d) => d.toISOString()).pipe(z.string());
const isoOrNull = z.date().nullable().transform((d) => d?.toISOString() ?? null).pipe(z.string().nullable());
const jsonObject = z.record(z.string(), z.unknown());

/** 5 or 6 fields (seconds first), an IANA zone; or one time. */
export const scheduleBody = z
  .object({
    cron: z.string().trim().min(1).max(200).optional().describe('Cron expression, 5 fields (minute first) or 6 (second first)'),
    timezone: z.string().trim().min(1).max(100).optional().describe('IANA time zone, default UTC'),
    onceAt: z.iso.datetime({ offset: true }).optional().describe('Run once at this time instead of a cron expression'),
    misfire: z.enum(MISFIRE_POLICIES).optional().describe('After downtime: skip missed fires, or run once for them (default)'),
    paused: z.boolean().optional(),
  })
  .refine((s) => (s.cron === undefined) !== (s.onceAt === undefined), { message: 'give exactly one of cron or onceAt', path: ['cron'] });
export type ScheduleBody = z.infer<typeof scheduleBody>;

export const createTaskBody = z.object({
  agentId: z.uuid(),
  title: z.string().trim().min(1).max(200),
  instructions: z.string().trim().min(1).max(100_000).describe('What the agent should do'),
  context: jsonObject.optional().describe('Data the agent gets with the task'),
  priority: z.enum(TASK_PRIORITIES).default('normal'),
  schedule: scheduleBody.optional().describe('Makes it a scheduled task'),
});
export type CreateTaskBody = z.infer<typeof createTaskBody>;

export const updateTaskBody = z.object({
  agentId: z.uuid().optional(),
  title: z.string().trim().min(1).max(200).optional(),
  instructions: z.string().trim().min(1).max(100_000).optional(),
  context: jsonObject.optional(),
  priority: z.enum(TASK_PRIORITIES).optional(),
  schedule: scheduleBody.nullable().optional().describe('null removes the schedule (the task becomes ad-hoc)'),
});
export type UpdateTaskBody = z.infer<typeof updateTaskBody>;

export const TASK_SORTS = ['createdAt', 'updatedAt', 'priority', 'title'] as const;
export const listTasksQuery = pageQuery.extend({
  agentId: z.uuid().optional(),
  status: z.enum(TASK_STATUSES).optional(),
  kind: z.enum(TASK_KINDS).optional(),
  priority: z.enum(TASK_PRIORITIES).optional(),
  sortBy: z.enum(TASK_SORTS).default('createdAt'),
});
export type ListTasksQuery = z.infer<typeof listTasksQuery>;

const runErrorSchema = z.object({ code: z.string(), category: z.enum(['user', 'system', 'third_party']), message: z.string(), details: jsonObject.optional() });

export const taskSchema = z
  .object({
    id: z.uuid(),
    agentId: z.uuid(),
    title: z.string(),
    instructions: z.string(),
    context: jsonObject,
    priority: z.enum(TASK_PRIORITIES),
    kind: z.enum(TASK_KINDS),
    status: z.enum(TASK_STATUSES).describe("Its latest execution's state; idle before the first"),
    runCount: z.number().int(),
    lastRunId: z.uuid().nullable(),
    lastRunAt: isoOrNull,
    lastResult: z.string().nullable().describe("The latest execution's answer"),
    lastError: runErrorSchema.nullable(),
    nextRunAt: isoOrNull.describe('Next fire of its schedule; null for ad-hoc or paused tasks'),
    schedule: scheduleSchema.nullable(),
    createdBy: z.uuid().nullable(),
    createdByRunId: z.uuid().nullable().describe('Set when an agent created it (schedule_follow_up)'),
    createdAt: iso,
    updatedAt: iso,
  })
  .meta({ id: 'Task' });

export const taskStatsSchema = z.object({
  total: z.number().int(),
  idle: z.number().int(),
  queued: z.number().int(),
  running: z.number().int().describe('Running or waiting for an approval'),
  completed: z.number().int(),
  failed: z.number().int(),
  canceled: z.number().int(),
  scheduled: z.number().int().describe('Tasks with a schedule'),
});

import { z } from 'zod';
import { problemResponses } from '../http/problem-schema.js';
import { pageQuery } from '../shared/page-schema.js';
import { MISFIRE_POLICIES } from './enums.js';

/** The schedules API's wire shapes. Dates leave as ISO strings. */
export const errors = problemResponses;
/** Plain strings, so a malformed id answers 404 like an unknown one (uuidOr404 in the handler). */
export const idParams = z.object({ id: z.string().max(100) });

const isoDate = z.date().transform((d) => d.toISOString()).pipe(z.string());
const isoDateOrNull = z.date().nullable().transform((d) => d?.toISOString() ?? null).pipe(z.string().nullable());

export const validateBody = z.object({
  cron: z.string().max(200).describe('5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first), or a nickname such as @daily'),
  timezone: z.string().max(100).default('UTC').describe('IANA time zone, e.g. Europe/Berlin'),
});

export const cronCheckSchema = z
  .object({
    valid: z.literal(true),
    description: z.string().describe('The expression in words'),
    timezone: z.string(),
    next: z.array(isoDate).describe('The next five fire times'),
  })
  .meta({ id: 'CronValidation' });

export const scheduleSchema = z
  .object({
    id: z.uuid(),
    taskId: z.uuid().nullable().describe('The task it runs; null for a workflow schedule trigger'),
    workflowId: z.uuid().nullable().describe('The workflow whose schedule trigger it is (its current version runs); null for a task'),
    cron: z.string().nullable().describe('Set for a repeating schedule'),
    timezone: z.string(),
    onceAt: isoDateOrNull.describe('Set for a one-off'),
    paused: z.boolean(),
    misfire: z.enum(MISFIRE_POLICIES).describe('After downtime or a stop: skip the missed fires, or run once for all of them'),
    nextFireAt: isoDateOrNull.describe('null while paused, or when a one-off has fired'),
    lastFireAt: isoDateOrNull,
    description: z.string(),
    createdAt: isoDate,
    updatedAt: isoDate,
  })
  .meta({ id: 'Schedule' });

/** Soonest next fire first by default, unlike the newest-first lists. */
export const listSchedulesQuery = pageQuery.extend({
  paused: z.stringbool().optional().describe('true: only paused ones; false: only active ones'),
  taskId: z.uuid().optional(),
  sortOrder: z.enum(['asc', 'desc']).default('asc'),
});

const delayFigures = z.object({
  count: z.number().int(),
  medianMs: z.number().nullable(),
  p95Ms: z.number().nullable(),
  maxMs: z.number().nullable(),
  lastMs: z.number().nullable(),
});

/** What the scheduler of the process that answered knows (its fire delays are only in memory). */
const processSchema = z.object({
  holder: z.string().nullable().describe("This process's hostname:pid; null unless you are an instance operator"),
  started: z.boolean(),
  leader: z.boolean().describe('Whether this process currently leads'),
  fireDelays: delayFigures.describe('The last 100 on-time fires of this process, fire time to start (ms)'),
});

export const schedulerStatusSchema = z
  .object({
    running: z.boolean().describe("false while this organization's scheduler is stopped"),
    stoppedAt: isoDateOrNull,
    leader: z
      .object({
        holder: z.string().nullable().describe("The leading process's hostname:pid; null unless you are an instance operator"),
        since: isoDate,
        heartbeatAt: isoDate.describe('Its last lease renewal (every pass, at least every 500 ms)'),
        expiresAt: isoDate.describe('When its lease lapses unless renewed; then another scheduler process takes over'),
      })
      .nullable()
      .describe('The holder of the scheduler lease; null: no process leads right now'),
    nextFires: z.array(z.object({ scheduleId: z.uuid(), taskId: z.uuid().nullable(), workflowId: z.uuid().nullable(), at: isoDate })).describe('The next 10 fires across the schedules'),
    process: processSchema.nullable().describe('null when this process runs no scheduler'),
  })
  .meta({ id: 'SchedulerStatus' });

export const checkResultSchema = z
  .object({
    ran: z.boolean().describe('Whether a pass ran in this process (only the leader fires)'),
    leader: z.boolean(),
    fired: z.number().int().describe('Schedules fired by the pass, across all organizations'),
    detail: z.string(),
  })
  .meta({ id: 'SchedulerCheck' });

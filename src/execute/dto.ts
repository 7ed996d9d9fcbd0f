import { z } from 'zod';
import { RUN_STATUSES } from '../runs/enums.js';
import { taskTypeName } from '../shared/task-type.js';

// Pure schema file (zod and pure files only): shared with the dashboard. Routes are in routes.ts.

const iso = z.date().transform((d) => d.toISOString()).pipe(z.string());
const isoOrNull = z.date().nullable().transform((d) => d?.toISOString() ?? null).pipe(z.string().nullable());

/** One mapping of `GET /task-types`. */
export const taskTypeRouteSchema = z
  .object({
    taskType: z.string(),
    agentId: z.uuid(),
    agentName: z.string().nullable().describe('null when the agent no longer exists'),
    agentState: z.enum(['active', 'paused', 'deleted']).describe('paused or deleted: POST /execute of this type answers 409'),
    instruction: z.string().describe("Added to every run's task of this type"),
    createdAt: iso,
    updatedAt: iso,
  })
  .meta({ id: 'TaskTypeRoute' });
/** As the service returns it (times as Dates; the response schema writes them as ISO 8601). */
export type TaskTypeRouteView = z.input<typeof taskTypeRouteSchema>;

export const taskTypeParams = z.object({ type: z.string().max(100).describe('The task type, snake_case') });

/** Body of `PUT /task-types/:type`. */
export const setTaskTypeBody = z
  .strictObject({
    agentId: z.uuid().describe('The agent that answers this task type'),
    instruction: z.string().trim().max(4000).optional().describe("Added to every run's task of this type (kept when omitted; '' clears it)"),
  })
  .meta({ id: 'SetTaskType' });

/**
 * Body of `POST /execute`: the fitness orchestrator seed's shape, snake_case (a CRM calls it as it
 * called that service; decision 62).
 */
export const executeTaskBody = z
  .strictObject({
    task_type: taskTypeName,
    input_data: z.record(z.string(), z.unknown()).default({}).describe('Anything the agent should work from; sent to it as JSON'),
    wait: z.boolean().default(true).describe('Wait for the result (at most TROUPE_RUN_WAIT_SECONDS); false: answer 202 with the run at once'),
  })
  .meta({ id: 'ExecuteTask' });
export type ExecuteTaskInput = z.output<typeof executeTaskBody>;

/** The answer of `POST /execute` and its aliases: 200 when the run rested, 202 (poll `poll_url`) while it runs. */
export const executeResultSchema = z
  .object({
    status: z.enum(RUN_STATUSES),
    task_type: z.string(),
    run_id: z.uuid(),
    agent_id: z.uuid(),
    result: z.string().nullable().describe("The agent's answer (null until the run succeeded)"),
    result_data: z.unknown().optional().describe('The answer parsed, when it is JSON (a bare object or array, or one ```json block)'),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    usage: z.object({
      input_tokens: z.number().int(),
      output_tokens: z.number().int(),
      cached_input_tokens: z.number().int(),
      billed_micros: z.number().int().describe('Billed cost in micro-dollars (1 USD = 1,000,000)'),
    }),
    poll_url: z.string().describe('GET this for the run (status, output, steps under /steps)'),
    created_at: iso,
    finished_at: isoOrNull,
  })
  .meta({ id: 'ExecuteResult' });

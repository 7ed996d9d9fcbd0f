import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { actorOf } from '../http/access.js';
import { problemResponses, problemSchema } from '../http/problem.js';
import type { RunRow } from '../runs/store.js';
import { AppError } from '../shared/errors.js';
import { executeResultSchema, executeTaskBody, setTaskTypeBody, taskTypeParams, taskTypeRouteSchema } from './dto.js';
import { resultData, taskText } from './task-text.js';

const tags = ['task types'];
const idempotencyHeaders = z.object({ 'idempotency-key': z.string().min(1).max(200).optional() });
const executeResponses = { 200: executeResultSchema, 202: executeResultSchema, ...problemResponses, 402: problemSchema };

/**
 * The fitness orchestrator seed's endpoints, as thin aliases of `POST /execute`: the body is the
 * task's `input_data`; `?wait=false` answers 202 at once.
 */
export const EXECUTE_ALIASES = [
  { path: '/ai/workout-recommendations', taskType: 'workout_optimization', summary: 'A workout plan (task type workout_optimization)' },
  { path: '/ai/progress-prediction', taskType: 'progress_monitoring', summary: 'Progress and goal-date predictions (task type progress_monitoring)' },
  { path: '/ai/scheduling-suggestions', taskType: 'scheduling_optimization', summary: 'Scheduling suggestions (task type scheduling_optimization)' },
] as const;

const RESTING = new Set(['succeeded', 'failed', 'canceled', 'waiting_approval']);

/** A run as `POST /execute` answers it (the seed's snake_case; decision 62). */
function resultOf(run: RunRow, taskType: string) {
  const data = run.status === 'succeeded' ? resultData(run.output) : undefined;
  return {
    status: run.status,
    task_type: taskType,
    run_id: run.id,
    agent_id: run.agentId,
    result: run.status === 'succeeded' ? run.output : null,
    ...(data === undefined ? {} : { result_data: data }),
    error: run.error ? { code: run.error.code, message: run.error.message } : null,
    usage: { input_tokens: run.inputTokens, output_tokens: run.outputTokens, cached_input_tokens: run.cachedInputTokens, billed_micros: run.billedMicros },
    poll_url: `/api/v1/runs/${run.id}`,
    created_at: run.createdAt,
    finished_at: run.finishedAt,
  };
}

/**
 * Task types (`/task-types`: which agent answers each) and `POST /execute {task_type,
 * input_data}`, which runs that agent through the same path as `POST /agents/:id/execute`
 * (idempotency, budgets, the audit entry, the agent's rate and limits).
 */
export function registerExecuteRoutes(app: FastifyInstance, ctx: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const taskTypes = () => ctx.services.taskTypes;

  r.get(
    '/task-types',
    { config: { access: 'viewer' }, schema: { tags, summary: 'Task types and the agent that answers each', response: { 200: z.object({ items: z.array(taskTypeRouteSchema) }), ...problemResponses } } },
    async (req) => ({ items: await taskTypes().list(actorOf(req)) }),
  );

  r.put(
    '/task-types/:type',
    {
      config: { access: 'admin', audit: { action: 'task_type.mapped', targetType: 'task_type' } },
      schema: { tags, summary: 'Map a task type to an agent (creates or changes the mapping)', params: taskTypeParams, body: setTaskTypeBody, response: { 200: taskTypeRouteSchema, ...problemResponses } },
    },
    async (req) => taskTypes().set(actorOf(req), req.params.type, req.body),
  );

  r.delete(
    '/task-types/:type',
    {
      config: { access: 'admin', audit: { action: 'task_type.unmapped', targetType: 'task_type' } },
      schema: { tags, summary: 'Remove a task type', params: taskTypeParams, response: { 204: z.null(), ...problemResponses } },
    },
    async (req, reply) => {
      await taskTypes().remove(actorOf(req), req.params.type);
      return reply.code(204).send(null);
    },
  );

  const execute = async (req: FastifyRequest, reply: FastifyReply, taskType: string, input: Record<string, unknown>, wait: boolean) => {
    const actor = actorOf(req);
    const route = await taskTypes().resolve(actor, taskType);
    const key = req.headers['idempotency-key'];
    let made: { run: RunRow; created: boolean };
    try {
      made = await ctx.services.runs.create(
        actor,
        route.agentId,
        { task: taskText(taskType, route.instruction, input) },
        // run.created is audited by the statement that creates the run (decision 54).
        { source: 'api', idempotencyKey: typeof key === 'string' ? key : undefined, audit: { requestId: req.id } },
      );
    } catch (err) {
      if (err instanceof AppError && err.status === 404) {
        throw new AppError(409, 'task_type_agent_missing', `The agent task type ${taskType} maps to was deleted; map it to another agent with PUT /api/v1/task-types/${taskType}`);
      }
      if (err instanceof AppError && err.code === 'agent_paused') throw new AppError(409, 'agent_paused', `Task type ${taskType}: ${err.message}`);
      throw err;
    }
    const { run, created } = made;
    if (!wait) return reply.code(202).send(resultOf(run, taskType));
    // No await between create and the wait: a run made here is watched before it can rest.
    const rested = await ctx.services.runs.waitForRest(actor, run.id, ctx.config.TROUPE_RUN_WAIT_SECONDS * 1000, created ? run : undefined);
    return reply.code(RESTING.has(rested.status) ? 200 : 202).send(resultOf(rested, taskType));
  };

  r.post(
    '/execute',
    {
      config: { access: 'member' },
      schema: {
        tags,
        summary: "Run the task type's agent on input_data: 200 with the result, or 202 with the run to poll (wait: false, or not done within TROUPE_RUN_WAIT_SECONDS)",
        headers: idempotencyHeaders,
        body: executeTaskBody,
        response: executeResponses,
      },
    },
    async (req, reply) => execute(req, reply, req.body.task_type, req.body.input_data, req.body.wait),
  );

  for (const alias of EXECUTE_ALIASES) {
    r.post(
      alias.path,
      {
        config: { access: 'member' },
        schema: {
          tags,
          summary: `${alias.summary}: the body is the input_data of POST /execute`,
          headers: idempotencyHeaders,
          querystring: z.object({ wait: z.stringbool().default(true) }),
          body: z.record(z.string(), z.unknown()).optional(),
          response: executeResponses,
        },
      },
      async (req, reply) => execute(req, reply, alias.taskType, req.body ?? {}, req.query.wait),
    );
  }
}

import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../http/access.js';
import { problemResponses, problemSchema } from '../http/problem.js';
import type { AppContext } from '../app.js';
import { runListQuery, runSchema } from '../runs/dto.js';
import { uuidOr404 } from '../shared/ids.js';
import { pageOf } from '../shared/pagination.js';
import { createTaskBody, listTasksQuery, taskSchema, taskStatsSchema, updateTaskBody } from './dto.js';

const idParams = z.object({ id: z.string().max(100) });
const tags = ['tasks'];

/** /tasks: work assigned to agents, run now or on a schedule. Viewers read; members manage and run. */
export function registerTaskRoutes(app: FastifyInstance, ctx: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tasks = () => ctx.services.tasks;

  r.post(
    '/tasks',
    {
      config: { access: 'member', audit: { action: 'task.created', targetType: 'task' } },
      schema: { tags, summary: 'Create a task (ad-hoc, or scheduled with `schedule`)', body: createTaskBody, response: { 201: taskSchema, ...problemResponses } },
    },
    async (req, reply) => reply.code(201).send(await tasks().create(actorOf(req), req.body)),
  );

  r.get(
    '/tasks',
    {
      config: { access: 'viewer' },
      schema: { tags, summary: 'Tasks; filters: agent, status, kind, priority; sort by createdAt, updatedAt, priority or title', querystring: listTasksQuery, response: { 200: pageOf(taskSchema), ...problemResponses } },
    },
    async (req) => tasks().list(actorOf(req), req.query),
  );

  r.get(
    '/tasks/stats',
    { config: { access: 'viewer' }, schema: { tags, summary: 'How many tasks are in each state', response: { 200: taskStatsSchema, ...problemResponses } } },
    async (req) => tasks().stats(actorOf(req)),
  );

  r.get(
    '/tasks/:id',
    { config: { access: 'viewer' }, schema: { tags, summary: 'A task with its schedule, latest result and next run', params: idParams, response: { 200: taskSchema, ...problemResponses } } },
    async (req) => tasks().get(actorOf(req), uuidOr404(req.params.id, 'Task')),
  );

  r.patch(
    '/tasks/:id',
    {
      config: { access: 'member', audit: { action: 'task.updated', targetType: 'task' } },
      schema: { tags, summary: 'Change a task (schedule: null makes it ad-hoc)', params: idParams, body: updateTaskBody, response: { 200: taskSchema, ...problemResponses } },
    },
    async (req) => tasks().update(actorOf(req), uuidOr404(req.params.id, 'Task'), req.body),
  );

  r.delete(
    '/tasks/:id',
    {
      config: { access: 'member', audit: { action: 'task.deleted', targetType: 'task' } },
      schema: { tags, summary: 'Delete a task and its schedule (its runs stay)', params: idParams, response: { 204: z.null(), ...problemResponses } },
    },
    async (req, reply) => {
      await tasks().delete(actorOf(req), uuidOr404(req.params.id, 'Task'));
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/tasks/:id/execute',
    {
      config: { access: 'member' },
      schema: {
        tags,
        summary: 'Run the task now: 202 with the queued run; 402 budget_exceeded when a monthly budget is used up',
        params: idParams,
        headers: z.object({ 'idempotency-key': z.string().min(1).max(200).optional() }),
        response: { 202: runSchema, ...problemResponses, 402: problemSchema },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      const { run, created } = await tasks().execute(actor, uuidOr404(req.params.id, 'Task'), req.headers['idempotency-key']);
      if (created) await ctx.services.audit.record({ orgId: actor.orgId, actor, action: 'run.created', targetType: 'run', targetId: run.id, details: { agentId: run.agentId, taskId: run.taskId } });
      return reply.code(202).send(run);
    },
  );

  r.get(
    '/tasks/:id/executions',
    {
      config: { access: 'viewer' },
      schema: { tags, summary: "The task's runs, newest first", params: idParams, querystring: runListQuery.omit({ agentId: true }), response: { 200: pageOf(runSchema), ...problemResponses } },
    },
    async (req) => {
      const actor = actorOf(req);
      const task = await tasks().get(actor, uuidOr404(req.params.id, 'Task'));
      return ctx.services.runs.list(actor, { ...req.query, taskId: task.id });
    },
  );
}

import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../http/access.js';
import { problemResponses, problemSchema } from '../http/problem.js';
import type { AppContext } from '../app.js';
import { badRequest } from '../shared/errors.js';
import { uuidOr404 } from '../shared/ids.js';
import { pageOf, pageQuery } from '../shared/pagination.js';
import { agentMetricsSchema, approvalSchema, decisionBody, executeBody, runListQuery, runSchema, stepSchema } from './dto.js';
import { streamRunEvents } from './stream.js';

const idParams = z.object({ id: z.string() });
const tags = ['runs'];

/** Execute an agent, follow its runs (steps, live events), cancel them, and decide approvals. */
export function registerRunRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const runsService = ctx.services.runs;

  r.post(
    '/agents/:id/execute',
    {
      config: { access: 'member' },
      schema: {
        tags,
        summary: 'Run the agent on a task: 202 with the queued run, or with ?wait=true the finished run (200) when it ends in time',
        params: idParams,
        querystring: z.object({ wait: z.stringbool().default(false) }),
        headers: z.object({ 'idempotency-key': z.string().min(1).max(200).optional() }),
        body: executeBody,
        // 402 budget_exceeded: the organization's or the agent's monthly budget is used up.
        response: { 200: runSchema, 202: runSchema, ...problemResponses, 402: problemSchema },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      const { run, created } = await runsService.create(
        actor,
        uuidOr404(req.params.id, 'Agent'),
        { task: req.body.task, context: req.body.context, maxTokens: req.body.max_tokens },
        // run.created is audited by the statement that creates the run (decision 54).
        { source: 'api', idempotencyKey: req.headers['idempotency-key'], audit: { requestId: req.id } },
      );
      if (!req.query.wait) return reply.code(202).send(run);
      // No await between create and the wait: a run made here is watched before it can rest.
      const rested = await runsService.waitForRest(actor, run.id, ctx.config.TROUPE_RUN_WAIT_SECONDS * 1000, created ? run : undefined);
      return reply.code(rested.status === 'queued' || rested.status === 'running' ? 202 : 200).send(rested);
    },
  );

  r.get(
    '/runs',
    { config: { access: 'viewer' }, schema: { tags, summary: 'Runs, newest first; filters: agent, status, source, time range', querystring: runListQuery, response: { 200: pageOf(runSchema), ...problemResponses } } },
    async (req) => runsService.list(actorOf(req), req.query),
  );

  r.get(
    '/agents/:id/executions',
    {
      config: { access: 'viewer' },
      schema: { tags, summary: "The agent's runs, newest first", params: idParams, querystring: runListQuery.omit({ agentId: true }), response: { 200: pageOf(runSchema), ...problemResponses } },
    },
    async (req) => {
      const actor = actorOf(req);
      const agentId = uuidOr404(req.params.id, 'Agent');
      await ctx.services.agents.get(actor, agentId, { includeDeleted: true });
      return runsService.list(actor, { ...req.query, agentId });
    },
  );

  r.get(
    '/agents/:id/metrics',
    {
      config: { access: 'viewer' },
      schema: {
        tags,
        summary: 'Execution count, success rate, average tokens, cost and response time, last execution',
        params: idParams,
        response: {
          200: agentMetricsSchema,
          ...problemResponses,
        },
      },
    },
    async (req) => runsService.agentMetrics(actorOf(req), uuidOr404(req.params.id, 'Agent')),
  );

  r.get(
    '/runs/:id',
    { config: { access: 'viewer' }, schema: { tags, summary: 'One run', params: idParams, response: { 200: runSchema, ...problemResponses } } },
    async (req) => runsService.get(actorOf(req), req.params.id),
  );

  r.get(
    '/runs/:id/steps',
    { config: { access: 'viewer' }, schema: { tags, summary: 'Every model call and tool call of the run, in order', params: idParams, response: { 200: z.object({ items: z.array(stepSchema) }), ...problemResponses } } },
    async (req) => ({ items: await runsService.steps(actorOf(req), req.params.id) }),
  );

  r.get(
    '/runs/:id/events',
    {
      config: { access: 'viewer' },
      schema: {
        tags,
        summary: 'The run\'s event log as server-sent events (Accept: text/event-stream; resume with Last-Event-ID), or as JSON',
        params: idParams,
        querystring: z.object({ lastEventId: z.coerce.number().int().min(0).optional(), limit: z.coerce.number().int().min(1).max(1000).default(1000) }),
        response: {
          200: z.object({ items: z.array(z.object({ seq: z.number().int(), type: z.string(), data: z.record(z.string(), z.unknown()), createdAt: z.date().transform((d) => d.toISOString()) })) }),
          ...problemResponses,
        },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      const run = await runsService.get(actor, req.params.id);
      if (String(req.headers.accept ?? '').includes('text/event-stream')) return streamRunEvents(ctx, actor, run, req, reply);
      return { items: await runsService.events(actor, run.id, req.query.lastEventId ?? 0, req.query.limit) };
    },
  );

  r.post(
    '/runs/:id/cancel',
    { config: { access: 'member' }, schema: { tags, summary: 'Cancel a queued, running or waiting run', params: idParams, response: { 200: runSchema, ...problemResponses } } },
    async (req) => runsService.cancel(actorOf(req), req.params.id),
  );

  r.get(
    '/approvals',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['approvals'],
        summary: 'Tool calls waiting for (or decided by) a person; the inbox is ?status=pending',
        querystring: pageQuery.extend({ status: z.enum(['pending', 'approved', 'rejected']).optional(), runId: z.uuid().optional() }),
        response: { 200: pageOf(approvalSchema), ...problemResponses },
      },
    },
    async (req) => runsService.listApprovals(actorOf(req), req.query),
  );

  r.get(
    '/approvals/:id',
    {
      config: { access: 'viewer' },
      schema: { tags: ['approvals'], summary: 'One tool call waiting for (or decided by) a person', params: idParams, response: { 200: approvalSchema, ...problemResponses } },
    },
    async (req) => runsService.getApproval(actorOf(req), req.params.id),
  );

  for (const decision of ['approve', 'reject'] as const) {
    r.post(
      `/approvals/:id/${decision}`,
      {
        config: { access: 'member' },
        schema: {
          tags: ['approvals'],
          summary: decision === 'approve' ? 'Approve the tool call; the run continues' : 'Reject the tool call (the comment goes to the model); the run continues',
          params: idParams,
          body: decisionBody.optional(),
          response: { 200: approvalSchema, ...problemResponses },
        },
      },
      async (req) => {
        if (decision === 'reject' && req.body?.comment === '') throw badRequest('comment may not be empty', [{ path: 'body.comment', message: 'empty' }]);
        return runsService.decide(actorOf(req), req.params.id, decision === 'approve' ? 'approved' : 'rejected', req.body?.comment, req.body?.values);
      },
    );
  }
}

import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, operatorOf } from '../http/access.js';
import { problemResponses } from '../http/problem.js';
import type { AppContext } from '../app.js';
import { orgQueueCounts } from '../runs/queue-counts.js';

const tags = ['queue'];
export const queueStatsSchema = z
  .object({
    scope: z
      .enum(['instance', 'organization'])
      .describe(
        "instance: the install's queue, for instance operators. organization: your organization's runs only, counted from the runs table " +
          '(waiting: queued, never started; active: running; delayed: queued again to go on; failed and completed: runs created in the last 24 hours; throughputPerMinute: runs finished in the last minute)',
      ),
    canControl: z.boolean().describe('Whether you may pause and resume the queue (instance operators only)'),
    adapter: z.enum(['in-process', 'bullmq']),
    paused: z.boolean().describe('Whether the install-wide queue is paused (no run starts, in any organization)'),
    waiting: z.number().int(),
    active: z.number().int(),
    delayed: z.number().int(),
    failed: z.number().int(),
    completed: z.number().int(),
    throughputPerMinute: z.number().int().describe('Jobs (organization: runs) completed in the last minute'),
  })
  .meta({ id: 'QueueStats' });

/**
 * /queue: the run queue of this install. It is shared by every organization, so its figures and
 * its pause switch (every worker stops taking runs) are for instance operators (decision 32); an
 * organization's admin sees the same figures for the organization's own runs. Each pause and
 * resume is audited in the operator's organization.
 */
export function registerQueueRoutes(app: FastifyInstance, ctx: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const dispatcher = ctx.services.dispatcher;
  const instanceStats = async () => ({ scope: 'instance' as const, canControl: true, ...(await dispatcher.stats()) });

  r.get(
    '/queue',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: "Queue figures: the install's for an instance operator, else the organization's own runs (see scope)",
        response: { 200: queueStatsSchema, ...problemResponses },
      },
    },
    async (req) => {
      if (req.userId && (await ctx.services.auth.isOperator(req.userId))) return instanceStats();
      const { adapter, paused } = await dispatcher.stats();
      return { scope: 'organization' as const, canControl: false, adapter, paused, ...(await orgQueueCounts(ctx.database, actorOf(req).orgId)) };
    },
  );

  for (const action of ['pause', 'resume'] as const) {
    r.post(
      `/queue/${action}`,
      {
        config: { access: 'operator' },
        schema: {
          tags,
          summary: action === 'pause' ? 'Pause the queue of the whole install: workers finish active runs and take no new ones (instance operators)' : 'Resume the queue (instance operators)',
          response: { 200: queueStatsSchema, ...problemResponses },
        },
      },
      async (req) => {
        const { userId, actor } = operatorOf(req);
        await (action === 'pause' ? dispatcher.pause() : dispatcher.resume());
        req.log.info({ userId }, `run queue ${action}d by an instance operator`);
        if (actor) await ctx.services.audit.record({ orgId: actor.orgId, actor, action: `queue.${action}d`, targetType: 'queue', targetId: 'runs' });
        return instanceStats();
      },
    );
  }
}

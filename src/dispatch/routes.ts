import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../api/access.js';
import { problemResponses } from '../api/problem.js';
import type { AppContext } from '../app.js';

const tags = ['queue'];
export const queueStatsSchema = z.object({
  adapter: z.enum(['in-process', 'bullmq']),
  paused: z.boolean(),
  waiting: z.number().int(),
  active: z.number().int(),
  delayed: z.number().int(),
  failed: z.number().int(),
  completed: z.number().int(),
  throughputPerMinute: z.number().int().describe('Jobs completed in the last minute'),
});

/**
 * /queue: the run queue of this install. It is shared by every organization, so it shows only
 * counts, and pausing it (every worker stops taking runs) is for owners; each pause is audited.
 */
export function registerQueueRoutes(app: FastifyInstance, ctx: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const dispatcher = ctx.services.dispatcher;

  r.get('/queue', { config: { access: 'admin' }, schema: { tags, summary: 'Queue stats (waiting, active, delayed, failed, completed, throughput)', response: { 200: queueStatsSchema, ...problemResponses } } }, async () => dispatcher.stats());

  for (const action of ['pause', 'resume'] as const) {
    r.post(
      `/queue/${action}`,
      { config: { access: 'owner' }, schema: { tags, summary: action === 'pause' ? 'Pause the queue: workers finish active runs and take no new ones' : 'Resume the queue', response: { 200: queueStatsSchema, ...problemResponses } } },
      async (req) => {
        const actor = actorOf(req);
        await (action === 'pause' ? dispatcher.pause() : dispatcher.resume());
        await ctx.services.audit.record({ orgId: actor.orgId, actor, action: `queue.${action}d`, targetType: 'queue', targetId: 'runs' });
        return dispatcher.stats();
      },
    );
  }
}

import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { METRICS_UNAUTHORIZED, metricsTokenMatches } from '../observability/metrics-token.js';
import { sendProblem } from '../http/problem.js';
import { VERSION } from '../shared/version.js';

const checkSchema = z.object({ status: z.enum(['ok', 'error']), error: z.string().optional() });

/** Liveness, readiness and Prometheus metrics, outside /api/v1 where probes expect them. */
export function registerHealthRoutes(app: FastifyInstance, ctx: AppContext, metrics: Registry) {
  app.get(
    '/health',
    {
      config: { access: 'public' },
      schema: { tags: ['operations'], summary: 'The process is up', response: { 200: z.object({ status: z.literal('ok'), version: z.string() }) } },
    },
    async () => ({ status: 'ok' as const, version: VERSION }),
  );

  app.get(
    '/ready',
    {
      config: { access: 'public' },
      schema: {
        tags: ['operations'],
        summary: 'Dependencies (database, Redis when configured) are reachable',
        response: {
          200: z.object({ status: z.literal('ready'), checks: z.record(z.string(), checkSchema) }),
          503: z.object({ status: z.literal('not_ready'), checks: z.record(z.string(), checkSchema) }),
        },
      },
    },
    async (_request, reply) => {
      const { ready, checks } = await readiness(ctx);
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks } as never);
    },
  );

  // Open unless TROUPE_METRICS_TOKEN is set (labels name organizations and agents by id).
  const token = ctx.config.TROUPE_METRICS_TOKEN;
  app.get('/metrics', { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
    if (token !== undefined && !metricsTokenMatches(request.headers.authorization, token)) {
      return sendProblem(reply, 401, METRICS_UNAUTHORIZED.code, METRICS_UNAUTHORIZED.detail, undefined, { ...METRICS_UNAUTHORIZED.headers });
    }
    reply.type(metrics.contentType);
    return metrics.metrics();
  });
}

export type Check = z.infer<typeof checkSchema>;

/** What /ready answers, on the API port and on the metrics port of a worker or scheduler: the database, and Redis when configured. */
export async function readiness(ctx: Pick<AppContext, 'database' | 'redis'>): Promise<{ ready: boolean; checks: Record<string, Check> }> {
  const checks: Record<string, Check> = {};
  checks.database = await probe(() => ctx.database.ping());
  if (ctx.redis) {
    const redis = ctx.redis;
    checks.redis = await probe(async () => {
      await redis.ping();
    });
  }
  return { ready: Object.values(checks).every((c) => c.status === 'ok'), checks };
}

async function probe(fn: () => Promise<void>, timeoutMs = 2000): Promise<z.infer<typeof checkSchema>> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: 'ok' };
  } catch (err) {
    return { status: 'error', error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

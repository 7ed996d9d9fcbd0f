import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { FloodGuard } from '../http/flood-guard.js';
import { problemResponses, problemSchema } from '../http/problem.js';
import { AppError } from '../shared/errors.js';

/** The largest body any endpoint may take (each has its own, smaller or equal, limit). */
const HARD_LIMIT = 10 * 1_048_576;
const accepted = z.object({ eventId: z.uuid(), duplicate: z.boolean().describe('Delivered before (same dedupe key): nothing new was stored') });
/**
 * Deliveries per minute from one address to one endpoint, in each API process: a guard against
 * floods only. A sender (a shop, a payment provider) posts from few addresses, in bursts that must
 * not be refused. Counted in the process (FloodGuard), not in Redis: a round trip per delivery
 * there took about a seventh of the intake's busy time, for a limit that protects the process
 * taking the flood.
 */
const RATE_PER_MINUTE = 600_000;

/**
 * `POST /hooks/:id`: the public intake of inbound webhooks (issue 16; docs/events.md). No user
 * credentials: the endpoint's verification is the check. The body is read raw (signatures are over
 * the exact bytes) in any content type, and kept out of Fastify's body (the input guard reads
 * objects, not buffers); the event is stored before the 202 goes out.
 */
export function registerHookRoutes(app: FastifyInstance, ctx: AppContext): void {
  const raw = new WeakMap<FastifyRequest, Buffer>();
  const flood = new FloodGuard(RATE_PER_MINUTE, 60_000);
  void app.register(async (scope) => {
    // Before the body is read, as a rate limit is.
    scope.addHook('onRequest', async (req) => {
      const wait = flood.take(`${req.ip}|${(req.params as { id?: string }).id ?? ''}`);
      if (wait > 0) {
        const seconds = Math.ceil(wait / 1000);
        throw new AppError(429, 'rate_limited', `Too many deliveries from this address to this endpoint; try again in ${seconds} s`, undefined, { 'retry-after': String(seconds) });
      }
    });
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: HARD_LIMIT }, (req, body, done) => {
      raw.set(req, body as Buffer);
      done(null, undefined);
    });
    scope.withTypeProvider<ZodTypeProvider>().post(
      '/hooks/:id',
      {
        bodyLimit: HARD_LIMIT,
        config: { access: 'public' },
        schema: {
          tags: ['webhooks'],
          summary: 'Deliver to an inbound webhook endpoint (public; verified by its token or signature): 202 once stored as an event',
          description:
            'JSON, form posts (application/x-www-form-urlencoded, multipart/form-data without files) and text. 401 when the signature or token does not verify, 413 past the endpoint\'s body limit, 415 for another content type, 404 for an unknown or disabled endpoint. A delivery repeated with the same dedupe key (X-GitHub-Delivery, Idempotency-Key, or the mapping\'s) answers 200 with the stored event.',
          params: z.object({ id: z.string().max(100).describe('The endpoint id') }),
          response: { 200: accepted, 202: accepted, ...problemResponses, 413: problemSchema, 415: problemSchema },
        },
      },
      async (req, reply) => {
        const { event, created } = await ctx.services.webhooks.receive(req.params.id, { headers: req.headers, rawBody: raw.get(req) ?? Buffer.alloc(0), query: req.query as Record<string, unknown> });
        return reply.code(created ? 202 : 200).send({ eventId: event.id, duplicate: !created });
      },
    );
  });
}

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { problemResponses, problemSchema } from '../http/problem.js';
import { receiveParsePost } from './parse-intake.js';

const accepted = z.object({ eventId: z.uuid(), duplicate: z.boolean().describe('Delivered before (same Message-ID): nothing new was stored') });
/** Posts per minute from one address to one inbox: a guard against floods only (a provider posts in bursts). */
const RATE_PER_MINUTE = 60_000;

/**
 * `POST /hooks/email/:inboxId` (and `/hooks/email/:inboxId/:token`): the public intake of
 * inbound-parse inboxes (docs/email.md). No user credentials: the inbox's token (in the query or
 * the path) is the check. The body is read raw, in any content type, and kept out of Fastify's
 * body; the event is stored before the 202 goes out.
 */
export function registerEmailHookRoutes(app: FastifyInstance, ctx: AppContext): void {
  const raw = new WeakMap<FastifyRequest, Buffer>();
  const inboxes = ctx.services.emailInboxes;
  // A little over the mail limit: the intake answers a clear 413 itself up to here.
  const bodyLimit = inboxes.settings.maxBytes + 64 * 1024;
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (req, body, done) => {
      raw.set(req, body as Buffer);
      done(null, undefined);
    });
    const schema = {
      tags: ['email'],
      summary: 'Deliver a received mail in a provider\'s inbound-parse format (public; checked by the inbox\'s token): 202 once stored as an event',
      description:
        "SendGrid Inbound Parse (multipart/form-data, also raw mode), Mailgun routes (multipart/form-data or urlencoded; its signature checked when the inbox has a signing key) or Postmark (JSON), as the inbox's provider says. 401 for a wrong token or signature, 413 past TROUPE_SMTP_INBOUND_MAX_BYTES, 415 for a content type the provider does not use, 400 for a body that is not its format, 404 for an unknown, disabled or non-parse inbox. The same Message-ID again answers 200 with the stored event.",
      response: { 200: accepted, 202: accepted, ...problemResponses, 413: problemSchema, 415: problemSchema },
    };
    const handle = async (req: FastifyRequest, inboxId: string, token: string | undefined) => {
      const contentType = req.headers['content-type'] ?? '';
      return receiveParsePost(inboxes, inboxId, token, { contentType, body: raw.get(req) ?? Buffer.alloc(0) });
    };
    const t = scope.withTypeProvider<ZodTypeProvider>();
    const config = { access: 'public' as const, rateLimit: { max: RATE_PER_MINUTE, timeWindow: 60_000 } };
    // The URL carries the inbox's token: the request lines (info) that would log it are left out;
    // refusals are answered with their reason, and failures still log at error (without the URL).
    const logLevel = 'warn';
    t.post(
      '/hooks/email/:inboxId',
      { bodyLimit, config, logLevel, schema: { ...schema, params: z.object({ inboxId: z.string().max(100) }), querystring: z.object({ token: z.string().max(200).optional() }) } },
      async (req, reply) => {
        const { event, created } = await handle(req, req.params.inboxId, req.query.token);
        return reply.code(created ? 202 : 200).send({ eventId: event.id, duplicate: !created });
      },
    );
    t.post(
      '/hooks/email/:inboxId/:token',
      { bodyLimit, config, logLevel, schema: { ...schema, summary: 'The same, with the token in the path (for providers that keep no query string)', params: z.object({ inboxId: z.string().max(100), token: z.string().max(200) }) } },
      async (req, reply) => {
        const { event, created } = await handle(req, req.params.inboxId, req.params.token);
        return reply.code(created ? 202 : 200).send({ eventId: event.id, duplicate: !created });
      },
    );
  });
}

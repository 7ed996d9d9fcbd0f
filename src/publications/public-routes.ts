import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { problemResponses, problemSchema } from '../http/problem.js';
import { AppError, notFound } from '../shared/errors.js';
import type { Actor } from '../shared/roles.js';
import { publicChatConfigSchema, visitorMessageSchema, visitorReplySchema, visitorSendBody, visitorSessionSchema } from './dto.js';
import type { PublicationRow } from './service.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** @fastify/cors reads it: false leaves a route's CORS to the route (the public chat answers per publication). */
    cors?: false;
  }
}

const tags = ['public chat'];
const keyParams = z.object({ publicKey: z.string().max(100).describe('The publication’s public key (`pk_…`)') });
const responses = { ...problemResponses, 503: problemSchema };
/** Requests per minute from one client address, per route (besides each visitor's own limits). */
export const PUBLIC_CHAT_IP_RATES = { config: 120, sessions: 10, send: 30, read: 120 } as const;
/** Largest body a public chat route reads. */
const BODY_LIMIT = 16 * 1024;

const unavailable = () => new AppError(503, 'chat_unavailable', 'This chat is not available right now; please try again later');
const invalidToken = () => new AppError(401, 'invalid_visitor_token', 'This chat session is not valid (expired, or of another chat); start a new one with POST …/sessions', undefined, { 'www-authenticate': 'Bearer' });

/** The run's actor: the publication itself, as a member with no person and no key (audited as the system). */
const actorOf = (p: PublicationRow): Actor => ({ orgId: p.orgId, role: 'member', userId: null, apiKeyId: null });

/**
 * The public side of chat publications (docs/widget.md), for the website widget and the public
 * chat page, with no user credentials: `GET /public/chat/:publicKey` (the chat's title and
 * greeting), `POST …/sessions` (a visitor's token; their conversation is made with their first message), `POST …/messages` (send one;
 * the agent's answer as JSON, waited for) and `GET …/messages` (the visitor's own history).
 *
 * Every call first finds the enabled publication by its key (404 otherwise) and checks `Origin`
 * when the publication lists allowed origins (403 for another site; the server's own origin, the
 * public chat page, always passes). CORS answers are per publication, exact origin, no
 * credentials. The key reaches one agent of one organization: a visitor token opens only its own
 * conversation in its own publication.
 */
export function registerPublicChatRoutes(api: FastifyInstance, ctx: AppContext): void {
  const publications = new WeakMap<FastifyRequest, PublicationRow>();
  const serverOrigin = new URL(ctx.config.publicUrl).origin;

  void api.register(async (scope) => {
    scope.addHook('onRequest', async (req, reply) => {
      const key = (req.params as { publicKey?: string }).publicKey ?? '';
      const publication = await ctx.services.publications.byPublicKey(key);
      if (!publication) throw notFound('Chat');
      const origin = req.headers.origin;
      if (origin !== undefined) {
        const own = origin === serverOrigin || origin === `${req.protocol}://${req.host}`;
        if (!own && publication.allowedOrigins.length > 0 && !publication.allowedOrigins.includes(origin)) {
          throw new AppError(403, 'origin_not_allowed', `This chat may not be used from ${origin.slice(0, 200)}`);
        }
        reply.header('access-control-allow-origin', origin);
        reply.header('access-control-expose-headers', 'retry-after, x-request-id');
        reply.header('vary', 'origin');
      }
      publications.set(req, publication);
    });

    const r = scope.withTypeProvider<ZodTypeProvider>();
    const publicationOf = (req: FastifyRequest) => publications.get(req)!;
    const rate = (max: number) => ({ max, timeWindow: '1 minute' });

    /** The visitor from `Authorization: Bearer vt_…` (401 otherwise), and their conversation once they wrote. */
    const visitorOf = async (req: FastifyRequest) => {
      const publication = publicationOf(req);
      const m = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
      const visitorId = m ? ctx.services.visitorTokens.verify(publication.id, m[1]!) : null;
      if (!visitorId) throw invalidToken();
      const conversation = await ctx.services.visitorChats.find(publication.orgId, publication.id, visitorId);
      return { publication, visitorId, conversation };
    };

    // Preflights: answered here (the server-wide CORS plugin is off for these paths) with the
    // publication's origin check above.
    for (const url of ['/public/chat/:publicKey', '/public/chat/:publicKey/*']) {
      r.options(url, { config: { access: 'public', cors: false }, schema: { hide: true } }, async (_req, reply) =>
        reply
          .code(204)
          .header('access-control-allow-methods', 'GET, POST')
          .header('access-control-allow-headers', 'authorization, content-type, accept')
          .header('access-control-max-age', '600')
          .send(),
      );
    }

    r.get(
      '/public/chat/:publicKey',
      {
        config: { access: 'public', cors: false, rateLimit: rate(PUBLIC_CHAT_IP_RATES.config) },
        schema: { tags, summary: 'The chat’s title, greeting and colour (what the widget shows first)', security: [], params: keyParams, response: { 200: publicChatConfigSchema, ...responses } },
      },
      async (req) => {
        const p = publicationOf(req);
        const agent = await ctx.services.agents.get(actorOf(p), p.agentId).catch(() => null);
        if (!agent) throw unavailable();
        return { title: p.title, greeting: p.greeting, themeColor: p.themeColor, agentName: agent.name };
      },
    );

    r.post(
      '/public/chat/:publicKey/sessions',
      {
        bodyLimit: BODY_LIMIT,
        config: { access: 'public', cors: false, rateLimit: rate(PUBLIC_CHAT_IP_RATES.sessions) },
        schema: { tags, summary: 'Start a visitor session: a token and a conversation of your own', security: [], params: keyParams, body: z.strictObject({}).optional(), response: { 201: visitorSessionSchema, ...responses } },
      },
      async (req, reply) => {
        const p = publicationOf(req);
        // Nothing is stored until the visitor writes: the token carries who they are.
        const visitorId = randomUUID();
        const { token, expiresAt } = ctx.services.visitorTokens.issue(p.id, visitorId);
        return reply.code(201).header('cache-control', 'no-store').send({ token, visitorId, expiresAt: expiresAt.toISOString() });
      },
    );

    r.get(
      '/public/chat/:publicKey/messages',
      {
        config: { access: 'public', cors: false, rateLimit: rate(PUBLIC_CHAT_IP_RATES.read) },
        schema: {
          tags,
          summary: 'Your conversation: your messages and the answers, after a seq',
          security: [{ bearer: [] }],
          params: keyParams,
          querystring: z.object({ after: z.coerce.number().int().min(0).max(1_000_000_000).default(0), limit: z.coerce.number().int().min(1).max(100).default(100) }),
          response: { 200: z.object({ items: z.array(visitorMessageSchema) }), ...responses },
        },
      },
      async (req, reply) => {
        const { publication, conversation } = await visitorOf(req);
        reply.header('cache-control', 'no-store');
        return { items: conversation ? await ctx.services.visitorChats.messages(publication.orgId, conversation.id, req.query.after, req.query.limit) : [] };
      },
    );

    r.post(
      '/public/chat/:publicKey/messages',
      {
        bodyLimit: BODY_LIMIT,
        config: { access: 'public', cors: false, rateLimit: rate(PUBLIC_CHAT_IP_RATES.send) },
        schema: {
          tags,
          summary: 'Send a message; the answer comes back when ready (200), or later in GET …/messages (202)',
          security: [{ bearer: [] }],
          params: keyParams,
          body: visitorSendBody,
          response: { 200: visitorReplySchema, 202: visitorReplySchema, ...responses, 402: problemSchema },
        },
      },
      async (req, reply) => send(req, reply, req.body.content),
    );

    const send = async (req: FastifyRequest, reply: FastifyReply, content: string) => {
      const { publication: p, visitorId, conversation: existing } = await visitorOf(req);
      const actor = actorOf(p);
      const agent = await ctx.services.agents.get(actor, p.agentId).catch(() => null);
      if (!agent || agent.status !== 'active') throw unavailable();
      // A budget used up: the visitor learns only that the chat is not available (nothing stored).
      await ctx.services.billing.refuseOverBudget(p.orgId, agent.id, agent.limits.monthlyBudgetMicros).catch(() => {
        throw unavailable();
      });
      const conversation = existing ?? (await ctx.services.visitorChats.open(p.orgId, p.agentId, p.id, visitorId));
      const seq = await ctx.services.visitorChats.addMessage(p.orgId, conversation.id, content, { perMinute: p.messagesPerMinute, perDay: p.messagesPerDay });
      const { run, created } = await ctx.services.runs.create(actor, agent.id, { task: content }, { source: 'widget', conversationId: conversation.id }).catch(() => {
        throw unavailable();
      });
      const waitMs = Math.min(ctx.config.TROUPE_RUN_WAIT_SECONDS, 60) * 1000;
      const rested = await ctx.services.runs.waitForRest(actor, run.id, waitMs, created ? run : undefined);
      const messages = await ctx.services.visitorChats.messages(p.orgId, conversation.id, seq - 1);
      reply.header('cache-control', 'no-store');
      if (rested.status === 'succeeded') return reply.code(200).send({ status: 'answered', messages });
      if (rested.status === 'failed' || rested.status === 'canceled') {
        return reply.code(200).send({ status: 'failed', messages, notice: 'Sorry, I could not answer just now. Please try again in a moment.' });
      }
      const notice =
        rested.status === 'waiting_approval'
          ? 'A member of our team needs to confirm this first; the answer will appear here.'
          : 'Still working on it; the answer will appear here.';
      return reply.code(202).send({ status: 'pending', messages, notice });
    };
  });
}

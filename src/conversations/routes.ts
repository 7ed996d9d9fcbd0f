import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../http/access.js';
import { problemResponses, problemSchema } from '../http/problem.js';
import type { AppContext } from '../app.js';
import type { Actor } from '../shared/roles.js';
import { conflict } from '../shared/errors.js';
import { uuidOr404 } from '../shared/ids.js';
import { pageOf, pageQuery } from '../shared/pagination.js';
import { runSchema } from '../runs/dto.js';
import { streamRunEvents } from '../runs/stream.js';
import { conversationSchema, createConversationBody, messageSchema, renameConversationBody, sendMessageBody } from './dto.js';

const idParams = z.object({ id: z.string() });
const tags = ['conversations'];
const sendResponse = z.object({ run: runSchema, conversationId: z.uuid() });

/**
 * Conversations with agents. Sending a message starts a chat run; with `Accept:
 * text/event-stream` the reply streams back (text deltas, tool calls and results, usage and
 * cost, then run.finished), otherwise the answer is 202 with the run (or, with ?wait=true, the
 * finished run).
 */
export function registerConversationRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const conversations = ctx.services.conversations;

  r.post(
    '/conversations',
    {
      config: { access: 'member', audit: { action: 'conversation.created', targetType: 'conversation' } },
      schema: { tags, summary: 'Start a conversation with an agent', body: createConversationBody, response: { 201: conversationSchema, ...problemResponses } },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      await ctx.services.agents.get(actor, req.body.agentId);
      return reply.code(201).send(await conversations.create(actor, req.body.agentId, req.body.title));
    },
  );

  r.get(
    '/conversations',
    {
      config: { access: 'viewer' },
      schema: {
        tags,
        summary: 'Your conversations (admins: everyone\'s), most recently active first',
        querystring: pageQuery.extend({
          agentId: z.uuid().optional(),
          userId: z.uuid().optional(),
          visitor: z.stringbool().optional().describe("true: only website visitors' conversations (published chats); false: none of them"),
        }),
        response: { 200: pageOf(conversationSchema), ...problemResponses },
      },
    },
    async (req) => conversations.list(actorOf(req), req.query),
  );

  r.get(
    '/conversations/:id',
    { config: { access: 'viewer' }, schema: { tags, summary: 'One conversation', params: idParams, response: { 200: conversationSchema, ...problemResponses } } },
    async (req) => conversations.get(actorOf(req), req.params.id),
  );

  r.patch(
    '/conversations/:id',
    {
      config: { access: 'member', audit: { action: 'conversation.renamed', targetType: 'conversation' } },
      schema: { tags, summary: 'Rename', params: idParams, body: renameConversationBody, response: { 200: conversationSchema, ...problemResponses } },
    },
    async (req) => conversations.rename(actorOf(req), req.params.id, req.body.title),
  );

  r.delete(
    '/conversations/:id',
    {
      config: { access: 'member', audit: { action: 'conversation.deleted', targetType: 'conversation' } },
      schema: { tags, summary: 'Delete with its messages', params: idParams, response: { 204: z.null(), ...problemResponses } },
    },
    async (req, reply) => {
      await conversations.remove(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  r.get(
    '/conversations/:id/messages',
    {
      config: { access: 'viewer' },
      schema: {
        tags,
        summary: 'Messages in order; page with after/before (a seq)',
        params: idParams,
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(200).default(50),
          after: z.coerce.number().int().min(0).optional(),
          before: z.coerce.number().int().min(1).optional(),
          order: z.enum(['asc', 'desc']).default('asc'),
        }),
        response: { 200: z.object({ items: z.array(messageSchema), total: z.number().int() }), ...problemResponses },
      },
    },
    async (req) => conversations.messages(actorOf(req), req.params.id, req.query),
  );

  /**
   * The conversation and its agent, checked runnable before anything is stored or removed, so a
   * refused send or regenerate leaves no trace.
   */
  const chattable = async (req: FastifyRequest, rawId: string) => {
    const actor = actorOf(req);
    const id = uuidOr404(rawId, 'Conversation');
    const conv = await conversations.get(actor, id);
    if (conv.visitorId) throw conflict("This is a website visitor's conversation: staff can read it, only the visitor writes in it", 'visitor_conversation');
    const agent = await ctx.services.agents.get(actor, conv.agentId);
    if (agent.status !== 'active') throw conflict(`The agent ${agent.name} is paused; enable it to chat with it`, 'agent_paused');
    // A budget used up refuses the message (402) before it is stored; the run's create checks again.
    await ctx.services.billing.refuseOverBudget(actor.orgId, agent.id, agent.limits.monthlyBudgetMicros);
    return { actor, id, agentId: agent.id };
  };

  const send = async (req: FastifyRequest, reply: FastifyReply, actor: Actor, conversationId: string, agentId: string, text: string, wait: boolean) => {
    const { run } = await ctx.services.runs.create(actor, agentId, { task: text }, { source: 'chat', conversationId });
    if (String(req.headers.accept ?? '').includes('text/event-stream')) return streamRunEvents(ctx, actor, run, req, reply);
    if (!wait) return reply.code(202).send({ run, conversationId });
    const rested = await ctx.services.runs.waitForRest(actor, run.id, ctx.config.TROUPE_RUN_WAIT_SECONDS * 1000);
    return reply.code(rested.status === 'queued' || rested.status === 'running' ? 202 : 200).send({ run: rested, conversationId });
  };

  r.post(
    '/conversations/:id/messages',
    {
      config: { access: 'member' },
      schema: {
        tags,
        summary: 'Send a message; the reply streams back over SSE (Accept: text/event-stream), or 202 with the run',
        params: idParams,
        querystring: z.object({ wait: z.stringbool().default(false) }),
        body: sendMessageBody,
        response: { 200: sendResponse, 202: sendResponse, ...problemResponses, 402: problemSchema },
      },
    },
    async (req, reply) => {
      const { actor, id, agentId } = await chattable(req, req.params.id);
      await conversations.addUserMessage(actor, id, req.body.content);
      return send(req, reply, actor, id, agentId, req.body.content, req.query.wait);
    },
  );

  r.post(
    '/conversations/:id/regenerate',
    {
      config: { access: 'member' },
      schema: {
        tags,
        summary: 'Replace the last reply with a new one (streams like sending a message)',
        params: idParams,
        querystring: z.object({ wait: z.stringbool().default(false) }),
        response: { 200: sendResponse, 202: sendResponse, ...problemResponses, 402: problemSchema },
      },
    },
    async (req, reply) => {
      const { actor, id, agentId } = await chattable(req, req.params.id);
      const { text } = await conversations.dropLastReply(actor, id);
      return send(req, reply, actor, id, agentId, text, req.query.wait);
    },
  );
}

import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../http/access.js';
import type { AppContext } from '../app.js';
import { pageOf } from '../shared/pagination.js';
import { agentDraftSchema, agentSchema, createAgentSchema, systemPromptSchema, updateAgentSchema } from './dto.js';
import { listAgentsQuery } from './list-query.js';
import { errors, idParams, tags } from './route-common.js';
import { registerAgentVersionRoutes } from './version-routes.js';


/**
 * /agents: configuration CRUD, soft delete and restore, enable/disable, system prompt and its
 * preview, plus the version routes. Viewers read; admins change.
 */
export function registerAgentRoutes(app: FastifyInstance, ctx: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const agents = () => ctx.services.agents;

  r.post(
    '/agents',
    { config: { access: 'admin', audit: { action: 'agent.created', targetType: 'agent' } }, schema: { tags, summary: 'Create an agent', body: createAgentSchema, response: { 201: agentSchema, ...errors } } },
    async (req, reply) => reply.code(201).send(await agents().create(actorOf(req), req.body)),
  );

  r.get(
    '/agents',
    {
      config: { access: 'viewer' },
      schema: { tags, summary: 'List agents (filter, sort, offset or cursor pages)', querystring: listAgentsQuery, response: { 200: pageOf(agentSchema), ...errors } },
    },
    async (req, reply) => {
      // A hot read: served from this process's cache until any process changes the
      // organization's agents (decision 59); the page depends on the organization and the query only.
      const actor = actorOf(req);
      const body = await ctx.hotReads.get('agents', actor.orgId, JSON.stringify(req.query), () => agents().list(actor, req.query), (page) => String(reply.serialize(page)));
      // Already serialized (by this route's own serializer, once): a JSON string goes out as it is.
      return reply.type('application/json; charset=utf-8').send(body as never);
    },
  );

  r.post(
    '/agents/prompt-preview',
    {
      config: { access: 'viewer' },
      schema: { tags, summary: 'The system prompt a draft agent would get (nothing is saved)', body: agentDraftSchema, response: { 200: systemPromptSchema, ...errors } },
    },
    async (req) => agents().previewPrompt(req.body),
  );

  r.get(
    '/agents/:id',
    {
      config: { access: 'viewer' },
      schema: {
        tags,
        summary: 'Get an agent',
        params: idParams,
        querystring: z.object({ includeDeleted: z.stringbool().default(false).describe('Also find a soft-deleted agent') }),
        response: { 200: agentSchema, ...errors },
      },
    },
    async (req) => agents().get(actorOf(req), req.params.id, { includeDeleted: req.query.includeDeleted }),
  );

  r.patch(
    '/agents/:id',
    {
      config: { access: 'admin', audit: { action: 'agent.updated', targetType: 'agent' } },
      schema: {
        tags,
        summary: 'Change an agent (partial; personality, memory and limits merge key by key)',
        params: idParams,
        body: updateAgentSchema,
        response: { 200: agentSchema, ...errors },
      },
    },
    async (req) => agents().update(actorOf(req), req.params.id, req.body),
  );

  r.delete(
    '/agents/:id',
    { config: { access: 'admin', audit: { action: 'agent.deleted', targetType: 'agent' } }, schema: { tags, summary: 'Soft-delete an agent', params: idParams, response: { 204: z.null(), ...errors } } },
    async (req, reply) => {
      await agents().remove(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/agents/:id/restore',
    { config: { access: 'admin', audit: { action: 'agent.restored', targetType: 'agent' } }, schema: { tags, summary: 'Undo a soft delete', params: idParams, response: { 200: agentSchema, ...errors } } },
    async (req) => agents().restore(actorOf(req), req.params.id),
  );

  r.post(
    '/agents/:id/enable',
    { config: { access: 'admin', audit: { action: 'agent.enabled', targetType: 'agent' } }, schema: { tags, summary: 'Set status active', params: idParams, response: { 200: agentSchema, ...errors } } },
    async (req) => agents().setStatus(actorOf(req), req.params.id, 'active'),
  );

  r.post(
    '/agents/:id/disable',
    { config: { access: 'admin', audit: { action: 'agent.disabled', targetType: 'agent' } }, schema: { tags, summary: 'Set status paused', params: idParams, response: { 200: agentSchema, ...errors } } },
    async (req) => agents().setStatus(actorOf(req), req.params.id, 'paused'),
  );

  r.get(
    '/agents/:id/prompt',
    { config: { access: 'viewer' }, schema: { tags, summary: 'The exact system prompt the agent runs with', params: idParams, response: { 200: systemPromptSchema, ...errors } } },
    async (req) => agents().prompt(actorOf(req), req.params.id),
  );

  registerAgentVersionRoutes(app, ctx);
}

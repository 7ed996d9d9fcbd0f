import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { actorOf } from '../http/access.js';
import { problemResponses } from '../http/problem.js';
import { pageOf } from '../shared/pagination.js';
import {
  createItemBody,
  createPipelineBody,
  itemSchema,
  itemWithHistorySchema,
  listItemsQuery,
  listPipelinesQuery,
  pipelineContextSchema,
  pipelineSchema,

  updateItemBody,
  updatePipelineBody,
} from './dto.js';
import { itemActorOf } from './items.js';

const idParams = z.object({ id: z.string().max(100) });
const tags = ['pipelines'];

/**
 * Pipelines, their stages and items (issue 16; docs/pipelines.md). Members read and move items
 * (items carry people's contact details, so viewers do not read them); admins configure pipelines.
 */
export function registerPipelineRoutes(app: FastifyInstance, ctx: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { pipelines, pipelineItems: items } = ctx.services;

  r.get(
    '/pipelines',
    { config: { access: 'member' }, schema: { tags, summary: 'The pipelines with their stages (and how many items each holds)', querystring: listPipelinesQuery, response: { 200: z.object({ items: z.array(pipelineSchema) }), ...problemResponses } } },
    async (req) => ({ items: await pipelines.list(actorOf(req), req.query.archived) }),
  );
  r.get(
    '/pipelines/context',
    { config: { access: 'member' }, schema: { tags, summary: 'What a decision sees: the open pipelines with stages and rule, the active staff with roles and load', response: { 200: pipelineContextSchema, ...problemResponses } } },
    async (req) => pipelines.contextOf(actorOf(req).orgId),
  );
  r.post(
    '/pipelines',
    {
      config: { access: 'admin', audit: { action: 'pipeline.created', targetType: 'pipeline' } },
      schema: { tags, summary: 'A pipeline with its stages (in board order) and assignment rule', body: createPipelineBody, response: { 201: pipelineSchema, ...problemResponses } },
    },
    async (req, reply) => reply.code(201).send(await pipelines.create(actorOf(req), req.body)),
  );
  r.get('/pipelines/:id', { config: { access: 'member' }, schema: { tags, summary: 'One pipeline', params: idParams, response: { 200: pipelineSchema, ...problemResponses } } }, async (req) =>
    pipelines.get(actorOf(req), req.params.id),
  );
  r.patch(
    '/pipelines/:id',
    {
      config: { access: 'admin', audit: { action: 'pipeline.updated', targetType: 'pipeline' } },
      schema: {
        tags,
        summary: 'Change a pipeline: name, rule, archived, and its stages (the whole list: add, rename, reorder; a stage holding items cannot be removed: 409)',
        params: idParams,
        body: updatePipelineBody,
        response: { 200: pipelineSchema, ...problemResponses },
      },
    },
    async (req) => pipelines.update(actorOf(req), req.params.id, req.body),
  );
  r.delete(
    '/pipelines/:id',
    {
      config: { access: 'admin', audit: { action: 'pipeline.deleted', targetType: 'pipeline' } },
      schema: { tags, summary: 'Delete a pipeline with its items and their history (archive it to keep them)', params: idParams, response: { 204: z.null(), ...problemResponses } },
    },
    async (req, reply) => {
      await pipelines.remove(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  // ---- items ----
  r.get(
    '/pipelines/:id/items',
    { config: { access: 'member' }, schema: { tags, summary: 'A pipeline’s items, most recently changed first (filter by stage, assignee)', params: idParams, querystring: listItemsQuery, response: { 200: pageOf(itemSchema), ...problemResponses } } },
    async (req) => items.list(actorOf(req).orgId, req.params.id, req.query),
  );
  r.post(
    '/pipelines/:id/items',
    {
      config: { access: 'member' },
      schema: { tags, summary: 'Add an item; its assignee is the one given, else the pipeline’s rule chooses', params: idParams, body: createItemBody, response: { 201: itemWithHistorySchema, ...problemResponses } },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      const { item } = await items.create(actor.orgId, itemActorOf(actor), req.params.id, req.body);
      return reply.code(201).send(await items.get(actor.orgId, item.id));
    },
  );
  r.get('/pipeline-items/:id', { config: { access: 'member' }, schema: { tags, summary: 'One item with its history of stages and assignees', params: idParams, response: { 200: itemWithHistorySchema, ...problemResponses } } }, async (req) =>
    items.get(actorOf(req).orgId, req.params.id),
  );
  r.patch(
    '/pipeline-items/:id',
    {
      config: { access: 'member' },
      schema: { tags, summary: 'Move an item to another stage, (re)assign it, or edit it; stage and assignee changes go into its history and are events', params: idParams, body: updateItemBody, response: { 200: itemWithHistorySchema, ...problemResponses } },
    },
    async (req) => {
      const actor = actorOf(req);
      await items.update(actor.orgId, itemActorOf(actor), req.params.id, req.body);
      return items.get(actor.orgId, req.params.id);
    },
  );
}


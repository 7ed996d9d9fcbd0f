import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { actorOf } from '../http/access.js';
import { problemResponses } from '../http/problem.js';
import { createPublicationBody, publicationSchema, updatePublicationBody } from './dto.js';

const tags = ['chat publications'];
const idParams = z.object({ id: z.string().max(100).describe('Publication id (UUID)') });

/** `/chat-publications`: an organization's agents published as a website widget and a public chat page. Viewers read; admins change. */
export function registerPublicationRoutes(app: FastifyInstance, ctx: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const publications = () => ctx.services.publications;

  r.get(
    '/chat-publications',
    { config: { access: 'viewer' }, schema: { tags, summary: 'Published chats (website widget and public page), newest first', response: { 200: z.object({ items: z.array(publicationSchema) }), ...problemResponses } } },
    async (req) => ({ items: await publications().list(actorOf(req)) }),
  );

  r.post(
    '/chat-publications',
    {
      config: { access: 'admin', audit: { action: 'chat_publication.created', targetType: 'chat_publication' } },
      schema: { tags, summary: 'Publish an agent: a public key for the website widget and the public chat page', body: createPublicationBody, response: { 201: publicationSchema, ...problemResponses } },
    },
    async (req, reply) => reply.code(201).send(await publications().create(actorOf(req), req.body)),
  );

  r.get(
    '/chat-publications/:id',
    { config: { access: 'viewer' }, schema: { tags, summary: 'One published chat', params: idParams, response: { 200: publicationSchema, ...problemResponses } } },
    async (req) => publications().get(actorOf(req), req.params.id),
  );

  r.patch(
    '/chat-publications/:id',
    {
      config: { access: 'admin', audit: { action: 'chat_publication.updated', targetType: 'chat_publication' } },
      schema: { tags, summary: 'Change a published chat (origins, limits, look, enabled)', params: idParams, body: updatePublicationBody, response: { 200: publicationSchema, ...problemResponses } },
    },
    async (req) => publications().update(actorOf(req), req.params.id, req.body),
  );

  r.delete(
    '/chat-publications/:id',
    {
      config: { access: 'admin', audit: { action: 'chat_publication.deleted', targetType: 'chat_publication' } },
      schema: { tags, summary: 'Unpublish (the public key stops working; visitors’ conversations stay)', params: idParams, response: { 204: z.null(), ...problemResponses } },
    },
    async (req, reply) => {
      await publications().remove(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
}

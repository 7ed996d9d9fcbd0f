import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../api/access.js';
import { problemResponses } from '../api/problem.js';
import type { AppContext } from '../app.js';
import { credentialSchema, credentialView, providerParam } from './api-schemas.js';
import { credentialBody } from './credential-input.js';

/**
 * Organization-level provider credentials, admin only. Keys are write-only: no response and no
 * log line carries one (request bodies are never logged; see shared/logger.ts). An unknown
 * provider is a 400 on `params.provider` (it is a malformed request, not a missing object);
 * an organization without a credential for a known provider answers 404 on DELETE.
 */
export function registerCredentialRoutes(app: FastifyInstance, ctx: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const models = ctx.services.models;

  r.get(
    '/credentials',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['credentials'],
        summary: 'Provider credentials stored by this organization (never the keys)',
        description: 'At most one per provider, so the list is not paged.',
        response: { 200: z.object({ items: z.array(credentialSchema) }), ...problemResponses },
      },
    },
    async (request) => ({ items: (await models.listCredentials(actorOf(request).orgId)).map(credentialView) }),
  );

  r.put(
    '/credentials/:provider',
    {
      config: { access: 'admin', audit: { action: 'credential.updated', targetType: 'credential' } },
      schema: {
        tags: ['credentials'],
        summary: 'Store or replace this organization’s credential for a provider',
        description:
          'The key is encrypted (AES-256-GCM) before it is stored and is never returned. Replaces the whole ' +
          'credential: a field left out is removed. Providers that need a key require `apiKey`; ' +
          '`openai-compatible` requires `baseUrl`.',
        params: providerParam,
        body: credentialBody,
        response: { 200: credentialSchema, ...problemResponses },
      },
    },
    async (request) => {
      const saved = await models.putCredential(actorOf(request), request.params.provider, request.body);
      return credentialView(saved);
    },
  );

  r.delete(
    '/credentials/:provider',
    {
      config: { access: 'admin', audit: { action: 'credential.deleted', targetType: 'credential' } },
      schema: {
        tags: ['credentials'],
        summary: 'Remove this organization’s credential for a provider (the environment key, if any, applies again)',
        params: providerParam,
        response: { 204: z.null().describe('Removed'), ...problemResponses },
      },
    },
    async (request, reply) => {
      await models.deleteCredential(actorOf(request).orgId, request.params.provider);
      return reply.code(204).send(null);
    },
  );
}

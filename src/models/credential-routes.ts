import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../http/access.js';
import { problemResponses } from '../http/problem.js';
import type { AppContext } from '../app.js';
import { connectionTestSchema, credentialSchema, credentialView, providerParam } from './api-schemas.js';
import { credentialBody } from './credential-input.js';

/** Connection tests an organization may run per minute (each is one outbound call). */
export const CREDENTIAL_TESTS_PER_MINUTE = 20;

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

  r.post(
    '/credentials/:provider/test',
    {
      config: {
        access: 'admin',
        // Each test is an outbound call: a few a minute per organization is all a person needs.
        rateLimit: { max: CREDENTIAL_TESTS_PER_MINUTE, timeWindow: '1 minute', keyGenerator: (req) => `credential-test:${String(req.headers['x-org-id'] ?? req.ip)}` },
      },
      schema: {
        tags: ['credentials'],
        summary: 'Test a credential with one minimal real call (listing models): the stored one, or the one in the body (not saved)',
        description:
          'Answers 200 whenever the test ran: `{ok: true, latencyMs, models, modelCount}`, or `{ok: false, status, code, message}` ' +
          "with the provider's own error text (trimmed; no key echoed). Without a body (or with neither field) the stored credential " +
          'is tested (404 when there is none). A body is checked as PUT checks it (400). Calls to an organization\'s base URL pass ' +
          'the egress guard; there, an answer that is not a provider\'s error is reported as one generic `model_endpoint_failed`.',
        params: providerParam,
        body: credentialBody.nullish(),
        response: { 200: connectionTestSchema, ...problemResponses },
      },
    },
    async (request) => {
      const body = request.body;
      const candidate = body && (body.apiKey || body.baseUrl) ? body : undefined;
      return models.testCredential(actorOf(request).orgId, request.params.provider, candidate);
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

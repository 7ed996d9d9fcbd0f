import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../http/access.js';
import { problemResponses } from '../http/problem.js';
import type { AppContext } from '../app.js';
import { notFound } from '../shared/errors.js';
import { assertOneOfOffsetCursor, decodeCursor, encodeCursor, pageOf, pageQuery, type Page } from '../shared/pagination.js';
import { historyView, modelDetailSchema, modelParams, modelSchema, modelView, providerSchema } from './api-schemas.js';
import { registerCredentialRoutes } from './credential-routes.js';
import { isUsable } from './provider-status.js';
import { isProvider, PROVIDER_IDS } from './providers.js';
import { registerClassificationRuleRoutes } from './rules-routes.js';

const modelQuery = pageQuery.extend({
  limit: z.coerce.number().int().min(1).max(100).default(100),
  // A catalog reads best alphabetically, so ascending is the default here.
  sortOrder: z.enum(['asc', 'desc']).default('asc'),
  provider: z.enum(PROVIDER_IDS).optional(),
  search: z.string().trim().min(1).max(200).optional().describe('Case-insensitive part of the model id or display name'),
});

/**
 * Catalog and provider routes (viewer and up); credential routes (admin) live in
 * credential-routes.ts, classification rules (viewer reads, admin edits) in rules-routes.ts.
 */
export function registerModelRoutes(app: FastifyInstance, ctx: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const models = ctx.services.models;

  /** Which providers this organization can call, by provider id. */
  const usable = async (orgId: string) =>
    new Map((await models.providerStatuses(orgId)).map((p) => [p.id, isUsable(p.source)] as const));

  r.get(
    '/models',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['models'],
        summary: 'List models with their current prices',
        description:
          'One item per model with the price in force today (UTC). Ordered by id (`provider:modelId`, code-point order). ' +
          'The catalog is small, so paging happens after filtering; `limit` defaults to 100.',
        querystring: modelQuery,
        response: { 200: pageOf(modelSchema), ...problemResponses },
      },
    },
    async (request) => {
      const q = request.query;
      assertOneOfOffsetCursor(q);
      const { orgId } = actorOf(request);
      const [rows, canCall] = await Promise.all([models.listModels({ provider: q.provider, search: q.search }), usable(orgId)]);
      const items = rows.map((m) => modelView(m, canCall.get(m.provider) ?? false));
      return paginate(items, q);
    },
  );

  r.get(
    '/models/:provider/:modelId',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['models'],
        summary: 'One model, its current price and its price history',
        params: modelParams,
        response: { 200: modelDetailSchema, ...problemResponses },
      },
    },
    async (request) => {
      const { provider, modelId } = request.params;
      const found = isProvider(provider) ? await models.getModel(provider, modelId) : null;
      if (!found) throw notFound(`Model ${provider}:${modelId}`);
      const canCall = await usable(actorOf(request).orgId);
      return { ...modelView(found.model, canCall.get(found.model.provider) ?? false), priceHistory: historyView(found.history) };
    },
  );

  r.get(
    '/providers',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['models'],
        summary: 'Model providers and where this organization’s credential for each comes from',
        description: 'A fixed, short list, so it is not paged. Never includes a key.',
        response: { 200: z.object({ items: z.array(providerSchema) }), ...problemResponses },
      },
    },
    async (request) => ({ items: await models.providerStatuses(actorOf(request).orgId) }),
  );

  registerCredentialRoutes(app, ctx);
  registerClassificationRuleRoutes(app, ctx);
}

/**
 * Offset or keyset paging over an in-memory list, ordered by the unique `id` in code-point order
 * (not the database collation, which may ignore punctuation and would break the cursor).
 */
function paginate<T extends { id: string }>(
  all: T[],
  q: { limit: number; offset?: number; cursor?: string; sortOrder: 'asc' | 'desc' },
): Page<T> {
  const dir = q.sortOrder === 'asc' ? 1 : -1;
  const sorted = [...all].sort((a, b) => (a.id < b.id ? -dir : a.id > b.id ? dir : 0));
  let start = q.offset ?? 0;
  if (q.cursor !== undefined) {
    const after = decodeCursor(q.cursor).id;
    const i = sorted.findIndex((m) => (q.sortOrder === 'asc' ? m.id > after : m.id < after));
    start = i === -1 ? sorted.length : i;
  }
  const items = sorted.slice(start, start + q.limit);
  const last = items.at(-1);
  const more = start + q.limit < sorted.length;
  return {
    items,
    total: all.length,
    limit: q.limit,
    offset: q.cursor === undefined ? start : null,
    nextCursor: more && last ? encodeCursor({ value: last.id, id: last.id }) : null,
  };
}


import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../http/access.js';
import { problemResponses } from '../http/problem.js';
import type { AppContext } from '../app.js';
import { assertOneOfOffsetCursor, decodeCursor, encodeCursor, pageOf, pageQuery, type Page } from '../shared/pagination.js';
import type { ClassificationRuleRow } from './classification-rules.js';

const tags = ['classification-rules'];

const label = z.string().trim().min(1).max(100).describe('What text matching this rule is classified as; unique in the organization');
const keywords = z
  .array(z.string().trim().min(1).max(100))
  .min(1)
  .max(200)
  .describe('Whole words or phrases, matched case-insensitively; repeats are dropped');
const priority = z.number().int().min(-1_000_000).max(1_000_000).describe('Higher wins when several rules match; default 0');

const ruleBody = z.strictObject({ label, keywords, priority: priority.optional() });
const rulePatch = z
  .strictObject({ label: label.optional(), keywords: keywords.optional(), priority: priority.optional() })
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'give at least one of label, keywords, priority');

const ruleSchema = z
  .object({
    id: z.string(),
    label: z.string(),
    keywords: z.array(z.string()),
    priority: z.number().int(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'ClassificationRule' });

const classificationSchema = z
  .object({
    label: z.string().nullable().describe('The best matching rule’s label; null when no keyword occurs in the text'),
    matched: z.array(z.string()).describe('That rule’s keywords found in the text'),
  })
  .meta({ id: 'Classification' });

// Paths name the rule by id, whatever its format: a malformed id is simply not found (404).
const idParams = z.object({ id: z.string().max(100).describe('Classification rule id (UUID)') });

const listQuery = pageQuery.omit({ sortOrder: true }).extend({
  search: z.string().trim().min(1).max(100).optional().describe('Case-insensitive part of the label or of a keyword'),
});

const view = (r: ClassificationRuleRow) => ({
  id: r.id,
  label: r.label,
  keywords: r.keywords,
  priority: r.priority,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

/**
 * The offline rules model's keyword rules (docs/rules-model.md): viewers read and test them,
 * admins edit them. Another organization's rule answers 404.
 */
export function registerClassificationRuleRoutes(app: FastifyInstance, ctx: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const models = ctx.services.models;

  r.get(
    '/classification-rules',
    {
      config: { access: 'viewer' },
      schema: {
        tags,
        summary: 'List the organization’s classification rules, in evaluation order',
        description:
          'Ordered as the rules model tries them: highest priority first, then label (code-point order). ' +
          'An organization has at most 1000 rules, so `search` and paging happen after loading them.',
        querystring: listQuery,
        response: { 200: pageOf(ruleSchema), ...problemResponses },
      },
    },
    async (request) => {
      const q = request.query;
      assertOneOfOffsetCursor({ ...q, sortOrder: 'asc' });
      const rows = await models.listClassificationRules(actorOf(request).orgId);
      const needle = q.search?.toLowerCase();
      const found = needle ? rows.filter((x) => x.label.toLowerCase().includes(needle) || x.keywords.some((k) => k.toLowerCase().includes(needle))) : rows;
      return page(found.map(view), q);
    },
  );

  r.post(
    '/classification-rules',
    {
      config: { access: 'admin', audit: { action: 'classification_rule.created', targetType: 'classification_rule' } },
      schema: {
        tags,
        summary: 'Add a classification rule',
        body: ruleBody,
        response: { 201: ruleSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const row = await models.createClassificationRule(actorOf(request).orgId, request.body);
      return reply.code(201).send(view(row));
    },
  );

  r.patch(
    '/classification-rules/:id',
    {
      config: { access: 'admin', audit: { action: 'classification_rule.updated', targetType: 'classification_rule' } },
      schema: {
        tags,
        summary: 'Change a classification rule (the fields given)',
        params: idParams,
        body: rulePatch,
        response: { 200: ruleSchema, ...problemResponses },
      },
    },
    async (request) => view(await models.updateClassificationRule(actorOf(request).orgId, request.params.id, request.body)),
  );

  r.delete(
    '/classification-rules/:id',
    {
      config: { access: 'admin', audit: { action: 'classification_rule.deleted', targetType: 'classification_rule' } },
      schema: { tags, summary: 'Remove a classification rule', params: idParams, response: { 204: z.null().describe('Removed'), ...problemResponses } },
    },
    async (request, reply) => {
      await models.deleteClassificationRule(actorOf(request).orgId, request.params.id);
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/classification-rules/test',
    {
      config: { access: 'viewer' },
      schema: {
        tags,
        summary: 'Classify a text with the organization’s rules, as the rules model would',
        description: 'Nothing is stored. `label` is null when no rule matches (the rules model then answers "unclassified").',
        body: z.strictObject({ text: z.string().min(1).max(100_000) }),
        response: { 200: classificationSchema, ...problemResponses },
      },
    },
    async (request) => {
      const found = await models.classify(actorOf(request).orgId, request.body.text);
      return { label: found?.label ?? null, matched: found?.matched ?? [] };
    },
  );
}

/**
 * Offset or cursor paging over the list in evaluation order. The cursor holds the position's
 * (priority, label), which is unique per organization, so a page boundary survives inserts.
 */
function page<T extends { label: string; priority: number }>(all: T[], q: { limit: number; offset?: number; cursor?: string }): Page<T> {
  let start = q.offset ?? 0;
  if (q.cursor !== undefined) {
    const { value, id: after } = decodeCursor(q.cursor);
    const p = Number(value);
    const i = all.findIndex((x) => x.priority < p || (x.priority === p && x.label > after));
    start = i === -1 ? all.length : i;
  }
  const items = all.slice(start, start + q.limit);
  const last = items.at(-1);
  return {
    items,
    total: all.length,
    limit: q.limit,
    offset: q.cursor === undefined ? start : null,
    nextCursor: start + q.limit < all.length && last ? encodeCursor({ value: last.priority, id: last.label }) : null,
  };
}

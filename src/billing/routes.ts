import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../http/access.js';
import { problemResponses } from '../http/problem.js';
import type { AppContext } from '../app.js';
import { usageHistorySchema, usageReportSchema } from './dto.js';
import { monthOf, monthSchema } from './month.js';

const errors = problemResponses;
const tags = ['usage'];
const monthQuery = z.object({ month: monthSchema.optional().describe('YYYY-MM (UTC); default the current month') });

/** /usage: costs by month, agent, model, conversation, task and day; history; CSV export. Viewers may read. */
export function registerBillingRoutes(app: FastifyInstance, ctx: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const billing = () => ctx.services.billing;

  r.get(
    '/usage',
    {
      config: { access: 'viewer' },
      schema: {
        tags,
        summary: 'Usage and cost of one month: totals, breakdowns, budgets',
        querystring: monthQuery.extend({
          top: z.coerce.number().int().min(1).max(1000).default(100).describe('How many conversations and tasks to list (most billed first)'),
        }),
        response: { 200: usageReportSchema, ...errors },
      },
    },
    async (req) => billing().usage(actorOf(req).orgId, req.query.month ?? monthOf(new Date()), req.query.top),
  );

  r.get(
    '/usage/history',
    {
      config: { access: 'viewer' },
      schema: {
        tags,
        summary: 'Monthly totals, the current month last',
        querystring: z.object({ months: z.coerce.number().int().min(1).max(60).default(12) }),
        response: { 200: usageHistorySchema, ...errors },
      },
    },
    async (req) => ({ items: await billing().history(actorOf(req).orgId, req.query.months) }),
  );

  r.get(
    '/usage/export.csv',
    {
      config: { access: 'viewer' },
      schema: {
        tags,
        summary: "The month's ledger rows as CSV (text/csv; amounts in micro-dollars and in dollars)",
        querystring: monthQuery,
        // A stream, not serialized: the schema only documents it.
        response: { 200: z.any().describe('text/csv, RFC 4180, header row first'), ...errors },
      },
    },
    async (req, reply) => {
      const month = req.query.month ?? monthOf(new Date());
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="troupe-usage-${month}.csv"`)
        .send(Readable.from(billing().exportCsv(actorOf(req).orgId, month)));
    },
  );
}

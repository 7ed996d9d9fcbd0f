import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../../../db/client.js';
import { actorOf } from '../../../http/access.js';
import { problemResponses } from '../../../http/problem.js';
import { registerFitnessAnalyticsRoutes } from '../analytics/routes.js';
import { DEFAULT_DEMO_MEMBERS, DEFAULT_DEMO_SEED } from './generate.js';
import { DEMO_TABLES } from './rows.js';
import { fillDemoGym, MAX_DEMO_MEMBERS_API } from './service.js';

const demoBody = z
  .strictObject({
    seed: z.number().int().min(0).max(2_147_483_647).default(DEFAULT_DEMO_SEED).describe('The same seed makes the same gym'),
    members: z.number().int().min(1).max(MAX_DEMO_MEMBERS_API).default(DEFAULT_DEMO_MEMBERS).describe('Members (contacts with a subscription); leads come on top (30% more)'),
  })
  .default({ seed: DEFAULT_DEMO_SEED, members: DEFAULT_DEMO_MEMBERS });

const count = z.number().int();
export const demoSummarySchema = z
  .object({
    orgId: z.string(),
    seed: count,
    asOf: z.string().describe("The gym's now: today 00:00 UTC"),
    members: count,
    leads: count,
    rows: z.object(Object.fromEntries(DEMO_TABLES.map((t) => [t, count])) as Record<(typeof DEMO_TABLES)[number], typeof count>),
    totalRows: count,
    generateMs: count,
    insertMs: count,
    analyzeMs: count,
  })
  .meta({ id: 'FitnessDemoSummary' });

/**
 * POST /fitness/demo (admin): fills the organization with a demo gym (docs/fitness.md, "Demo
 * gym"); 409 when it already has gym data. And the analytics routes, which the demo gym feeds.
 */
export function registerFitnessDemoRoutes(app: FastifyInstance, database: Database): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/fitness/demo',
    {
      config: { access: 'admin', audit: { action: 'fitness.demo.created', targetType: 'organization' } },
      schema: {
        tags: ['fitness'],
        summary: 'Fill this organization with a demo gym (12 months of members, payments, classes and leads)',
        description:
          'Generates a fictional gym deterministically from the seed, as of today, and writes it in one transaction. ' +
          `Refused with 409 (fitness_data_exists) when the organization already has contacts, staff, plans, classes or lead stages. At most ${MAX_DEMO_MEMBERS_API} members here (the CLI, troupe demo, allows more).`,
        body: demoBody,
        response: { 201: demoSummarySchema, ...problemResponses },
      },
    },
    async (req, reply) => {
      const { summary } = await fillDemoGym(database, actorOf(req).orgId, req.body);
      return reply.code(201).send(summary);
    },
  );
  registerFitnessAnalyticsRoutes(app, database);
}

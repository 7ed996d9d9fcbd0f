import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Database } from '../../../db/client.js';
import { actorOf } from '../../../http/access.js';
import { problemResponses } from '../../../http/problem.js';
import { REPORTS } from './reports.js';

/**
 * GET /fitness/analytics/<report> for the dashboard's analytics page (viewer): the same
 * functions and parameters as the analytics tools, parameters in the query string.
 */
export function registerFitnessAnalyticsRoutes(app: FastifyInstance, database: Database): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  for (const report of REPORTS) {
    r.get(
      `/fitness/analytics/${report.path}`,
      {
        config: { access: 'viewer' },
        schema: {
          tags: ['fitness'],
          summary: report.summary,
          description: `${report.description} (The tool ${report.tool} answers the same.)`,
          querystring: report.params,
          response: { 200: report.result, ...problemResponses },
        },
      },
      async (req) => {
        const { orgId } = actorOf(req);
        return (await database.readOrg(orgId, (tx) => report.run(tx, orgId, req.query))) as never;
      },
    );
  }
}

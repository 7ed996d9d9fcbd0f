import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../http/access.js';
import type { AppContext } from '../app.js';
import { pageOf, pageQuery } from '../shared/pagination.js';
import { agentSchema, agentVersionSchema, agentVersionSummarySchema, versionComparisonSchema } from './dto.js';
import { errors, idParams, tags } from './route-common.js';

const versionParams = idParams.extend({ version: z.string().max(20).describe('Version number (1, 2, …)') });
const compareQuery = z.object({
  from: z.coerce.number().int().min(1),
  to: z.coerce.number().int().min(1).optional().describe('Default: the current version'),
});

/** /agents/:id/versions: history, one snapshot, comparison, and restore of an old configuration. */
export function registerAgentVersionRoutes(app: FastifyInstance, ctx: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const agents = () => ctx.services.agents;

  r.get(
    '/agents/:id/versions',
    {
      config: { access: 'viewer' },
      schema: { tags, summary: "An agent's versions, newest first", params: idParams, querystring: pageQuery, response: { 200: pageOf(agentVersionSummarySchema), ...errors } },
    },
    async (req) => agents().listVersions(actorOf(req), req.params.id, req.query),
  );

  // Static segment: find-my-way tries it before the :version parameter below.
  r.get(
    '/agents/:id/versions/compare',
    {
      config: { access: 'viewer' },
      schema: { tags, summary: 'What changed between two versions', params: idParams, querystring: compareQuery, response: { 200: versionComparisonSchema, ...errors } },
    },
    async (req) => agents().compareVersions(actorOf(req), req.params.id, req.query.from, req.query.to),
  );

  r.get(
    '/agents/:id/versions/:version',
    {
      config: { access: 'viewer' },
      schema: { tags, summary: 'One version with its configuration snapshot', params: versionParams, response: { 200: agentVersionSchema, ...errors } },
    },
    async (req) => agents().getVersion(actorOf(req), req.params.id, req.params.version),
  );

  r.post(
    '/agents/:id/versions/:version/restore',
    {
      config: { access: 'admin', audit: { action: 'agent.version_restored', targetType: 'agent' } },
      schema: { tags, summary: "Bring back a version's configuration (as a new version)", params: versionParams, response: { 200: agentSchema, ...errors } },
    },
    async (req) => agents().restoreVersion(actorOf(req), req.params.id, req.params.version),
  );
}

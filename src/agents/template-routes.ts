import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { actorOf } from '../http/access.js';
import { problemResponses } from '../http/problem.js';
import { agentTemplateSchema, installResultSchema, installTemplateBody, templateListQuery } from './template-dto.js';
import { installTemplate } from './template-install.js';
import { loadTemplates, TemplateCatalog } from './templates.js';

const tags = ['agent templates'];
const idParams = z.object({ id: z.string().max(100).describe('Template id, e.g. `workout-optimizer`') });

/**
 * The template gallery: every pack's templates (loaded and checked here, at start-up: a broken
 * file stops the server naming it), and installing one as an agent of the organization.
 */
export function registerAgentTemplateRoutes(app: FastifyInstance, ctx: AppContext, catalog = new TemplateCatalog(loadTemplates(), (name) => ctx.services.tools.get(name) !== undefined)): TemplateCatalog {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/agent-templates',
    {
      config: { access: 'viewer' },
      schema: { tags, summary: 'Agent templates (filter by pack, tag, words)', querystring: templateListQuery, response: { 200: z.object({ items: z.array(agentTemplateSchema) }), ...problemResponses } },
    },
    async (req) => ({ items: catalog.list(req.query) }),
  );

  r.get(
    '/agent-templates/:id',
    { config: { access: 'viewer' }, schema: { tags, summary: 'One agent template', params: idParams, response: { 200: agentTemplateSchema, ...problemResponses } } },
    async (req) => catalog.get(req.params.id),
  );

  r.post(
    '/agent-templates/:id/install',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: "Create an agent from a template (optional name and model); maps the template's task types where unmapped",
        params: idParams,
        body: installTemplateBody.optional(),
        response: { 201: installResultSchema, ...problemResponses },
      },
    },
    async (req, reply) => {
      const template = catalog.file(req.params.id);
      const deps = {
        agents: ctx.services.agents,
        tool: (name: string) => ctx.services.tools.get(name),
        taskTypes: ctx.services.taskTypes,
        audit: ctx.services.audit,
      };
      return reply.code(201).send(await installTemplate(deps, actorOf(req), template, req.body ?? {}, req.id));
    },
  );
  return catalog;
}

import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { actorOf } from '../http/access.js';
import { problemResponses } from '../http/problem.js';
import type { AppContext } from '../app.js';
import { pageOf } from '../shared/pagination.js';
import { registerAuditHook } from './hook.js';
import { auditEntrySchema, auditListQuery } from './dto.js';

export { auditEntrySchema };

/** /audit (admin), plus the hook that audits every route declaring `config.audit`. */
export function registerAuditRoutes(app: FastifyInstance, ctx: AppContext): void {
  registerAuditHook(app, ctx);
  // Sign-ins and API key use are recorded by the auth service itself (wired in app.ts): a
  // failed sign-in never reaches a 2xx hook.
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/audit',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['audit'],
        summary: 'The audit log: configuration changes, runs, tool calls, approvals, sign-ins and key use',
        querystring: auditListQuery,
        response: { 200: pageOf(auditEntrySchema), ...problemResponses },
      },
    },
    async (req) => {
      const actor = actorOf(req);
      // `q` also finds entries about agents whose name holds it (deleted ones too): the agents
      // service names them; the audit log keeps ids, not names.
      let named: string[] = [];
      if (req.query.q) {
        const needle = req.query.q.toLowerCase();
        const agents = await ctx.services.agents.list(actor, { search: req.query.q, includeDeleted: true, limit: 100, sortBy: 'name', sortOrder: 'asc' });
        named = agents.items.filter((a) => a.name.toLowerCase().includes(needle)).map((a) => a.id);
      }
      return ctx.services.audit.list(actor, req.query, named);
    },
  );
}

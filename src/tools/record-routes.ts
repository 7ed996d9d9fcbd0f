import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../http/access.js';
import type { AppContext } from '../app.js';
import { pageOf } from '../shared/pagination.js';
import { errors, followUpSchema, listFollowUpsQuery, listOutboxQuery, outboxEmailSchema } from './dto.js';

/**
 * /outbox (admins: mail bodies are other people's correspondence) and /follow-ups (everyone),
 * the records send_email and schedule_follow_up keep.
 */
export function registerRecordRoutes(app: FastifyInstance, ctx: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tools = () => ctx.services.tools;

  r.get(
    '/outbox',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['outbox'],
        summary: 'Mail agents sent or, without SMTP configured, kept here (newest first; filter by status)',
        querystring: listOutboxQuery,
        response: { 200: pageOf(outboxEmailSchema), ...errors },
      },
    },
    async (req) => tools().outbox.list(actorOf(req), req.query),
  );

  r.get(
    '/outbox/:id/attachments/:index',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['outbox'],
        summary: "Download one of a mail's attachments (a report's CSV, an export)",
        params: z.object({ id: z.string().max(100), index: z.coerce.number().int().min(0).max(100) }),
        response: { 200: z.string(), ...errors },
      },
    },
    async (req, reply) => {
      const file = await tools().outbox.attachment(actorOf(req), req.params.id, req.params.index);
      // Attachment, never inline: the content is what an agent wrote and must not run as a page of this origin.
      const name = file.filename.replace(/[^\w.\- ]/g, '_');
      return reply.header('content-type', /^text\/(csv|plain)$/.test(file.contentType) ? `${file.contentType}; charset=utf-8` : 'application/octet-stream').header('content-disposition', `attachment; filename="${name}"`).header('x-content-type-options', 'nosniff').send(file.content);
    },
  );

  r.get(
    '/follow-ups',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['follow-ups'],
        summary: 'Follow-ups agents scheduled, soonest first (filter by status)',
        querystring: listFollowUpsQuery,
        response: { 200: pageOf(followUpSchema), ...errors },
      },
    },
    async (req) => tools().followUps.list(actorOf(req), req.query),
  );
}

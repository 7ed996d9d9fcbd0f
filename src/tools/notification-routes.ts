import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../http/access.js';
import type { AppContext } from '../app.js';
import { uuidOr404 } from '../shared/ids.js';
import { pageOf } from '../shared/pagination.js';
import { errors, idParams, listNotificationsQuery, notificationSchema } from './dto.js';

const tags = ['notifications'];

/** /notifications: what each person sees (for everyone plus their own), read and unread. */
export function registerNotificationRoutes(app: FastifyInstance, ctx: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const notifications = () => ctx.services.tools.notifications;

  r.get(
    '/notifications',
    {
      config: { access: 'viewer' },
      schema: { tags, summary: 'Your notifications, newest first (unread=true for the unread ones)', querystring: listNotificationsQuery, response: { 200: pageOf(notificationSchema), ...errors } },
    },
    async (req) => notifications().list(actorOf(req), req.query),
  );

  r.post(
    '/notifications/read-all',
    {
      config: { access: 'viewer' },
      schema: { tags, summary: 'Mark every notification you see as read', response: { 200: z.object({ updated: z.number().int() }), ...errors } },
    },
    async (req) => notifications().markAllRead(actorOf(req)),
  );

  r.post(
    '/notifications/:id/read',
    {
      config: { access: 'viewer' },
      schema: { tags, summary: 'Mark a notification as read', params: idParams, response: { 200: notificationSchema, ...errors } },
    },
    async (req) => notifications().markRead(actorOf(req), uuidOr404(req.params.id, 'Notification')),
  );
}

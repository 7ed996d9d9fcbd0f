import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Database } from '../db/client.js';
import { actorOf } from '../http/access.js';
import { problemResponses } from '../http/problem.js';
import { countInbox, type InboxCounter } from './counts.js';
import { inboxCountsSchema } from './dto.js';

/**
 * `GET /inbox/counts` (viewer): what agents left for people, counted in one statement; the
 * dashboard's inbox badge and tabs. The lists themselves are their modules' (`/notifications`,
 * `/tickets`, `/follow-ups`, `/outbox`, `/fitness/sms-outbox`, `/fitness/social-posts`).
 */
export function registerInboxRoutes(app: FastifyInstance, deps: { database: Database; sources: InboxCounter[] }): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/inbox/counts',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['inbox'],
        summary: 'How many notifications, tickets, follow-ups, kept mail and SMS and scheduled posts wait for people',
        description:
          '`attention` (unread notifications plus open tickets) is what the dashboard shows as the inbox badge: what a person can act on and clear. ' +
          'Mail and SMS counts are for admins and owners (null for other roles), as their outboxes are.',
        response: { 200: inboxCountsSchema, ...problemResponses },
      },
    },
    async (req) => countInbox(deps.database, actorOf(req), deps.sources),
  );
}

import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { actorOf } from '../http/access.js';
import type { AppContext } from '../app.js';
import { uuidOr404 } from '../shared/ids.js';
import { pageOf } from '../shared/pagination.js';
import { errors, idParams, listTicketsQuery, ticketSchema, updateTicketBody } from './dto.js';

const tags = ['tickets'];

/** /tickets: support tickets agents opened. Viewers read; members work on them. */
export function registerTicketRoutes(app: FastifyInstance, ctx: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tickets = () => ctx.services.tools.tickets;

  r.get(
    '/tickets',
    {
      config: { access: 'viewer' },
      schema: { tags, summary: 'Support tickets, newest first (filter by status, priority)', querystring: listTicketsQuery, response: { 200: pageOf(ticketSchema), ...errors } },
    },
    async (req) => tickets().list(actorOf(req), req.query),
  );

  r.get(
    '/tickets/:id',
    { config: { access: 'viewer' }, schema: { tags, summary: 'Get a support ticket', params: idParams, response: { 200: ticketSchema, ...errors } } },
    async (req) => tickets().get(actorOf(req), uuidOr404(req.params.id, 'Ticket')),
  );

  r.patch(
    '/tickets/:id',
    {
      config: { access: 'member', audit: { action: 'ticket.updated', targetType: 'ticket' } },
      schema: { tags, summary: "Change a ticket's status or priority", params: idParams, body: updateTicketBody, response: { 200: ticketSchema, ...errors } },
    },
    async (req) => tickets().update(actorOf(req), uuidOr404(req.params.id, 'Ticket'), req.body),
  );
}

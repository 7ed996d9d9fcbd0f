import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { actorOf } from '../http/access.js';
import { problemResponses } from '../http/problem.js';
import { pageOf } from '../shared/pagination.js';
import { createStaffBody, listStaffQuery, staffSchema, updateStaffBody } from './dto.js';

const idParams = z.object({ id: z.string().max(100) });
const tags = ['staff'];

/** /staff: the people who receive work (docs/pipelines.md). Members read (it holds contact details); admins write. */
export function registerStaffRoutes(app: FastifyInstance, ctx: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const staff = ctx.services.staff;
  r.get(
    '/staff',
    { config: { access: 'member' }, schema: { tags, summary: 'The staff directory, by name (filter by role, text, active)', querystring: listStaffQuery, response: { 200: pageOf(staffSchema), ...problemResponses } } },
    async (req) => staff.list(actorOf(req), req.query),
  );
  r.post(
    '/staff',
    {
      config: { access: 'admin', audit: { action: 'staff.created', targetType: 'staff_member' } },
      schema: { tags, summary: 'Add a staff member', body: createStaffBody, response: { 201: staffSchema, ...problemResponses } },
    },
    async (req, reply) => reply.code(201).send(await staff.create(actorOf(req), req.body)),
  );
  r.get('/staff/:id', { config: { access: 'member' }, schema: { tags, summary: 'One staff member', params: idParams, response: { 200: staffSchema, ...problemResponses } } }, async (req) =>
    staff.get(actorOf(req), req.params.id),
  );
  r.patch(
    '/staff/:id',
    {
      config: { access: 'admin', audit: { action: 'staff.updated', targetType: 'staff_member' } },
      schema: { tags, summary: 'Change a staff member (roles, capacity, active, …)', params: idParams, body: updateStaffBody, response: { 200: staffSchema, ...problemResponses } },
    },
    async (req) => staff.update(actorOf(req), req.params.id, req.body),
  );
  r.delete(
    '/staff/:id',
    {
      config: { access: 'admin', audit: { action: 'staff.deleted', targetType: 'staff_member' } },
      schema: { tags, summary: 'Remove a staff member (their items become unassigned)', params: idParams, response: { 204: z.null(), ...problemResponses } },
    },
    async (req, reply) => {
      await staff.remove(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
}

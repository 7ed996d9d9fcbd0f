import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { actorOf } from '../http/access.js';
import { problemResponses } from '../http/problem.js';
import { pageOf } from '../shared/pagination.js';
import {
  createEndpointBody,
  createTriggerBody,
  deliverySchema,
  emitEventBody,
  endpointSchema,
  endpointWithSecretSchema,
  eventSchema,
  eventWithFiresSchema,
  fireSchema,
  listEventsQuery,
  listFiresQuery,
  triggerSchema,
  updateEndpointBody,
  updateTriggerBody,
} from './dto.js';
import type { EndpointRow } from './webhooks.js';
import { signWebhook, type VerificationScheme } from './verify.js';

const idParams = z.object({ id: z.string().max(100) });

/** Events, triggers and webhook endpoints (issue 16; docs/events.md). The public intake is hook-routes.ts. */
export function registerEventRoutes(app: FastifyInstance, ctx: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { events, triggers, webhooks } = ctx.services;
  // The address senders use: TROUPE_PUBLIC_URL, else the one this request came to (right behind a
  // proxy that passes Host, and with PORT=0, where the configured address has no real port).
  const base = (req: FastifyRequest) => ctx.config.TROUPE_PUBLIC_URL ?? `${req.protocol}://${req.host}`;
  const endpointView = (row: EndpointRow, req: FastifyRequest) => ({ ...row, url: `${base(req)}/hooks/${row.id}`, hasSecret: row.secret !== null, verification: row.verification as VerificationScheme });

  // ---- events ----
  r.post(
    '/events',
    {
      config: { access: 'member' },
      schema: {
        tags: ['events'],
        summary: 'Record an event (202; the same dedupeKey again answers 200 with the stored one); triggers that match it fire',
        body: emitEventBody,
        response: { 200: eventSchema, 202: eventSchema, ...problemResponses },
      },
    },
    async (req, reply) => {
      const { event, created } = await events.emit(actorOf(req).orgId, { ...req.body, source: 'api', occurredAt: req.body.occurredAt ? new Date(req.body.occurredAt) : undefined });
      return reply.code(created ? 202 : 200).send(event);
    },
  );
  r.get(
    '/events',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['events'],
        summary: 'The event log, newest first (type or prefix, source, endpoint, time); total counts up to 10,000 matches',
        querystring: listEventsQuery,
        response: { 200: pageOf(eventSchema).extend({ totalExact: z.boolean().describe('false: more than 10,000 match, and total is 10,001') }), ...problemResponses },
      },
    },
    async (req) => events.list(actorOf(req), req.query),
  );
  r.get(
    '/events/:id',
    { config: { access: 'viewer' }, schema: { tags: ['events'], summary: 'One event with the triggers it fired', params: idParams, response: { 200: eventWithFiresSchema, ...problemResponses } } },
    async (req) => events.get(actorOf(req), req.params.id),
  );
  r.post(
    '/events/:id/replay',
    {
      config: { access: 'admin', audit: { action: 'event.replayed', targetType: 'event' } },
      schema: { tags: ['events'], summary: 'Process the event again: failed fires are tried again, fired ones stay (each run is still made once)', params: idParams, response: { 202: eventWithFiresSchema, ...problemResponses } },
    },
    async (req, reply) => reply.code(202).send(await events.replay(actorOf(req), req.params.id)),
  );
  r.get(
    '/trigger-fires',
    { config: { access: 'viewer' }, schema: { tags: ['events'], summary: 'Fires of triggers, newest first; status=failed lists the dead letters', querystring: listFiresQuery, response: { 200: pageOf(fireSchema), ...problemResponses } } },
    async (req) => events.fires(actorOf(req), req.query),
  );

  // ---- triggers ----
  r.get('/triggers', { config: { access: 'viewer' }, schema: { tags: ['triggers'], summary: "The organization's triggers", response: { 200: z.object({ items: z.array(triggerSchema) }), ...problemResponses } } }, async (req) => ({
    items: await triggers.list(actorOf(req)),
  }));
  r.post(
    '/triggers',
    {
      config: { access: 'admin', audit: { action: 'trigger.created', targetType: 'trigger' } },
      schema: { tags: ['triggers'], summary: 'A trigger: events of a type (and filter) start an agent run or a workflow run', body: createTriggerBody, response: { 201: triggerSchema, ...problemResponses } },
    },
    async (req, reply) => reply.code(201).send(await triggers.create(actorOf(req), req.body)),
  );
  r.get('/triggers/:id', { config: { access: 'viewer' }, schema: { tags: ['triggers'], summary: 'One trigger', params: idParams, response: { 200: triggerSchema, ...problemResponses } } }, async (req) =>
    triggers.get(actorOf(req), req.params.id),
  );
  r.patch(
    '/triggers/:id',
    {
      config: { access: 'admin', audit: { action: 'trigger.updated', targetType: 'trigger' } },
      schema: { tags: ['triggers'], summary: "Change a trigger (a workflow's: only enabled)", params: idParams, body: updateTriggerBody, response: { 200: triggerSchema, ...problemResponses } },
    },
    async (req) => triggers.update(actorOf(req), req.params.id, req.body),
  );
  r.delete(
    '/triggers/:id',
    { config: { access: 'admin', audit: { action: 'trigger.deleted', targetType: 'trigger' } }, schema: { tags: ['triggers'], summary: 'Delete a trigger', params: idParams, response: { 204: z.null(), ...problemResponses } } },
    async (req, reply) => {
      await triggers.remove(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  // ---- webhook endpoints ----
  const tags = ['webhooks'];
  r.get('/webhooks', { config: { access: 'viewer' }, schema: { tags, summary: "The organization's inbound webhook endpoints", response: { 200: z.object({ items: z.array(endpointSchema) }), ...problemResponses } } }, async (req) => ({
    items: (await webhooks.list(actorOf(req))).map((row) => endpointView(row, req)),
  }));
  r.post(
    '/webhooks',
    {
      config: { access: 'admin', audit: { action: 'webhook.created', targetType: 'webhook_endpoint' } },
      schema: { tags, summary: 'A new endpoint: senders POST to its url; its secret is shown once', body: createEndpointBody, response: { 201: endpointWithSecretSchema, ...problemResponses } },
    },
    async (req, reply) => {
      const { row, secret } = await webhooks.create(actorOf(req), req.body);
      return reply.code(201).send({ ...endpointView(row, req), secret });
    },
  );
  r.get('/webhooks/:id', { config: { access: 'viewer' }, schema: { tags, summary: 'One endpoint', params: idParams, response: { 200: endpointSchema, ...problemResponses } } }, async (req) =>
    endpointView(await webhooks.get(actorOf(req), req.params.id), req),
  );
  r.patch(
    '/webhooks/:id',
    {
      config: { access: 'admin', audit: { action: 'webhook.updated', targetType: 'webhook_endpoint' } },
      schema: { tags, summary: 'Change an endpoint', params: idParams, body: updateEndpointBody, response: { 200: endpointSchema, ...problemResponses } },
    },
    async (req) => endpointView(await webhooks.update(actorOf(req), req.params.id, req.body), req),
  );
  r.post(
    '/webhooks/:id/rotate-secret',
    {
      config: { access: 'admin', audit: { action: 'webhook.secret_rotated', targetType: 'webhook_endpoint' } },
      schema: { tags, summary: 'A new secret, shown once; the old one stops working now', params: idParams, response: { 200: endpointWithSecretSchema, ...problemResponses } },
    },
    async (req) => {
      const { row, secret } = await webhooks.rotateSecret(actorOf(req), req.params.id);
      return { ...endpointView(row, req), secret };
    },
  );
  r.delete(
    '/webhooks/:id',
    { config: { access: 'admin', audit: { action: 'webhook.deleted', targetType: 'webhook_endpoint' } }, schema: { tags, summary: 'Delete an endpoint (its events stay)', params: idParams, response: { 204: z.null(), ...problemResponses } } },
    async (req, reply) => {
      await webhooks.remove(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
  r.get(
    '/webhooks/:id/deliveries',
    { config: { access: 'viewer' }, schema: { tags, summary: 'The latest deliveries: accepted (their events) and refused (with the reason)', params: idParams, response: { 200: z.object({ items: z.array(deliverySchema) }), ...problemResponses } } },
    async (req) => ({ items: await webhooks.deliveries(actorOf(req), req.params.id) }),
  );
  r.post(
    '/webhooks/:id/test',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Send a test delivery, signed as a correct sender would, through the public intake; answers what the sender got',
        params: idParams,
        body: z.object({ payload: z.unknown().optional().describe('Default {"test": true}') }).nullish(),
        response: { 200: z.object({ status: z.number().int(), body: z.unknown() }), ...problemResponses },
      },
    },
    async (req) => {
      const actor = actorOf(req);
      const row = await webhooks.get(actor, req.params.id);
      const raw = Buffer.from(JSON.stringify(req.body?.payload ?? { test: true }));
      const secret = await webhooks.secretOf(actor, row.id);
      const signed = signWebhook({ scheme: row.verification as VerificationScheme, secret, header: row.signatureHeader, toleranceSeconds: row.toleranceSeconds }, raw, Date.now());
      const res = await app.inject({ method: 'POST', url: `/hooks/${row.id}`, headers: { 'content-type': 'application/json', ...signed }, payload: raw });
      return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as unknown) : null };
    },
  );
}

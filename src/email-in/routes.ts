import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { actorOf } from '../http/access.js';
import { problemResponses } from '../http/problem.js';
import { connectionTestSchema, createInboxBody, emailDeliverySchema, inboxSchema, inboxWithTokenSchema, updateInboxBody, type InboxView } from './dto.js';
import type { InboxKind, ParseProvider } from './enums.js';
import type { InboxRow } from './service.js';

const idParams = z.object({ id: z.string().max(100) });
const tags = ['email'];

/** Email inboxes (issue 16; docs/email.md): admins write, members read. The public intake is hook-routes.ts. */
export function registerEmailInboxRoutes(app: FastifyInstance, ctx: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { emailInboxes: inboxes } = ctx.services;
  const base = (req: FastifyRequest) => ctx.config.TROUPE_PUBLIC_URL ?? `${req.protocol}://${req.host}`;
  const view = (row: InboxRow, req: FastifyRequest): InboxView => ({
    id: row.id,
    orgId: row.orgId,
    name: row.name,
    kind: row.kind as InboxKind,
    enabled: row.enabled,
    eventType: row.eventType,
    address: row.localPart ? `${row.localPart}@${inboxes.settings.domain}` : null,
    host: row.host,
    port: row.port,
    secure: row.secure,
    username: row.username,
    hasPassword: row.passwordEnc !== null,
    mailbox: row.mailbox,
    pollSeconds: row.pollSeconds,
    uidValidity: row.uidValidity,
    lastUid: row.lastUid,
    lastPolledAt: row.lastPolledAt,
    lastError: row.lastError,
    provider: row.provider as ParseProvider | null,
    hookUrl: row.kind === 'parse' ? `${base(req)}/hooks/email/${row.id}` : null,
    hasSigningKey: row.signingKeyEnc !== null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  });
  const withToken = (row: InboxRow, token: string | null, req: FastifyRequest) => {
    const v = view(row, req);
    return { ...v, token, tokenUrl: token && v.hookUrl ? `${v.hookUrl}?token=${token}` : null };
  };

  r.get('/email-inboxes', { config: { access: 'member' }, schema: { tags, summary: "The organization's email inboxes", response: { 200: z.object({ items: z.array(inboxSchema) }), ...problemResponses } } }, async (req) => ({
    items: (await inboxes.list(actorOf(req))).map((row) => view(row, req)),
  }));
  r.post(
    '/email-inboxes',
    {
      config: { access: 'admin', audit: { action: 'email_inbox.created', targetType: 'email_inbox' } },
      schema: {
        tags,
        summary: 'A new inbox: an SMTP address, an IMAP mailbox to poll, or an inbound-parse webhook (its token shown once)',
        body: createInboxBody,
        response: { 201: inboxWithTokenSchema, ...problemResponses },
      },
    },
    async (req, reply) => {
      const { row, token } = await inboxes.create(actorOf(req), req.body);
      return reply.code(201).send(withToken(row, token, req));
    },
  );
  r.get('/email-inboxes/:id', { config: { access: 'member' }, schema: { tags, summary: 'One inbox', params: idParams, response: { 200: inboxSchema, ...problemResponses } } }, async (req) =>
    view(await inboxes.get(actorOf(req), req.params.id), req),
  );
  r.patch(
    '/email-inboxes/:id',
    {
      config: { access: 'admin', audit: { action: 'email_inbox.updated', targetType: 'email_inbox' } },
      schema: { tags, summary: 'Change an inbox (the IMAP password is write-only)', params: idParams, body: updateInboxBody, response: { 200: inboxSchema, ...problemResponses } },
    },
    async (req) => view(await inboxes.update(actorOf(req), req.params.id, req.body), req),
  );
  r.delete(
    '/email-inboxes/:id',
    { config: { access: 'admin', audit: { action: 'email_inbox.deleted', targetType: 'email_inbox' } }, schema: { tags, summary: 'Delete an inbox (its events stay)', params: idParams, response: { 204: z.null(), ...problemResponses } } },
    async (req, reply) => {
      await inboxes.remove(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
  r.post(
    '/email-inboxes/:id/rotate-token',
    {
      config: { access: 'admin', audit: { action: 'email_inbox.token_rotated', targetType: 'email_inbox' } },
      schema: { tags, summary: 'A parse inbox: a new token, shown once; the old one stops working now', params: idParams, response: { 200: inboxWithTokenSchema, ...problemResponses } },
    },
    async (req) => {
      const { row, token } = await inboxes.rotateToken(actorOf(req), req.params.id);
      return withToken(row, token, req);
    },
  );
  r.post(
    '/email-inboxes/:id/test-connection',
    {
      config: { access: 'admin' },
      schema: { tags, summary: "An IMAP inbox: sign in to its server and open its mailbox (read-only); says what went wrong", params: idParams, response: { 200: connectionTestSchema, ...problemResponses } },
    },
    async (req) => inboxes.testConnection(actorOf(req), req.params.id),
  );
  r.post(
    '/email-inboxes/:id/poll',
    { config: { access: 'admin' }, schema: { tags, summary: 'An IMAP inbox: poll it at the next chance, whatever its interval', params: idParams, response: { 202: inboxSchema, ...problemResponses } } },
    async (req, reply) => reply.code(202).send(view(await inboxes.pollNow(actorOf(req), req.params.id), req)),
  );
  r.get(
    '/email-inboxes/:id/deliveries',
    { config: { access: 'member' }, schema: { tags, summary: 'The latest events its mail made, newest first', params: idParams, response: { 200: z.object({ items: z.array(emailDeliverySchema) }), ...problemResponses } } },
    async (req) => ({ items: await inboxes.deliveries(actorOf(req), req.params.id) }),
  );
}

import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, userOf } from '../http/access.js';
import { problemResponses } from '../http/problem.js';
import type { AppContext } from '../app.js';
import { AppError } from '../shared/errors.js';
import { uuidOr404 } from '../shared/ids.js';
import { pageOf, pageQuery } from '../shared/pagination.js';
import { acceptInvitationBody, changeRoleBody, createOrgBody, idParams, invitationSchema, inviteBody, memberSchema, organizationSchema, roleSchema, updateOrgBody } from './dto.js';
import { noStore } from './no-store.js';

const errors = problemResponses;
const userIdParams = z.object({ userId: z.string() });

/**
 * /orgs (yours, create one, the current one), /members and /invitations of the current
 * organization (chosen with the X-Org-Id header).
 */
export function registerOrgRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const orgs = ctx.services.orgs;
  const tags = ['organizations'];

  r.get(
    '/orgs',
    { config: { access: 'user' }, schema: { tags, summary: 'Organizations you belong to', response: { 200: z.object({ items: z.array(organizationSchema) }), ...errors } } },
    async (req) => ({ items: await orgs.listForUser(userOf(req)) }),
  );

  r.post(
    '/orgs',
    {
      config: { access: 'user', audit: { action: 'organization.created', targetType: 'organization' } },
      schema: { tags, summary: 'Create an organization; you become its owner', body: createOrgBody, response: { 201: organizationSchema, ...errors } },
    },
    async (req, reply) => reply.code(201).send(await orgs.create(userOf(req), req.body.name)),
  );

  r.get(
    '/orgs/current',
    { config: { access: 'viewer' }, schema: { tags, summary: 'The organization this request acts in', response: { 200: organizationSchema, ...errors } } },
    async (req) => orgs.get(actorOf(req)),
  );

  r.patch(
    '/orgs/current',
    {
      config: { access: 'admin', audit: { action: 'organization.updated', targetType: 'organization' } },
      schema: {
        tags,
        summary: 'Rename (admin) or change billing settings (owner)',
        body: updateOrgBody,
        response: { 200: organizationSchema, ...errors },
      },
    },
    async (req) => orgs.update(actorOf(req), req.body),
  );

  // Not audited: deleting the organization deletes its audit log with it (the server log keeps the request).
  r.delete(
    '/orgs/current',
    {
      config: { access: 'owner' },
      schema: {
        tags,
        summary: 'Delete the organization and everything it owns',
        body: z.object({ confirm: z.string().describe("The organization's name, to confirm") }),
        response: { 204: z.null(), ...errors },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      const org = await orgs.get(actor);
      if (req.body.confirm !== org.name) {
        throw new AppError(400, 'confirmation_mismatch', 'confirm must equal the organization name exactly', [
          { path: 'body.confirm', message: 'does not match the organization name' },
        ]);
      }
      await orgs.delete(actor);
      return reply.code(204).send(null);
    },
  );

  const memberTags = ['members'];
  r.get(
    '/members',
    {
      config: { access: 'viewer' },
      schema: {
        tags: memberTags,
        summary: 'Members of the organization',
        querystring: pageQuery.extend({ role: roleSchema.optional(), search: z.string().trim().min(1).max(200).optional().describe('In name or email') }),
        response: { 200: pageOf(memberSchema), ...errors },
      },
    },
    async (req) => orgs.members(actorOf(req), req.query),
  );

  r.patch(
    '/members/:userId',
    {
      config: { access: 'admin', audit: { action: 'member.role_changed', targetType: 'user' } },
      schema: {
        tags: memberTags,
        summary: "Change a member's role; a demotion lowers the API keys they created to at most the new role",
        params: userIdParams,
        body: changeRoleBody,
        response: { 200: memberSchema.extend({ apiKeysLowered: z.number().int().describe('API keys this member created whose role was lowered') }), ...errors },
      },
    },
    async (req) => orgs.changeRole(actorOf(req), uuidOr404(req.params.userId, 'Member'), req.body.role),
  );

  r.delete(
    '/members/:userId',
    {
      config: { access: 'viewer', audit: { action: 'member.removed', targetType: 'user' } },
      schema: {
        tags: memberTags,
        summary: 'Remove a member (admin), or leave (yourself); the API keys they created here are revoked',
        params: userIdParams,
        response: { 200: z.object({ apiKeysRevoked: z.number().int().describe('API keys this member created, now revoked') }), ...errors },
      },
    },
    async (req) => orgs.removeMember(actorOf(req), uuidOr404(req.params.userId, 'Member')),
  );

  const inviteTags = ['invitations'];
  r.get(
    '/invitations',
    {
      config: { access: 'admin' },
      schema: { tags: inviteTags, summary: 'Pending invitations', querystring: pageQuery, response: { 200: pageOf(invitationSchema), ...errors } },
    },
    async (req) => orgs.invitations(actorOf(req), req.query),
  );

  r.post(
    '/invitations',
    {
      onRequest: noStore,
      config: { access: 'admin', audit: { action: 'invitation.created', targetType: 'invitation' } },
      schema: {
        tags: inviteTags,
        summary: 'Invite someone by email; the link is in this response only, and mailed to them when SMTP_URL is set',
        body: inviteBody,
        response: {
          201: z.object({
            invitation: invitationSchema,
            inviteUrl: z.string().describe('Shown once: a single-use bearer link'),
            mailed: z.boolean().describe('Whether the link was mailed to the invitee (SMTP_URL set and the mail server took it)'),
          }),
          ...errors,
        },
      },
    },
    async (req, reply) => reply.code(201).send(await orgs.invite(actorOf(req), req.body.email, req.body.role)),
  );

  r.delete(
    '/invitations/:id',
    { config: { access: 'admin', audit: { action: 'invitation.revoked', targetType: 'invitation' } }, schema: { tags: inviteTags, summary: 'Revoke a pending invitation', params: idParams, response: { 204: z.null(), ...errors } } },
    async (req, reply) => {
      await orgs.revokeInvitation(actorOf(req), uuidOr404(req.params.id, 'Invitation'));
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/invitations/accept',
    {
      config: {
        access: 'user',
        rateLimit: { max: ctx.config.TROUPE_AUTH_RATE_LIMIT, timeWindow: '1 minute' },
        audit: { action: 'member.joined', targetType: 'organization' },
      },
      schema: {
        tags: inviteTags,
        summary: 'Join an organization with an invitation token (the invitation must be for your email)',
        body: acceptInvitationBody,
        response: { 200: organizationSchema, ...errors },
      },
    },
    async (req) => orgs.accept(userOf(req), req.body.token),
  );
}

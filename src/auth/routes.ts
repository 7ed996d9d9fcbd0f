import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, userOf } from '../http/access.js';
import { problemResponses } from '../http/problem.js';
import type { AppContext } from '../app.js';
import { uuidOr404 } from '../shared/ids.js';
import { pageOf, pageQuery } from '../shared/pagination.js';
import {
  apiKeySchema,
  changePasswordBody,
  confirmSignUpBody,
  createApiKeyBody,
  idParams,
  organizationSchema,
  profileBody,
  refreshBody,
  sessionSchema,
  setupBody,
  signInBody,
  signUpBody,
  signUpMailedSchema,
  tokenPairSchema,
  userSchema,
} from './dto.js';
import { noStore } from './no-store.js';

const errors = problemResponses;

/** /auth (sessions and profile), /setup (first run) and /api-keys. */
export function registerAuthRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const auth = ctx.services.auth;
  // Per client IP: brute force against one account is also stopped by the lockout.
  const rateLimit = { max: ctx.config.TROUPE_AUTH_RATE_LIMIT, timeWindow: '1 minute' };
  const tags = ['auth'];

  r.post(
    '/auth/signup',
    {
      onRequest: noStore,
      config: { access: 'public', rateLimit, audit: { action: 'user.signed_up', targetType: 'user' } },
      schema: {
        tags,
        summary: 'Create an account (and an organization, unless joining by invitation)',
        description:
          'Without SMTP_URL (or with an invitation) the account is made at once: 201 with a session. With SMTP_URL, 202 for every ' +
          'address: a new one gets a link to finish (POST /auth/signup/confirm), one that has an account gets a notice, so the ' +
          'answer does not tell whether an address has an account.',
        body: signUpBody,
        response: { 201: sessionSchema, 202: signUpMailedSchema, ...errors },
      },
    },
    async (req, reply) => {
      const result = await auth.signUp(req.body);
      if (result.kind === 'session') return reply.code(201).send(result.session);
      // The same words for every address, whether it has an account or not.
      return reply.code(202).send({ status: 'mailed' as const, detail: 'We sent a message to the address you gave, telling you how to go on.' });
    },
  );

  r.post(
    '/auth/signup/confirm',
    {
      onRequest: noStore,
      config: { access: 'public', rateLimit, audit: { action: 'user.signed_up', targetType: 'user' } },
      schema: { tags, summary: 'Finish a sign-up with the token of the mailed link; the account is made now', body: confirmSignUpBody, response: { 201: sessionSchema, ...errors } },
    },
    async (req, reply) => reply.code(201).send(await auth.confirmSignUp(req.body.token)),
  );

  r.post(
    '/auth/signin',
    {
      onRequest: noStore,
      config: { access: 'public', rateLimit },
      schema: { tags, summary: 'Sign in with email and password', body: signInBody, response: { 200: z.object({ user: userSchema, tokens: tokenPairSchema }), ...errors } },
    },
    async (req) => auth.signIn(req.body.email, req.body.password, req.ip),
  );

  r.post(
    '/auth/refresh',
    {
      onRequest: noStore,
      config: { access: 'public', rateLimit },
      schema: { tags, summary: 'Exchange a refresh token for a new token pair (the old one stops working)', body: refreshBody, response: { 200: tokenPairSchema, ...errors } },
    },
    async (req) => auth.sessions.rotate(req.body.refreshToken),
  );

  r.post(
    '/auth/signout',
    {
      config: { access: 'public', rateLimit },
      schema: { tags, summary: 'End the session a refresh token belongs to', body: refreshBody, response: { 204: z.null(), ...errors } },
    },
    async (req, reply) => {
      await auth.sessions.revoke(req.body.refreshToken);
      return reply.code(204).send(null);
    },
  );

  r.get(
    '/auth/me',
    {
      config: { access: 'user' },
      schema: { tags, summary: 'The signed-in user and their organizations', response: { 200: z.object({ user: userSchema, organizations: z.array(organizationSchema) }), ...errors } },
    },
    async (req) => auth.me(userOf(req)),
  );

  r.patch(
    '/auth/me',
    {
      config: { access: 'user', audit: { action: 'user.updated', targetType: 'user' } },
      schema: { tags, summary: 'Update your profile', body: profileBody, response: { 200: userSchema, ...errors } },
    },
    async (req) => auth.updateProfile(userOf(req), req.body),
  );

  r.post(
    '/auth/password',
    {
      onRequest: noStore,
      config: { access: 'user', rateLimit, audit: { action: 'user.password_changed', targetType: 'user' } },
      schema: {
        tags,
        summary: 'Change your password; every other session is signed out',
        body: changePasswordBody,
        response: { 200: tokenPairSchema, ...errors },
      },
    },
    async (req) => auth.changePassword(userOf(req), req.body.currentPassword, req.body.newPassword),
  );

  r.get(
    '/setup',
    {
      config: { access: 'public' },
      schema: { tags: ['setup'], summary: 'Whether this server still needs its first owner', response: { 200: z.object({ required: z.boolean() }) } },
    },
    async () => ({ required: await auth.setupRequired() }),
  );

  r.post(
    '/setup',
    {
      onRequest: noStore,
      config: { access: 'public', rateLimit, audit: { action: 'instance.set_up', targetType: 'organization' } },
      schema: {
        tags: ['setup'],
        summary: 'Create the first owner and organization with the setup token printed at start-up',
        body: setupBody,
        response: { 201: sessionSchema, ...errors },
      },
    },
    async (req, reply) => reply.code(201).send(await auth.completeSetup(req.body)),
  );

  const keyTags = ['api-keys'];
  r.get(
    '/api-keys',
    {
      config: { access: 'admin' },
      schema: {
        tags: keyTags,
        summary: "List the organization's API keys (never the keys themselves)",
        querystring: pageQuery.extend({ includeRevoked: z.stringbool().default(false) }),
        response: { 200: pageOf(apiKeySchema), ...errors },
      },
    },
    async (req) => auth.apiKeys.list(actorOf(req), req.query),
  );

  r.post(
    '/api-keys',
    {
      onRequest: noStore,
      config: { access: 'admin', audit: { action: 'api_key.created', targetType: 'api_key' } },
      schema: {
        tags: keyTags,
        summary: 'Create an API key; the key is in this response only',
        body: createApiKeyBody,
        response: { 201: z.object({ apiKey: apiKeySchema, key: z.string().describe('Shown once; store it now') }), ...errors },
      },
    },
    async (req, reply) =>
      reply.code(201).send(
        await auth.apiKeys.create(actorOf(req), {
          name: req.body.name,
          role: req.body.role,
          expiresAt: req.body.expiresAt ? new Date(req.body.expiresAt) : undefined,
        }),
      ),
  );

  r.delete(
    '/api-keys/:id',
    {
      config: { access: 'admin', audit: { action: 'api_key.revoked', targetType: 'api_key' } },
      schema: { tags: keyTags, summary: 'Revoke an API key', params: idParams, response: { 204: z.null(), ...errors } },
    },
    async (req, reply) => {
      await auth.apiKeys.revoke(actorOf(req), uuidOr404(req.params.id, 'API key'));
      return reply.code(204).send(null);
    },
  );
}

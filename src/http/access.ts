import type { FastifyInstance, FastifyRequest } from 'fastify';
import { roleAtLeast, type Actor, type Role } from '../shared/roles.js';
import { AppError, forbidden, notFound, unauthorized } from '../shared/errors.js';

/**
 * Who may call a route, declared in its `config.access`:
 * - `public`: anyone;
 * - `user`: a signed-in person, whatever their organizations (profile, list/create organizations);
 * - a role: a person or API key acting in an organization with at least that role;
 * - `operator`: a signed-in instance operator (decision 32), for what concerns the whole install
 *   (the run queue); never an API key, which belongs to one organization. The operator's
 *   organization, when they have one, is the actor's (it receives the audit entries).
 */
export type Access = 'public' | 'user' | 'operator' | Role;

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyInstance {
    /** Every /api route with its access level, collected as routes register (tests, docs). */
    accessTable: { method: string; url: string; access: Access }[];
  }
  interface FastifyRequest {
    /** The acting person, when a user access token was presented. */
    userId: string | null;
    /** The organization context, for routes whose access is a role. */
    actor: Actor | null;
  }
}

/** What the access hook needs from the auth module. */
export interface Authenticator {
  /** Resolves a bearer credential: a user's access token or an API key. Null if invalid. */
  authenticate(token: string): Promise<
    | { kind: 'user'; userId: string }
    | { kind: 'apiKey'; apiKeyId: string; orgId: string; role: Role }
    | null
  >;
  /** Whether the user is an instance operator. */
  isOperator(userId: string): Promise<boolean>;
  /** The user's membership in `orgId`, or in their default organization when orgId is null. */
  membership(userId: string, orgId: string | null): Promise<{ orgId: string; role: Role } | null>;
}

export const ORG_HEADER = 'x-org-id';

/** Installs the access check: runs before body parsing, so 401/403 come before 400. */
export function registerAccessControl(app: FastifyInstance, auth: Authenticator) {
  app.decorateRequest('userId', null);
  app.decorateRequest('actor', null);

  const table: FastifyInstance['accessTable'] = [];
  app.decorate('accessTable', table);
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/')) return;
    const access = route.config?.access;
    if (!access) throw new Error(`Route ${route.method} ${route.url} declares no config.access`);
    for (const method of [route.method].flat()) if (method !== 'HEAD') table.push({ method, url: route.url, access });
  });

  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    if (!access || access === 'public') return;
    const token = bearer(request);
    if (!token) throw unauthorized();
    const principal = await auth.authenticate(token);
    if (!principal) throw unauthorized('The access token or API key is invalid or has expired', 'invalid_token');

    const orgHeader = headerValue(request, ORG_HEADER);
    if (principal.kind === 'apiKey') {
      if (access === 'user') throw forbidden('This endpoint needs a signed-in user, not an API key', 'user_required');
      if (access === 'operator') throw forbidden('This concerns the whole install: it needs a signed-in instance operator, not an API key', 'operator_required');
      if (orgHeader && orgHeader !== principal.orgId) throw notFound('Organization');
      request.actor = { orgId: principal.orgId, role: principal.role, userId: null, apiKeyId: principal.apiKeyId };
    } else {
      request.userId = principal.userId;
      if (access === 'user') return;
      if (access === 'operator' && !(await auth.isOperator(principal.userId))) {
        throw forbidden('This concerns the whole install: it needs an instance operator (troupe user operator <email>)', 'operator_required');
      }
      if (orgHeader && !/^[0-9a-f-]{36}$/i.test(orgHeader)) {
        throw new AppError(400, 'validation_failed', `${ORG_HEADER} must be an organization id`, [
          { path: `headers.${ORG_HEADER}`, message: 'must be a UUID' },
        ]);
      }
      const membership = await auth.membership(principal.userId, orgHeader ?? null);
      if (!membership) {
        if (orgHeader) throw notFound('Organization');
        if (access === 'operator') return;
        throw forbidden('You are not a member of any organization yet; create one with POST /api/v1/orgs', 'no_organization');
      }
      request.actor = { ...membership, userId: principal.userId, apiKeyId: null };
      if (access === 'operator') return;
    }
    if (!roleAtLeast(request.actor.role, access)) {
      throw forbidden(`This needs the ${access} role or higher; you are ${request.actor.role}`, 'insufficient_role');
    }
  });
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return (Array.isArray(v) ? v[0] : v)?.trim() || undefined;
}

function bearer(request: FastifyRequest): string | undefined {
  const h = headerValue(request, 'authorization');
  const m = h && /^Bearer\s+(\S+)$/i.exec(h);
  return m ? m[1] : undefined;
}

/** For handlers of role-gated routes: the actor is always set there. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new Error('actorOf() used on a route without a role access level');
  return request.actor;
}

/**
 * For handlers of `operator` routes: the operator, and their organization's actor when they have
 * one (null when they belong to no organization).
 */
export function operatorOf(request: FastifyRequest): { userId: string; actor: Actor | null } {
  if (request.routeOptions.config.access !== 'operator' || !request.userId) throw new Error('operatorOf() used on a route without operator access');
  return { userId: request.userId, actor: request.actor };
}

export function userOf(request: FastifyRequest): string {
  if (!request.userId) throw new Error('userOf() used on a route without user access');
  return request.userId;
}

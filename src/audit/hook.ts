import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../app.js';
import type { AuditActor } from './actor.js';

/** What a route declares to have its successful calls audited. */
export interface AuditRouteConfig {
  /** Dotted verb, e.g. `agent.updated`. */
  action: string;
  /** Kind of object acted on, e.g. `agent`, `api_key`, `organization`, `user`. */
  targetType?: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Record an audit entry for every 2xx response of this route (src/audit/hook.ts). */
    audit?: AuditRouteConfig;
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const idIn = (v: unknown): string | undefined => (isObject(v) && typeof v.id === 'string' ? v.id : undefined);
/** `api_key` → `apiKey`: where a route's response nests the object it made (`{ apiKey: {…}, key }`). */
const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** The names of the fields sent, nested ones dotted (`limits.maxSteps`), never their values. */
export function fieldNames(body: unknown, prefix = '', depth = 0): string[] {
  if (!isObject(body)) return [];
  return Object.keys(body)
    .sort()
    .flatMap((k) => {
      const name = prefix + k;
      const nested = depth < 1 ? fieldNames(body[k], `${name}.`, depth + 1) : [];
      return nested.length ? nested : [name];
    });
}

/** The object acted on: a path parameter, else the response's `id`, else its `<targetType>.id`. */
function targetIdOf(request: FastifyRequest, body: unknown, targetType: string | undefined): string | undefined {
  const params = (request.params ?? {}) as Record<string, unknown>;
  for (const k of ['id', 'userId', 'provider']) if (typeof params[k] === 'string') return params[k];
  return idIn(body) ?? (targetType && isObject(body) ? idIn(body[camel(targetType)]) : undefined);
}

/** Who acted: the organization actor, else the signed-in user, else the user a public route created. */
function actorOf(request: FastifyRequest, body: unknown): AuditActor | null {
  if (request.actor) return request.actor;
  if (request.userId) return { type: 'user', userId: request.userId };
  const created = isObject(body) ? idIn(body.user) : undefined;
  return created ? { type: 'user', userId: created } : null;
}

/**
 * The organizations the entry goes to: the one the request acted in; else the one the response
 * made or joined (sign-up and setup answer `{ organization }`, POST /orgs and accepting an
 * invitation answer the organization itself); else, for a person's own account changes
 * (profile, password), every organization they belong to, as sign-ins are.
 */
async function orgIdsOf(ctx: AppContext, request: FastifyRequest, body: unknown, config: AuditRouteConfig, actor: AuditActor): Promise<string[]> {
  if (request.actor) return [request.actor.orgId];
  const made = isObject(body) ? (idIn(body.organization) ?? (config.targetType === 'organization' ? idIn(body) : undefined)) : undefined;
  if (made) return [made];
  if ('type' in actor && actor.type === 'user') return (await ctx.services.orgs.listForUser(actor.userId)).map((o) => o.id);
  return [];
}

/**
 * Audits every 2xx response of a route that declares `config.audit`, with the actor, the
 * organization, the target, the request id and the NAMES of the body fields sent (never their
 * values: bodies carry passwords and provider keys).
 *
 * Hooks apply to every route of the instance they are added to, whatever the order, and to its
 * child plugins, so this, called from registerAuditRoutes inside the /api/v1 plugin, covers the
 * sibling modules' routes too (and nothing outside /api/v1).
 *
 * The entry is written in onSend, before the response leaves: a client that saw the 2xx can
 * read the entry. It is written after the change committed (in its own transaction), so a
 * failing audit write is logged and does not turn a done change into a 500.
 */
export function registerAuditHook(app: FastifyInstance, ctx: AppContext): void {
  // The names of the fields the client sent: taken before validation, which fills in defaults.
  const sent = new WeakMap<FastifyRequest, string[]>();
  // The response object, kept from preSerialization (onSend only sees the serialized string).
  const bodies = new WeakMap<FastifyRequest, unknown>();

  app.addHook('preValidation', async (request) => {
    if (request.routeOptions.config.audit) sent.set(request, fieldNames(request.body));
  });
  app.addHook('preSerialization', async (request, _reply, payload) => {
    if (request.routeOptions.config.audit) bodies.set(request, payload);
    return payload;
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const config = request.routeOptions.config.audit;
    if (!config || reply.statusCode < 200 || reply.statusCode >= 300) return payload;
    const body = bodies.get(request);
    try {
      const actor = actorOf(request, body);
      if (!actor) return payload;
      const targetId = targetIdOf(request, body, config.targetType);
      const params = Object.fromEntries(
        Object.entries((request.params ?? {}) as Json).filter(([, v]) => typeof v === 'string' && v !== targetId),
      );
      const fields = sent.get(request) ?? [];
      const details = { ...(fields.length ? { fields } : {}), ...(Object.keys(params).length ? { params } : {}) };
      for (const orgId of await orgIdsOf(ctx, request, body, config, actor)) {
        await ctx.services.audit.record({ orgId, actor, action: config.action, targetType: config.targetType, targetId, details, requestId: request.id });
      }
    } catch (err) {
      request.log.error({ err, action: config.action }, 'could not write the audit entry');
    }
    return payload;
  });
}

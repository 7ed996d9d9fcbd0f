import type { Actor } from '../shared/roles.js';

/**
 * Who an audit entry is about. An `Actor` (a person or an API key acting in an organization),
 * a person outside any organization context (sign-in, profile), an API key by id, or the system
 * itself (budget alerts, the run engine acting on its own).
 */
export type AuditActor =
  | Actor
  | { type: 'system' }
  | { type: 'user'; userId: string }
  | { type: 'api_key'; apiKeyId: string };

export type ActorType = 'user' | 'api_key' | 'system';

/** The (actor_type, actor_id) columns for an actor: API key first (a key acts for no person). */
export function actorColumns(actor: AuditActor): { actorType: ActorType; actorId: string | null } {
  if ('type' in actor) {
    if (actor.type === 'user') return { actorType: 'user', actorId: actor.userId };
    if (actor.type === 'api_key') return { actorType: 'api_key', actorId: actor.apiKeyId };
    return { actorType: 'system', actorId: null };
  }
  if (actor.apiKeyId) return { actorType: 'api_key', actorId: actor.apiKeyId };
  if (actor.userId) return { actorType: 'user', actorId: actor.userId };
  return { actorType: 'system', actorId: null };
}

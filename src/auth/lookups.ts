import { and, eq, inArray } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import type { Role } from '../shared/roles.js';
import { organizations } from '../db/tenancy.js';
import { apiKeys, memberships, users } from './schema.js';

/**
 * What other modules read of people and keys, inside the caller's transaction: names for who
 * decided, and the members of a role who are to be told of something.
 */

/** Display names of users by id; unknown ids are left out. */
export async function userNames(tx: Tx, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await tx.select({ id: users.id, name: users.name }).from(users).where(inArray(users.id, [...new Set(ids)]));
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** Names of an organization's API keys by id (revoked ones too: they decided while they worked). */
export async function apiKeyNames(tx: Tx, orgId: string, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await tx
    .select({ id: apiKeys.id, name: apiKeys.name })
    .from(apiKeys)
    .where(and(eq(apiKeys.orgId, orgId), inArray(apiKeys.id, [...new Set(ids)])));
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** The organization's members who hold one of `roles`, with their address. */
export async function membersInRoles(tx: Tx, orgId: string, roles: readonly Role[]): Promise<{ userId: string; email: string; name: string; role: Role }[]> {
  if (roles.length === 0) return [];
  return tx
    .select({ userId: users.id, email: users.email, name: users.name, role: memberships.role })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.orgId, orgId), inArray(memberships.role, [...roles])));
}

/** Names of organizations by id (a workflow's `env.org.name`). */
export async function orgNames(tx: Tx, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await tx.select({ id: organizations.id, name: organizations.name }).from(organizations).where(inArray(organizations.id, [...new Set(ids)]));
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** Members of the organization among `ids` (user ids): whom a decision's notification reaches. */
export async function membersByIds(tx: Tx, orgId: string, ids: readonly string[]): Promise<{ userId: string; email: string; name: string; role: Role }[]> {
  if (ids.length === 0) return [];
  return tx
    .select({ userId: users.id, email: users.email, name: users.name, role: memberships.role })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.orgId, orgId), inArray(memberships.userId, [...ids])));
}

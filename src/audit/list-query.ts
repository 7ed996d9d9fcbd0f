import { eq, gte, inArray, isNull, lt, sql, type SQL } from 'drizzle-orm';
import type { z } from 'zod';
import { badRequest } from '../shared/errors.js';
import { auditListQuery } from './dto.js';
import { auditLog } from './schema.js';

export { auditListQuery };
export type AuditListQuery = z.output<typeof auditListQuery>;

/** The WHERE conditions (organization first: belt and braces with row-level security). */
export function auditConditions(orgId: string, q: AuditListQuery, namedTargets: string[] = []): SQL[] {
  const where: SQL[] = [eq(auditLog.orgId, orgId)];
  if (q.actor) {
    const [type, id] = q.actor.split(':') as ['user' | 'api_key' | 'system', string | undefined];
    if (q.actorType && q.actorType !== type) throw badRequest('actor and actorType disagree', [{ path: 'querystring.actorType', message: `is not ${type}` }]);
    where.push(eq(auditLog.actorType, type));
    where.push(id ? eq(auditLog.actorId, id.toLowerCase()) : isNull(auditLog.actorId));
  }
  if (q.q) {
    // Target ids are uuids or names (lower case): a prefix, case-insensitive; `_` and `%` are no wildcards.
    const text = q.q.toLowerCase();
    const branches: SQL[] = [sql`starts_with(lower(${auditLog.targetId}), ${text})`, sql`starts_with(${auditLog.action}, ${text})`];
    if (namedTargets.length) branches.push(inArray(auditLog.targetId, namedTargets));
    where.push(sql`(${sql.join(branches, sql` or `)})`);
  }
  if (q.action?.endsWith('.')) {
    // starts_with, not LIKE: `_` in action names must not act as a wildcard.
    where.push(sql`starts_with(${auditLog.action}, ${q.action})`);
  } else if (q.action) where.push(eq(auditLog.action, q.action));
  if (q.actorId) where.push(eq(auditLog.actorId, q.actorId));
  if (q.actorType) where.push(eq(auditLog.actorType, q.actorType));
  if (q.targetType) where.push(eq(auditLog.targetType, q.targetType));
  if (q.targetId) where.push(eq(auditLog.targetId, q.targetId));
  const from = q.from ? new Date(q.from) : undefined;
  const to = q.to ? new Date(q.to) : undefined;
  if (from && to && from >= to) throw badRequest('to must be after from', [{ path: 'querystring.to', message: 'must be after from' }]);
  if (from) where.push(gte(auditLog.createdAt, from));
  if (to) where.push(lt(auditLog.createdAt, to));
  return where;
}

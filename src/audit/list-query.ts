import { eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { z } from 'zod';
import { badRequest } from '../shared/errors.js';
import { auditListQuery } from './dto.js';
import { auditLog } from './schema.js';

export { auditListQuery };
export type AuditListQuery = z.output<typeof auditListQuery>;

/** The WHERE conditions (organization first: belt and braces with row-level security). */
export function auditConditions(orgId: string, q: AuditListQuery): SQL[] {
  const where: SQL[] = [eq(auditLog.orgId, orgId)];
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

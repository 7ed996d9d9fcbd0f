import { eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { badRequest } from '../shared/errors.js';
import { pageQuery } from '../shared/pagination.js';
import { auditLog } from './schema.js';

/**
 * Query of `GET /audit`: the shared page parameters (limit 20, newest first) plus filters, all
 * optional and combined with AND. `action` is exact (`agent.updated`) or, ending in a dot, a
 * prefix (`agent.`); `from` is inclusive and `to` exclusive.
 */
export const auditListQuery = pageQuery.extend({
  action: z
    .string()
    .regex(/^[a-z0-9_]+(\.[a-z0-9_]+)*\.?$/, 'must be an action like agent.updated, or a prefix ending in a dot like agent.')
    .max(100)
    .optional(),
  actorId: z.uuid().optional().describe('The user or API key that acted'),
  actorType: z.enum(['user', 'api_key', 'system']).optional(),
  targetType: z.string().trim().min(1).max(50).optional(),
  targetId: z.string().trim().min(1).max(200).optional(),
  from: z.iso.datetime({ offset: true }).optional().describe('Entries at or after this time'),
  to: z.iso.datetime({ offset: true }).optional().describe('Entries before this time'),
});
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

import { index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, orgId } from '../db/columns.js';

/** Who did what to which object, when. Append-only. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: id(),
    orgId: orgId(),
    /** user | api_key | system */
    actorType: text('actor_type').notNull(),
    actorId: uuid('actor_id'),
    /** Dotted verb, e.g. `agent.updated`, `run.started`, `tool.called`, `approval.rejected`, `auth.signin`. */
    action: text('action').notNull(),
    targetType: text('target_type'),
    targetId: text('target_id'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    requestId: text('request_id'),
    createdAt: createdAt(),
  },
  (t) => [index('audit_log_org_created_idx').on(t.orgId, t.createdAt), index('audit_log_org_action_idx').on(t.orgId, t.action)],
);

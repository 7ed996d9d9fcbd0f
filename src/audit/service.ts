import { and } from 'drizzle-orm';
import type { Actor } from '../shared/roles.js';
import type { Database, Tx } from '../db/client.js';
import { keysetPage, timestampSort } from '../shared/keyset.js';
import type { Page } from '../shared/pagination.js';
import { actorColumns, type ActorType, type AuditActor } from './actor.js';
import { auditConditions, type AuditListQuery } from './list-query.js';
import { redact } from './redact.js';
import { auditLog } from './schema.js';

/**
 * One audit entry. `action` is a dotted verb: `<object>.<past participle>` (`agent.updated`,
 * `run.started`, `tool.called`, `approval.granted`, `approval.rejected`, `auth.signin`,
 * `api_key.used`, `budget.threshold_reached`).
 *
 * `details` must never hold secrets: pass ids, names and the NAMES of changed fields, never
 * the values of credentials, tokens or passwords. Values under credential-looking keys are
 * replaced with "[redacted]" as a second line of defence (see redact.ts).
 */
export interface AuditEntry {
  orgId: string;
  actor: AuditActor;
  action: string;
  targetType?: string;
  targetId?: string;
  details?: Record<string, unknown>;
  /** The HTTP request id (x-request-id), to find the request in the logs. */
  requestId?: string;
}

export interface AuditView {
  id: string;
  actorType: ActorType;
  actorId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  details: Record<string, unknown>;
  requestId: string | null;
  createdAt: Date;
}

const view = (r: typeof auditLog.$inferSelect): AuditView => ({
  id: r.id,
  actorType: r.actorType as ActorType,
  actorId: r.actorId,
  action: r.action,
  targetType: r.targetType,
  targetId: r.targetId,
  details: r.details,
  requestId: r.requestId,
  createdAt: r.createdAt,
});

/** The audit log: who did what to which object, when. Append-only: nothing here updates or deletes. */
export class AuditService {
  constructor(readonly database: Database) {}

  /**
   * Appends one entry. Inside `tx` when given (the entry commits or rolls back with the change it
   * records; the transaction must be scoped to entry.orgId, or be a system one), else on its own,
   * as one statement (troupe_audit_record).
   */
  async record(entry: AuditEntry, tx?: Tx): Promise<void> {
    const row = {
      orgId: entry.orgId,
      ...actorColumns(entry.actor),
      action: entry.action,
      targetType: entry.targetType ?? null,
      targetId: entry.targetId ?? null,
      details: redact(entry.details ?? {}),
      requestId: entry.requestId ?? null,
    };
    if (tx) await tx.insert(auditLog).values(row);
    // One statement (src/audit/sql/troupe_audit_record.sql), not a transaction of BEGIN, set_config, INSERT and COMMIT.
    else await this.database.call('troupe_audit_record', [entry.orgId, JSON.stringify(row)]);
  }

  /**
   * Entries of the actor's organization, newest first by default, filtered (see list-query.ts).
   * `namedTargets`: ids of objects whose name matches `q` (the route asks their modules).
   */
  async list(actor: Actor, q: AuditListQuery, namedTargets: string[] = []): Promise<Page<AuditView>> {
    const where = and(...auditConditions(actor.orgId, q, namedTargets));
    return this.database.withOrg(actor.orgId, (tx) => keysetPage(tx, { table: auditLog, id: auditLog.id, sort: timestampSort(auditLog.createdAt), where }, q, view));
  }
}

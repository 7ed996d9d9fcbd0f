import { and, eq } from 'drizzle-orm';
import type { AuditService } from '../audit/service.js';
import type { Database, Tx } from '../db/client.js';
import { conflict } from '../shared/errors.js';
import type { Actor } from '../shared/roles.js';
import { runs } from './schema.js';
import type { RunRow } from './store.js';

/**
 * A queued decision run (issue 16; src/decisions/runner.ts): no agent of its own, source
 * `decision`, with the caller's rows (the decision's record) in the same transaction. A repeated
 * idempotency key returns the run the first call made (`created: false`).
 */
export async function insertDecisionRun(
  database: Database,
  audit: AuditService,
  actor: Actor,
  d: { input: Record<string, unknown>; idempotencyKey?: string },
  withRun: (tx: Tx, run: RunRow) => Promise<void>,
): Promise<{ run: RunRow; created: boolean }> {
  const key = d.idempotencyKey ?? null;
  return database.withOrg(actor.orgId, async (tx) => {
    const [row] = await tx
      .insert(runs)
      .values({ orgId: actor.orgId, source: 'decision', input: d.input as never, createdBy: actor.userId, apiKeyId: actor.apiKeyId, idempotencyKey: key })
      .onConflictDoNothing()
      .returning();
    if (!row) {
      const [existing] = await tx.select().from(runs).where(and(eq(runs.orgId, actor.orgId), eq(runs.idempotencyKey, key!)));
      if (!existing || existing.source !== 'decision' || existing.agentId !== null) throw conflict('This Idempotency-Key was already used for another run', 'idempotency_key_reused');
      return { run: existing, created: false };
    }
    await withRun(tx, row);
    await audit.record({ orgId: actor.orgId, actor, action: 'run.created', targetType: 'run', targetId: row.id, details: { source: 'decision' } }, tx);
    return { run: row, created: true };
  });
}

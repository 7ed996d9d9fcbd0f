import { and, asc, count, desc, eq, getTableColumns, gt, lt } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import { badRequest } from '../shared/errors.js';
import { toPage } from '../shared/keyset.js';
import { decodeCursor, type Page, type PageQuery } from '../shared/pagination.js';
import type { Actor } from '../shared/roles.js';
import type { WorkflowDefinition } from './definition.js';
import type { WorkflowVersion, WorkflowVersionSummary } from './dto.js';
import { workflowVersions } from './schema.js';

type VersionRow = typeof workflowVersions.$inferSelect;

/** Writes version `version` of a workflow. */
export async function insertVersion(
  tx: Tx,
  workflow: { id: string; orgId: string },
  version: number,
  definition: WorkflowDefinition,
  note: string,
  actor: Actor,
): Promise<void> {
  await tx.insert(workflowVersions).values({
    workflowId: workflow.id,
    orgId: workflow.orgId,
    version,
    definition,
    note,
    createdBy: actor.userId,
    createdByApiKeyId: actor.apiKeyId,
  });
}

const scope = (orgId: string, workflowId: string) => and(eq(workflowVersions.orgId, orgId), eq(workflowVersions.workflowId, workflowId));

export const versionSummary = (row: Omit<VersionRow, 'definition'>): WorkflowVersionSummary => ({
  version: row.version,
  note: row.note,
  createdBy: row.createdBy,
  createdByApiKeyId: row.createdByApiKeyId,
  createdAt: row.createdAt.toISOString(),
});

/** One page of a workflow's versions (without their definitions), newest first unless sortOrder is asc. */
export async function listVersions(tx: Tx, orgId: string, workflowId: string, q: PageQuery): Promise<Page<WorkflowVersionSummary>> {
  const conditions = [scope(orgId, workflowId)];
  if (q.cursor) {
    const { value } = decodeCursor(q.cursor);
    if (typeof value !== 'number') throw badRequest('cursor is not one this API issued', [{ path: 'querystring.cursor', message: 'invalid cursor' }]);
    conditions.push(q.sortOrder === 'asc' ? gt(workflowVersions.version, value) : lt(workflowVersions.version, value));
  }
  const { definition: _definition, ...columns } = getTableColumns(workflowVersions);
  // Together: on PostgreSQL both go out in one round trip.
  const [[{ total } = { total: 0 }], rows] = await Promise.all([
    tx.select({ total: count() }).from(workflowVersions).where(scope(orgId, workflowId)),
    tx
      .select(columns)
      .from(workflowVersions)
      .where(and(...conditions))
      .orderBy((q.sortOrder === 'asc' ? asc : desc)(workflowVersions.version))
      .limit(q.limit + 1)
      .offset(q.offset ?? 0),
  ]);
  return toPage(
    rows.map((r) => ({ ...r, sortKey: r.version, id: workflowId })),
    q,
    total,
    versionSummary,
  );
}

/** One version with its definition, or null. */
export async function findVersion(tx: Tx, orgId: string, workflowId: string, version: number): Promise<WorkflowVersion | null> {
  const [row] = await tx
    .select()
    .from(workflowVersions)
    .where(and(scope(orgId, workflowId), eq(workflowVersions.version, version)));
  return row ? { ...versionSummary(row), definition: row.definition } : null;
}

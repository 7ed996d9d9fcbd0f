import { and, asc, count, desc, eq, gt, inArray, lt } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import { badRequest } from '../shared/errors.js';
import { decodeCursor, encodeCursor, type Page, type PageQuery } from '../shared/pagination.js';
import type { AgentSnapshot, AgentVersion, AgentVersionSummary } from './dto.js';
import { agentVersions } from './schema.js';
import { diffSnapshots, readSnapshot } from './snapshot.js';

type VersionRow = typeof agentVersions.$inferSelect;

/** Writes version `version` of an agent with its full configuration. */
export async function recordVersion(
  tx: Tx,
  agent: { id: string; orgId: string; version: number },
  snapshot: AgentSnapshot,
  changeNote: string,
  changedBy: string | null,
): Promise<void> {
  await tx.insert(agentVersions).values({
    orgId: agent.orgId,
    agentId: agent.id,
    version: agent.version,
    snapshot,
    changeNote,
    changedBy,
  });
}

const scope = (orgId: string, agentId: string) => and(eq(agentVersions.orgId, orgId), eq(agentVersions.agentId, agentId));

/**
 * One page of an agent's versions, newest first unless sortOrder is asc. Each carries the fields
 * it changed against the version before it, which costs one more query for those predecessors.
 */
export async function listVersions(tx: Tx, orgId: string, agentId: string, q: PageQuery): Promise<Page<AgentVersionSummary>> {
  const dir = q.sortOrder === 'asc' ? asc : desc;
  const conditions = [scope(orgId, agentId)];
  if (q.cursor) {
    const { value } = decodeCursor(q.cursor);
    if (typeof value !== 'number') {
      throw badRequest('cursor is not one this API issued', [{ path: 'querystring.cursor', message: 'invalid cursor' }]);
    }
    conditions.push(q.sortOrder === 'asc' ? gt(agentVersions.version, value) : lt(agentVersions.version, value));
  }
  const [{ total } = { total: 0 }] = await tx.select({ total: count() }).from(agentVersions).where(scope(orgId, agentId));
  const rows = await tx
    .select()
    .from(agentVersions)
    .where(and(...conditions))
    .orderBy(dir(agentVersions.version))
    .limit(q.limit + 1)
    .offset(q.offset ?? 0);
  const more = rows.length > q.limit;
  const page = rows.slice(0, q.limit);
  const previous = await snapshotsOf(tx, orgId, agentId, page.map((r) => r.version - 1));
  const last = page.at(-1);
  return {
    items: page.map((r) => summary(r, previous.get(r.version - 1))),
    total,
    limit: q.limit,
    offset: q.cursor ? null : (q.offset ?? 0),
    nextCursor: more && last ? encodeCursor({ value: last.version, id: last.id }) : null,
  };
}

/** One version with its snapshot, or null when the agent has no such version. */
export async function findVersion(tx: Tx, orgId: string, agentId: string, version: number): Promise<AgentVersion | null> {
  const [row] = await tx.select().from(agentVersions).where(and(scope(orgId, agentId), eq(agentVersions.version, version)));
  if (!row) return null;
  const previous = await snapshotsOf(tx, orgId, agentId, [version - 1]);
  return { ...summary(row, previous.get(version - 1)), snapshot: readSnapshot(row.snapshot) };
}

async function snapshotsOf(tx: Tx, orgId: string, agentId: string, versions: number[]): Promise<Map<number, AgentSnapshot>> {
  const wanted = versions.filter((v) => v >= 1);
  if (!wanted.length) return new Map();
  const rows = await tx
    .select({ version: agentVersions.version, snapshot: agentVersions.snapshot })
    .from(agentVersions)
    .where(and(scope(orgId, agentId), inArray(agentVersions.version, wanted)));
  return new Map(rows.map((r) => [r.version, readSnapshot(r.snapshot)]));
}

function summary(row: VersionRow, previous: AgentSnapshot | undefined): AgentVersionSummary {
  return {
    version: row.version,
    changeNote: row.changeNote,
    changedBy: row.changedBy,
    createdAt: row.createdAt.toISOString(),
    changedFields: previous ? diffSnapshots(previous, readSnapshot(row.snapshot)).map((c) => c.field) : [],
  };
}

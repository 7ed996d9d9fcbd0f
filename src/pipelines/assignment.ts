import { and, eq, inArray, isNotNull, max, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import { activeStaffWithRole, type StaffBrief } from '../staff/lookups.js';
import type { AssignmentMode } from './enums.js';
import { pipelineItemHistory, pipelineItems, pipelineStages } from './schema.js';

/** A candidate as the rule weighs them. */
export interface Candidate {
  staff: StaffBrief;
  openItems: number;
  /** When they were last given an item (any pipeline); null: never. */
  lastAssignedAt: Date | null;
}

/**
 * The assignee a rule picks (pure; docs/pipelines.md "Assignment"). `candidates` are in the
 * directory's order (oldest first); those at their capacity are passed over.
 * - `least_load`: the fewest open items; a tie goes to who was given an item least recently
 *   (never first), then the directory's order.
 * - `round_robin`: the next after `lastAssignedStaffId` in the directory's order, wrapping around;
 *   the first when that one is gone.
 * - `none`: nobody.
 */
export function chooseAssignee(mode: AssignmentMode, candidates: readonly Candidate[], lastAssignedStaffId: string | null): Candidate | null {
  const free = (c: Candidate) => c.staff.capacity === null || c.openItems < c.staff.capacity;
  if (mode === 'none') return null;
  if (mode === 'round_robin') {
    const start = candidates.findIndex((c) => c.staff.id === lastAssignedStaffId) + 1;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[(start + i) % candidates.length]!;
      if (free(c)) return c;
    }
    return null;
  }
  let best: Candidate | null = null;
  for (const c of candidates) {
    if (!free(c)) continue;
    if (!best || c.openItems < best.openItems || (c.openItems === best.openItems && earlier(c.lastAssignedAt, best.lastAssignedAt))) best = c;
  }
  return best;
}

/** Whether a comes strictly before b, never-assigned (null) first. */
const earlier = (a: Date | null, b: Date | null) => (a === null ? b !== null : b !== null && a.getTime() < b.getTime());

/** Open items per staff member (items in `open` stages of any pipeline), for the ids given or all. */
export async function openLoads(tx: Tx, orgId: string, staffIds?: readonly string[]): Promise<Map<string, number>> {
  if (staffIds && staffIds.length === 0) return new Map();
  const rows = await openLoadsQuery(tx, orgId, staffIds);
  return new Map(rows.map((r) => [r.staffId!, r.n]));
}

/** The statement of openLoads (for a read that sends it beside others). */
export function openLoadsQuery(tx: Tx, orgId: string, staffIds?: readonly string[]) {
  return tx
    .select({ staffId: pipelineItems.assigneeStaffId, n: sql<number>`count(*)::int` })
    .from(pipelineItems)
    .innerJoin(pipelineStages, eq(pipelineStages.id, pipelineItems.stageId))
    .where(
      and(
        eq(pipelineItems.orgId, orgId),
        eq(pipelineStages.kind, 'open'),
        isNotNull(pipelineItems.assigneeStaffId),
        staffIds ? inArray(pipelineItems.assigneeStaffId, [...staffIds]) : undefined,
      ),
    )
    .groupBy(pipelineItems.assigneeStaffId);
}

/** The candidates for a new item: active staff with `role` (or all), with their load and last assignment. */
export async function candidatesFor(tx: Tx, orgId: string, role: string | null): Promise<Candidate[]> {
  const staff = await activeStaffWithRole(tx, orgId, role);
  if (staff.length === 0) return [];
  const ids = staff.map((s) => s.id);
  const [loads, last] = await Promise.all([
    openLoads(tx, orgId, ids),
    tx
      .select({ staffId: pipelineItemHistory.toAssigneeId, at: max(pipelineItemHistory.at) })
      .from(pipelineItemHistory)
      .where(and(eq(pipelineItemHistory.orgId, orgId), inArray(pipelineItemHistory.toAssigneeId, ids)))
      .groupBy(pipelineItemHistory.toAssigneeId),
  ]);
  const lastAt = new Map(last.map((r) => [r.staffId!, r.at]));
  return staff.map((s) => ({ staff: s, openItems: loads.get(s.id) ?? 0, lastAssignedAt: lastAt.get(s.id) ?? null }));
}

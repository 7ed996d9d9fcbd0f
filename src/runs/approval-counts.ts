import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';

/**
 * Pending approvals per organization, across the install (the `troupe_approvals_pending` gauge,
 * read at scrape and cached by the metrics module). One statement over the (org_id, status) index;
 * organizations with none are absent.
 */
export async function pendingApprovalCounts(database: Database): Promise<{ orgId: string; count: number }[]> {
  const { rows } = await database.system((tx) =>
    tx.execute(sql`select org_id as "orgId", count(*)::int as count from approvals where status = 'pending' group by org_id`),
  );
  return (rows as { orgId: string; count: number }[]).map((r) => ({ orgId: r.orgId, count: Number(r.count) }));
}

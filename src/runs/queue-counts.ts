import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';

/** One organization's share of the run queue, counted from its runs (GET /queue for an admin). */
export interface OrgQueueCounts {
  /** Queued runs no worker has started yet. */
  waiting: number;
  /** Runs a worker is executing now. */
  active: number;
  /** Queued runs that ran before and wait to go on: handed back by a rate limit or a restart, or continuing after an approval. */
  delayed: number;
  /** Runs created in the last 24 hours that failed. */
  failed: number;
  /** Runs created in the last 24 hours that succeeded. */
  completed: number;
  /** Runs that finished in the last minute. */
  throughputPerMinute: number;
}

/**
 * The organization's counts, in one statement. Unfinished runs come through the partial index on
 * unfinished runs; finished ones through (org_id, created_at), which is why they are bounded by
 * creation (a day; a run finishing in the last minute was created within it, bar day-long waits).
 */
export async function orgQueueCounts(database: Database, orgId: string): Promise<OrgQueueCounts> {
  const { rows } = await database.withOrg(orgId, (tx) =>
    tx.execute(sql`
      select u.waiting, u.active, u.delayed, f.failed, f.completed, f.throughput
      from (select count(*) filter (where status = 'queued' and started_at is null)::int as waiting,
                   count(*) filter (where status = 'running')::int as active,
                   count(*) filter (where status = 'queued' and started_at is not null)::int as delayed
            from runs where org_id = ${orgId} and finished_at is null) u,
           (select count(*) filter (where status = 'failed')::int as failed,
                   count(*) filter (where status = 'succeeded')::int as completed,
                   count(*) filter (where finished_at > now() - interval '1 minute')::int as throughput
            from runs where org_id = ${orgId} and created_at > now() - interval '1 day' and finished_at is not null) f`),
  );
  const row = rows[0] as Record<'waiting' | 'active' | 'delayed' | 'failed' | 'completed' | 'throughput', number>;
  return {
    waiting: Number(row.waiting),
    active: Number(row.active),
    delayed: Number(row.delayed),
    failed: Number(row.failed),
    completed: Number(row.completed),
    throughputPerMinute: Number(row.throughput),
  };
}

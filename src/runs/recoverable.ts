import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';

/**
 * The runs' side of recovery (dispatch/recovery.ts sends them again): which runs should be moving
 * and are not. Kept here because only this module reads and writes the runs table.
 */

/**
 * Gives up the leases of every run left `running`: only for a database no other process can have
 * open (embedded mode, whose data folder this process holds locked), where those runs' workers
 * are certainly dead; the sweep at start then resumes them at once, instead of after their lease
 * (decision 41). Returns how many.
 */
export async function releaseDeadLeases(database: Database): Promise<number> {
  const { rows } = await database.system((tx) =>
    tx.execute(sql`
      update runs set lease_owner = null, lease_expires_at = null, updated_at = now()
      where finished_at is null and status = 'running' and lease_expires_at is not null
      returning id`),
  );
  return rows.length;
}

export interface RecoverableRun {
  orgId: string;
  runId: string;
  taskId: string | null;
  /** The generation to take over (a running run whose lease expired); null for a queued run. */
  takeover: number | null;
}

/**
 * Runs that should be moving, oldest first, at most `limit`: queued runs (queued at least
 * `settledMs` ago), running runs whose lease expired, parked workflow runs whose timer is due, and runs waiting for approvals that were
 * all decided, which are queued again here (stranded by a version before decision 40, which lost
 * a decision made while the run was being parked; or decided after a cancel was requested). The
 * main query reads the rows as they were before (one snapshot), so it finds these through `stranded`.
 */
export async function recoverableRuns(database: Database, limit: number, settledMs: number): Promise<RecoverableRun[]> {
  const { rows } = await database.system((tx) =>
    tx.execute(sql`
      with stranded as (
        update runs s set status = 'queued', updated_at = now()
        where s.finished_at is null and s.status = 'waiting_approval'
          and not exists (select 1 from approvals a where a.org_id = s.org_id and a.run_id = s.id and a.status = 'pending')
        returning s.id)
      select r.org_id as "orgId", r.id as "runId", r.task_id as "taskId", case when r.status = 'running' then r.generation end as "takeover"
      from runs r
      where r.finished_at is null
        and ((r.status = 'queued' and r.updated_at <= now() - ${settledMs} * interval '1 millisecond')
          or (r.status = 'running' and (r.lease_expires_at is null or r.lease_expires_at < now()))
          or (r.status = 'waiting' and r.wake_at <= now())
          or r.id in (select id from stranded))
      order by r.created_at
      limit ${limit}`),
  );
  return (rows as { orgId: string; runId: string; taskId: string | null; takeover: number | string | null }[]).map((r) => ({
    ...r,
    takeover: r.takeover === null ? null : Number(r.takeover),
  }));
}

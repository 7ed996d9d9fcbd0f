import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import type { Logger } from '../shared/logger.js';
import type { TaskPriority } from '../tasks/schema.js';
import type { Dispatcher } from './port.js';

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

/** Default sweep period; a run whose job was lost waits at most this long (plus its lease, if a worker held it). */
export const RECOVER_EVERY_MS = 15_000;

/**
 * The database is the source of truth; the queue only carries run ids. On start and every
 * `everyMs`, runs that should be moving are dispatched again: queued runs (a dispatch that
 * failed, a queue that lost its jobs, runs a shutdown handed back), running runs whose lease
 * expired (their worker died; dispatched as a takeover, which the dead worker's job cannot
 * dedupe away: decision 41), and runs waiting for approvals that were all decided (requeued
 * first; decision 40). Dispatching a run whose job still waits is a no-op in both
 * adapters, and a run is claimed by one worker at a time (fenced), so a duplicate costs a lookup.
 * The periodic sweeps leave alone runs queued within the last period: whoever queued them
 * dispatched them (with a backlog of thousands, re-dispatching those was a thousand queue calls
 * per sweep for nothing); the sweep at start takes every queued run, since an in-process queue
 * does not survive a restart.
 */
export class RunRecovery {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly database: Database,
    private readonly dispatcher: Pick<Dispatcher, 'dispatch'>,
    private readonly logger: Logger,
    private readonly everyMs = RECOVER_EVERY_MS,
  ) {}

  start() {
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(1000, this.everyMs), this.everyMs);
    this.timer.unref();
  }

  stop() {
    clearInterval(this.timer);
  }

  /**
   * One sweep: returns how many runs were dispatched again (at most `limit`, oldest first).
   * With `settledMs`, queued runs count only once they have been queued that long.
   */
  async sweep(limit = 1000, settledMs = 0): Promise<number> {
    try {
      // A run waiting with no pending approval left (stranded by a version before decision 40,
      // which lost a decision made while the run was being parked; or decided after a cancel was
      // requested) is queued again here; its worker goes on, or ends it as canceled. The main
      // query reads the rows as they were before (one snapshot), so it finds these through `stranded`.
      const { rows } = await this.database.system((tx) =>
        tx.execute(sql`
          with stranded as (
            update runs s set status = 'queued', updated_at = now()
            where s.finished_at is null and s.status = 'waiting_approval'
              and not exists (select 1 from approvals a where a.org_id = s.org_id and a.run_id = s.id and a.status = 'pending')
            returning s.id)
          select r.org_id as "orgId", r.id as "runId", t.priority, case when r.status = 'running' then r.generation end as "takeover"
          from runs r left join tasks t on t.id = r.task_id
          where r.finished_at is null
            and ((r.status = 'queued' and r.updated_at <= now() - ${settledMs} * interval '1 millisecond')
              or (r.status = 'running' and (r.lease_expires_at is null or r.lease_expires_at < now()))
              or r.id in (select id from stranded))
          order by r.created_at
          limit ${limit}`),
      );
      // Dispatched together, oldest first: the BullMQ adapter sends them as one pipeline.
      await Promise.all(
        (rows as { orgId: string; runId: string; priority: TaskPriority | null; takeover: number | null }[]).map((r) =>
          this.dispatcher.dispatch({ orgId: r.orgId, runId: r.runId, priority: r.priority ?? undefined, ...(r.takeover === null ? {} : { takeover: Number(r.takeover) }) }),
        ),
      );
      return rows.length;
    } catch (err) {
      this.logger.warn({ err }, 'run recovery failed; will try again');
      return 0;
    }
  }
}

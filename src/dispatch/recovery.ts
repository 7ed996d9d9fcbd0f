import type { Database } from '../db/client.js';
import { recoverableRuns } from '../runs/recoverable.js';
import type { Logger } from '../shared/logger.js';
import { taskPriorities } from '../tasks/lookups.js';
import type { Dispatcher } from '../runs/dispatch-port.js';

export { releaseDeadLeases } from '../runs/recoverable.js';

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
      const rows = await recoverableRuns(this.database, limit, settledMs);
      const priorities = await taskPriorities(this.database, rows.flatMap((r) => (r.taskId ? [r.taskId] : [])));
      // Dispatched together, oldest first: the BullMQ adapter sends them as one pipeline.
      await Promise.all(
        rows.map((r) =>
          this.dispatcher.dispatch({ orgId: r.orgId, runId: r.runId, priority: (r.taskId && priorities.get(r.taskId)) || undefined, ...(r.takeover === null ? {} : { takeover: r.takeover }) }),
        ),
      );
      return rows.length;
    } catch (err) {
      this.logger.warn({ err }, 'run recovery failed; will try again');
      return 0;
    }
  }
}

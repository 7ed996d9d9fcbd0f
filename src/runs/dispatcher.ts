import { and, eq, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import type { Logger } from '../shared/logger.js';
import type { RunExecutor } from './engine/executor.js';
import { runs } from './schema.js';

export interface RunJob {
  orgId: string;
  runId: string;
}

/** Hands runs to executors. The database is the source of truth; a job is only a run id. */
export interface Dispatcher {
  dispatch(job: RunJob): void;
  /** Stops taking work; active runs are released (back to queued) after `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

/**
 * The embedded dispatcher: runs execute in this process, at most `concurrency` at once, the rest
 * wait in memory. Nothing is lost if the process dies: on start and every `recoverEveryMs` it
 * re-dispatches from the database every queued run and every running run whose lease expired.
 */
export class InProcessDispatcher implements Dispatcher {
  private readonly waiting: RunJob[] = [];
  private readonly inFlight = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private closed = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly executor: RunExecutor,
    private readonly database: Database,
    private readonly logger: Logger,
    private readonly concurrency = 50,
    private readonly recoverEveryMs = 15_000,
  ) {}

  start() {
    void this.recover();
    this.timer = setInterval(() => void this.recover(), this.recoverEveryMs);
    this.timer.unref();
  }

  dispatch(job: RunJob) {
    if (this.closed || this.inFlight.has(job.runId)) return;
    this.inFlight.add(job.runId);
    this.waiting.push(job);
    this.pump();
  }

  private pump() {
    while (!this.closed && this.running.size < this.concurrency && this.waiting.length) {
      const job = this.waiting.shift()!;
      const p = this.executor
        .execute(job.orgId, job.runId)
        .catch((err: unknown) => this.logger.error({ err, runId: job.runId }, 'executor crashed'))
        .finally(() => {
          this.running.delete(p);
          this.inFlight.delete(job.runId);
          this.pump();
        });
      this.running.add(p);
    }
  }

  /** Re-dispatches runs the database says should be running: queued, or running with an expired lease. */
  async recover(): Promise<number> {
    try {
      const rows = await this.database.system((tx) =>
        tx
          .select({ orgId: runs.orgId, runId: runs.id })
          .from(runs)
          .where(or(eq(runs.status, 'queued'), and(eq(runs.status, 'running'), or(sql`${runs.leaseExpiresAt} is null`, lt(runs.leaseExpiresAt, sql`now()`)))))
          .limit(1000),
      );
      for (const r of rows) this.dispatch(r);
      return rows.length;
    } catch (err) {
      this.logger.warn({ err }, 'run recovery failed; will try again');
      return 0;
    }
  }

  async close(graceMs = 10_000) {
    this.closed = true;
    clearInterval(this.timer);
    this.waiting.length = 0;
    const all = Promise.allSettled([...this.running]);
    const timedOut = await Promise.race([all.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), graceMs).unref())]);
    if (timedOut) {
      this.executor.stopAll();
      await all;
    }
  }
}

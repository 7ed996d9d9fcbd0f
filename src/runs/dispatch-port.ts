import type { TaskPriority } from '../tasks/enums.js';

/**
 * A unit of background work: one run to execute. The database is the source of truth (the run
 * row exists before its job); a job is only the run's id, so a lost job is re-dispatched from the
 * database (see recovery.ts), never lost, and a duplicated one finds the run already claimed.
 */
export interface RunJob {
  orgId: string;
  runId: string;
  /** Default normal. Higher priorities are taken first; FIFO within a priority. */
  priority?: TaskPriority;
  /**
   * Set by the recovery sweep for a run whose lease expired: the generation that held it. Such a
   * job is deduplicated by (run, generation), not by run, so the job of the worker that died
   * holding the run (which BullMQ keeps active until its stalled check) does not stop the
   * takeover (decision 41). A duplicate is harmless: the claim fences by generation.
   */
  takeover?: number;
  /**
   * Set when a parked workflow run is woken (a child run finished, an approval was decided): what
   * woke it. Deduplicated by (run, wake), so a timer's delayed job of the same run does not
   * swallow it; a run not waking any more finds nothing to claim.
   */
  wake?: string;
}

/** What a dispatcher deduplicates a job by: the run, or the run and generation for a takeover. */
export const dedupeKey = (job: Pick<RunJob, 'runId' | 'takeover' | 'wake'>): string =>
  job.takeover !== undefined ? `${job.runId}@${job.takeover}` : job.wake !== undefined ? `${job.runId}#${job.wake}` : job.runId;

/**
 * Executes one job. Resolves when the run reached a resting state (or someone else held it).
 * Throwing asks for a retry (with exponential backoff, up to the dispatcher's attempts);
 * throwing `DelayJob` puts the job back for later without counting an attempt. `signal` aborts
 * when the dispatcher closes and the grace period ran out.
 */
export type JobHandler = (job: RunJob, signal: AbortSignal) => Promise<void>;

/** Thrown by a handler to try the job again after `delayMs`, without counting an attempt (a rate limit). */
export class DelayJob extends Error {
  override name = 'DelayJob';
  constructor(readonly delayMs: number) {
    super(`job delayed by ${delayMs} ms`);
  }
}

export interface QueueStats {
  adapter: 'in-process' | 'bullmq';
  paused: boolean;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
  /** Jobs completed in the last minute. */
  throughputPerMinute: number;
}

export interface DispatchOptions {
  /** Jobs one worker process runs at once (default 5). */
  concurrency: number;
  /** Attempts per job before it is failed (default 3); the delay doubles from `backoffMs`. */
  attempts: number;
  backoffMs: number;
  /** Global limit across all workers, jobs started per minute; null = none. */
  ratePerMinute: number | null;
}

export const DEFAULT_DISPATCH: DispatchOptions = { concurrency: 5, attempts: 3, backoffMs: 1000, ratePerMinute: null };

/**
 * Hands runs to workers. Two adapters pass one conformance suite (conformance.ts):
 * in-process (embedded mode) and BullMQ on Redis (when REDIS_URL is set).
 *
 * A process that only serves the API dispatches; a worker process also consumes (`work`).
 */
export interface Dispatcher {
  /** Queues a job; resolves once it is accepted (durably, for BullMQ). Dispatching a run already waiting is a no-op. */
  dispatch(job: RunJob): Promise<void>;
  /** Starts taking jobs in this process. */
  work(handler: JobHandler): void;
  /** Pauses the queue (every worker stops taking jobs; active ones finish). */
  pause(): Promise<void>;
  resume(): Promise<void>;
  stats(): Promise<QueueStats>;
  /** Removes records of finished jobs older than `olderThanMs` (BullMQ); returns how many. */
  clean(olderThanMs: number): Promise<number>;
  /**
   * Stops taking work and waits up to `graceMs` for active jobs; then aborts their signals and
   * waits for them to hand their runs back.
   */
  close(graceMs?: number): Promise<void>;
}

import { DelayedError, type Job, Queue, WaitingError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from '../shared/logger.js';
import type { TaskPriority } from '../tasks/enums.js';
import { resolveDispatchOptions } from './options.js';
import { DelayJob, dedupeKey, type Dispatcher, type DispatchOptions, type JobHandler, type QueueStats, type RunJob } from '../runs/dispatch-port.js';

/** What a job holds in Redis: only the run's id (the database has the rest). */
type JobData = Pick<RunJob, 'orgId' | 'runId'>;
const JOB_NAME = 'run';

/** BullMQ takes lower numbers first; 0 would mean "unprioritized", which BullMQ takes before every prioritized job. */
const PRIORITY: Record<TaskPriority, number> = { urgent: 1, high: 2, normal: 3, low: 4 };
const FROM_PRIORITY = new Map(Object.entries(PRIORITY).map(([k, v]) => [v, k as TaskPriority]));
const MINUTE = 60_000;

export interface BullMqDispatcherOptions extends Partial<DispatchOptions> {
  /** Redis URL, e.g. redis://127.0.0.1:6379. */
  connection: string;
  /** Default 'troupe-runs'. Every process of one deployment must use the same name and prefix. */
  queueName?: string;
  /** Redis key prefix (BullMQ's default 'bull'). */
  prefix?: string;
  /** Seconds a completed job stays in Redis (default 1 day; at least 60, since throughput counts the last minute's). */
  keepCompletedSec?: number;
  /** Seconds a failed job stays in Redis (default 7 days), for inspection. */
  keepFailedSec?: number;
  /**
   * After the handlers settled, how long close() still waits for BullMQ to finish (moving jobs,
   * closing its connections) before giving up (default 5 s). BullMQ's worker.close() waits for
   * as long as Redis is unreachable, which must not stop a shutdown.
   */
  closeTimeoutMs?: number;
  /**
   * A job's lock (BullMQ's lockDuration, renewed every half of it while the handler runs) and how
   * often workers look for jobs whose lock expired (stalledInterval): default 30 s. Set it to the
   * run lease, so a job whose worker died goes back to wait about when its run's lease expires.
   */
  lockMs?: number;
}

interface ActiveJob {
  controller: AbortController;
  /** The handler's promise, settled either way. */
  settled: Promise<unknown>;
}

/**
 * Dispatcher on BullMQ 6 / Redis, for deployments with separate API and worker processes.
 *
 * - Dedupe: BullMQ's `deduplication: { id: runId }` in simple mode (no ttl). The key lives until
 *   the job completes or finally fails (moveToFinished removes it), so a run is queued at most
 *   once while waiting, active, delayed or between retries, and can be dispatched again after.
 *   A `jobId: runId` scheme would not do: a finished job keeps its id until removed, so the run
 *   could not be re-dispatched for `keepCompletedSec`. A takeover (the sweep's dispatch of a run
 *   whose lease expired) is deduplicated by `runId@generation` instead: the dead worker's job
 *   stays active, holding `runId`, until a stalled check finds its lock gone twice (up to twice
 *   `lockMs` after the death), and the run must not wait for it (decision 41). That old job,
 *   when it comes back, finds the run claimed or finished and completes.
 * - DelayJob: `job.moveToDelayed(ts, token)` (it passes skipAttempt, so attemptsMade stays) and
 *   then `throw new DelayedError()`, which tells the worker the job was already moved.
 * - Rate limit: the Worker's `limiter: { max, duration: 60 s }`. BullMQ keeps the counter in
 *   Redis per queue, so it is global across workers as long as they all use the same limit.
 * - Throughput: ZCOUNT on the completed set, whose score is finishedOn (ms). That is an exact
 *   rolling minute across all workers; BullMQ metrics (`getMetrics`) are per calendar minute and
 *   only advance when a job completes, so they read stale numbers on a quiet queue.
 * - Locks and stalls: a job's lock lasts `lockMs` (default 30 s, BullMQ's lockDuration; the
 *   server passes the run lease) and is renewed every half of it while the handler runs; every
 *   `lockMs` (stalledInterval) a worker moves jobs whose lock expired back to wait (a worker
 *   died), and fails a job that stalled more than once (maxStalledCount 1), whose run the
 *   database recovery then re-dispatches.
 * - Close: an aborted job goes back to wait without using an attempt (the executor hands its run
 *   back to queued, for another worker).
 */
export class BullMqDispatcher implements Dispatcher {
  private readonly opts: DispatchOptions;
  private readonly url: string;
  private readonly prefix: string | undefined;
  /** Shared by the Queue (BullMQ does not close a client it was given) and the throughput count. */
  private readonly redis: Redis;
  private readonly queue: Queue<JobData, void, typeof JOB_NAME>;
  private worker: Worker<JobData, void, typeof JOB_NAME> | undefined;
  /** The handler's signal and promise per active job id. */
  private readonly active = new Map<string, ActiveJob>();
  private readonly closeTimeoutMs: number;
  private readonly lockMs: number;
  private closing: Promise<void> | undefined;
  /** Jobs dispatched in this turn of the event loop, sent together at its end. */
  private pending: { job: { name: typeof JOB_NAME; data: JobData; opts: { priority: number; deduplication: { id: string } } }; resolve: () => void; reject: (err: unknown) => void }[] = [];

  /** Dispatch options default to DEFAULT_DISPATCH (concurrency 5, attempts 3, backoff 1 s, no rate limit). */
  constructor(
    options: BullMqDispatcherOptions,
    private readonly logger?: Logger,
  ) {
    const { connection, queueName = 'troupe-runs', prefix, keepCompletedSec = 86_400, keepFailedSec = 7 * 86_400, closeTimeoutMs = 5000, lockMs = 30_000, ...dispatch } = options;
    this.opts = resolveDispatchOptions(dispatch);
    this.url = connection;
    this.prefix = prefix;
    this.closeTimeoutMs = closeTimeoutMs;
    this.lockMs = lockMs;
    // ioredis' default maxRetriesPerRequest (20) suits a producer: dispatch fails after a
    // while if Redis is down, instead of hanging the request. Only workers need null.
    this.redis = new Redis(connection, { connectionName: `troupe:${queueName}:producer` });
    this.redis.on('error', (err) => this.logger?.warn({ err }, 'redis connection error'));
    this.queue = new Queue<JobData, void, typeof JOB_NAME>(queueName, {
      connection: this.redis,
      prefix,
      // Without it every call first waits for the connection to be ready, forever while Redis is
      // down. With it, ioredis retries a command 20 times (maxRetriesPerRequest), so a dispatch
      // fails after ~10.5 s (measured) and the API can answer.
      skipWaitingForReady: true,
      defaultJobOptions: {
        attempts: this.opts.attempts,
        // BullMQ's exponential delay is `delay * 2^(attemptsMade - 1)`: backoffMs, 2×, 4×, …
        backoff: { type: 'exponential', delay: this.opts.backoffMs },
        // Evicted when a later job finishes (BullMQ has no timer); count caps a burst.
        removeOnComplete: { age: Math.max(60, keepCompletedSec), count: 100_000 },
        removeOnFail: { age: keepFailedSec, count: 100_000 },
      },
    });
    this.queue.on('error', (err) => this.logger?.warn({ err }, 'bullmq queue error'));
  }

  /**
   * Resolves once Redis has the job (or already had one for this run). The jobs dispatched in one
   * turn of the event loop (a batch of runs created together) go to Redis as one pipeline
   * (addBulk): one round trip instead of one per job. If it fails, every job of the batch fails
   * (some may have been queued; the recovery sweep dispatches the rest, and dedupe keeps it once).
   */
  dispatch(job: RunJob): Promise<void> {
    if (this.closing) return Promise.reject(new Error('dispatcher is closed'));
    return new Promise((resolve, reject) => {
      this.pending.push({
        job: {
          name: JOB_NAME,
          data: { orgId: job.orgId, runId: job.runId },
          opts: { priority: PRIORITY[job.priority ?? 'normal'] ?? PRIORITY.normal, deduplication: { id: dedupeKey(job) } },
        },
        resolve,
        reject,
      });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  /** The last pipeline sent; close() waits for it. */
  private sent: Promise<void> = Promise.resolve();

  private flush() {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.sent = this.queue.addBulk(batch.map((b) => b.job)).then(
      () => batch.forEach((b) => b.resolve()),
      (err: unknown) => batch.forEach((b) => b.reject(err)),
    );
  }

  work(handler: JobHandler): void {
    if (this.worker) throw new Error('work() was already called');
    if (this.closing) throw new Error('dispatcher is closed');
    const { concurrency, ratePerMinute } = this.opts;
    this.worker = new Worker<JobData, void, typeof JOB_NAME>(this.queue.name, (job, token) => this.process(handler, job, token), {
      // BullMQ makes its own connections for a worker (a blocking one for BZPOPMIN and a
      // regular one) and closes them; it needs maxRetriesPerRequest null on both, else a command
      // in flight during a reconnect rejects and the worker's loop breaks.
      connection: { url: this.url, maxRetriesPerRequest: null },
      prefix: this.prefix,
      concurrency,
      lockDuration: this.lockMs,
      stalledInterval: this.lockMs,
      limiter: ratePerMinute === null ? undefined : { max: ratePerMinute, duration: MINUTE },
    });
    this.worker.on('error', (err) => this.logger?.warn({ err }, 'bullmq worker error'));
    this.worker.on('failed', (job, err) => {
      if (job && job.attemptsMade >= this.opts.attempts) this.logger?.error({ err, runId: job.data.runId, attempts: job.attemptsMade }, 'job failed');
    });
  }

  private async process(handler: JobHandler, job: Job<JobData, void, typeof JOB_NAME>, token?: string): Promise<void> {
    const controller = new AbortController();
    const id = job.id ?? '';
    let error: unknown;
    let failed = false;
    try {
      const run = handler({ orgId: job.data.orgId, runId: job.data.runId, priority: FROM_PRIORITY.get(job.priority) }, controller.signal);
      this.active.set(id, { controller, settled: run.catch(() => {}) });
      await run;
    } catch (err) {
      failed = true;
      error = err;
    } finally {
      this.active.delete(id);
    }
    if (controller.signal.aborted) {
      // Aborted by close(): the run went back to queued; put the job back for the next worker.
      await job.moveToWait(token);
      throw new WaitingError();
    }
    if (!failed) return;
    if (error instanceof DelayJob) {
      await job.moveToDelayed(Date.now() + error.delayMs, token);
      throw new DelayedError();
    }
    if (error instanceof Error) throw error;
    throw new Error(`handler failed: ${String(error)}`);
  }

  async pause(): Promise<void> {
    await this.queue.pause();
  }

  async resume(): Promise<void> {
    await this.queue.resume();
  }

  async stats(): Promise<QueueStats> {
    const [counts, paused, throughput] = await Promise.all([
      // Prioritized jobs (all of ours: priority ≥ 1) sit in their own set, not in 'wait'.
      this.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed'),
      this.queue.isPaused(),
      this.redis.zcount(this.queue.keys.completed!, Date.now() - MINUTE, '+inf'),
    ]);
    const n = (k: string) => counts[k] ?? 0;
    return {
      adapter: 'bullmq',
      paused,
      waiting: n('waiting') + n('prioritized'),
      active: n('active'),
      delayed: n('delayed'),
      failed: n('failed'),
      completed: n('completed'),
      throughputPerMinute: throughput,
    };
  }

  async clean(olderThanMs: number): Promise<number> {
    // limit 0 = all (BullMQ deletes in batches of 10 000).
    const completed = await this.queue.clean(olderThanMs, 0, 'completed');
    const failed = await this.queue.clean(olderThanMs, 0, 'failed');
    return completed.length + failed.length;
  }

  /** Default grace 10 s, as the server's shutdown. */
  close(graceMs = 10_000): Promise<void> {
    this.closing ??= this.shutdown(graceMs);
    return this.closing;
  }

  private async shutdown(graceMs: number) {
    // Jobs dispatched in this turn go now, before the queue's connection closes.
    this.flush();
    await this.sent;
    const worker = this.worker;
    if (worker) {
      // Stops fetching at once, then waits for the active jobs (and their moves to completed).
      const closed = worker.close().catch((err: unknown) => this.logger?.warn({ err }, 'closing the bullmq worker failed'));
      // The grace is for our handlers: with none active (or once they settled) there is nothing
      // to wait for but BullMQ, which waits as long as Redis is unreachable.
      const idle = Promise.all([...this.active.values()].map((a) => a.settled));
      if (await timeout(Promise.race([closed, idle]), graceMs)) {
        const running = [...this.active.values()];
        for (const a of running) a.controller.abort(new Error('dispatcher closing'));
        await Promise.all(running.map((a) => a.settled));
      }
      if (await timeout(closed, this.closeTimeoutMs)) this.logger?.warn('the bullmq worker did not close (is Redis reachable?); giving up');
    }
    await this.queue.close().catch((err: unknown) => this.logger?.warn({ err }, 'closing the bullmq queue failed'));
    // QUIT would sit in the offline queue (~10 s of retries) while Redis is down.
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }
}

/** Waits for `p` at most `ms`; true if the time ran out first. */
async function timeout(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const ranOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), ms);
    timer.unref();
  });
  try {
    return await Promise.race([p.then(() => false), ranOut]);
  } finally {
    clearTimeout(timer);
  }
}

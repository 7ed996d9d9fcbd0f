import type { Logger } from '../shared/logger.js';
import type { TaskPriority } from '../tasks/enums.js';
import { resolveDispatchOptions } from './options.js';
import { DelayJob, dedupeKey, type Dispatcher, type DispatchOptions, type JobHandler, type QueueStats, type RunJob } from '../runs/dispatch-port.js';

/** Taken first to last. */
const PRIORITIES: readonly TaskPriority[] = ['urgent', 'high', 'normal', 'low'];
const MINUTE = 60_000;

export interface InProcessOptions extends Partial<DispatchOptions> {
  /** Finished jobs remembered for stats and `clean()`, per outcome (default 1000). Older ones are dropped first. */
  keepFinished?: number;
}

interface Entry {
  job: RunJob;
  /** What it is deduplicated by (port.ts dedupeKey). */
  key: string;
  /** Attempts that ended in an error; a DelayJob does not count. */
  attemptsMade: number;
}

interface Active {
  entry: Entry;
  controller: AbortController;
  settled: Promise<void>;
}

interface Finished {
  runId: string;
  finishedOn: number;
}

/**
 * The embedded dispatcher: jobs live in this process's memory, so a crash loses them and the
 * database recovery re-dispatches their runs. Same semantics as the BullMQ adapter (one
 * conformance suite): priorities, dedupe by run, retries with exponential backoff, DelayJob,
 * a rate limit per rolling minute, pause, and a graceful close.
 */
export class InProcessDispatcher implements Dispatcher {
  private readonly opts: DispatchOptions;
  private readonly keepFinished: number;
  /** One FIFO per priority; Array#shift is fine at the few thousand jobs an embedded server holds. */
  private readonly waiting = new Map<TaskPriority, Entry[]>(PRIORITIES.map((p) => [p, []]));
  /** Dedupe keys of jobs waiting, active or delayed: dispatching one of them again is a no-op. */
  private readonly pending = new Set<string>();
  private readonly active = new Set<Active>();
  private readonly delayed = new Set<NodeJS.Timeout>();
  private readonly completed: Finished[] = [];
  private readonly failed: Finished[] = [];
  /** Completion times within the last minute, for throughputPerMinute. */
  private readonly completions: number[] = [];
  /** Start times within the last minute, for the rate limit. */
  private readonly starts: number[] = [];
  private rateTimer: NodeJS.Timeout | undefined;
  private handler: JobHandler | undefined;
  private paused = false;
  private closing: Promise<void> | undefined;

  /** Options default to DEFAULT_DISPATCH (concurrency 5, attempts 3, backoff 1 s, no rate limit). */
  constructor(
    options: InProcessOptions = {},
    private readonly logger?: Logger,
  ) {
    const { keepFinished = 1000, ...dispatch } = options;
    this.opts = resolveDispatchOptions(dispatch);
    this.keepFinished = keepFinished;
  }

  async dispatch(job: RunJob): Promise<void> {
    if (this.closing) throw new Error('dispatcher is closed');
    const key = dedupeKey(job);
    if (this.pending.has(key)) return;
    this.pending.add(key);
    this.enqueue({ job: { orgId: job.orgId, runId: job.runId, priority: job.priority ?? 'normal' }, key, attemptsMade: 0 });
  }

  work(handler: JobHandler): void {
    if (this.handler) throw new Error('work() was already called');
    this.handler = handler;
    this.pump();
  }

  async pause(): Promise<void> {
    this.paused = true;
  }

  async resume(): Promise<void> {
    this.paused = false;
    this.pump();
  }

  async stats(): Promise<QueueStats> {
    const now = Date.now();
    prune(this.completions, now - MINUTE);
    let waiting = 0;
    for (const q of this.waiting.values()) waiting += q.length;
    return {
      adapter: 'in-process',
      paused: this.paused,
      waiting,
      active: this.active.size,
      delayed: this.delayed.size,
      failed: this.failed.length,
      completed: this.completed.length,
      throughputPerMinute: this.completions.length,
    };
  }

  async clean(olderThanMs: number): Promise<number> {
    // Like BullMQ's clean: removes jobs that finished at or before now - olderThanMs.
    const cutoff = Date.now() - olderThanMs;
    return dropUpTo(this.completed, cutoff) + dropUpTo(this.failed, cutoff);
  }

  /** Default grace 10 s, as the server's shutdown. Waiting and delayed jobs are dropped (recovery re-dispatches their runs). */
  close(graceMs = 10_000): Promise<void> {
    this.closing ??= this.shutdown(graceMs);
    return this.closing;
  }

  private async shutdown(graceMs: number) {
    clearTimeout(this.rateTimer);
    for (const t of this.delayed) clearTimeout(t);
    this.delayed.clear();
    for (const q of this.waiting.values()) q.length = 0;
    const running = [...this.active];
    const all = Promise.all(running.map((a) => a.settled));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), graceMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      for (const a of running) a.controller.abort(new Error('dispatcher closing'));
      await all;
    }
    this.pending.clear();
  }

  private enqueue(entry: Entry) {
    (this.waiting.get(entry.job.priority ?? 'normal') ?? this.waiting.get('normal')!).push(entry);
    this.pump();
  }

  private hasWaiting() {
    for (const q of this.waiting.values()) if (q.length) return true;
    return false;
  }

  private pump() {
    if (!this.handler || this.paused || this.closing) return;
    while (this.active.size < this.opts.concurrency && this.hasWaiting()) {
      if (!this.takeRateSlot()) return;
      for (const p of PRIORITIES) {
        const entry = this.waiting.get(p)!.shift();
        if (entry) {
          this.start(entry, this.handler);
          break;
        }
      }
    }
  }

  /** True when the rate limit lets one more job start now; otherwise wakes the pump when the oldest start leaves the window. */
  private takeRateSlot(): boolean {
    const limit = this.opts.ratePerMinute;
    if (limit === null) return true;
    const now = Date.now();
    prune(this.starts, now - MINUTE);
    if (this.starts.length < limit) {
      this.starts.push(now);
      return true;
    }
    if (!this.rateTimer) {
      this.rateTimer = setTimeout(() => {
        this.rateTimer = undefined;
        this.pump();
      }, this.starts[0]! + MINUTE - now + 1);
      this.rateTimer.unref();
    }
    return false;
  }

  private start(entry: Entry, handler: JobHandler) {
    const controller = new AbortController();
    let result: Promise<void>;
    try {
      result = handler({ ...entry.job }, controller.signal);
    } catch (err) {
      result = Promise.reject(err);
    }
    const active: Active = {
      entry,
      controller,
      settled: result.then(
        () => this.finish(active, undefined),
        (err: unknown) => this.finish(active, err ?? new Error('handler failed')),
      ),
    };
    this.active.add(active);
  }

  private finish(active: Active, err: unknown) {
    this.active.delete(active);
    const { entry } = active;
    const { runId } = entry.job;
    const now = Date.now();
    if (active.controller.signal.aborted) {
      // Aborted by close(): the handler handed its run back; recovery re-dispatches it.
      this.logger?.info({ runId }, 'job aborted by shutdown');
      this.pending.delete(entry.key);
      return;
    }
    if (err === undefined) {
      this.pending.delete(entry.key);
      this.record(this.completed, { runId, finishedOn: now });
      prune(this.completions, now - MINUTE);
      this.completions.push(now);
    } else if (this.closing) {
      this.pending.delete(entry.key);
    } else if (err instanceof DelayJob) {
      this.later(entry, err.delayMs);
    } else if (entry.attemptsMade + 1 < this.opts.attempts) {
      entry.attemptsMade++;
      const delay = this.opts.backoffMs * 2 ** (entry.attemptsMade - 1);
      this.logger?.warn({ err, runId, attempt: entry.attemptsMade, retryInMs: delay }, 'job failed; will retry');
      this.later(entry, delay);
    } else {
      this.pending.delete(entry.key);
      this.record(this.failed, { runId, finishedOn: now });
      this.logger?.error({ err, runId, attempts: entry.attemptsMade + 1 }, 'job failed');
    }
    this.pump();
  }

  private later(entry: Entry, delayMs: number) {
    const timer = setTimeout(() => {
      this.delayed.delete(timer);
      this.enqueue(entry);
    }, Math.max(0, delayMs));
    timer.unref();
    this.delayed.add(timer);
  }

  private record(list: Finished[], f: Finished) {
    list.push(f);
    if (list.length > this.keepFinished) list.splice(0, list.length - this.keepFinished);
  }
}

/** Drops leading timestamps older than `cutoff` (the list is in time order). */
function prune(times: number[], cutoff: number) {
  let i = 0;
  while (i < times.length && times[i]! <= cutoff) i++;
  if (i) times.splice(0, i);
}

/** Removes records finished at or before `cutoff` (the list is in time order); returns how many. */
function dropUpTo(list: Finished[], cutoff: number): number {
  let i = 0;
  while (i < list.length && list[i]!.finishedOn <= cutoff) i++;
  list.splice(0, i);
  return i;
}


import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { and, eq } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { AppError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { EngineEvents } from '../observability/events.js';
import { claimDue, type Claim, type ScheduleFire } from './claim.js';
import { DEFAULT_MISFIRE_GRACE_MS, DelayWindow, type DelayFigures } from './fire-plan.js';
import { DEFAULT_LEASE_MS, Leadership } from './leader.js';
import { scheduleFires } from './schema.js';

export type { ScheduleFire };

/** Starts the run for a fire; answers its id, or null when nothing ran (e.g. the agent is paused: the fire is recorded as skipped). */
export type OnFire = (fire: ScheduleFire) => Promise<string | null>;

export interface SchedulerOptions {
  /** Who this process is, in scheduler_leader and logs. Default `<hostname>:<pid>:<random>`. */
  holder?: string;
  /** Longest sleep between passes (the leader renews its lease in every pass), and how often a follower tries the lease. Default 500 ms. */
  tickMs?: number;
  /** How long the leader's lease lasts without a renewal: a follower takes over this long after the leader stopped renewing (froze, died, lost the database). Default 10 s; at least 4 ticks. */
  leaseMs?: number;
  /** A due time older than this goes to the misfire policy instead of being caught up. Default 60 s. */
  misfireGraceMs?: number;
  /** Schedules claimed per transaction. Default 100. */
  batchSize?: number;
  /** Told of every fire (`scheduler:fire`, with its lag). */
  events?: EngineEvents;
}

export const DEFAULT_TICK_MS = 500;

/**
 * Fires schedules. One process leads: the holder of the lease in `scheduler_leader` (leader.ts;
 * with PGlite the only process); followers try to take the lease every tick, and do once it has
 * lapsed. The leader sleeps until the earliest next fire (at most a tick, so schedules other
 * processes create are seen), then in one transaction renews its lease (or finds it lost, and
 * claims nothing) and claims every due schedule: it inserts a schedule_fires row (schedule, fire
 * time) and advances next_fire_at. The row's primary key makes each fire happen at most once even
 * if two processes both believed they led (and FOR UPDATE SKIP LOCKED keeps them off each other's
 * rows). After the commit it calls `onFire` and records the run id; a crash between the two loses
 * that one fire rather than running it twice.
 */
export class Scheduler {
  readonly holder: string;
  private readonly leadership: Leadership;
  private readonly tickMs: number;
  private readonly graceMs: number;
  private readonly batchSize: number;
  private readonly delays = new DelayWindow(100);
  private readonly inFlight = new Set<Promise<void>>();
  private running = false;
  private loopDone: Promise<void> | null = null;
  private sleeping: { timer: NodeJS.Timeout; resolve: () => void } | null = null;
  private passChain: Promise<unknown> = Promise.resolve();
  private readonly events?: EngineEvents;

  constructor(
    private readonly database: Database,
    private readonly onFire: OnFire,
    private readonly logger: Logger,
    options: SchedulerOptions = {},
  ) {
    this.holder = options.holder ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.tickMs = options.tickMs ?? DEFAULT_TICK_MS;
    this.graceMs = options.misfireGraceMs ?? DEFAULT_MISFIRE_GRACE_MS;
    this.batchSize = options.batchSize ?? 100;
    this.events = options.events;
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    // A lease of a few ticks at least: the leader renews once a tick, a follower looks once a tick.
    if (leaseMs < 4 * this.tickMs) throw new Error(`scheduler: the lease (${leaseMs} ms) must be at least 4 ticks (${4 * this.tickMs} ms)`);
    this.leadership = new Leadership(database, this.holder, logger, { leaseMs, solo: database.embedded });
  }

  get isLeader(): boolean {
    return this.leadership.isLeader;
  }

  get started(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Stops the loop, waits for fires in progress, and gives the lease up (a follower takes over on its next tick). */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loopDone;
    this.loopDone = null;
    await Promise.allSettled([...this.inFlight]);
    await this.leadership.release().catch((err: unknown) => this.logger.warn({ err }, 'scheduler: could not give the leader lease up; it lapses on its own'));
  }

  /** Ends the current sleep: the loop passes at once (e.g. after this process changed a schedule). */
  wake(): void {
    const s = this.sleeping;
    this.sleeping = null;
    if (s) {
      clearTimeout(s.timer);
      s.resolve();
    }
  }

  /**
   * One pass now, in this process, if it leads (it takes the lead when nobody holds it). Waits
   * for the runs to be started; answers how many schedules fired (skipped misfires not counted).
   */
  async checkNow(): Promise<number> {
    if (!(await this.lead())) return 0;
    const result = await this.pass();
    await Promise.allSettled([...this.inFlight]);
    return result.fired;
  }

  /** Delays (fire time to claim) of the last 100 on-time fires in this process; misfire catch-ups are not counted. */
  fireDelays(): DelayFigures {
    return this.delays.figures();
  }

  /** The same delays, oldest first (tests, diagnostics). */
  recentDelays(): number[] {
    return this.delays.all();
  }

  private lead(): Promise<boolean> {
    return this.leadership.acquire();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let waitMs = this.tickMs;
      try {
        waitMs = await this.iteration();
      } catch (err) {
        this.logger.error({ err }, 'scheduler: pass failed; will try again');
      }
      if (this.running) await this.sleep(waitMs);
    }
  }

  /** One turn of the loop; answers how long to sleep. */
  private async iteration(): Promise<number> {
    if (!(await this.lead())) return this.tickMs;
    const passAt = Date.now();
    const r = await this.pass();
    if (!r.leading) return this.tickMs;
    if (r.more) return 0;
    if (!r.earliest) return this.tickMs;
    const at = r.earliest.getTime();
    // Due at pass time yet not claimed: another transaction holds it; look again shortly, do not spin.
    if (at <= passAt && !r.claimed) return 50;
    // +1 ms: timers may wake a hair before Date.now() reaches the fire time.
    return Math.min(Math.max(0, at - Date.now() + 1), this.tickMs);
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleeping = null;
        resolve();
      }, ms);
      timer.unref();
      this.sleeping = { timer, resolve };
    });
  }

  /** Passes never overlap in one process (the loop and checkNow). */
  private pass(): Promise<{ leading: boolean; fired: number; claimed: number; more: boolean; earliest: Date | null }> {
    const run = this.passChain.then(() => this.passOnce());
    this.passChain = run.catch(() => {});
    return run;
  }

  private async passOnce() {
    const now = new Date();
    const result = await this.database.system(async (tx) => {
      // The fence: the lease is renewed (its row locked) in the transaction that claims, or nothing is claimed.
      if (!(await this.leadership.renew(tx))) return null;
      return claimDue(tx, now, { graceMs: this.graceMs, batchSize: this.batchSize, logger: this.logger });
    });
    if (!result) return { leading: false, fired: 0, claimed: 0, more: false, earliest: null };
    const { claims, more, earliest } = result;
    let fired = 0;
    for (const c of claims) {
      if (c.plan.outcome !== 'fired') {
        this.logger.info({ scheduleId: c.scheduleId, fireAt: c.fireAt }, 'scheduler: missed fire skipped (misfire policy skip)');
        continue;
      }
      fired++;
      if (!c.plan.misfired) this.delays.add(c.delayMs);
      this.launch(c);
    }
    return { leading: true, fired, claimed: claims.length, more, earliest };
  }

  private launch(c: Claim) {
    const p = this.fire(c).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /** Calls onFire and records its outcome; never throws (a failing run start must not stop the loop). */
  private async fire(c: Claim): Promise<void> {
    let runId: string | null = null;
    let outcome: 'fired' | 'skipped' | 'failed' | 'budget_exceeded' = 'fired';
    try {
      runId = await this.onFire({ orgId: c.orgId, scheduleId: c.scheduleId, taskId: c.taskId, workflowId: c.workflowId, fireAt: c.fireAt });
      if (!runId) outcome = 'skipped';
    } catch (err) {
      if (err instanceof AppError && err.code === 'budget_exceeded') {
        // The month's budget is used up: no run is made (the owners had the 100% alert); the fire
        // is recorded as such and the schedule carries on, so it runs again once there is room.
        outcome = 'budget_exceeded';
        this.logger.warn({ orgId: c.orgId, scheduleId: c.scheduleId, fireAt: c.fireAt }, `scheduler: fire skipped: ${err.message}`);
      } else {
        outcome = 'failed';
        this.logger.error({ err, scheduleId: c.scheduleId, fireAt: c.fireAt }, 'scheduler: starting the run failed');
      }
    }
    this.logger.debug({ scheduleId: c.scheduleId, fireAt: c.fireAt, delayMs: c.delayMs, runId, outcome, misfired: c.plan.misfired }, 'scheduler: fired');
    this.events?.emit('scheduler:fire', { orgId: c.orgId, scheduleId: c.scheduleId, dueAt: c.fireAt, at: new Date(), lagMs: c.delayMs, outcome, misfired: c.plan.misfired, taskId: c.taskId, workflowId: c.workflowId, runId });
    try {
      await this.database.withOrg(c.orgId, (tx) =>
        tx
          .update(scheduleFires)
          .set({ runId, outcome })
          .where(and(eq(scheduleFires.scheduleId, c.scheduleId), eq(scheduleFires.fireAt, c.fireAt))),
      );
    } catch (err) {
      this.logger.warn({ err, scheduleId: c.scheduleId }, 'scheduler: could not record the run of a fire');
    }
  }
}

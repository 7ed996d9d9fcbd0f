import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { and, eq, sql } from 'drizzle-orm';
import type { Database, Tx } from '../db/client.js';
import type { Logger } from '../shared/logger.js';
import { claimDue, type Claim, type ScheduleFire } from './claim.js';
import { DEFAULT_MISFIRE_GRACE_MS, DelayWindow, type DelayFigures } from './fire-plan.js';
import { NoLeadership, PgLeadership, SoloLeadership, type Leadership } from './leader.js';
import { scheduleFires, schedulerLeader } from './schema.js';

export type { ScheduleFire };

/** Starts the run for a fire; answers its id, or null when nothing ran (e.g. the agent is paused: the fire is recorded as skipped). */
export type OnFire = (fire: ScheduleFire) => Promise<string | null>;

export interface SchedulerOptions {
  /** Who this process is, in scheduler_leader and logs. Default `<hostname>:<pid>:<random>`. */
  holder?: string;
  /** Longest sleep between passes, and how often a follower tries the lock and the leader writes its heartbeat. Default 500 ms. */
  tickMs?: number;
  /** PostgreSQL URL for the dedicated leader-lock connection. Needed to lead on PostgreSQL (without it the process never fires: see cannotLead); unused with PGlite. */
  url?: string;
  /** A due time older than this goes to the misfire policy instead of being caught up. Default 60 s. */
  misfireGraceMs?: number;
  /** Schedules claimed per transaction. Default 100. */
  batchSize?: number;
}

export const DEFAULT_TICK_MS = 500;

/**
 * Fires schedules. One process leads (a PostgreSQL advisory lock; with PGlite the only process);
 * followers retry the lock every tick. The leader sleeps until the earliest next fire (at most a
 * tick, so schedules other processes create are seen), then in one transaction claims every due
 * schedule: it inserts a schedule_fires row (schedule, fire time) and advances next_fire_at.
 * The row's primary key makes each fire happen at most once even if two processes briefly both
 * lead (and FOR UPDATE SKIP LOCKED keeps them off each other's rows). After the commit it calls
 * `onFire` and records the run id; a crash between the two loses that one fire rather than
 * running it twice.
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
  private leaderSince: Date | null = null;
  private lastHeartbeat = 0;
  private lastCheck = 0;

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
    if (database.kind === 'pglite') this.leadership = new SoloLeadership();
    else if (options.url) this.leadership = new PgLeadership(options.url, this.holder, logger, Math.max(2_000, 4 * this.tickMs), 2 * this.tickMs);
    // Not an exception: a context is built before anyone knows whether this process will run the scheduler.
    else this.leadership = new NoLeadership('no PostgreSQL URL for the leader lock connection (options.url); this process never fires schedules', logger);
  }

  /** Why this process can never lead (and so never fires), or null. */
  get cannotLead(): string | null {
    return this.leadership instanceof NoLeadership ? this.leadership.reason : null;
  }

  get isLeader(): boolean {
    return this.leadership.isLeader;
  }

  get started(): boolean {
    return this.running;
  }

  /** The backend pid of the leader-lock connection (PostgreSQL), for tests and diagnostics. */
  get lockBackendPid(): number | null {
    return this.leadership instanceof PgLeadership ? this.leadership.backendPid : null;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Stops the loop, waits for fires in progress, and gives up leadership (closes the lock connection). */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loopDone;
    this.loopDone = null;
    await Promise.allSettled([...this.inFlight]);
    if (this.leadership.isLeader) {
      // Let the status API show nobody leads until the next leader's first heartbeat.
      await this.database.system((tx) => tx.delete(schedulerLeader).where(eq(schedulerLeader.holder, this.holder))).catch(() => {});
    }
    await this.leadership.release();
    this.leaderSince = null;
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

  private async lead(): Promise<boolean> {
    if (this.leadership.isLeader) return true;
    this.leaderSince = null;
    if (!(await this.leadership.acquire())) return false;
    this.leaderSince = new Date();
    this.lastHeartbeat = 0;
    return true;
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
    if (Date.now() - this.lastCheck >= this.tickMs) {
      // Not awaited: a hung lock connection must not hold fires up (its query times out and leadership drops).
      this.lastCheck = Date.now();
      void this.leadership.check();
    }
    const passAt = Date.now();
    const r = await this.pass();
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
  private pass(): Promise<{ fired: number; claimed: number; more: boolean; earliest: Date | null }> {
    const run = this.passChain.then(() => this.passOnce());
    this.passChain = run.catch(() => {});
    return run;
  }

  private async passOnce() {
    const now = new Date();
    const heartbeat = now.getTime() - this.lastHeartbeat >= this.tickMs;
    const { claims, more, earliest } = await this.database.system(async (tx) => {
      if (heartbeat) await this.heartbeat(tx);
      return claimDue(tx, now, { graceMs: this.graceMs, batchSize: this.batchSize, logger: this.logger });
    });
    if (heartbeat) this.lastHeartbeat = now.getTime();
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
    return { fired, claimed: claims.length, more, earliest };
  }

  private async heartbeat(tx: Tx) {
    const since = this.leaderSince ?? new Date();
    await tx
      .insert(schedulerLeader)
      .values({ id: 1, holder: this.holder, since, heartbeatAt: sql`now()` })
      .onConflictDoUpdate({ target: schedulerLeader.id, set: { holder: this.holder, since, heartbeatAt: sql`now()` } });
  }

  private launch(c: Claim) {
    const p = this.fire(c).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /** Calls onFire and records its outcome; never throws (a failing run start must not stop the loop). */
  private async fire(c: Claim): Promise<void> {
    let runId: string | null = null;
    let outcome: 'fired' | 'skipped' | 'failed' = 'fired';
    try {
      runId = await this.onFire({ orgId: c.orgId, scheduleId: c.scheduleId, taskId: c.taskId, fireAt: c.fireAt });
      if (!runId) outcome = 'skipped';
    } catch (err) {
      outcome = 'failed';
      this.logger.error({ err, scheduleId: c.scheduleId, fireAt: c.fireAt }, 'scheduler: starting the run failed');
    }
    this.logger.debug({ scheduleId: c.scheduleId, fireAt: c.fireAt, delayMs: c.delayMs, runId, outcome, misfired: c.plan.misfired }, 'scheduler: fired');
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

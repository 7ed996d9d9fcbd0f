import { latestFireAtOrBefore, nextFire } from './cron.js';
import type { MisfirePolicy } from './schema.js';

/** How late a fire may be and still count as on time (caught up one by one): 60 s. */
export const DEFAULT_MISFIRE_GRACE_MS = 60_000;

/** What the scheduler knows of a due schedule. */
export interface DueSchedule {
  cron: string | null;
  timezone: string;
  onceAt: Date | null;
  misfire: MisfirePolicy;
  /** Due: at or before now. */
  nextFireAt: Date;
}

export interface FirePlan {
  /** The fire time recorded in schedule_fires (its key with the schedule). */
  fireAt: Date;
  /** fired: call onFire; skipped: record the fire time only. */
  outcome: 'fired' | 'skipped';
  /** True when the due time was older than the grace: the misfire policy decided. */
  misfired: boolean;
  /** The schedule's next fire time after this one (null: a one-off that is done). */
  next: Date | null;
}

/**
 * What to do with one due schedule at `now`.
 * - Due within the grace: fire that time; next is the following cron time, which may still be
 *   due (a short stall is caught up fire by fire, with no gaps).
 * - Older than the grace (downtime, a stopped scheduler): the policy decides once for everything
 *   missed. `run_once` fires the latest missed time, `skip` records it as skipped; either way the
 *   schedule then jumps to its first fire after `now`.
 * - One-off: its one time, fired or (late, policy skip) skipped; then no next fire.
 */
export function planFire(s: DueSchedule, now: Date, graceMs = DEFAULT_MISFIRE_GRACE_MS): FirePlan {
  const misfired = now.getTime() - s.nextFireAt.getTime() > graceMs;
  const outcome = misfired && s.misfire === 'skip' ? 'skipped' : 'fired';
  if (!s.cron) return { fireAt: s.nextFireAt, outcome, misfired, next: null };
  if (!misfired) return { fireAt: s.nextFireAt, outcome, misfired, next: nextFire(s, s.nextFireAt) };
  const latest = latestFireAtOrBefore(s, now);
  const fireAt = latest && latest > s.nextFireAt ? latest : s.nextFireAt;
  return { fireAt, outcome, misfired, next: nextFire(s, now) };
}

export interface DelayFigures {
  /** How many delays the figures cover (at most the window, 100). */
  count: number;
  medianMs: number | null;
  p95Ms: number | null;
  maxMs: number | null;
  lastMs: number | null;
}

/** Summary figures of a list of delays (ms). */
export function delayFigures(delays: number[], last: number | null = delays.at(-1) ?? null): DelayFigures {
  if (!delays.length) return { count: 0, medianMs: null, p95Ms: null, maxMs: null, lastMs: null };
  const sorted = [...delays].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { count: sorted.length, medianMs: at(0.5), p95Ms: at(0.95), maxMs: sorted.at(-1)!, lastMs: last };
}

/** The last `size` (default 100) fire delays, in memory. */
export class DelayWindow {
  private readonly values: number[] = [];
  constructor(private readonly size = 100) {}

  add(ms: number) {
    this.values.push(ms);
    if (this.values.length > this.size) this.values.shift();
  }

  figures(): DelayFigures {
    return delayFigures(this.values);
  }

  /** A copy, oldest first. */
  all(): number[] {
    return [...this.values];
  }
}

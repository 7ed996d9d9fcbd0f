/**
 * Calendar arithmetic in UTC for the analytics and the demo gym: every report's days, weeks
 * (Monday first, as PostgreSQL's date_trunc('week')) and months are UTC ones.
 */

export const DAY_MS = 86_400_000;

/** `d` plus `n` days (exact 24-hour days: UTC has no daylight saving). */
export const addDays = (d: Date, n: number): Date => new Date(d.getTime() + n * DAY_MS);

/** 00:00 UTC of d's day. */
export const dayStart = (d: Date): Date => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));

/** The first instant of d's UTC month. */
export const monthStart = (d: Date): Date => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));

/** Monday 00:00 UTC of d's week. */
export function weekStart(d: Date): Date {
  const day = dayStart(d);
  return addDays(day, -((day.getUTCDay() + 6) % 7));
}

/**
 * `d` plus `n` calendar months, same time of day; a day the target month lacks becomes its last
 * (31 January + 1 month = 28 or 29 February), as billing systems renew.
 */
export function addMonths(d: Date, n: number): Date {
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + n;
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return new Date(Date.UTC(y, m, Math.min(d.getUTCDate(), last), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()));
}

/** `2026-03`. */
export const monthKey = (d: Date): string => d.toISOString().slice(0, 7);
/** `2026-03-15`. */
export const dateKey = (d: Date): string => d.toISOString().slice(0, 10);
/** `2026-03` → its first instant. */
export const parseMonth = (month: string): Date => new Date(`${month}-01T00:00:00.000Z`);
/** `2026-03-15` → 00:00 UTC of that day. */
export const parseDate = (date: string): Date => new Date(`${date}T00:00:00.000Z`);

/** The months from `from` to `to` (`YYYY-MM`, inclusive), oldest first. */
export function monthsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let m = parseMonth(from); monthKey(m) <= to; m = addMonths(m, 1)) out.push(monthKey(m));
  return out;
}

export type Grouping = 'day' | 'week' | 'month';

/** The start of the day, week or month `d` falls in. */
export function bucketStart(d: Date, groupBy: Grouping): Date {
  if (groupBy === 'day') return dayStart(d);
  if (groupBy === 'week') return weekStart(d);
  return monthStart(d);
}

/** The next bucket's start. */
export const nextBucket = (start: Date, groupBy: Grouping): Date => (groupBy === 'month' ? addMonths(start, 1) : addDays(start, groupBy === 'week' ? 7 : 1));

/** Every bucket that [start, end) touches, by its first day (`YYYY-MM-DD`), oldest first; none when the range is empty. */
export function bucketsBetween(start: Date, end: Date, groupBy: Grouping): string[] {
  const out: string[] = [];
  for (let b = bucketStart(start, groupBy); b < end; b = nextBucket(b, groupBy)) out.push(dateKey(b));
  return out;
}

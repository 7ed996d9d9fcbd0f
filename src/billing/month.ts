import { z } from 'zod';

/** A calendar month, UTC, as `YYYY-MM`. */
export type Month = string;

export const MONTH_RE = /^\d{4}-(0[1-9]|1[0-2])$/;

export const monthSchema = z.string().regex(MONTH_RE, 'must be a month as YYYY-MM, e.g. 2025-01');

/** The UTC calendar month `at` falls in. */
export const monthOf = (at: Date): Month => at.toISOString().slice(0, 7);

/** [start, end) of a month in UTC: ledger rows with start ≤ created_at < end belong to it. */
export function monthRange(month: Month): { start: Date; end: Date } {
  if (!MONTH_RE.test(month)) throw new RangeError(`not a month: ${month}`);
  const [y, m] = month.split('-').map(Number) as [number, number];
  return { start: new Date(Date.UTC(y, m - 1, 1)), end: new Date(Date.UTC(y, m, 1)) };
}

/** The `count` months ending with `last`, oldest first. */
export function monthsEndingWith(last: Month, count: number): Month[] {
  const { start } = monthRange(last);
  return Array.from({ length: count }, (_, i) => monthOf(new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() - (count - 1 - i), 1))));
}

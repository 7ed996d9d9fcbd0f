/*
 * The analytics page's period: a month (UTC, as the reports count), turned into the parameters
 * the reports take. The current month runs up to now; an earlier month is seen from its end.
 */

const pad = (n: number) => String(n).padStart(2, '0');

/** This month in UTC, `YYYY-MM`. */
export function thisMonth(now: Date = new Date()): string {
  return `${now.getUTCFullYear()}-${pad(now.getUTCMonth() + 1)}`;
}

/** The month after `YYYY-MM`. */
export function nextMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${pad(m + 1)}`;
}

/** The last day of `YYYY-MM`, `YYYY-MM-DD`. */
export function lastDay(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return `${month}-${pad(new Date(Date.UTC(y, m, 0)).getUTCDate())}`;
}

export interface Period {
  /** The reports' asOf: undefined (now) for the current month, else the first day of the next month (00:00 UTC). */
  asOf: string | undefined;
  /** The month's first and last day, for the reports that take a date range. */
  from: string;
  to: string;
}

export function periodOf(month: string, current: string): Period {
  return { asOf: month === current ? undefined : `${nextMonth(month)}-01`, from: `${month}-01`, to: lastDay(month) };
}

const names = new Intl.DateTimeFormat('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' });
const shorts = new Intl.DateTimeFormat('en-US', { month: 'short', timeZone: 'UTC' });
const date = (month: string) => new Date(`${month}-01T00:00:00Z`);

/** "March 2026". */
export const monthName = (month: string) => names.format(date(month));
/** "Mar". */
export const shortMonth = (month: string) => shorts.format(date(month));

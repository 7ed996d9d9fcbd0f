import { localParts, zonedInstant } from '@server/calendars/time';

/** A date on a calendar's wall clock (no time), and the arithmetic the week view needs. */
export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

export const addDays = (d: LocalDate, n: number): LocalDate => {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + n));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
};
export const sameDate = (a: LocalDate, b: LocalDate) => a.year === b.year && a.month === b.month && a.day === b.day;
export const dateKey = (d: LocalDate) => `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
export const parseDateKey = (s: string): LocalDate | null => {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  return m ? { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) } : null;
};

/** Today in the zone. */
export const todayIn = (tz: string): LocalDate => {
  const p = localParts(Date.now(), tz);
  return { year: p.year, month: p.month, day: p.day };
};

/** The Monday of the week holding `d`. */
export const mondayOf = (d: LocalDate): LocalDate => addDays(d, -((new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay() + 6) % 7));

/** The instant the zone's wall clock shows `minutes` past midnight of the date. */
export const instantOf = (d: LocalDate, minutes: number, tz: string) => zonedInstant(d.year, d.month, d.day, minutes, tz);

/** Minutes past local midnight of an instant, and its local date. */
export function wallClock(ms: number, tz: string): { date: LocalDate; minutes: number } {
  const p = localParts(ms, tz);
  return { date: { year: p.year, month: p.month, day: p.day }, minutes: p.hour * 60 + p.minute };
}

export const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
export const dayLabel = (d: LocalDate) => new Date(Date.UTC(d.year, d.month - 1, d.day)).toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' });

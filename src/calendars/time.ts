import { WEEKDAYS, type BreakRule, type Weekday, type WorkingHours } from './enums.js';

/**
 * Wall-clock time in a calendar's time zone, with Intl alone (no date library): working hours,
 * breaks and free slots are local times, events are instants.
 */

export interface Interval {
  start: number;
  end: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();
function format(tz: string): Intl.DateTimeFormat {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formats.set(tz, f);
  }
  return f;
}

/** Whether Intl knows the IANA name (`Europe/Berlin`, `UTC`). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall-clock reading of an instant in `tz`. */
export function localParts(ms: number, tz: string): LocalParts {
  const p: Record<string, number> = {};
  for (const part of format(tz).formatToParts(new Date(ms))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return { year: p.year!, month: p.month!, day: p.day!, hour: p.hour! % 24, minute: p.minute!, second: p.second! };
}

/** How far `tz`'s wall clock is ahead of UTC at an instant, in ms. */
function offsetAt(ms: number, tz: string): number {
  const p = localParts(ms, tz);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - (ms - (((ms % 1000) + 1000) % 1000));
}

/**
 * The instant a wall clock in `tz` shows `minutes` past midnight of the date (24:00 is the next
 * midnight). A time a DST change skips lands after the gap (02:30 → 03:30); a time it repeats is
 * taken on its first pass (the earlier instant).
 */
export function zonedInstant(year: number, month: number, day: number, minutes: number, tz: string): number {
  const guess = Date.UTC(year, month - 1, day, 0, minutes);
  // The offsets a day either side: a change of offset happens at most once in between.
  const before = offsetAt(guess - 86_400_000, tz);
  const after = offsetAt(guess + 86_400_000, tz);
  const valid = [guess - before, guess - after].filter((t) => t + offsetAt(t, tz) === guess);
  return valid.length ? Math.min(...valid) : guess - before;
}

export const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Monday first, as WEEKDAYS. */
export function weekdayOf(year: number, month: number, day: number): Weekday {
  return WEEKDAYS[(new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % 7]!;
}

export interface Availability {
  timeZone: string;
  workingHours: WorkingHours;
  breaks: BreakRule[];
}

/** Subtracts `cut` from sorted, disjoint minute ranges. */
function subtract(ranges: [number, number][], cut: [number, number]): [number, number][] {
  return ranges.flatMap(([s, e]): [number, number][] => {
    if (cut[1] <= s || cut[0] >= e) return [[s, e]];
    return [
      [s, cut[0]],
      [cut[1], e],
    ].filter(([a, b]) => b! > a!) as [number, number][];
  });
}

/** Working ranges of one local weekday minus its breaks, in minutes of the day, sorted and merged. */
export function openMinutes(a: Availability, weekday: Weekday): [number, number][] {
  const sorted = (a.workingHours[weekday] ?? []).map((r): [number, number] => [minutesOf(r.start), minutesOf(r.end)]).filter(([s, e]) => e > s).sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const r of sorted) {
    const last = merged.at(-1);
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([...r]);
  }
  let open = merged;
  for (const b of a.breaks) if (b.days.includes(weekday)) open = subtract(open, [minutesOf(b.start), minutesOf(b.end)]);
  return open;
}

/** Each local date whose day overlaps [from, to) in `tz` (with a day's margin either side). */
function* localDates(from: number, to: number, tz: string): Generator<{ year: number; month: number; day: number }> {
  const first = localParts(from - 86_400_000, tz);
  const last = localParts(to + 86_400_000, tz);
  const end = Date.UTC(last.year, last.month - 1, last.day);
  for (let d = Date.UTC(first.year, first.month - 1, first.day); d <= end; d += 86_400_000) {
    const date = new Date(d);
    yield { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
  }
}

/** The bookable intervals (working hours minus breaks) that overlap [from, to), as instants, in order. */
export function openIntervals(a: Availability, from: number, to: number): Interval[] {
  const out: Interval[] = [];
  for (const { year, month, day } of localDates(from, to, a.timeZone)) {
    for (const [s, e] of openMinutes(a, weekdayOf(year, month, day))) {
      const i = { start: zonedInstant(year, month, day, s, a.timeZone), end: zonedInstant(year, month, day, e, a.timeZone) };
      if (i.end > from && i.start < to) out.push(i);
    }
  }
  // A range ending at 24:00 meets the next day's 00:00: one interval.
  const merged: Interval[] = [];
  for (const i of out.sort((x, y) => x.start - y.start)) {
    const last = merged.at(-1);
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else merged.push({ ...i });
  }
  return merged;
}

/** The breaks that overlap [from, to), as instants. */
export function breakIntervals(a: Availability, from: number, to: number): Interval[] {
  const out: Interval[] = [];
  for (const { year, month, day } of localDates(from, to, a.timeZone)) {
    const weekday = weekdayOf(year, month, day);
    for (const b of a.breaks) {
      if (!b.days.includes(weekday)) continue;
      const i = { start: zonedInstant(year, month, day, minutesOf(b.start), a.timeZone), end: zonedInstant(year, month, day, minutesOf(b.end), a.timeZone) };
      if (i.end > from && i.start < to) out.push(i);
    }
  }
  return out;
}

/** Why [start, end) cannot be booked by the calendar's hours: `break`, `outside_hours`, or null (it fits). */
export function hoursProblem(a: Availability, start: number, end: number): 'break' | 'outside_hours' | null {
  if (openIntervals(a, start, end).some((i) => i.start <= start && end <= i.end)) return null;
  return breakIntervals(a, start, end).length ? 'break' : 'outside_hours';
}

/** Slots start on this grid (minutes past the hour: :00, :15, :30, :45). */
export const SLOT_STEP_MS = 15 * 60_000;
const alignUp = (ms: number) => Math.ceil(ms / SLOT_STEP_MS) * SLOT_STEP_MS;

/**
 * The first `count` free slots of `durationMs` at or after `from`, inside working hours and out of
 * breaks, overlapping none of `busy` (sorted or not), within `horizonMs`. Slots do not overlap each
 * other; each starts on the 15-minute grid (or at `from` itself when `from` is free).
 */
export function findSlots(a: Availability, busy: Interval[], from: number, durationMs: number, count: number, horizonMs = 60 * 86_400_000): Interval[] {
  const sorted = [...busy].sort((x, y) => x.start - y.start);
  const slots: Interval[] = [];
  let cursor = from;
  for (const w of openIntervals(a, from, from + horizonMs)) {
    let at = Math.max(cursor, w.start);
    if (at !== from) at = alignUp(at);
    while (at + durationMs <= w.end) {
      const clash = sorted.find((b) => b.start < at + durationMs && b.end > at);
      if (!clash) {
        slots.push({ start: at, end: at + durationMs });
        if (slots.length >= count) return slots;
        at += durationMs;
      } else at = alignUp(clash.end);
    }
    cursor = Math.max(cursor, w.end);
  }
  return slots;
}

/*
 * The week view's arithmetic, in the browser's time zone: weeks start on Monday at 00:00 local
 * time, a day is a calendar day (23 or 25 hours across a daylight-saving change), and a session
 * belongs to the day it starts on.
 */

/** Monday 00:00 (local) of the week holding `d`. */
export function startOfWeek(d: Date): Date {
  const out = new Date(d.getFullYear(), d.getMonth(), d.getDate());
  const back = (out.getDay() + 6) % 7; // Sunday is 0: six days after Monday
  out.setDate(out.getDate() - back);
  return out;
}

/** `d` moved by `n` calendar days, at the same local time. */
export function addDays(d: Date, n: number): Date {
  const out = new Date(d);
  out.setDate(out.getDate() + n);
  return out;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The local calendar day as `YYYY-MM-DD` (the week's key in the address bar). */
export function dayKey(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The Monday of the week a `?week=YYYY-MM-DD` names (any day of it), or of `today`'s week when missing or not a date. */
export function weekFromParam(param: string | null | undefined, today: Date = new Date()): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(param ?? '');
  if (m) {
    const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
    if (d.getFullYear() === Number(m[1]) && d.getMonth() === Number(m[2]) - 1 && d.getDate() === Number(m[3])) return startOfWeek(d);
  }
  return startOfWeek(today);
}

export interface DayColumn<T> {
  date: Date;
  key: string;
  items: T[];
}

/**
 * Seven columns, Monday first, each with the items starting on that day in start order (ties by
 * end, then as given). Items outside the week are left out.
 */
export function layoutWeek<T extends { startsAt: string; endsAt?: string }>(items: T[], weekStart: Date): DayColumn<T>[] {
  const days = Array.from({ length: 7 }, (_, i) => {
    const date = addDays(weekStart, i);
    return { date, key: dayKey(date), items: [] as T[] };
  });
  const byKey = new Map(days.map((d) => [d.key, d]));
  for (const item of items) byKey.get(dayKey(new Date(item.startsAt)))?.items.push(item);
  const t = (s: string | undefined) => (s ? Date.parse(s) : 0);
  for (const d of days) d.items.sort((a, b) => t(a.startsAt) - t(b.startsAt) || t(a.endsAt) - t(b.endsAt));
  return days;
}

export type FillLevel = 'open' | 'filling' | 'full';

/** How full a session is: the bar's share (0–1) and level (full at capacity, filling from 80%). */
export function fill(booked: number, capacity: number): { ratio: number; level: FillLevel } {
  if (capacity <= 0) return { ratio: booked > 0 ? 1 : 0, level: 'full' };
  const ratio = Math.min(1, Math.max(0, booked / capacity));
  return { ratio, level: booked >= capacity ? 'full' : ratio >= 0.8 ? 'filling' : 'open' };
}

export interface Cell {
  day: number;
  index: number;
}

/**
 * Where an arrow key moves the focus in the week (the counts are each day's sessions):
 * up and down within the day, left and right to the nearest earlier or later day that has
 * sessions (at the same position, or its last), Home and End to the day's first and last.
 * Null when the key does not move (an edge, or another key).
 */
export function moveInWeek(counts: number[], from: Cell, key: string): Cell | null {
  const last = (day: number) => (counts[day] ?? 0) - 1;
  switch (key) {
    case 'ArrowDown':
      return from.index < last(from.day) ? { day: from.day, index: from.index + 1 } : null;
    case 'ArrowUp':
      return from.index > 0 ? { day: from.day, index: from.index - 1 } : null;
    case 'Home':
      return from.index > 0 ? { day: from.day, index: 0 } : null;
    case 'End':
      return from.index < last(from.day) ? { day: from.day, index: last(from.day) } : null;
    case 'ArrowRight':
    case 'ArrowLeft': {
      const step = key === 'ArrowRight' ? 1 : -1;
      for (let day = from.day + step; day >= 0 && day < counts.length; day += step) {
        if ((counts[day] ?? 0) > 0) return { day, index: Math.min(from.index, last(day)) };
      }
      return null;
    }
    default:
      return null;
  }
}

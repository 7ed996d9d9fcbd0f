/**
 * Schedules a person picks without writing cron (as n8n offers them), and the cron expression each
 * one stands for, both ways: the form builds the expression from the choice, and an existing
 * task's expression opens the choice it matches (anything else opens "custom"). Pure: no React.
 */

/** Minute steps that divide the hour, so "every N minutes" is exactly that across hours. */
export const MINUTE_STEPS = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30] as const;

/** Weekdays as cron numbers them (0 Sunday … 6 Saturday), listed Monday first. */
export const WEEKDAYS = [
  { day: 1, short: 'Mon', name: 'Monday' },
  { day: 2, short: 'Tue', name: 'Tuesday' },
  { day: 3, short: 'Wed', name: 'Wednesday' },
  { day: 4, short: 'Thu', name: 'Thursday' },
  { day: 5, short: 'Fri', name: 'Friday' },
  { day: 6, short: 'Sat', name: 'Saturday' },
  { day: 0, short: 'Sun', name: 'Sunday' },
] as const;

export type SchedulePreset =
  | { kind: 'minutes'; every: number }
  | { kind: 'hourly'; minute: number }
  | { kind: 'daily'; time: string }
  | { kind: 'weekly'; days: number[]; time: string }
  | { kind: 'monthly'; day: number; time: string }
  | { kind: 'custom'; cron: string };

export type PresetKind = SchedulePreset['kind'];

export const PRESET_LABELS: Record<PresetKind, string> = {
  minutes: 'Every few minutes',
  hourly: 'Every hour',
  daily: 'Every day',
  weekly: 'Every week',
  monthly: 'Every month',
  custom: 'Custom (cron)',
};

/** A new task's schedule: every day at 09:00 (in the browser's time zone, which the form picks). */
export const DEFAULT_PRESET: SchedulePreset = { kind: 'daily', time: '09:00' };

const pad = (n: number) => String(n).padStart(2, '0');

/** "HH:MM" → [hour, minute], or null. */
function hm(time: string): [number, number] | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec(time);
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  return h <= 23 && min <= 59 ? [h, min] : null;
}

/** Days as a cron weekday field: sorted, runs of three or more as ranges (1,2,3,4,5 → 1-5). */
function weekdayField(days: number[]): string {
  const sorted = [...new Set(days)].filter((d) => d >= 0 && d <= 6).sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    if (j - i >= 2) parts.push(`${sorted[i]}-${sorted[j]}`);
    else for (let k = i; k <= j; k++) parts.push(String(sorted[k]));
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * The cron expression (5 fields) of a preset; a custom one's text as typed. An incomplete choice
 * (no weekday ticked, a time that is no time) gives '' so the form names the missing part.
 */
export function toCron(p: SchedulePreset): string {
  switch (p.kind) {
    case 'minutes':
      return p.every === 1 ? '* * * * *' : `*/${p.every} * * * *`;
    case 'hourly':
      return `${p.minute} * * * *`;
    case 'custom':
      return p.cron;
  }
  const t = hm(p.time);
  if (!t) return '';
  const [h, m] = t;
  if (p.kind === 'daily') return `${m} ${h} * * *`;
  if (p.kind === 'monthly') return `${m} ${h} ${p.day} * *`;
  const days = weekdayField(p.days);
  return days ? `${m} ${h} * * ${days}` : '';
}

/** A plain number field in range (no leading zeros beyond one digit, no steps or lists). */
function num(field: string, max: number, min = 0): number | null {
  if (!/^\d{1,2}$/.test(field)) return null;
  const n = Number(field);
  return n >= min && n <= max ? n : null;
}

/** A cron weekday field of numbers, lists and ranges (7 is Sunday too) → sorted days, or null. */
function parseWeekdays(field: string): number[] | null {
  const days = new Set<number>();
  for (const part of field.split(',')) {
    const range = /^(\d)(?:-(\d))?$/.exec(part);
    if (!range) return null;
    const from = Number(range[1]);
    const to = range[2] === undefined ? from : Number(range[2]);
    if (from > 7 || to > 7 || to < from) return null;
    for (let d = from; d <= to; d++) days.add(d % 7);
  }
  return [...days].sort((a, b) => a - b);
}

/**
 * The preset an expression matches, or custom. Matching is exact on the 5-field forms `toCron`
 * writes (and weekday lists in any order or with ranges); seconds, steps other than minutes',
 * month fields and @macros are custom.
 */
export function fromCron(cron: string): SchedulePreset {
  const text = cron.trim().replace(/\s+/g, ' ');
  const custom: SchedulePreset = { kind: 'custom', cron };
  const f = text.split(' ');
  if (f.length !== 5) return custom;
  const [min, hour, dom, month, dow] = f as [string, string, string, string, string];
  if (month !== '*') return custom;
  if (hour === '*' && dom === '*' && dow === '*') {
    if (min === '*') return { kind: 'minutes', every: 1 };
    const step = /^\*\/(\d{1,2})$/.exec(min);
    if (step) return (MINUTE_STEPS as readonly number[]).includes(Number(step[1])) && Number(step[1]) !== 1 ? { kind: 'minutes', every: Number(step[1]) } : custom;
    const m = num(min, 59);
    return m === null ? custom : { kind: 'hourly', minute: m };
  }
  const m = num(min, 59);
  const h = num(hour, 23);
  if (m === null || h === null) return custom;
  const time = `${pad(h)}:${pad(m)}`;
  if (dom === '*' && dow === '*') return { kind: 'daily', time };
  if (dom === '*') {
    const days = parseWeekdays(dow);
    return days && days.length > 0 && days.length < 7 ? { kind: 'weekly', days, time } : custom;
  }
  const d = num(dom, 31, 1);
  return d !== null && dow === '*' ? { kind: 'monthly', day: d, time } : custom;
}

/** A fresh preset of a kind, carrying over what the current one already says (its time, its minute). */
export function switchKind(current: SchedulePreset, kind: PresetKind, cron: string): SchedulePreset {
  const time = 'time' in current ? current.time : '09:00';
  switch (kind) {
    case 'minutes':
      return { kind, every: 15 };
    case 'hourly':
      return { kind, minute: 'minute' in current ? current.minute : 0 };
    case 'daily':
      return { kind, time };
    case 'weekly':
      return { kind, time, days: [1, 2, 3, 4, 5] };
    case 'monthly':
      return { kind, time, day: 1 };
    case 'custom':
      return { kind, cron };
  }
}

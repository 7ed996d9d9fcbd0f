import { Cron } from 'croner';
import cronstrue from 'cronstrue';
import { badRequest, type FieldError } from '../shared/errors.js';

/**
 * Cron expressions as Troupe reads them: croner 11 with 5 fields (minute hour day-of-month month
 * day-of-week) or 6 (a seconds field first), or a nickname such as `@daily`; in an IANA time zone.
 *
 * Daylight saving time is croner's (Vixie cron's) rule, not ours:
 * - a fixed-time expression (one value each for second, minute and hour, e.g. `30 2 * * *`) whose
 *   time falls in a spring-forward gap fires at the first valid time after the gap (03:00 in
 *   Europe/Berlin on 2026-03-29), and fires once, at the first occurrence, when the time repeats
 *   in autumn;
 * - an interval expression (wildcard, step, range or list in second/minute/hour, e.g. `*\/30 * * * *`)
 *   skips the times in the gap and fires on both occurrences of a repeated time.
 * Day of month and day of week combine with OR (classic cron) unless day of week starts with `+`.
 */

/** A schedule's timing: a cron expression in a time zone (default UTC), or one instant. */
export interface ScheduleSpec {
  cron?: string | null;
  timezone?: string | null;
  onceAt?: Date | null;
}

export interface CronCheck {
  valid: true;
  description: string;
  /** The next five fire times after `now`. */
  next: Date[];
}

const FIELDS_5 = ['minute', 'hour', 'day of month', 'month', 'day of week'] as const;
const FIELDS_6 = ['second', ...FIELDS_5] as const;
const ALLOWED: Record<string, string> = {
  second: '0-59',
  minute: '0-59',
  hour: '0-23',
  'day of month': '1-31, L or nW',
  month: '1-12 or JAN-DEC',
  'day of week': '0-7 or SUN-SAT (0 and 7 are Sunday), with L, #n or a leading +',
};

/** Parsing is cheap (~0.1 ms) but the scheduler asks for the same few expressions all the time. */
const cache = new Map<string, Cron>();
const CACHE_MAX = 1000;

/** A paused croner job (never runs anything; only computes times). Throws croner's errors. */
function cronOf(cron: string, timezone: string): Cron {
  const key = `${timezone}\u0000${cron}`;
  let job = cache.get(key);
  if (!job) {
    job = new Cron(cron, { timezone, paused: true, mode: '5-or-6-parts' });
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
    cache.set(key, job);
  }
  return job;
}

/** True when the runtime knows the IANA zone (Intl is what croner uses to convert times). */
export function isTimeZone(timezone: string): boolean {
  if (!timezone.trim()) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/** The expression in words ("At 09:00, Monday through Friday"), or the expression itself when cronstrue cannot read it (croner accepts a few forms cronstrue does not, e.g. `+MON`). */
export function describeCron(cron: string): string {
  try {
    return cronstrue.toString(cron, { use24HourTimeFormat: true, throwExceptionOnParseError: true, verbose: false });
  } catch {
    return `Cron "${cron}"`;
  }
}

export function describeSpec(spec: ScheduleSpec): string {
  if (spec.cron) return describeCron(spec.cron);
  return spec.onceAt ? `Once, at ${spec.onceAt.toISOString()}` : 'Never';
}

/** Which field is wrong: each field alone, the others `*`, through croner. Null when only the combination fails. */
function failingField(fields: string[]): { name: string; value: string } | null {
  const names: readonly string[] = fields.length === 6 ? FIELDS_6 : FIELDS_5;
  for (let i = 0; i < fields.length; i++) {
    const probe = fields.map((f, j) => (j === i ? f : '*')).join(' ');
    try {
      new Cron(probe, { paused: true, mode: '5-or-6-parts' });
    } catch {
      return { name: names[i]!, value: fields[i]! };
    }
  }
  return null;
}

const cronError = (path: string, message: string) => badRequest(`cron: ${message}`, [{ path, message }] satisfies FieldError[]);

/**
 * Checks an expression and a time zone; answers a description and the next five fires after
 * `now` (default: the current time). Throws a 400 whose field error names `<path>cron` or
 * `<path>timezone` (path default '', e.g. 'body.' gives `body.cron`) and says what is wrong.
 */
export function validateCron(cron: string, timezone: string, options: { now?: Date; path?: string } = {}): CronCheck {
  const prefix = options.path ?? '';
  const expr = cron.trim();
  if (!isTimeZone(timezone)) {
    const message = `unknown time zone "${timezone}"; use an IANA name such as "UTC" or "Europe/Berlin"`;
    throw badRequest(`timezone: ${message}`, [{ path: `${prefix}timezone`, message }]);
  }
  if (!expr) throw cronError(`${prefix}cron`, 'is empty; give 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first)');
  const fields = expr.split(/\s+/);
  if (!expr.startsWith('@') && fields.length !== 5 && fields.length !== 6) {
    throw cronError(`${prefix}cron`, `has ${fields.length} field${fields.length === 1 ? '' : 's'}; give 5 (minute hour day-of-month month day-of-week) or 6 (seconds first)`);
  }
  let job: Cron;
  try {
    job = cronOf(expr, timezone);
  } catch (err) {
    const bad = expr.startsWith('@') ? null : failingField(fields);
    const detail = (err as Error).message.replace(/^CronPattern:\s*/, '');
    throw cronError(
      `${prefix}cron`,
      bad ? `the ${bad.name} field "${bad.value}" is not valid (allowed: ${ALLOWED[bad.name]})` : `is not a valid expression: ${detail}`,
    );
  }
  const next = job.nextRuns(5, options.now ?? new Date());
  if (!next.length) throw cronError(`${prefix}cron`, 'never matches a date (e.g. 30 February); it would never fire');
  return { valid: true, description: describeCron(expr), next };
}

/**
 * Up to `n` fire times strictly after `after`: the cron's (in its time zone, default UTC), or the
 * one-off instant when it is later than `after`. Assumes a validated spec.
 */
export function nextFires(spec: ScheduleSpec, after: Date, n: number): Date[] {
  if (spec.cron) return cronOf(spec.cron, spec.timezone || 'UTC').nextRuns(n, after);
  return spec.onceAt && spec.onceAt > after ? [spec.onceAt] : [];
}

/** The next fire strictly after `after`, or null. */
export const nextFire = (spec: ScheduleSpec, after: Date): Date | null => nextFires(spec, after, 1)[0] ?? null;

/** The latest cron fire time at or before `at` (null for one-offs or when there is none). */
export function latestFireAtOrBefore(spec: ScheduleSpec, at: Date): Date | null {
  if (!spec.cron) return null;
  // previousRuns is strictly before its reference; one millisecond later includes `at` itself.
  return cronOf(spec.cron, spec.timezone || 'UTC').previousRuns(1, new Date(at.getTime() + 1))[0] ?? null;
}

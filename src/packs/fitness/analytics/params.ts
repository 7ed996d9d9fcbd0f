import { z } from 'zod';
import { addDays, addMonths, bucketsBetween, dateKey, dayStart, monthKey, monthsBetween, parseDate, parseMonth, type Grouping } from './periods.js';

/*
 * The analytics' parameters: one Zod schema per report, used as the tool's input schema and as
 * the route's query string (numbers are coerced, so "12" works in a URL). Each schema resolves the
 * defaults, which depend on `asOf`, into concrete instants, so the SQL and the ground truth
 * receive the same resolved parameters. Every report takes `asOf`, its "now": nothing at or after
 * it counts (default: the current time).
 */

/** Calendar days a `from`–`to` range may span. */
export const MAX_RANGE_DAYS = 3_700;
/** Buckets (days, weeks, months) one report may have. */
export const MAX_BUCKETS = 400;
/** Months a monthly report may span. */
export const MAX_MONTHS = 120;

const DATE_TIME = /^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d{1,6})?)?(Z|[+-]\d\d:?\d\d))?$/;

const asOfField = z
  .string()
  .trim()
  .max(40)
  .refine((v) => DATE_TIME.test(v) && !Number.isNaN(new Date(v.length === 10 ? `${v}T00:00:00Z` : v).getTime()), {
    message: 'must be an ISO date (2026-03-01, meaning 00:00 UTC) or date-time with offset (2026-03-01T12:00:00Z)',
  })
  .optional()
  .describe('The moment the report is computed at; nothing at or after it counts. ISO date (00:00 UTC) or date-time. Default: now');

const toInstant = (v: string | undefined, now: () => Date): Date => (v === undefined ? now() : new Date(v.length === 10 ? `${v}T00:00:00Z` : v));

const dateField = (what: string) =>
  z.iso
    .date('must be a date: YYYY-MM-DD')
    .optional()
    .describe(`${what} (YYYY-MM-DD, UTC, inclusive)`);
const monthField = (what: string) =>
  z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month: YYYY-MM')
    .optional()
    .describe(`${what} (YYYY-MM, inclusive)`);
const currencyField = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code in capitals, such as USD')
  .default('USD')
  .describe('Money in this currency counts (rows in others are left out). Default USD');
const intField = (min: number, max: number, fallback: number, what: string) => z.coerce.number().int().min(min).max(max).default(fallback).describe(`${what} (default ${fallback})`);

/** The clock the defaults read; tests replace nothing: they pass asOf. */
const now = () => new Date();

export interface AtParams {
  asOf: Date;
  currency: string;
}

export interface RangeParams {
  asOf: Date;
  /** The first day, `YYYY-MM-DD`. */
  from: string;
  /** The last day, `YYYY-MM-DD` (inclusive). */
  to: string;
  /** 00:00 UTC of `from`. */
  start: Date;
  /** The end (exclusive): the day after `to`, or asOf when that is earlier. */
  end: Date;
}

export interface MonthlyParams {
  asOf: Date;
  fromMonth: string;
  toMonth: string;
  /** Every month from fromMonth to toMonth, oldest first. */
  months: string[];
}

type Issue = { path: string[]; message: string };
type Ctx = { addIssue(issue: { code: 'custom'; path: string[]; message: string }): void };

/** `from`/`to` resolved against asOf (default `to`: asOf's day; default `from`: defaultFrom of `to`); or what is wrong with them. */
function resolveRange(input: { asOf?: string; from?: string; to?: string }, defaultFrom: (toDay: Date) => Date): RangeParams | Issue {
  const asOf = toInstant(input.asOf, now);
  const asOfDay = dayStart(asOf);
  const to = input.to ?? dateKey(asOfDay);
  const from = input.from ?? dateKey(defaultFrom(parseDate(to)));
  if (from > to) return { path: ['from'], message: `must be on or before to (${to})` };
  if (from > dateKey(asOf)) return { path: ['from'], message: `must be on or before asOf's day (${dateKey(asOf)}): the report counts nothing after asOf` };
  const start = parseDate(from);
  if ((parseDate(to).getTime() - start.getTime()) / 86_400_000 > MAX_RANGE_DAYS) return { path: ['to'], message: `the range may span at most ${MAX_RANGE_DAYS} days` };
  const dayAfter = addDays(parseDate(to), 1);
  return { asOf, from, to, start, end: dayAfter < asOf ? dayAfter : asOf };
}

function resolveMonths(input: { asOf?: string; fromMonth?: string; toMonth?: string }): MonthlyParams | Issue {
  const asOf = toInstant(input.asOf, now);
  const current = monthKey(asOf);
  const toMonth = input.toMonth ?? current;
  if (toMonth > current) return { path: ['toMonth'], message: `must be asOf's month (${current}) or earlier` };
  const fromMonth = input.fromMonth ?? monthKey(addMonths(parseMonth(toMonth), -11));
  if (fromMonth > toMonth) return { path: ['fromMonth'], message: `must be ${toMonth} or earlier` };
  const months = monthsBetween(fromMonth, toMonth);
  if (months.length > MAX_MONTHS) return { path: ['fromMonth'], message: `the report may span at most ${MAX_MONTHS} months` };
  return { asOf, fromMonth, toMonth, months };
}

const isIssue = (v: object): v is Issue => 'message' in v;
/** The resolved value, or the issue reported (the parse then fails; what is returned is never used). */
function orIssue<T extends object>(ctx: Ctx, v: T | Issue): T {
  if (isIssue(v)) {
    ctx.addIssue({ code: 'custom', path: v.path, message: v.message });
    return z.NEVER;
  }
  return v;
}

const rangeShape = (defaultLabel: string) => ({
  asOf: asOfField,
  from: dateField(`First day; default ${defaultLabel}`),
  to: dateField("Last day; default asOf's day"),
});
const monthShape = {
  asOf: asOfField,
  fromMonth: monthField('First month; default 11 months before toMonth'),
  toMonth: monthField("Last month; default asOf's month"),
};

const groupByField = (allowed: readonly Grouping[], fallback: Grouping) => z.enum(allowed).default(fallback).describe(`Bucket size: ${allowed.join(', ')} (weeks start on Monday; default ${fallback})`);

function bucketed<T extends RangeParams & { groupBy: Grouping }>(ctx: Ctx, p: T): T {
  if (bucketsBetween(p.start, p.end, p.groupBy).length > MAX_BUCKETS) {
    ctx.addIssue({ code: 'custom', path: ['groupBy'], message: `the range has more than ${MAX_BUCKETS} ${p.groupBy}s; choose a larger groupBy or a shorter range` });
    return z.NEVER;
  }
  return p;
}

const startOfYearBack = (day: Date) => addMonths(new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), 1)), -11);

export const mrrParams = z
  .strictObject({
    asOf: asOfField,
    months: intField(0, 60, 12, 'How many month starts to give the MRR at, as history (0: none)'),
    currency: currencyField,
  })
  .transform((v) => ({ asOf: toInstant(v.asOf, now), months: v.months, currency: v.currency }));
export type MrrParams = z.output<typeof mrrParams>;

export const arrParams = z.strictObject({ asOf: asOfField, currency: currencyField }).transform((v): AtParams => ({ asOf: toInstant(v.asOf, now), currency: v.currency }));

export const revenueParams = z
  .strictObject({ ...rangeShape("the first day of the month 11 months before to's"), groupBy: groupByField(['day', 'week', 'month'], 'month'), currency: currencyField })
  .transform((v, ctx) => {
    const range = resolveRange(v, startOfYearBack);
    if (isIssue(range)) return orIssue(ctx, range) as never;
    return bucketed(ctx, { ...range, groupBy: v.groupBy as Grouping, currency: v.currency });
  });
export type RevenueParams = z.output<typeof revenueParams>;

export const paymentTrendParams = z
  .strictObject({ ...rangeShape("the first day of the month 11 months before to's"), groupBy: groupByField(['week', 'month'], 'month'), currency: currencyField })
  .transform((v, ctx) => {
    const range = resolveRange(v, startOfYearBack);
    if (isIssue(range)) return orIssue(ctx, range) as never;
    return bucketed(ctx, { ...range, groupBy: v.groupBy as Grouping, currency: v.currency });
  });
export type PaymentTrendParams = z.output<typeof paymentTrendParams>;

export const churnParams = z.strictObject(monthShape).transform((v, ctx) => orIssue(ctx, resolveMonths(v)));
export const turnoverParams = churnParams;
export type ChurnParams = MonthlyParams;

export const ltvParams = z
  .strictObject({ ...monthShape, currency: currencyField })
  .transform((v, ctx) => ({ ...orIssue(ctx, resolveMonths(v)), currency: v.currency }));
export type LtvParams = z.output<typeof ltvParams>;

const uuidField = (what: string) => z.uuid('must be an id (UUID)').optional().describe(what);

export const attendanceParams = z
  .strictObject({ ...rangeShape('30 days before to'), classId: uuidField('Only this class (its id); default every class') })
  .transform((v, ctx) => ({ ...orIssue(ctx, resolveRange(v, (d) => addDays(d, -30))), classId: v.classId ?? null }));
export type AttendanceParams = z.output<typeof attendanceParams>;

export const noShowParams = z
  .strictObject({
    ...rangeShape('30 days before to'),
    minNoShows: intField(1, 100, 2, 'Members with at least this many no-shows in the range are listed'),
    limit: intField(1, 500, 20, 'Members listed at most'),
  })
  .transform((v, ctx) => ({ ...orIssue(ctx, resolveRange(v, (d) => addDays(d, -30))), minNoShows: v.minNoShows, limit: v.limit }));
export type NoShowParams = z.output<typeof noShowParams>;

export const engagementParams = z.strictObject({ asOf: asOfField }).transform((v) => ({ asOf: toInstant(v.asOf, now) }));
export type EngagementParams = z.output<typeof engagementParams>;

export const atRiskParams = z
  .strictObject({
    asOf: asOfField,
    threshold: intField(1, 100, 40, 'Members whose engagement score is below this are at risk'),
    inactiveDays: intField(1, 365, 14, 'Members with no check-in in this many days before asOf are at risk'),
    limit: intField(1, 500, 50, 'Members listed at most (the riskiest first)'),
    currency: currencyField,
  })
  .transform((v) => ({ asOf: toInstant(v.asOf, now), threshold: v.threshold, inactiveDays: v.inactiveDays, limit: v.limit, currency: v.currency }));
export type AtRiskParams = z.output<typeof atRiskParams>;

export const operationsParams = z.strictObject(rangeShape('7 days before to')).transform((v, ctx) => orIssue(ctx, resolveRange(v, (d) => addDays(d, -7))));
export type OperationsParams = RangeParams;

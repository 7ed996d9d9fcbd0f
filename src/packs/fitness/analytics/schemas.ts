import { z } from 'zod';
import { BOOKING_KINDS, PAYMENT_METHODS } from '../crm/enums.js';
import { moneySchema, rateSchema } from './format.js';

/*
 * What each report returns: the tools' output schemas, the routes' response schemas, and (as
 * z.output) the types the SQL and the demo's ground truth both produce. Definitions of every
 * figure: docs/fitness.md, "Metrics".
 */

const instant = z.string().describe('ISO 8601 instant (UTC)');
const day = z.string().describe('YYYY-MM-DD (UTC)');
const month = z.string().describe('YYYY-MM');
const count = z.number().int();
const uuid = z.string();

const planLine = z.object({ planId: uuid, plan: z.string(), subscriptions: count });

export const mrrReportSchema = z
  .object({
    asOf: instant,
    currency: z.string(),
    mrr: moneySchema.describe('Monthly recurring revenue at asOf'),
    activeSubscriptions: count.describe('Subscriptions counted (started, not cancelled, not paused)'),
    activeMembers: count.describe('Contacts with at least one of them'),
    byPlan: z.array(planLine.extend({ mrr: moneySchema })).describe('Largest first'),
    history: z.array(z.object({ at: instant, mrr: moneySchema, activeSubscriptions: count })).describe('MRR at the first instant of each of the previous months, oldest first'),
  })
  .meta({ id: 'FitnessMrrReport' });

export const arrReportSchema = z
  .object({
    asOf: instant,
    currency: z.string(),
    arr: moneySchema.describe('Annual run rate: MRR × 12'),
    mrr: moneySchema,
    activeSubscriptions: count,
    byPlan: z.array(planLine.extend({ arr: moneySchema })).describe('Largest first'),
  })
  .meta({ id: 'FitnessArrReport' });

const revenueFigures = { gross: moneySchema.describe('Charged: succeeded, partially refunded and refunded payments'), refunds: moneySchema, net: moneySchema.describe('gross - refunds'), payments: count.describe('Payments charged'), failed: count.describe('Payments that failed (not in gross)') };

export const revenueReportSchema = z
  .object({
    from: day,
    to: day,
    groupBy: z.enum(['day', 'week', 'month']),
    currency: z.string(),
    totals: z.object(revenueFigures),
    periods: z.array(z.object({ start: day, ...revenueFigures })).describe('Every day, week or month of the range, oldest first, empty ones included'),
    byPlan: z.array(z.object({ planId: uuid.nullable(), plan: z.string(), net: moneySchema, payments: count })).describe('Net revenue by the plan of the subscription paid for (null: one-off payments); largest first'),
  })
  .meta({ id: 'FitnessRevenueReport' });

export const churnReportSchema = z
  .object({
    asOf: instant,
    fromMonth: month,
    toMonth: month,
    months: z.array(
      z.object({
        month,
        subscriptions: z.object({ atStart: count, cancelled: count, churnRate: rateSchema }),
        members: z.object({ atStart: count, lost: count, churnRate: rateSchema }),
      }),
    ),
    totals: z.object({
      cancelled: count,
      lost: count,
      subscriptionChurnRate: rateSchema.describe('All months pooled: cancelled / the sum of atStart'),
      memberChurnRate: rateSchema.describe('All months pooled: lost / the sum of atStart'),
    }),
    reasons: z.array(z.object({ reason: z.string(), count })).describe('Why the subscriptions cancelled in the range ended; most frequent first'),
  })
  .meta({ id: 'FitnessChurnReport' });

export const turnoverReportSchema = z
  .object({
    asOf: instant,
    fromMonth: month,
    toMonth: month,
    months: z.array(z.object({ month, membersAtStart: count, new: count, returning: count, lost: count, netChange: count, membersAtEnd: count })),
    totals: z.object({ new: count, returning: count, lost: count, netChange: count }),
  })
  .meta({ id: 'FitnessTurnoverReport' });

const cohortFigures = { members: count, stillMembers: count.describe('Members at asOf'), retention: rateSchema, netRevenue: moneySchema, ltv: moneySchema.describe('Net revenue per member to asOf') };

export const ltvReportSchema = z
  .object({
    asOf: instant,
    fromMonth: month,
    toMonth: month,
    currency: z.string(),
    cohorts: z.array(z.object({ month: month.describe('The month of the members’ first subscription'), ...cohortFigures })),
    totals: z.object(cohortFigures),
  })
  .meta({ id: 'FitnessLtvReport' });

const paymentFigures = {
  attempts: count.describe('Every payment, whatever its status'),
  collected: count.describe('Succeeded, partially refunded and refunded'),
  failed: count,
  refunded: count.describe('Refunded in whole or part'),
  failureRate: rateSchema.describe('failed / attempts'),
  refundRate: rateSchema.describe('refunded / collected'),
  collectedAmount: moneySchema,
  refundedAmount: moneySchema,
  averagePayment: moneySchema.describe('collectedAmount / collected'),
};

export const paymentTrendsReportSchema = z
  .object({
    from: day,
    to: day,
    groupBy: z.enum(['week', 'month']),
    currency: z.string(),
    periods: z.array(z.object({ start: day, ...paymentFigures })),
    totals: z.object(paymentFigures),
    failureReasons: z.array(z.object({ reason: z.string(), count })).describe('Most frequent first'),
    byMethod: z.array(z.object({ method: z.enum(PAYMENT_METHODS), attempts: count, failed: count, failureRate: rateSchema, collectedAmount: moneySchema })),
  })
  .meta({ id: 'FitnessPaymentTrendsReport' });

const attendanceFigures = {
  sessions: count.describe('Sessions held (scheduled, started before asOf)'),
  cancelledSessions: count,
  capacity: count,
  bookings: count.describe('Bookings not cancelled'),
  attended: count,
  noShows: count,
  unmarked: count.describe('Still "booked" after the session started'),
  attendanceRate: rateSchema.describe('attended / bookings'),
  fillRate: rateSchema.describe('attended / capacity'),
};

export const attendanceReportSchema = z
  .object({
    asOf: instant,
    from: day,
    to: day,
    classes: z.array(z.object({ classId: uuid, class: z.string(), ...attendanceFigures })).describe('By class name'),
    totals: z.object(attendanceFigures),
    byWeekday: z.array(z.object({ weekday: z.number().int().describe('1 = Monday … 7 = Sunday (UTC)'), day: z.string(), sessions: count, capacity: count, attended: count, fillRate: rateSchema })),
  })
  .meta({ id: 'FitnessAttendanceReport' });

const noShowFigures = { attended: count, noShows: count, noShowRate: rateSchema.describe('noShows / (attended + noShows)') };

export const noShowReportSchema = z
  .object({
    asOf: instant,
    from: day,
    to: day,
    overall: z.object(noShowFigures),
    byKind: z.array(z.object({ kind: z.enum(BOOKING_KINDS), ...noShowFigures })),
    byClass: z.array(z.object({ classId: uuid, class: z.string(), ...noShowFigures })).describe('By class name'),
    members: z.array(z.object({ contactId: uuid, name: z.string(), ...noShowFigures })).describe('Most no-shows first'),
    membersTotal: count.describe('Members with at least minNoShows no-shows (members lists the first `limit`)'),
  })
  .meta({ id: 'FitnessNoShowReport' });

export const engagementReportSchema = z
  .object({
    asOf: instant,
    members: count.describe('Active members: counted in the MRR at asOf'),
    averageScore: z.number().nullable(),
    medianScore: z.number().int().nullable().describe('The lower median'),
    buckets: z.array(z.object({ label: z.string(), min: count, max: count, members: count })),
    averageVisits30d: z.number().nullable(),
    withoutVisit30d: count,
    withNoShow30d: count,
    withFailedPayment30d: count,
  })
  .meta({ id: 'FitnessEngagementReport' });

export const atRiskReportSchema = z
  .object({
    asOf: instant,
    threshold: count,
    inactiveDays: count,
    currency: z.string(),
    total: count.describe('Members at risk (members lists the first `limit`)'),
    monthlyRevenueAtRisk: moneySchema.describe('The MRR of every member at risk'),
    members: z.array(
      z.object({
        contactId: uuid,
        name: z.string(),
        email: z.string().nullable(),
        phone: z.string().nullable(),
        score: count,
        recency: count,
        frequency: count,
        reliability: count,
        payments: count,
        visits30d: count,
        noShows30d: count,
        failedPayments30d: count,
        lastVisitAt: instant.nullable(),
        daysSinceLastVisit: count.nullable(),
        plans: z.array(z.string()),
        monthlyValue: moneySchema,
        reasons: z.array(z.string()),
      }),
    ),
  })
  .meta({ id: 'FitnessAtRiskReport' });

const bookingOutcome = z.object({ booked: count.describe('Not cancelled'), attended: count, noShows: count });

export const operationsReportSchema = z
  .object({
    asOf: instant,
    from: day,
    to: day,
    sessions: z.object({ held: count, cancelled: count, capacity: count, fillRate: rateSchema }),
    attendance: z.object({ bookings: count, attended: count, noShows: count, unmarked: count, attendanceRate: rateSchema, noShowRate: rateSchema }),
    checkIns: z.object({ total: count, uniqueMembers: count, byHour: z.array(count).describe('24 counts, by UTC hour') }),
    instructors: z.array(z.object({ staffId: uuid.nullable(), name: z.string(), sessions: count, attended: count, fillRate: rateSchema })),
    trials: bookingOutcome,
    tours: bookingOutcome,
    leads: z.object({ newContacts: count, converted: count.describe('Contacts who became members (joinedAt) in the range') }),
    upcoming: z.object({ days: count, sessions: count, capacity: count, booked: count, fillRate: rateSchema }),
    pipeline: z.array(z.object({ stageId: uuid.nullable(), stage: z.string(), leads: count })).describe('Leads now (status lead or trial), by stage in board order'),
  })
  .meta({ id: 'FitnessOperationsReport' });

export type MrrReport = z.output<typeof mrrReportSchema>;
export type ArrReport = z.output<typeof arrReportSchema>;
export type RevenueReport = z.output<typeof revenueReportSchema>;
export type ChurnReport = z.output<typeof churnReportSchema>;
export type TurnoverReport = z.output<typeof turnoverReportSchema>;
export type LtvReport = z.output<typeof ltvReportSchema>;
export type PaymentTrendsReport = z.output<typeof paymentTrendsReportSchema>;
export type AttendanceReport = z.output<typeof attendanceReportSchema>;
export type NoShowReport = z.output<typeof noShowReportSchema>;
export type EngagementReport = z.output<typeof engagementReportSchema>;
export type AtRiskReport = z.output<typeof atRiskReportSchema>;
export type OperationsReport = z.output<typeof operationsReportSchema>;

import type { z } from 'zod';
import type { Tx } from '../../../db/client.js';
import { attendanceReport, noShowReport } from './classes.js';
import { churnReport, ltvReport, turnoverReport } from './membership.js';
import { calculateArr, calculateMrr } from './mrr.js';
import { operationsReport } from './operations.js';
import * as params from './params.js';
import { paymentTrends, revenueReport } from './revenue.js';
import { atRiskReport, engagementReport } from './risk.js';
import * as schemas from './schemas.js';

/**
 * The fitness analytics: each report once, with its tool name, its route, its parameters (one
 * schema for the tool's input and the route's query string), its result schema and the function
 * that computes it in SQL. Every function reads one organization's rows, sends all its statements
 * at once (so it runs in one round trip under `database.readOrg`) and returns plain JSON.
 */
export interface Report<P = unknown, R = unknown> {
  /** The tool's name (the gym CRM seed's). */
  tool: string;
  /** GET /api/v1/fitness/analytics/<path>. */
  path: string;
  summary: string;
  /** For the model: what it answers, the parameters' defaults, what comes back. */
  description: string;
  params: z.ZodType<P>;
  result: z.ZodType<R>;
  run(tx: Tx, orgId: string, p: P): Promise<R>;
}

const report = <P, R>(r: Report<P, R>): Report => r as unknown as Report;

const MONEY = 'Money is given as {micros (integer micro-dollars), display ("$1,234.56")}; rates as fractions (0.05 = 5%).';
const AS_OF = 'asOf (default now) is the moment the report looks from: nothing at or after it counts, so a past asOf gives the figures as they stood then.';

export const REPORTS: Report[] = [
  report({
    tool: 'calculate_mrr',
    path: 'mrr',
    summary: 'Monthly recurring revenue (MRR), by plan, with its monthly history',
    description:
      'Monthly recurring revenue of the gym at asOf: the sum of every subscription that has started, is not cancelled and is not paused, each price turned into a monthly amount (weekly × 52 / 12, yearly / 12, per billing interval count). ' +
      `Returns the MRR, counted subscriptions and members, MRR by plan, and the MRR at the start of each of the last \`months\` months (default 12) to show the trend. ${MONEY} ${AS_OF}`,
    params: params.mrrParams,
    result: schemas.mrrReportSchema,
    run: calculateMrr,
  }),
  report({
    tool: 'calculate_arr',
    path: 'arr',
    summary: 'Annual run rate (ARR = MRR × 12), by plan',
    description: `Annual recurring revenue (run rate) at asOf: MRR × 12, in total and by plan, with the MRR it comes from. ${MONEY} ${AS_OF}`,
    params: params.arrParams,
    result: schemas.arrReportSchema,
    run: calculateArr,
  }),
  report({
    tool: 'generate_revenue_report',
    path: 'revenue',
    summary: 'Revenue (gross, refunds, net) by day, week or month, and by plan',
    description:
      'Revenue collected between from and to (inclusive dates; default the last 12 calendar months to today), by day, week or month (groupBy, default month): gross (charged payments), refunds and net (gross − refunds), payment and failed-payment counts, and net revenue by plan (one-off payments apart). ' +
      `Payments count by the day they were charged. ${MONEY} ${AS_OF}`,
    params: params.revenueParams,
    result: schemas.revenueReportSchema,
    run: revenueReport,
  }),
  report({
    tool: 'generate_churn_report',
    path: 'churn',
    summary: 'Churn by month: subscriptions cancelled and members lost, with reasons',
    description:
      'Churn for each month from fromMonth to toMonth (YYYY-MM; default the last 12 months to this one): subscription churn (subscriptions cancelled in the month / subscriptions in force at its start, plan changes included) and member churn (members whose last subscription ended in the month / members at its start), pooled totals, and the cancellation reasons. ' +
      `The current month counts up to asOf. ${AS_OF}`,
    params: params.churnParams,
    result: schemas.churnReportSchema,
    run: churnReport,
  }),
  report({
    tool: 'generate_ltv_report',
    path: 'ltv',
    summary: 'Lifetime value by signup-month cohort',
    description:
      'Customer lifetime value by cohort: members grouped by the month of their first subscription (fromMonth to toMonth, YYYY-MM; default the last 12 months), with the net revenue (payments less refunds) each cohort brought up to asOf, LTV = net revenue per member, and how many are still members (retention). ' +
      `${MONEY} ${AS_OF}`,
    params: params.ltvParams,
    result: schemas.ltvReportSchema,
    run: ltvReport,
  }),
  report({
    tool: 'generate_monthly_turnover_report',
    path: 'turnover',
    summary: 'Members gained and lost by month',
    description:
      'Membership turnover for each month from fromMonth to toMonth (YYYY-MM; default the last 12 months): members at the start, new members (first subscription), returning members (back after a gap), members lost (their last subscription ended), the net change (new + returning − lost) and members at the end. ' +
      AS_OF,
    params: params.turnoverParams,
    result: schemas.turnoverReportSchema,
    run: turnoverReport,
  }),
  report({
    tool: 'analyze_payment_trends',
    path: 'payment-trends',
    summary: 'Payment failures, refunds and amounts by week or month',
    description:
      'Payment health between from and to (inclusive dates; default the last 12 calendar months) by week or month: attempts, collected, failed and refunded counts, failure rate (failed / attempts), refund rate (refunded / collected), amounts collected and refunded, the average payment; totals, failure reasons and payment methods. ' +
      `${MONEY} ${AS_OF}`,
    params: params.paymentTrendParams,
    result: schemas.paymentTrendsReportSchema,
    run: paymentTrends,
  }),
  report({
    tool: 'analyze_class_attendance',
    path: 'class-attendance',
    summary: 'Class attendance and fill rates, by class and weekday',
    description:
      'How classes are attended over the sessions that started between from and to (inclusive dates; default the last 30 days) and before asOf, for every class or one (classId): sessions held and cancelled, places, bookings (not cancelled), attended, no-shows, bookings never marked, attendance rate (attended / bookings) and fill rate (attended / places); totals and by weekday (UTC). ' +
      AS_OF,
    params: params.attendanceParams,
    result: schemas.attendanceReportSchema,
    run: attendanceReport,
  }),
  report({
    tool: 'analyze_member_engagement',
    path: 'member-engagement',
    summary: "Engagement scores of the active members: average, median, spread",
    description:
      'Engagement of the active members (those counted in the MRR) at asOf. The score (0-100) adds recency of the last check-in (up to 40), check-ins in the last 30 days against 12 (up to 30), no-shows in 30 days (20, minus 5 each) and failed payments in 30 days (10, minus 5 each). ' +
      `Returns the members counted, average and median score, how many fall in each band of 20, the average check-ins in 30 days, and how many had no visit, a no-show or a failed payment in 30 days. ${AS_OF}`,
    params: params.engagementParams,
    result: schemas.engagementReportSchema,
    run: engagementReport,
  }),
  report({
    tool: 'analyze_no_show_rates',
    path: 'no-show-rates',
    summary: 'No-show rates overall, by booking kind and class, and repeat no-shows',
    description:
      'No-shows among bookings that started between from and to (inclusive dates; default the last 30 days) and before asOf: the no-show rate (no-shows / (attended + no-shows)) overall, by kind (class, trial, facility_tour) and by class, and the members with at least minNoShows no-shows (default 2), most first (up to limit, default 20). ' +
      AS_OF,
    params: params.noShowParams,
    result: schemas.noShowReportSchema,
    run: noShowReport,
  }),
  report({
    tool: 'identify_at_risk_members',
    path: 'at-risk-members',
    summary: 'Active members likely to leave, riskiest first, with the revenue at stake',
    description:
      'Active members (counted in the MRR) at risk of leaving at asOf: an engagement score below threshold (default 40) or no check-in in the last inactiveDays days (default 14). Riskiest first: lowest score, then longest since the last visit. ' +
      `For each: contact details, the score and its parts, visits, no-shows and failed payments in 30 days, the last visit, plans, the monthly revenue they bring and the reasons in words; with the total and the MRR of all members at risk. ${MONEY} ${AS_OF}`,
    params: params.atRiskParams,
    result: schemas.atRiskReportSchema,
    run: atRiskReport,
  }),
  report({
    tool: 'generate_operations_report',
    path: 'operations',
    summary: 'Operations: sessions, attendance, check-ins by hour, instructors, trials, tours, leads, the week ahead',
    description:
      'An operations report for the days from..to (inclusive dates; default the last 7 days) before asOf: sessions held and cancelled with fill rate, attendance and no-shows, check-ins in total, unique members and by hour of day (UTC), each instructor’s sessions and fill rate, trial classes and facility tours (booked, attended, no-shows), new contacts and conversions to members, the next 7 days’ sessions and bookings, and the lead pipeline by stage now. ' +
      AS_OF,
    params: params.operationsParams,
    result: schemas.operationsReportSchema,
    run: operationsReport,
  }),
];

export const reportByTool = (tool: string): Report | undefined => REPORTS.find((r) => r.tool === tool);

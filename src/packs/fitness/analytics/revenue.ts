import { sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../../../db/client.js';
import type { PAYMENT_METHODS } from '../crm/enums.js';
import { byText, divideRounded, money, rate } from './format.js';
import type { PaymentTrendParams, RevenueParams } from './params.js';
import { addDays, bucketsBetween, dateKey, dayStart, parseDate } from './periods.js';
import type { PaymentTrendsReport, RevenueReport } from './schemas.js';
import { at, int, statements } from './sql.js';

/** Payments that were charged: their amount came in (a refund may have given part or all of it back). */
export const COLLECTED = sql.raw(`('succeeded', 'partially_refunded', 'refunded')`);

/**
 * The bucket (1 = the first) each row's time falls in, by binary search over the buckets' starts
 * (computed in UTC here): `width_bucket` compares instants, where date_trunc and to_char would
 * convert every row's time to a calendar (about twice the cost of the whole scan, measured on
 * 400,000 payments).
 */
export const bucketIndex = (column: SQL, starts: string[]): SQL => sql`width_bucket(${column}, array[${sql.join(
  starts.map((d) => at(parseDate(d))),
  sql`, `,
)}])`;

/**
 * The payments of a range in one currency, as rows (b, status, method, failure_reason, plan_id, n,
 * amount, refunded) to be grouped: the whole UTC days from fitness_payment_days (one row per day
 * and key, kept by triggers; decision 64) and the partial days at the range's ends from the
 * payments themselves (through their (org_id, paid_at) index). Buckets start at UTC midnights, so
 * a day falls in one bucket whole. A year of a 50,000-member gym is some 3,000 rollup rows instead
 * of 400,000 payments.
 */
export function paymentRows(orgId: string, p: { start: Date; end: Date; currency: string }, starts: string[]): SQL {
  const firstDay = dayStart(p.start).getTime() === p.start.getTime() ? p.start : addDays(dayStart(p.start), 1);
  const lastDay = dayStart(p.end);
  const raw = (where: SQL) => sql`select ${bucketIndex(sql`paid_at`, starts)} as b, status, method, failure_reason, plan_id, 1 as n, amount_micros as amount, refunded_micros as refunded
      from fitness_payments where org_id = ${orgId} and currency = ${p.currency} and ${where}`;
  if (firstDay >= lastDay) return raw(sql`paid_at >= ${at(p.start)} and paid_at < ${at(p.end)}`);
  return sql`select ${bucketIndex(sql`(day::timestamp at time zone 'UTC')`, starts)} as b, status, method, failure_reason, plan_id, payments as n, amount_micros as amount, refunded_micros as refunded
      from fitness_payment_days where org_id = ${orgId} and currency = ${p.currency} and day >= ${dateKey(firstDay)}::date and day < ${dateKey(lastDay)}::date
    union all
    ${raw(sql`((paid_at >= ${at(p.start)} and paid_at < ${at(firstDay)}) or (paid_at >= ${at(lastDay)} and paid_at < ${at(p.end)}))`)}`;
}

/** Payments of a range by bucket, status, method and failure reason: one pass feeds every figure of both payment reports. */
function paymentGroups(orgId: string, p: { start: Date; end: Date; currency: string }, starts: string[]): SQL {
  return sql`select b, status, method, failure_reason, sum(n)::int as n, sum(amount)::bigint as amount, sum(refunded)::bigint as refunded
    from (${paymentRows(orgId, p, starts)}) x group by 1, 2, 3, 4`;
}

interface Group {
  bucket: number;
  status: string;
  method: string;
  reason: string | null;
  n: number;
  amount: number;
  refunded: number;
}
const groupOf = (r: Record<string, unknown>): Group => ({
  bucket: int(r.b),
  status: String(r.status),
  method: String(r.method),
  reason: r.failure_reason === null ? null : String(r.failure_reason),
  n: int(r.n),
  amount: int(r.amount),
  refunded: int(r.refunded),
});
const isCollected = (status: string) => status === 'succeeded' || status === 'partially_refunded' || status === 'refunded';

/** Gross, refunds and net revenue by day, week or month, and net by plan (see docs/fitness.md, Metrics). */
export async function revenueReport(tx: Tx, orgId: string, p: RevenueParams): Promise<RevenueReport> {
  const starts = bucketsBetween(p.start, p.end, p.groupBy);
  // The plan is on each payment (and its rollup rows): no join to the subscriptions.
  const [groups, names] = await statements(
    tx,
    sql`select b, status, plan_id, sum(n)::int as n, sum(amount)::bigint as amount, sum(refunded)::bigint as refunded
      from (${paymentRows(orgId, p, starts)}) x group by 1, 2, 3`,
    sql`select id, name from fitness_plans where org_id = ${orgId}`,
  );
  const planName = new Map(names.map((r) => [String(r.id), String(r.name)]));
  const totals = starts.map(() => ({ gross: 0, refunds: 0, payments: 0, failed: 0 }));
  const plans = new Map<string | null, { net: number; payments: number }>();
  for (const r of groups!) {
    const [n, amount, refunded] = [int(r.n), int(r.amount), int(r.refunded)];
    const t = totals[int(r.b) - 1]!;
    if (r.status === 'failed') {
      t.failed += n;
      continue;
    }
    if (!isCollected(String(r.status))) continue;
    t.gross += amount;
    t.refunds += refunded;
    t.payments += n;
    const planId = r.plan_id === null ? null : String(r.plan_id);
    const plan = plans.get(planId) ?? { net: 0, payments: 0 };
    plans.set(planId, { net: plan.net + amount - refunded, payments: plan.payments + n });
  }
  const figures = (x: { gross: number; refunds: number; payments: number; failed: number }) => ({
    gross: money(x.gross, p.currency),
    refunds: money(x.refunds, p.currency),
    net: money(x.gross - x.refunds, p.currency),
    payments: x.payments,
    failed: x.failed,
  });
  const sum = (f: (x: (typeof totals)[number]) => number) => totals.reduce((a, x) => a + f(x), 0);
  return {
    from: p.from,
    to: p.to,
    groupBy: p.groupBy,
    currency: p.currency,
    totals: figures({ gross: sum((x) => x.gross), refunds: sum((x) => x.refunds), payments: sum((x) => x.payments), failed: sum((x) => x.failed) }),
    periods: starts.map((start, i) => ({ start, ...figures(totals[i]!) })),
    byPlan: [...plans.entries()]
      .map(([planId, x]) => ({ planId, plan: planId === null ? 'No plan (one-off payments)' : (planName.get(planId) ?? ''), net: money(x.net, p.currency), payments: x.payments }))
      .sort((a, b) => b.net.micros - a.net.micros || byText(a.plan, b.plan)),
  };
}

interface PaymentCounts {
  attempts: number;
  collected: number;
  failed: number;
  refunded: number;
  collectedAmount: number;
  refundedAmount: number;
}

/** The figures of PaymentTrendsReport from counts and sums. */
export function paymentFigures(c: PaymentCounts, currency: string) {
  return {
    attempts: c.attempts,
    collected: c.collected,
    failed: c.failed,
    refunded: c.refunded,
    failureRate: rate(c.failed, c.attempts),
    refundRate: rate(c.refunded, c.collected),
    collectedAmount: money(c.collectedAmount, currency),
    refundedAmount: money(c.refundedAmount, currency),
    averagePayment: money(divideRounded(c.collectedAmount, c.collected), currency),
  };
}

/** Failure and refund rates, amounts and averages by week or month; failure reasons; methods. */
export async function paymentTrends(tx: Tx, orgId: string, p: PaymentTrendParams): Promise<PaymentTrendsReport> {
  const starts = bucketsBetween(p.start, p.end, p.groupBy);
  const [rows] = await statements(tx, paymentGroups(orgId, p, starts));
  const zero = (): PaymentCounts => ({ attempts: 0, collected: 0, failed: 0, refunded: 0, collectedAmount: 0, refundedAmount: 0 });
  const add = (c: PaymentCounts, g: Group) => {
    c.attempts += g.n;
    c.refundedAmount += g.refunded;
    if (isCollected(g.status)) {
      c.collected += g.n;
      c.collectedAmount += g.amount;
    }
    if (g.status === 'failed') c.failed += g.n;
    if (g.status === 'refunded' || g.status === 'partially_refunded') c.refunded += g.n;
  };
  const periods = starts.map(zero);
  const total = zero();
  const methods = new Map<string, PaymentCounts>();
  const reasons = new Map<string, number>();
  for (const g of rows.map(groupOf)) {
    add(periods[g.bucket - 1]!, g);
    add(total, g);
    if (!methods.has(g.method)) methods.set(g.method, zero());
    add(methods.get(g.method)!, g);
    if (g.status === 'failed') reasons.set(g.reason ?? 'unknown', (reasons.get(g.reason ?? 'unknown') ?? 0) + g.n);
  }
  return {
    from: p.from,
    to: p.to,
    groupBy: p.groupBy as 'week' | 'month',
    currency: p.currency,
    periods: starts.map((start, i) => ({ start, ...paymentFigures(periods[i]!, p.currency) })),
    totals: paymentFigures(total, p.currency),
    failureReasons: [...reasons.entries()].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || byText(a.reason, b.reason)),
    byMethod: [...methods.entries()]
      .map(([method, c]) => ({ method: method as (typeof PAYMENT_METHODS)[number], attempts: c.attempts, failed: c.failed, failureRate: rate(c.failed, c.attempts), collectedAmount: money(c.collectedAmount, p.currency) }))
      .sort((a, b) => b.attempts - a.attempts || byText(a.method, b.method)),
  };
}

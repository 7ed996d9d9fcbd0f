import { byText, divideRounded, money, monthlyAmount, rate } from '../analytics/format.js';
import { monthWindows } from '../analytics/membership.js';
import { historyPoints } from '../analytics/mrr.js';
import type { AtParams, ChurnParams, LtvParams, MonthlyParams, MrrParams, PaymentTrendParams, RevenueParams } from '../analytics/params.js';
import { bucketsBetween, bucketStart, dateKey, monthKey } from '../analytics/periods.js';
import { paymentFigures } from '../analytics/revenue.js';
import type { ArrReport, ChurnReport, LtvReport, MrrReport, PaymentTrendsReport, RevenueReport, TurnoverReport } from '../analytics/schemas.js';
import type { DemoGym, DemoPayment, DemoSubscription } from './rows.js';

/*
 * The ground truth of the money and membership reports, computed from a generated gym's rows by
 * plain loops over the definitions (docs/fitness.md, "Metrics"), not by the reports' SQL. Only
 * the presentation is shared (money(), rate(), the months and buckets a range has).
 */

const t = (d: Date | null) => (d === null ? Infinity : d.getTime());
/** In force at `at`: started by then and not cancelled by then. */
export const inForce = (s: DemoSubscription, at: Date) => s.startedAt.getTime() <= at.getTime() && t(s.cancelledAt) > at.getTime();
/** Counted in the MRR at `at`. */
export const counted = (s: DemoSubscription, at: Date) => inForce(s, at) && s.status !== 'paused';
export const isCollected = (p: DemoPayment) => p.status === 'succeeded' || p.status === 'partially_refunded' || p.status === 'refunded';
const monthly = (s: DemoSubscription) => monthlyAmount(s.priceMicros, s.billingInterval, s.intervalCount);

export function truthMrr(gym: DemoGym, p: MrrParams): MrrReport {
  const { subscriptions, plans } = gym.rows;
  const mine = subscriptions.filter((s) => s.currency === p.currency);
  const now = mine.filter((s) => counted(s, p.asOf));
  const byPlan = plans
    .map((plan) => {
      const subs = now.filter((s) => s.planId === plan.id);
      return { planId: plan.id!, plan: plan.name, subscriptions: subs.length, mrr: money(subs.reduce((a, s) => a + monthly(s), 0), p.currency) };
    })
    .filter((x) => x.subscriptions > 0)
    .sort((a, b) => b.mrr.micros - a.mrr.micros || byText(a.plan, b.plan) || byText(a.planId, b.planId));
  return {
    asOf: p.asOf.toISOString(),
    currency: p.currency,
    mrr: money(
      now.reduce((a, s) => a + monthly(s), 0),
      p.currency,
    ),
    activeSubscriptions: now.length,
    activeMembers: new Set(now.map((s) => s.contactId)).size,
    byPlan,
    history: historyPoints(p.asOf, p.months).map((point) => {
      const subs = mine.filter((s) => counted(s, point));
      return { at: point.toISOString(), mrr: money(subs.reduce((a, s) => a + monthly(s), 0), p.currency), activeSubscriptions: subs.length };
    }),
  };
}

export function truthArr(gym: DemoGym, p: AtParams): ArrReport {
  const m = truthMrr(gym, { ...p, months: 0 });
  return {
    asOf: m.asOf,
    currency: m.currency,
    arr: money(m.mrr.micros * 12, p.currency),
    mrr: m.mrr,
    activeSubscriptions: m.activeSubscriptions,
    byPlan: m.byPlan.map((x) => ({ planId: x.planId, plan: x.plan, subscriptions: x.subscriptions, arr: money(x.mrr.micros * 12, p.currency) })),
  };
}

const paymentsIn = (gym: DemoGym, p: { start: Date; end: Date; currency: string }) =>
  gym.rows.payments.filter((x) => x.currency === p.currency && x.paidAt.getTime() >= p.start.getTime() && x.paidAt.getTime() < p.end.getTime());

export function truthRevenue(gym: DemoGym, p: RevenueParams): RevenueReport {
  const payments = paymentsIn(gym, p);
  const planOf = new Map(gym.rows.subscriptions.map((s) => [s.id!, s.planId]));
  const planName = new Map(gym.rows.plans.map((x) => [x.id!, x.name]));
  const figures = (list: DemoPayment[]) => {
    const charged = list.filter(isCollected);
    const gross = charged.reduce((a, x) => a + x.amountMicros, 0);
    const refunds = charged.reduce((a, x) => a + x.refundedMicros, 0);
    return { gross: money(gross, p.currency), refunds: money(refunds, p.currency), net: money(gross - refunds, p.currency), payments: charged.length, failed: list.filter((x) => x.status === 'failed').length };
  };
  const byBucket = new Map<string, DemoPayment[]>();
  for (const x of payments) {
    const key = dateKey(bucketStart(x.paidAt, p.groupBy));
    if (!byBucket.has(key)) byBucket.set(key, []);
    byBucket.get(key)!.push(x);
  }
  const byPlan = new Map<string | null, DemoPayment[]>();
  for (const x of payments.filter(isCollected)) {
    const plan = x.subscriptionId ? (planOf.get(x.subscriptionId) ?? null) : null;
    if (!byPlan.has(plan)) byPlan.set(plan, []);
    byPlan.get(plan)!.push(x);
  }
  return {
    from: p.from,
    to: p.to,
    groupBy: p.groupBy,
    currency: p.currency,
    totals: figures(payments),
    periods: bucketsBetween(p.start, p.end, p.groupBy).map((start) => ({ start, ...figures(byBucket.get(start) ?? []) })),
    byPlan: [...byPlan.entries()]
      .map(([planId, list]) => ({
        planId,
        plan: planId === null ? 'No plan (one-off payments)' : planName.get(planId)!,
        net: money(
          list.reduce((a, x) => a + x.amountMicros - x.refundedMicros, 0),
          p.currency,
        ),
        payments: list.length,
      }))
      .sort((a, b) => b.net.micros - a.net.micros || byText(a.plan, b.plan)),
  };
}

export function truthPaymentTrends(gym: DemoGym, p: PaymentTrendParams): PaymentTrendsReport {
  const payments = paymentsIn(gym, p);
  const counts = (list: DemoPayment[]) => ({
    attempts: list.length,
    collected: list.filter(isCollected).length,
    failed: list.filter((x) => x.status === 'failed').length,
    refunded: list.filter((x) => x.status === 'refunded' || x.status === 'partially_refunded').length,
    collectedAmount: list.filter(isCollected).reduce((a, x) => a + x.amountMicros, 0),
    refundedAmount: list.reduce((a, x) => a + x.refundedMicros, 0),
  });
  const reasons = new Map<string, number>();
  for (const x of payments.filter((y) => y.status === 'failed')) reasons.set(x.failureReason ?? 'unknown', (reasons.get(x.failureReason ?? 'unknown') ?? 0) + 1);
  const methods = [...new Set(payments.map((x) => x.method))];
  return {
    from: p.from,
    to: p.to,
    groupBy: p.groupBy as 'week' | 'month',
    currency: p.currency,
    periods: bucketsBetween(p.start, p.end, p.groupBy).map((start) => ({ start, ...paymentFigures(counts(payments.filter((x) => dateKey(bucketStart(x.paidAt, p.groupBy)) === start)), p.currency) })),
    totals: paymentFigures(counts(payments), p.currency),
    failureReasons: [...reasons.entries()].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || byText(a.reason, b.reason)),
    byMethod: methods
      .map((method) => {
        const c = counts(payments.filter((x) => x.method === method));
        return { method, attempts: c.attempts, failed: c.failed, failureRate: rate(c.failed, c.attempts), collectedAmount: money(c.collectedAmount, p.currency) };
      })
      .sort((a, b) => b.attempts - a.attempts || byText(a.method, b.method)),
  };
}

interface Spell {
  contactId: string;
  n: number;
  start: number;
  end: number;
}

/** Each contact's membership spells: subscriptions (started by asOf) merged where they overlap or touch. */
export function spellsOf(gym: DemoGym, asOf: Date): Spell[] {
  const byContact = new Map<string, DemoSubscription[]>();
  for (const s of gym.rows.subscriptions) {
    if (s.startedAt.getTime() > asOf.getTime()) continue;
    if (!byContact.has(s.contactId)) byContact.set(s.contactId, []);
    byContact.get(s.contactId)!.push(s);
  }
  const spells: Spell[] = [];
  for (const [contactId, subs] of byContact) {
    subs.sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime() || t(a.cancelledAt) - t(b.cancelledAt));
    let current: Spell | null = null;
    let n = 0;
    for (const s of subs) {
      if (current && s.startedAt.getTime() <= current.end) current.end = Math.max(current.end, t(s.cancelledAt));
      else spells.push((current = { contactId, n: ++n, start: s.startedAt.getTime(), end: t(s.cancelledAt) }));
    }
  }
  return spells;
}

export function truthChurn(gym: DemoGym, p: ChurnParams): ChurnReport {
  const w = monthWindows(p);
  const subs = gym.rows.subscriptions;
  const spells = spellsOf(gym, p.asOf);
  const within = (x: number, m: (typeof w)[number]) => x >= m.start.getTime() && x < m.end.getTime();
  const months = w.map((m) => {
    const atStart = subs.filter((s) => inForce(s, m.start)).length;
    const cancelled = subs.filter((s) => s.cancelledAt && within(s.cancelledAt.getTime(), m)).length;
    const membersAtStart = spells.filter((s) => s.start <= m.start.getTime() && s.end > m.start.getTime()).length;
    const lost = spells.filter((s) => within(s.end, m)).length;
    return { month: m.month, subscriptions: { atStart, cancelled, churnRate: rate(cancelled, atStart) }, members: { atStart: membersAtStart, lost, churnRate: rate(lost, membersAtStart) } };
  });
  const first = w[0]!.start.getTime();
  const last = w[w.length - 1]!.end.getTime();
  const reasons = new Map<string, number>();
  for (const s of subs) {
    if (!s.cancelledAt || s.cancelledAt.getTime() < first || s.cancelledAt.getTime() >= last) continue;
    reasons.set(s.cancelReason ?? 'unknown', (reasons.get(s.cancelReason ?? 'unknown') ?? 0) + 1);
  }
  const sum = (f: (x: (typeof months)[number]) => number) => months.reduce((a, x) => a + f(x), 0);
  return {
    asOf: p.asOf.toISOString(),
    fromMonth: p.fromMonth,
    toMonth: p.toMonth,
    months,
    totals: {
      cancelled: sum((x) => x.subscriptions.cancelled),
      lost: sum((x) => x.members.lost),
      subscriptionChurnRate: rate(
        sum((x) => x.subscriptions.cancelled),
        sum((x) => x.subscriptions.atStart),
      ),
      memberChurnRate: rate(
        sum((x) => x.members.lost),
        sum((x) => x.members.atStart),
      ),
    },
    reasons: [...reasons.entries()].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || byText(a.reason, b.reason)),
  };
}

export function truthTurnover(gym: DemoGym, p: MonthlyParams): TurnoverReport {
  const spells = spellsOf(gym, p.asOf);
  const months = monthWindows(p).map((m) => {
    const [s, e] = [m.start.getTime(), m.end.getTime()];
    const fresh = spells.filter((x) => x.n === 1 && x.start >= s && x.start < e).length;
    const returning = spells.filter((x) => x.n > 1 && x.start >= s && x.start < e).length;
    const lost = spells.filter((x) => x.end >= s && x.end < e).length;
    return {
      month: m.month,
      membersAtStart: spells.filter((x) => x.start <= s && x.end > s).length,
      new: fresh,
      returning,
      lost,
      netChange: fresh + returning - lost,
      membersAtEnd: spells.filter((x) => x.start <= e && x.end > e).length,
    };
  });
  const sum = (f: (x: (typeof months)[number]) => number) => months.reduce((a, x) => a + f(x), 0);
  return {
    asOf: p.asOf.toISOString(),
    fromMonth: p.fromMonth,
    toMonth: p.toMonth,
    months,
    totals: { new: sum((x) => x.new), returning: sum((x) => x.returning), lost: sum((x) => x.lost), netChange: sum((x) => x.netChange) },
  };
}

export function truthLtv(gym: DemoGym, p: LtvParams): LtvReport {
  const w = monthWindows(p);
  const first = new Map<string, number>();
  for (const s of gym.rows.subscriptions) {
    if (s.startedAt.getTime() >= p.asOf.getTime()) continue;
    first.set(s.contactId, Math.min(first.get(s.contactId) ?? Infinity, s.startedAt.getTime()));
  }
  const net = new Map<string, number>();
  for (const x of gym.rows.payments) {
    if (x.currency !== p.currency || !isCollected(x) || x.paidAt.getTime() >= p.asOf.getTime()) continue;
    net.set(x.contactId, (net.get(x.contactId) ?? 0) + x.amountMicros - x.refundedMicros);
  }
  const still = new Set(gym.rows.subscriptions.filter((s) => inForce(s, p.asOf)).map((s) => s.contactId));
  const figures = (contacts: string[]) => {
    const revenue = contacts.reduce((a, c) => a + (net.get(c) ?? 0), 0);
    const stillMembers = contacts.filter((c) => still.has(c)).length;
    return { members: contacts.length, stillMembers, retention: rate(stillMembers, contacts.length), netRevenue: money(revenue, p.currency), ltv: money(divideRounded(revenue, contacts.length), p.currency) };
  };
  const [lo, hi] = [w[0]!.start.getTime(), w[w.length - 1]!.end.getTime()];
  const inRange = [...first.entries()].filter(([, at]) => at >= lo && at < hi);
  const cohorts = w.map((m) => ({ month: m.month, ...figures(inRange.filter(([, at]) => monthKey(new Date(at)) === m.month).map(([c]) => c)) }));
  return {
    asOf: p.asOf.toISOString(),
    fromMonth: p.fromMonth,
    toMonth: p.toMonth,
    currency: p.currency,
    cohorts,
    totals: figures(inRange.map(([c]) => c)),
  };
}

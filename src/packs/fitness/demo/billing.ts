import { addDays, addMonths, DAY_MS } from '../analytics/periods.js';
import type { GymFrame } from './generate.js';
import { CANCEL_REASON_WEIGHTS, CANCEL_REASONS, FAILURE_REASON_WEIGHTS, FAILURE_REASONS, PAYMENT_FAILED_REASON, PLAN_CHANGE_REASON } from './names.js';
import type { Rng } from './prng.js';
import type { DemoContact, DemoPayment, DemoPlan, DemoSubscription } from './rows.js';

/*
 * A demo member's memberships and money: subscriptions, their renewals, plan changes, returns,
 * pauses, charges (failed, retried, refunded) and one-off payments (generate.ts describes the gym).
 */

export const HOUR_MS = 3_600_000;

/** What makes one member behave as they do. */
export interface Habits {
  /** Visits a week while subscribed. */
  visitsPerWeek: number;
  /** Share of visits that are class bookings (the rest: open gym). */
  classShare: number;
  noShowRate: number;
  /** Chance of cancelling at a monthly renewal. */
  monthlyHazard: number;
  method: DemoPayment['method'];
  favourites: number[];
  /** Stops coming in the last weeks before asOf (the at-risk members of today). */
  driftsFrom: Date | null;
  /** Pauses the membership at this time (a frozen member today). */
  pauseAt: Date | null;
  /** Their card stops working at this time: the next charge and its retry fail, and the subscription is past due today. */
  cardFailsFrom: Date | null;
}

/** A stretch of time the member may visit in: [from, to). */
export type Span = [number, number];

interface SubOutcome {
  row: DemoSubscription;
  /** When the member may visit under it. */
  span: Span;
  /** A voluntary cancellation: the member came less in the weeks before it. */
  fadesBefore: Date | null;
}

/** The member's subscriptions: a first one, then plan changes and returns after a cancellation. */
export function subscribe(f: GymFrame, rng: Rng, contact: DemoContact, signup: Date, habits: Habits): SubOutcome[] {
  const out: SubOutcome[] = [];
  const { plans } = f;
  let plan = rng.weighted([plans.monthly, plans.offPeak, plans.quarterly, plans.annual, plans.weekly], [45, 20, 8, 15, 12]);
  let startedAt = signup;
  for (;;) {
    const price = rng.chance(0.1) ? Math.round((plan.priceMicros * 0.9) / 10_000) * 10_000 : plan.priceMicros;
    const row: DemoSubscription = {
      id: f.ids.uuid(),
      orgId: f.orgId,
      externalId: null,
      contactId: contact.id!,
      planId: plan.id!,
      status: 'active',
      startedAt,
      cancelledAt: null,
      cancelReason: null,
      priceMicros: price,
      currency: 'USD',
      billingInterval: plan.billingInterval,
      intervalCount: plan.intervalCount,
      createdAt: startedAt,
      updatedAt: startedAt,
    };
    f.rows.subscriptions.push(row);
    bill(f, rng, row, plan, habits);
    const end = row.cancelledAt ? row.cancelledAt.getTime() : row.status === 'paused' ? habits.pauseAt!.getTime() : f.horizon.getTime();
    const voluntary = row.cancelReason !== null && row.cancelReason !== PLAN_CHANGE_REASON && row.cancelReason !== PAYMENT_FAILED_REASON;
    out.push({ row, span: [startedAt.getTime(), end], fadesBefore: voluntary ? row.cancelledAt : null });
    if (row.cancelReason === PLAN_CHANGE_REASON) {
      plan = plans.annual;
      startedAt = row.cancelledAt!;
      continue;
    }
    if (row.cancelledAt && rng.chance(0.2)) {
      const back = new Date(row.cancelledAt.getTime() + rng.int(30 * 24, 120 * 24) * HOUR_MS + rng.int(0, 59) * 60_000);
      if (back.getTime() < f.asOf.getTime() - 2 * DAY_MS) {
        plan = rng.weighted([plans.monthly, plans.offPeak, plans.weekly], [60, 25, 15]);
        startedAt = back;
        continue;
      }
    }
    return out;
  }
}

/** When period k of a subscription starts. */
function periodStart(row: DemoSubscription, k: number): Date {
  if (row.billingInterval === 'week') return addDays(row.startedAt, 7 * k * row.intervalCount);
  return addMonths(row.startedAt, k * row.intervalCount * (row.billingInterval === 'year' ? 12 : 1));
}

/**
 * Charges a subscription at the start of each period until asOf, and decides at each renewal
 * whether the member stays, moves to the annual plan or cancels. A failed charge is retried three
 * days later; a second failure ends the subscription after a week, or leaves it past due when
 * that week is not over by asOf. A pause stops the charges.
 */
function bill(f: GymFrame, rng: Rng, row: DemoSubscription, plan: DemoPlan, habits: Habits): void {
  const asOf = f.asOf.getTime();
  const months = row.billingInterval === 'week' ? (7 * row.intervalCount) / 30.4 : row.intervalCount * (row.billingInterval === 'year' ? 12 : 1);
  const cancelChance = row.billingInterval === 'year' ? 0.35 : 1 - (1 - habits.monthlyHazard) ** months;
  const switchChance = plan === f.plans.monthly || plan === f.plans.offPeak ? 0.015 : 0;
  // Cards fail about once in 25 charges; weekly charges are small and fail less often each.
  const failChance = row.billingInterval === 'week' ? 0.012 : 0.04;
  const end = (at: Date, reason: string) => {
    row.status = 'cancelled';
    row.cancelledAt = at;
    row.cancelReason = reason;
    row.updatedAt = at;
  };
  for (let k = 0; ; k++) {
    const b = periodStart(row, k);
    if (b.getTime() >= asOf) return;
    if (habits.pauseAt && b.getTime() >= habits.pauseAt.getTime()) {
      row.status = 'paused';
      row.updatedAt = habits.pauseAt;
      return;
    }
    if (k > 0) {
      if (rng.chance(switchChance)) return end(b, PLAN_CHANGE_REASON);
      if (rng.chance(cancelChance)) return end(new Date(b.getTime() - rng.int(1, 72) * HOUR_MS), rng.weighted(CANCEL_REASONS, CANCEL_REASON_WEIGHTS));
    }
    if (habits.cardFailsFrom && habits.method !== 'cash' && b.getTime() >= habits.cardFailsFrom.getTime()) {
      charge(f, rng, row, plan, b, habits.method, false);
      const retry = new Date(b.getTime() + 3 * DAY_MS);
      if (retry.getTime() < asOf) charge(f, rng, row, plan, retry, habits.method, false);
      row.status = 'past_due';
      row.updatedAt = b;
      return;
    }
    if (habits.method === 'cash' || !rng.chance(failChance)) {
      charge(f, rng, row, plan, b, habits.method, true);
      continue;
    }
    charge(f, rng, row, plan, b, habits.method, false);
    const retry = new Date(b.getTime() + 3 * DAY_MS + rng.int(0, 120) * 60_000);
    if (retry.getTime() >= asOf) {
      row.status = 'past_due';
      row.updatedAt = b;
      return;
    }
    if (rng.chance(0.8)) {
      charge(f, rng, row, plan, retry, habits.method, true);
      continue;
    }
    charge(f, rng, row, plan, retry, habits.method, false);
    const gone = new Date(b.getTime() + 7 * DAY_MS);
    if (gone.getTime() >= asOf) {
      row.status = 'past_due';
      row.updatedAt = retry;
      return;
    }
    return end(gone, PAYMENT_FAILED_REASON);
  }
}

function charge(f: GymFrame, rng: Rng, row: DemoSubscription, plan: DemoPlan, at: Date, method: DemoPayment['method'], ok: boolean): void {
  const amount = row.priceMicros;
  let status: DemoPayment['status'] = ok ? 'succeeded' : 'failed';
  let refunded = 0;
  if (ok && rng.chance(0.012)) {
    status = 'refunded';
    refunded = amount;
  } else if (ok && rng.chance(0.015)) {
    status = 'partially_refunded';
    refunded = Math.max(10_000, Math.round((amount * (0.2 + rng.float() * 0.4)) / 10_000) * 10_000);
  }
  f.rows.payments.push({
    id: f.ids.uuid(),
    orgId: f.orgId,
    externalId: null,
    contactId: row.contactId,
    subscriptionId: row.id!,
    planId: row.planId,
    amountMicros: amount,
    currency: 'USD',
    status,
    refundedMicros: refunded,
    failureReason: ok ? null : rng.weighted(FAILURE_REASONS, FAILURE_REASON_WEIGHTS),
    paidAt: at,
    method,
    description: plan.name,
    createdAt: at,
    updatedAt: at,
  });
}

/** A one-off payment (personal training, a drop-in), not part of a subscription. */
export function oneOff(f: GymFrame, rng: Rng, contact: DemoContact, at: Date, dollars: number, description: string): void {
  const refundedFully = rng.chance(0.03);
  f.rows.payments.push({
    id: f.ids.uuid(),
    orgId: f.orgId,
    externalId: null,
    contactId: contact.id!,
    subscriptionId: null,
    planId: null,
    amountMicros: dollars * 1_000_000,
    currency: 'USD',
    status: refundedFully ? 'refunded' : 'succeeded',
    refundedMicros: refundedFully ? dollars * 1_000_000 : 0,
    failureReason: null,
    paidAt: at,
    method: 'card',
    description,
    createdAt: at,
    updatedAt: at,
  });
}


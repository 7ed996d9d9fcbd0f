import { and, eq, ilike, sql } from 'drizzle-orm';
import type { z } from 'zod';
import type { Tx } from '../../../../db/client.js';
import type { FieldError } from '../../../../shared/errors.js';
import { likePattern } from '../../../../shared/pagination.js';
import type { listPaymentsQuery, listPlansQuery, listSubscriptionsQuery, paymentSchema, planSchema, subscriptionSchema } from '../dto/memberships.js';
import { invalid, isoDates, type ResourceDef, type Values } from '../resource.js';
import { fitnessPayments, fitnessPlans, fitnessSubscriptions, type PaymentRow } from '../schema.js';
import { anyIf, eqIf, intSort, taken, textSort, timestampSort } from './common.js';
import { contactRef } from './people.js';

export const planRef = { table: fitnessPlans, label: 'plan' };
export const subscriptionRef = { table: fitnessSubscriptions, label: 'subscription' };

export const planDef: ResourceDef<typeof fitnessPlans, z.output<typeof planSchema>, z.output<typeof listPlansQuery>> = {
  label: 'Plan',
  table: fitnessPlans,
  time: fitnessPlans.createdAt,
  sorts: { createdAt: timestampSort(fitnessPlans.createdAt), name: textSort(sql`lower(${fitnessPlans.name})`), priceMicros: intSort(fitnessPlans.priceMicros) },
  filters: (q) => [eqIf(fitnessPlans.active, q.active), eqIf(fitnessPlans.billingInterval, q.billingInterval), q.q ? ilike(fitnessPlans.name, likePattern(q.q)) : undefined],
  fromCreate: (input) => input,
  conflicts: { fitness_plans_org_name_key: taken('plan_name_taken', 'name', 'Another plan of this organization has this name (names ignore case)') },
  inUse: 'The plan has subscriptions; deactivate it (active: false) instead of deleting it',
  view: (row) => isoDates(row),
};

/** The plan's terms for a new subscription: what the body did not say comes from the plan. */
export async function planTerms(tx: Tx, orgId: string, planId: string) {
  const [plan] = await tx
    .select({ priceMicros: fitnessPlans.priceMicros, currency: fitnessPlans.currency, billingInterval: fitnessPlans.billingInterval, intervalCount: fitnessPlans.intervalCount })
    .from(fitnessPlans)
    .where(and(eq(fitnessPlans.orgId, orgId), eq(fitnessPlans.id, planId)));
  return plan;
}

/** A subscription's rules: it cannot end before it starts. */
export function subscriptionProblems(next: Values, prefix = 'body'): FieldError[] {
  const { startedAt, cancelledAt } = next as { startedAt?: Date; cancelledAt?: Date | null };
  return startedAt && cancelledAt && cancelledAt < startedAt ? [{ path: `${prefix}.cancelledAt`, message: 'must not be before startedAt' }] : [];
}

export const subscriptionDef: ResourceDef<typeof fitnessSubscriptions, z.output<typeof subscriptionSchema>, z.output<typeof listSubscriptionsQuery>> = {
  label: 'Subscription',
  table: fitnessSubscriptions,
  time: fitnessSubscriptions.startedAt,
  sorts: { startedAt: timestampSort(fitnessSubscriptions.startedAt), createdAt: timestampSort(fitnessSubscriptions.createdAt) },
  filters: (q) => [eqIf(fitnessSubscriptions.contactId, q.contactId), eqIf(fitnessSubscriptions.planId, q.planId), anyIf(fitnessSubscriptions.status, q.status)],
  refs: { contactId: contactRef, planId: planRef },
  fromCreate: (input) => ({ ...input, startedAt: input.startedAt ?? new Date(), ...(input.status === 'cancelled' && !input.cancelledAt ? { cancelledAt: new Date() } : {}) }),
  fromUpdate: (patch, current) => {
    const set: Values = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    if (patch.status === 'cancelled' && current.status !== 'cancelled' && patch.cancelledAt === undefined && !current.cancelledAt) set.cancelledAt = new Date();
    return set;
  },
  complete: async (tx, next, current) => {
    if (current) return;
    const terms = await planTerms(tx, next.orgId as string, next.planId as string);
    if (!terms) return;
    return Object.fromEntries(Object.entries(terms).filter(([k]) => next[k] === undefined));
  },
  check: (next) => subscriptionProblems(next),
  conflicts: {
    fitness_subscriptions_org_external_id_key: taken('subscription_external_id_taken', 'externalId', 'Another subscription of this organization has this external id'),
  },
  view: (row) => isoDates(row),
};

/** `refundedMicros` when a body does not give it: all of the amount for a refund, else nothing. */
export const defaultRefund = (status: unknown, amountMicros: number) => (status === 'refunded' ? amountMicros : 0);

/** A payment's money rules, on the whole row. */
export function paymentProblems(next: Values, prefix = 'body'): FieldError[] {
  const { status, amountMicros, refundedMicros } = next as Pick<PaymentRow, 'status' | 'amountMicros' | 'refundedMicros'>;
  const at = (message: string) => [{ path: `${prefix}.refundedMicros`, message }];
  if (refundedMicros > amountMicros) return at('must not be more than amountMicros');
  if ((status === 'succeeded' || status === 'failed') && refundedMicros !== 0) return at(`must be 0 for a ${status} payment; set status refunded or partially_refunded`);
  if (status === 'refunded' && refundedMicros !== amountMicros) return at('must equal amountMicros for a refunded payment; use partially_refunded for part of it');
  if (status === 'partially_refunded' && (refundedMicros <= 0 || refundedMicros >= amountMicros)) return at('must be more than 0 and less than amountMicros for a partially_refunded payment');
  return [];
}

export const paymentDef: ResourceDef<typeof fitnessPayments, z.output<typeof paymentSchema>, z.output<typeof listPaymentsQuery>> = {
  label: 'Payment',
  table: fitnessPayments,
  time: fitnessPayments.paidAt,
  sorts: { paidAt: timestampSort(fitnessPayments.paidAt), amountMicros: intSort(fitnessPayments.amountMicros), createdAt: timestampSort(fitnessPayments.createdAt) },
  filters: (q) => [
    eqIf(fitnessPayments.contactId, q.contactId),
    eqIf(fitnessPayments.subscriptionId, q.subscriptionId),
    anyIf(fitnessPayments.status, q.status),
    eqIf(fitnessPayments.method, q.method),
  ],
  refs: { contactId: contactRef, subscriptionId: subscriptionRef },
  fromCreate: (input) => ({
    ...input,
    paidAt: input.paidAt ?? new Date(),
    refundedMicros: input.refundedMicros ?? defaultRefund(input.status, input.amountMicros as number),
  }),
  fromUpdate: (patch, current) => {
    const set: Values = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    // A status change that does not say how much was refunded: the usual amount for the new status.
    if (patch.status !== undefined && patch.status !== current.status && patch.refundedMicros === undefined && patch.status !== 'partially_refunded') {
      set.refundedMicros = defaultRefund(patch.status, (patch.amountMicros as number | undefined) ?? current.amountMicros);
    }
    return set;
  },
  check: (next) => paymentProblems(next),
  guard: async (tx, next) => {
    if (!next.subscriptionId) return;
    const [sub] = await tx
      .select({ contactId: fitnessSubscriptions.contactId })
      .from(fitnessSubscriptions)
      .where(and(eq(fitnessSubscriptions.orgId, next.orgId as string), eq(fitnessSubscriptions.id, next.subscriptionId as string)));
    if (sub && sub.contactId !== next.contactId) throw invalid([{ path: 'body.subscriptionId', message: "is another contact's subscription" }]);
  },
  conflicts: { fitness_payments_org_external_id_key: taken('payment_external_id_taken', 'externalId', 'Another payment of this organization has this external id') },
  view: (row) => isoDates(row),
};

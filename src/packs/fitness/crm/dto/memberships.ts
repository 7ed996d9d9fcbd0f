import { z } from 'zod';
import { BILLING_INTERVALS, PAYMENT_METHODS, PAYMENT_STATUSES, SUBSCRIPTION_STATUSES } from '../enums.js';
import { anyOf, currency, externalId, idFilter, listQuery, micros, name, nullableRef, nullableText, nullableTime, optionalAll, out, ref, rowTimes, searchText, text, time } from './common.js';

// Membership plans, subscriptions and payments. Money is integer micro-dollars.

// ---- plans ----
const planFields = {
  name: name(200),
  description: text(2000),
  priceMicros: micros.describe('Price per billing period, micro-dollars'),
  currency,
  billingInterval: z.enum(BILLING_INTERVALS),
  intervalCount: z.number().int().min(1).max(52).describe('Billed every N intervals (default 1)'),
  active: z.boolean().describe('Offered to new members; an inactive plan keeps its subscriptions'),
};
/** Defaults: description '', currency USD, billingInterval month, intervalCount 1, active true. */
export const createPlanBody = z
  .strictObject({
    ...planFields,
    description: planFields.description.default(''),
    currency: currency.default('USD'),
    billingInterval: planFields.billingInterval.default('month'),
    intervalCount: planFields.intervalCount.default(1),
    active: planFields.active.default(true),
  })
  .meta({ id: 'FitnessCreatePlan' });
export const updatePlanBody = z.strictObject(optionalAll(planFields)).meta({ id: 'FitnessUpdatePlan' });
export const planSchema = z
  .object({
    ...rowTimes,
    name: out.text,
    description: out.text,
    priceMicros: out.micros,
    currency: out.text,
    billingInterval: z.enum(BILLING_INTERVALS),
    intervalCount: out.int,
    active: out.bool,
  })
  .meta({ id: 'FitnessPlan' });
export const listPlansQuery = listQuery(['createdAt', 'name', 'priceMicros'], 'createdAt').extend({
  active: z.stringbool().optional(),
  billingInterval: z.enum(BILLING_INTERVALS).optional(),
  q: searchText.describe('Name contains this (case-insensitive)'),
});

// ---- subscriptions ----
const subscriptionFields = {
  externalId,
  contactId: ref('Contact'),
  planId: ref('Plan'),
  status: z.enum(SUBSCRIPTION_STATUSES),
  startedAt: time,
  cancelledAt: nullableTime.describe('When it ended or ends; set to now when the status becomes cancelled without one'),
  cancelReason: nullableText(500),
  priceMicros: micros.describe("Price per period agreed at signup (default: the plan's)"),
  currency,
  billingInterval: z.enum(BILLING_INTERVALS),
  intervalCount: z.number().int().min(1).max(52),
};
/** Defaults: status active, startedAt now, price, currency and interval from the plan. */
export const createSubscriptionBody = z
  .strictObject({
    ...subscriptionFields,
    externalId: externalId.default(null),
    status: subscriptionFields.status.default('active'),
    startedAt: time.optional(),
    cancelledAt: subscriptionFields.cancelledAt.default(null),
    cancelReason: subscriptionFields.cancelReason.default(null),
    priceMicros: subscriptionFields.priceMicros.optional(),
    currency: currency.optional(),
    billingInterval: subscriptionFields.billingInterval.optional(),
    intervalCount: subscriptionFields.intervalCount.optional(),
  })
  .meta({ id: 'FitnessCreateSubscription' });
export const updateSubscriptionBody = z.strictObject(optionalAll(subscriptionFields)).meta({ id: 'FitnessUpdateSubscription' });
export const subscriptionSchema = z
  .object({
    ...rowTimes,
    externalId: out.nullableText,
    contactId: out.id,
    planId: out.id,
    status: z.enum(SUBSCRIPTION_STATUSES),
    startedAt: out.time,
    cancelledAt: out.nullableTime,
    cancelReason: out.nullableText,
    priceMicros: out.micros,
    currency: out.text,
    billingInterval: z.enum(BILLING_INTERVALS),
    intervalCount: out.int,
  })
  .meta({ id: 'FitnessSubscription' });
export const listSubscriptionsQuery = listQuery(['startedAt', 'createdAt'], 'startedAt').extend({
  contactId: idFilter,
  planId: idFilter,
  status: anyOf(SUBSCRIPTION_STATUSES, 'status').optional(),
});

// ---- payments ----
const paymentFields = {
  externalId,
  contactId: ref('Contact'),
  subscriptionId: nullableRef('Subscription').describe("One of the contact's subscriptions, or null"),
  amountMicros: micros,
  currency,
  status: z.enum(PAYMENT_STATUSES),
  refundedMicros: micros.describe('Refunded so far: 0 unless (partially_)refunded; all of it when refunded (set so when omitted)'),
  failureReason: nullableText(500),
  paidAt: time.describe('When it was charged, or attempted for a failed payment (default now)'),
  method: z.enum(PAYMENT_METHODS),
  description: text(500),
};
/** Defaults: status succeeded, refundedMicros 0 (all of it for refunded), currency USD, method card, paidAt now. */
export const createPaymentBody = z
  .strictObject({
    ...paymentFields,
    externalId: externalId.default(null),
    subscriptionId: paymentFields.subscriptionId.default(null),
    currency: currency.default('USD'),
    status: paymentFields.status.default('succeeded'),
    refundedMicros: micros.optional(),
    failureReason: paymentFields.failureReason.default(null),
    paidAt: time.optional(),
    method: paymentFields.method.default('card'),
    description: paymentFields.description.default(''),
  })
  .meta({ id: 'FitnessCreatePayment' });
export const updatePaymentBody = z.strictObject(optionalAll(paymentFields)).meta({ id: 'FitnessUpdatePayment' });
export const paymentSchema = z
  .object({
    ...rowTimes,
    externalId: out.nullableText,
    contactId: out.id,
    subscriptionId: out.nullableId,
    amountMicros: out.micros,
    currency: out.text,
    status: z.enum(PAYMENT_STATUSES),
    refundedMicros: out.micros,
    failureReason: out.nullableText,
    paidAt: out.time,
    method: z.enum(PAYMENT_METHODS),
    description: out.text,
  })
  .meta({ id: 'FitnessPayment' });
export const listPaymentsQuery = listQuery(['paidAt', 'amountMicros', 'createdAt'], 'paidAt').extend({
  contactId: idFilter,
  subscriptionId: idFilter,
  status: anyOf(PAYMENT_STATUSES, 'status').optional(),
  method: z.enum(PAYMENT_METHODS).optional(),
});

import { bigint, date, integer, pgTable, primaryKey, text, unique, uuid } from 'drizzle-orm/pg-core';
import { orgId } from '../../../db/columns.js';
import { fitnessContacts } from '../crm/schema.js';
import { PAYMENT_METHODS, PAYMENT_STATUSES } from '../crm/enums.js';

/**
 * The analytics' rollups of the CRM's payments (decision 64): written only by the triggers on
 * fitness_payments (migration 0028, src/packs/sql/troupe_fitness_payment_rollups.sql), read by
 * the reports.
 */

const money = (name: string) => bigint(name, { mode: 'number' });

/**
 * The payments grouped by UTC day, currency, status, method, failure reason and plan, kept equal to
 * fitness_payments by its statement triggers (migration 0028, decision 64, src/packs/sql/troupe_fitness_payment_rollups.sql). The
 * revenue and payment-trend reports read whole days here and only the partial days at a range's
 * ends from the payments. Rows whose figures fell to zero stay (they add nothing).
 */
export const fitnessPaymentDays = pgTable(
  'fitness_payment_days',
  {
    orgId: orgId(),
    day: date('day', { mode: 'string' }).notNull(),
    currency: text('currency').notNull(),
    status: text('status', { enum: PAYMENT_STATUSES }).notNull(),
    method: text('method', { enum: PAYMENT_METHODS }).notNull(),
    failureReason: text('failure_reason'),
    planId: uuid('plan_id'),
    payments: integer('payments').notNull(),
    amountMicros: money('amount_micros').notNull(),
    refundedMicros: money('refunded_micros').notNull(),
  },
  (t) => [unique('fitness_payment_days_key').on(t.orgId, t.day, t.currency, t.status, t.method, t.failureReason, t.planId).nullsNotDistinct()],
);

/**
 * Each contact's collected net (succeeded, partially refunded and refunded payments: amount minus
 * refunded) by currency, kept by the same triggers (decision 64): LTV reads one row per member and
 * subtracts the few payments after its asOf, instead of grouping every payment by member. Read by
 * its key only: an (org_id) index let the planner, short of statistics after a bulk load, look an
 * organization's every row up once per member (the report ran past its 30 s timeout).
 */
export const fitnessContactRevenue = pgTable(
  'fitness_contact_revenue',
  {
    orgId: orgId(),
    contactId: uuid('contact_id')
      .notNull()
      .references(() => fitnessContacts.id, { onDelete: 'cascade' }),
    currency: text('currency').notNull(),
    netMicros: money('net_micros').notNull(),
    payments: integer('payments').notNull(),
  },
  (t) => [primaryKey({ name: 'fitness_contact_revenue_pkey', columns: [t.contactId, t.currency] })],
);

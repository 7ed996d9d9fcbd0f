import { sql, type SQL } from 'drizzle-orm';
import { bigint, boolean, check, date, doublePrecision, index, integer, jsonb, pgTable, text, uniqueIndex, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { createdAt, id, orgId, ts, updatedAt } from '../../../db/columns.js';
import {
  BILLING_INTERVALS,
  BOOKING_KINDS,
  BOOKING_STATUSES,
  CHECK_IN_SOURCES,
  COMMUNICATION_CHANNELS,
  COMMUNICATION_DIRECTIONS,
  COMMUNICATION_STATUSES,
  CONTACT_STATUSES,
  GOAL_KINDS,
  GOAL_STATUSES,
  PAYMENT_METHODS,
  PAYMENT_STATUSES,
  SESSION_STATUSES,
  STAFF_ROLES,
  SUBSCRIPTION_STATUSES,
  WORKOUT_PLAN_AUTHORS,
} from './enums.js';

/*
 * The fitness pack's CRM: one gym's people, memberships, money, classes and progress. Every table
 * has org_id (row-level security applies by itself: migrations/0019, troupe_enforce_tenancy).
 * Money is bigint micro-dollars; times are timestamptz.
 *
 * Indexes. Lists and analytics read an organization's rows by time: (org_id, <time>). Rows that
 * belong to a contact, a session or a staff member are indexed by that id first (ids are unique
 * across organizations, so `org_id` in front adds nothing), which also serves the foreign keys'
 * ON DELETE actions: deleting a contact deletes its payments with `WHERE contact_id = $1`, which
 * an index led by org_id could not answer without reading the organization's every payment.
 */

const money = (name: string) => bigint(name, { mode: 'number' });
const textArray = (name: string) => text(name).array().notNull().default(sql`'{}'::text[]`);

/** The gym's people: trainers, front desk, sales. Not Troupe users (they may have no login). */
export const fitnessStaff = pgTable(
  'fitness_staff',
  {
    id: id(),
    orgId: orgId(),
    name: text('name').notNull(),
    email: text('email'),
    phone: text('phone'),
    role: text('role', { enum: STAFF_ROLES }).notNull(),
    active: boolean('active').notNull().default(true),
    /** The Troupe user this person signs in as, when they have one (no foreign key: users belong to the auth module). */
    userId: uuid('user_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('fitness_staff_org_email_key').on(t.orgId, sql`lower(${t.email})`).where(sql`${t.email} is not null`),
    index('fitness_staff_org_created_idx').on(t.orgId, t.createdAt),
  ],
);

/** The lead pipeline's columns, in `position` order; a won or lost stage ends the pipeline. */
export const fitnessLeadStages = pgTable(
  'fitness_lead_stages',
  {
    id: id(),
    orgId: orgId(),
    name: text('name').notNull(),
    position: integer('position').notNull().default(0),
    isWon: boolean('is_won').notNull().default(false),
    isLost: boolean('is_lost').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('fitness_lead_stages_org_name_key').on(t.orgId, sql`lower(${t.name})`),
    index('fitness_lead_stages_org_position_idx').on(t.orgId, t.position),
    check('fitness_lead_stages_won_or_lost', sql`not (${t.isWon} and ${t.isLost})`),
  ],
);

/**
 * The contacts' search document: names, email (whole, and split at @ and dots so "example" finds
 * jane@example.com), the phone's digits and the external id. Must stay identical to the
 * expression of fitness_contacts_search_idx, or the planner cannot use the index.
 */
export function contactSearchDocument(t: { firstName: AnyPgColumn; lastName: AnyPgColumn; email: AnyPgColumn; phone: AnyPgColumn; externalId: AnyPgColumn }): SQL {
  return sql`to_tsvector('simple'::regconfig, ${t.firstName} || ' ' || ${t.lastName} || ' ' || coalesce(${t.email}, '') || ' ' || translate(coalesce(${t.email}, ''), '@.', '  ') || ' ' || regexp_replace(coalesce(${t.phone}, ''), '[^0-9]', '', 'g') || ' ' || coalesce(${t.externalId}, ''))`;
}

/**
 * Members and leads in one table (decision 58): a lead becomes a member by a status change, and
 * keeps its bookings, notes and messages. Email is unique per organization (case-insensitive), so
 * imports and agents can find a person by it; `external_id` is the id in the system it came from.
 */
export const fitnessContacts = pgTable(
  'fitness_contacts',
  {
    id: id(),
    orgId: orgId(),
    externalId: text('external_id'),
    firstName: text('first_name').notNull(),
    lastName: text('last_name').notNull().default(''),
    email: text('email'),
    phone: text('phone'),
    dateOfBirth: date('date_of_birth', { mode: 'string' }),
    status: text('status', { enum: CONTACT_STATUSES }).notNull().default('lead'),
    /** Lower-case, so a tag filter is one GIN lookup. */
    tags: textArray('tags'),
    /** Where the contact came from: website, referral, walk_in, instagram, … (free text). */
    source: text('source'),
    emailConsent: boolean('email_consent').notNull().default(false),
    emailConsentAt: ts('email_consent_at'),
    smsConsent: boolean('sms_consent').notNull().default(false),
    smsConsentAt: ts('sms_consent_at'),
    marketingConsent: boolean('marketing_consent').notNull().default(false),
    marketingConsentAt: ts('marketing_consent_at'),
    /** Asked for no messages at all: outranks every consent. */
    optedOut: boolean('opted_out').notNull().default(false),
    optedOutAt: ts('opted_out_at'),
    /** Became a member (first set when the status first becomes active). */
    joinedAt: ts('joined_at'),
    lastVisitAt: ts('last_visit_at'),
    /** Check-ins in the 30 days before `visits_refreshed_at`. */
    visits30d: integer('visits_30d').notNull().default(0),
    visitsRefreshedAt: ts('visits_refreshed_at'),
    leadStageId: uuid('lead_stage_id').references(() => fitnessLeadStages.id, { onDelete: 'set null' }),
    ownerStaffId: uuid('owner_staff_id').references(() => fitnessStaff.id, { onDelete: 'set null' }),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('fitness_contacts_org_external_id_key').on(t.orgId, t.externalId).where(sql`${t.externalId} is not null`),
    uniqueIndex('fitness_contacts_org_email_key').on(t.orgId, sql`lower(${t.email})`).where(sql`${t.email} is not null`),
    index('fitness_contacts_org_status_idx').on(t.orgId, t.status),
    index('fitness_contacts_org_created_idx').on(t.orgId, t.createdAt),
    index('fitness_contacts_org_last_visit_idx').on(t.orgId, t.lastVisitAt),
    index('fitness_contacts_tags_idx').using('gin', t.tags),
    index('fitness_contacts_search_idx').using('gin', contactSearchDocument(t)),
    index('fitness_contacts_lead_stage_idx').on(t.leadStageId).where(sql`${t.leadStageId} is not null`),
    index('fitness_contacts_owner_staff_idx').on(t.ownerStaffId).where(sql`${t.ownerStaffId} is not null`),
  ],
);

/** What a membership costs: `price_micros` every `interval_count` `billing_interval`s. */
export const fitnessPlans = pgTable(
  'fitness_plans',
  {
    id: id(),
    orgId: orgId(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    priceMicros: money('price_micros').notNull(),
    currency: text('currency').notNull().default('USD'),
    billingInterval: text('billing_interval', { enum: BILLING_INTERVALS }).notNull().default('month'),
    intervalCount: integer('interval_count').notNull().default(1),
    /** Inactive plans are kept for their subscriptions but offered to no one. */
    active: boolean('active').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('fitness_plans_org_name_key').on(t.orgId, sql`lower(${t.name})`),
    check('fitness_plans_price_check', sql`${t.priceMicros} >= 0`),
    check('fitness_plans_interval_count_check', sql`${t.intervalCount} >= 1`),
  ],
);

/**
 * A contact's membership on a plan. The terms (price, currency, interval) are copied from the
 * plan at signup, so a later price change does not rewrite what members pay.
 */
export const fitnessSubscriptions = pgTable(
  'fitness_subscriptions',
  {
    id: id(),
    orgId: orgId(),
    externalId: text('external_id'),
    contactId: uuid('contact_id')
      .notNull()
      .references(() => fitnessContacts.id, { onDelete: 'cascade' }),
    // A plan with subscriptions cannot be deleted (deactivate it instead).
    planId: uuid('plan_id')
      .notNull()
      .references(() => fitnessPlans.id, { onDelete: 'restrict' }),
    status: text('status', { enum: SUBSCRIPTION_STATUSES }).notNull().default('active'),
    startedAt: ts('started_at').notNull(),
    cancelledAt: ts('cancelled_at'),
    cancelReason: text('cancel_reason'),
    priceMicros: money('price_micros').notNull(),
    currency: text('currency').notNull(),
    billingInterval: text('billing_interval', { enum: BILLING_INTERVALS }).notNull(),
    intervalCount: integer('interval_count').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('fitness_subscriptions_org_external_id_key').on(t.orgId, t.externalId).where(sql`${t.externalId} is not null`),
    index('fitness_subscriptions_org_status_idx').on(t.orgId, t.status),
    index('fitness_subscriptions_org_started_idx').on(t.orgId, t.startedAt),
    index('fitness_subscriptions_contact_idx').on(t.contactId, t.startedAt),
    index('fitness_subscriptions_plan_idx').on(t.planId),
    check('fitness_subscriptions_price_check', sql`${t.priceMicros} >= 0`),
    check('fitness_subscriptions_interval_count_check', sql`${t.intervalCount} >= 1`),
  ],
);

/** A charge: succeeded, failed (with why), or refunded in whole or part (`refunded_micros`). */
export const fitnessPayments = pgTable(
  'fitness_payments',
  {
    id: id(),
    orgId: orgId(),
    externalId: text('external_id'),
    contactId: uuid('contact_id')
      .notNull()
      .references(() => fitnessContacts.id, { onDelete: 'cascade' }),
    subscriptionId: uuid('subscription_id').references(() => fitnessSubscriptions.id, { onDelete: 'set null' }),
    amountMicros: money('amount_micros').notNull(),
    currency: text('currency').notNull().default('USD'),
    status: text('status', { enum: PAYMENT_STATUSES }).notNull().default('succeeded'),
    refundedMicros: money('refunded_micros').notNull().default(0),
    failureReason: text('failure_reason'),
    /** When it was charged (or attempted, for a failed payment). */
    paidAt: ts('paid_at').notNull(),
    method: text('method', { enum: PAYMENT_METHODS }).notNull().default('card'),
    description: text('description').notNull().default(''),
    /** The subscription's plan (null without one), kept by a trigger (migration 0028): what was paid for, by plan, without a join. */
    planId: uuid('plan_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('fitness_payments_org_external_id_key').on(t.orgId, t.externalId).where(sql`${t.externalId} is not null`),
    index('fitness_payments_org_paid_idx').on(t.orgId, t.paidAt),
    index('fitness_payments_contact_idx').on(t.contactId, t.paidAt),
    index('fitness_payments_subscription_idx').on(t.subscriptionId).where(sql`${t.subscriptionId} is not null`),
    check('fitness_payments_amount_check', sql`${t.amountMicros} >= 0 and ${t.refundedMicros} >= 0 and ${t.refundedMicros} <= ${t.amountMicros}`),
  ],
);


/** A program or class type (Yoga, HIIT, Spin): what sessions are instances of. */
export const fitnessClasses = pgTable(
  'fitness_classes',
  {
    id: id(),
    orgId: orgId(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    category: text('category').notNull().default(''),
    defaultCapacity: integer('default_capacity').notNull().default(20),
    durationMinutes: integer('duration_minutes').notNull().default(60),
    active: boolean('active').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('fitness_classes_org_name_key').on(t.orgId, sql`lower(${t.name})`),
    check('fitness_classes_capacity_check', sql`${t.defaultCapacity} >= 1 and ${t.durationMinutes} >= 1`),
  ],
);

/** One occurrence of a class: when, where, who teaches, how many fit. */
export const fitnessSessions = pgTable(
  'fitness_sessions',
  {
    id: id(),
    orgId: orgId(),
    // A class with sessions cannot be deleted (deactivate it instead).
    classId: uuid('class_id')
      .notNull()
      .references(() => fitnessClasses.id, { onDelete: 'restrict' }),
    startsAt: ts('starts_at').notNull(),
    endsAt: ts('ends_at').notNull(),
    room: text('room').notNull().default(''),
    instructorId: uuid('instructor_id').references(() => fitnessStaff.id, { onDelete: 'set null' }),
    capacity: integer('capacity').notNull(),
    status: text('status', { enum: SESSION_STATUSES }).notNull().default('scheduled'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('fitness_sessions_org_starts_idx').on(t.orgId, t.startsAt),
    index('fitness_sessions_class_idx').on(t.classId, t.startsAt),
    index('fitness_sessions_instructor_idx').on(t.instructorId, t.startsAt).where(sql`${t.instructorId} is not null`),
    check('fitness_sessions_time_check', sql`${t.endsAt} > ${t.startsAt}`),
    check('fitness_sessions_capacity_check', sql`${t.capacity} >= 0`),
  ],
);

/**
 * A place in a session, a trial or a facility tour. `starts_at` is when it happens: the session's
 * start for a booking of one (kept equal when the session moves), else the time booked, so
 * attendance and no-show figures read bookings alone.
 */
export const fitnessBookings = pgTable(
  'fitness_bookings',
  {
    id: id(),
    orgId: orgId(),
    contactId: uuid('contact_id')
      .notNull()
      .references(() => fitnessContacts.id, { onDelete: 'cascade' }),
    sessionId: uuid('session_id').references(() => fitnessSessions.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: BOOKING_KINDS }).notNull().default('class'),
    status: text('status', { enum: BOOKING_STATUSES }).notNull().default('booked'),
    bookedAt: ts('booked_at').notNull().defaultNow(),
    startsAt: ts('starts_at').notNull(),
    /** Who gives a facility tour or a trial. */
    staffId: uuid('staff_id').references(() => fitnessStaff.id, { onDelete: 'set null' }),
    cancelledAt: ts('cancelled_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('fitness_bookings_org_starts_idx').on(t.orgId, t.startsAt),
    index('fitness_bookings_session_idx').on(t.sessionId, t.status).where(sql`${t.sessionId} is not null`),
    index('fitness_bookings_contact_idx').on(t.contactId, t.startsAt),
    index('fitness_bookings_staff_idx').on(t.staffId).where(sql`${t.staffId} is not null`),
    // One live place per person per session.
    uniqueIndex('fitness_bookings_session_contact_key').on(t.sessionId, t.contactId).where(sql`${t.sessionId} is not null and ${t.status} <> 'cancelled'`),
  ],
);

/** A visit: the contact came through the door. */
export const fitnessCheckIns = pgTable(
  'fitness_check_ins',
  {
    id: id(),
    orgId: orgId(),
    contactId: uuid('contact_id')
      .notNull()
      .references(() => fitnessContacts.id, { onDelete: 'cascade' }),
    at: ts('at').notNull().defaultNow(),
    source: text('source', { enum: CHECK_IN_SOURCES }).notNull().default('front_desk'),
    createdAt: createdAt(),
  },
  (t) => [index('fitness_check_ins_contact_idx').on(t.contactId, t.at), index('fitness_check_ins_org_at_idx').on(t.orgId, t.at)],
);

/** What a contact works towards: a weight, a body-fat percentage, a personal record, an attendance rate. */
export const fitnessGoals = pgTable(
  'fitness_goals',
  {
    id: id(),
    orgId: orgId(),
    contactId: uuid('contact_id')
      .notNull()
      .references(() => fitnessContacts.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: GOAL_KINDS }).notNull(),
    title: text('title').notNull().default(''),
    /** For a PR, the lift or test (back_squat, 5k_run); unused otherwise. */
    metric: text('metric'),
    unit: text('unit'),
    startValue: doublePrecision('start_value'),
    targetValue: doublePrecision('target_value').notNull(),
    targetDate: date('target_date', { mode: 'string' }),
    status: text('status', { enum: GOAL_STATUSES }).notNull().default('active'),
    achievedAt: ts('achieved_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('fitness_goals_contact_idx').on(t.contactId, t.createdAt)],
);

/** One measurement: body weight and fat, or a named metric (a PR) with its value. */
export const fitnessMeasurements = pgTable(
  'fitness_measurements',
  {
    id: id(),
    orgId: orgId(),
    contactId: uuid('contact_id')
      .notNull()
      .references(() => fitnessContacts.id, { onDelete: 'cascade' }),
    measuredAt: ts('measured_at').notNull().defaultNow(),
    weightKg: doublePrecision('weight_kg'),
    bodyFatPct: doublePrecision('body_fat_pct'),
    metric: text('metric'),
    value: doublePrecision('value'),
    unit: text('unit'),
    notes: text('notes').notNull().default(''),
    createdAt: createdAt(),
  },
  (t) => [
    index('fitness_measurements_contact_idx').on(t.contactId, t.measuredAt),
    check('fitness_measurements_something_check', sql`${t.weightKg} is not null or ${t.bodyFatPct} is not null or (${t.metric} is not null and ${t.value} is not null)`),
  ],
);

/** A workout plan for a contact, written by an agent (its run) or a staff member. */
export const fitnessWorkoutPlans = pgTable(
  'fitness_workout_plans',
  {
    id: id(),
    orgId: orgId(),
    contactId: uuid('contact_id')
      .notNull()
      .references(() => fitnessContacts.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    plan: jsonb('plan').$type<Record<string, unknown>>().notNull(),
    createdBy: text('created_by', { enum: WORKOUT_PLAN_AUTHORS }).notNull().default('staff'),
    staffId: uuid('staff_id').references(() => fitnessStaff.id, { onDelete: 'set null' }),
    /** The agent's run that wrote it (no foreign key: runs belong to the engine). */
    runId: uuid('run_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('fitness_workout_plans_contact_idx').on(t.contactId, t.createdAt),
    index('fitness_workout_plans_staff_idx').on(t.staffId).where(sql`${t.staffId} is not null`),
  ],
);

/** A note about a contact, by a staff member and/or the Troupe user who wrote it. */
export const fitnessNotes = pgTable(
  'fitness_notes',
  {
    id: id(),
    orgId: orgId(),
    contactId: uuid('contact_id')
      .notNull()
      .references(() => fitnessContacts.id, { onDelete: 'cascade' }),
    authorStaffId: uuid('author_staff_id').references(() => fitnessStaff.id, { onDelete: 'set null' }),
    createdBy: uuid('created_by'),
    body: text('body').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('fitness_notes_contact_idx').on(t.contactId, t.createdAt),
    index('fitness_notes_author_idx').on(t.authorStaffId).where(sql`${t.authorStaffId} is not null`),
  ],
);

/** Every message to or from a contact (email, SMS, chat, call, note), by people and agents alike. */
export const fitnessCommunications = pgTable(
  'fitness_communications',
  {
    id: id(),
    orgId: orgId(),
    contactId: uuid('contact_id')
      .notNull()
      .references(() => fitnessContacts.id, { onDelete: 'cascade' }),
    channel: text('channel', { enum: COMMUNICATION_CHANNELS }).notNull(),
    direction: text('direction', { enum: COMMUNICATION_DIRECTIONS }).notNull().default('outbound'),
    subject: text('subject'),
    body: text('body').notNull().default(''),
    status: text('status', { enum: COMMUNICATION_STATUSES }).notNull().default('logged'),
    /** The agent's run that sent it (no foreign key: runs belong to the engine). */
    runId: uuid('run_id'),
    staffId: uuid('staff_id').references(() => fitnessStaff.id, { onDelete: 'set null' }),
    at: ts('at').notNull().defaultNow(),
    createdAt: createdAt(),
  },
  (t) => [
    index('fitness_communications_contact_idx').on(t.contactId, t.at),
    index('fitness_communications_org_at_idx').on(t.orgId, t.at),
    index('fitness_communications_run_idx').on(t.runId).where(sql`${t.runId} is not null`),
    index('fitness_communications_staff_idx').on(t.staffId).where(sql`${t.staffId} is not null`),
  ],
);

export type ContactRow = typeof fitnessContacts.$inferSelect;
export type StaffRow = typeof fitnessStaff.$inferSelect;
export type LeadStageRow = typeof fitnessLeadStages.$inferSelect;
export type PlanRow = typeof fitnessPlans.$inferSelect;
export type SubscriptionRow = typeof fitnessSubscriptions.$inferSelect;
export type PaymentRow = typeof fitnessPayments.$inferSelect;
export type ClassRow = typeof fitnessClasses.$inferSelect;
export type SessionRow = typeof fitnessSessions.$inferSelect;
export type BookingRow = typeof fitnessBookings.$inferSelect;
export type CheckInRow = typeof fitnessCheckIns.$inferSelect;
export type GoalRow = typeof fitnessGoals.$inferSelect;
export type MeasurementRow = typeof fitnessMeasurements.$inferSelect;
export type WorkoutPlanRow = typeof fitnessWorkoutPlans.$inferSelect;
export type NoteRow = typeof fitnessNotes.$inferSelect;
export type CommunicationRow = typeof fitnessCommunications.$inferSelect;

import { and, asc, desc, eq, gte, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Tx } from '../../../db/client.js';
import { kindOfStatus, SEAT_TAKING_STATUSES, type ContactStatus } from '../crm/enums.js';
import {
  fitnessBookings,
  fitnessClasses,
  fitnessCommunications,
  fitnessContacts,
  fitnessGoals,
  fitnessLeadStages,
  fitnessMeasurements,
  fitnessNotes,
  fitnessPayments,
  fitnessPlans,
  fitnessSessions,
  fitnessStaff,
  fitnessSubscriptions,
  type ContactRow,
} from '../crm/schema.js';
import { consentsOf, fullName, iso, money } from './common.js';

// Reads shared by the profile, booking and payment tools: compact rows with names joined in.

const clip = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** A booking with what it is for: the class and its time, or the tour/trial and who gives it. */
export async function bookingLines(tx: Tx, orgId: string, where: SQL[], order: 'asc' | 'desc', limit: number, offset = 0) {
  const rows = await tx
    .select({
      id: fitnessBookings.id,
      contactId: fitnessBookings.contactId,
      kind: fitnessBookings.kind,
      status: fitnessBookings.status,
      startsAt: fitnessBookings.startsAt,
      bookedAt: fitnessBookings.bookedAt,
      sessionId: fitnessBookings.sessionId,
      className: fitnessClasses.name,
      room: fitnessSessions.room,
      staffName: fitnessStaff.name,
    })
    .from(fitnessBookings)
    .leftJoin(fitnessSessions, eq(fitnessSessions.id, fitnessBookings.sessionId))
    .leftJoin(fitnessClasses, eq(fitnessClasses.id, fitnessSessions.classId))
    .leftJoin(fitnessStaff, eq(fitnessStaff.id, fitnessBookings.staffId))
    .where(and(eq(fitnessBookings.orgId, orgId), ...where))
    .orderBy(order === 'asc' ? asc(fitnessBookings.startsAt) : desc(fitnessBookings.startsAt), asc(fitnessBookings.id))
    .limit(limit)
    .offset(offset);
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    status: r.status,
    startsAt: r.startsAt.toISOString(),
    bookedAt: r.bookedAt.toISOString(),
    sessionId: r.sessionId,
    className: r.className,
    room: r.room || null,
    staffName: r.staffName,
  }));
}

/** A payment as a line: amount and refund in micro-dollars plus dollars, status, when, how. */
export const paymentLine = (p: typeof fitnessPayments.$inferSelect) => ({
  id: p.id,
  paidAt: p.paidAt.toISOString(),
  amount: money(p.amountMicros),
  refunded: money(p.refundedMicros),
  currency: p.currency,
  status: p.status,
  method: p.method,
  description: p.description || null,
  failureReason: p.failureReason,
  subscriptionId: p.subscriptionId,
});

/** Count, gross and refunded of succeeded and (partially) refunded payments, and failed ones, under `where`. */
export async function paymentTotals(tx: Tx, where: SQL) {
  const [t] = await tx
    .select({
      count: sql<number>`count(*)`.mapWith(Number),
      gross: sql<string>`coalesce(sum(${fitnessPayments.amountMicros}) filter (where ${fitnessPayments.status} <> 'failed'), 0)`,
      refunded: sql<string>`coalesce(sum(${fitnessPayments.refundedMicros}), 0)`,
      failed: sql<number>`count(*) filter (where ${fitnessPayments.status} = 'failed')`.mapWith(Number),
      failedAmount: sql<string>`coalesce(sum(${fitnessPayments.amountMicros}) filter (where ${fitnessPayments.status} = 'failed'), 0)`,
    })
    .from(fitnessPayments)
    .where(where);
  const gross = Number(t!.gross);
  const refunded = Number(t!.refunded);
  return { payments: t!.count, collected: money(gross), refunded: money(refunded), net: money(gross - refunded), failed: t!.failed, failedAmount: money(Number(t!.failedAmount)) };
}

/** Subscriptions of one contact, newest first, with the plan's name. */
export async function subscriptionLines(tx: Tx, orgId: string, where: SQL[], limit: number, offset = 0) {
  const rows = await tx
    .select({ s: fitnessSubscriptions, planName: fitnessPlans.name, contact: { firstName: fitnessContacts.firstName, lastName: fitnessContacts.lastName } })
    .from(fitnessSubscriptions)
    .innerJoin(fitnessPlans, eq(fitnessPlans.id, fitnessSubscriptions.planId))
    .innerJoin(fitnessContacts, eq(fitnessContacts.id, fitnessSubscriptions.contactId))
    .where(and(eq(fitnessSubscriptions.orgId, orgId), ...where))
    .orderBy(desc(fitnessSubscriptions.startedAt), asc(fitnessSubscriptions.id))
    .limit(limit)
    .offset(offset);
  return rows.map(({ s, planName, contact }) => ({
    id: s.id,
    contactId: s.contactId,
    contactName: fullName(contact),
    plan: planName,
    planId: s.planId,
    status: s.status,
    price: money(s.priceMicros),
    every: `${s.intervalCount === 1 ? '' : `${s.intervalCount} `}${s.billingInterval}${s.intervalCount === 1 ? '' : 's'}`,
    currency: s.currency,
    startedAt: s.startedAt.toISOString(),
    cancelledAt: iso(s.cancelledAt),
    cancelReason: s.cancelReason,
  }));
}

/**
 * Everything a person at the front desk would look at before talking to a contact, compact: who
 * they are, their consents, pipeline stage and owner, memberships, payments, bookings (the next
 * ones and how the last 90 days went), goals with the latest measurement, the last notes and
 * messages.
 */
export async function contactProfile(tx: Tx, orgId: string, c: ContactRow, now = new Date()) {
  const mine = (col: PgColumn) => eq(col, c.id);
  const since90 = new Date(now.getTime() - 90 * 86_400_000);
  const [stage, owner, subscriptions, payments, totals, upcoming, recent, goals, latest, notes, messages] = await Promise.all([
    c.leadStageId
      ? tx.select({ name: fitnessLeadStages.name, isWon: fitnessLeadStages.isWon, isLost: fitnessLeadStages.isLost }).from(fitnessLeadStages).where(eq(fitnessLeadStages.id, c.leadStageId))
      : Promise.resolve([]),
    c.ownerStaffId ? tx.select({ id: fitnessStaff.id, name: fitnessStaff.name, role: fitnessStaff.role }).from(fitnessStaff).where(eq(fitnessStaff.id, c.ownerStaffId)) : Promise.resolve([]),
    subscriptionLines(tx, orgId, [eq(fitnessSubscriptions.contactId, c.id)], 5),
    tx.select().from(fitnessPayments).where(mine(fitnessPayments.contactId)).orderBy(desc(fitnessPayments.paidAt), asc(fitnessPayments.id)).limit(5),
    paymentTotals(tx, and(eq(fitnessPayments.orgId, orgId), eq(fitnessPayments.contactId, c.id))!),
    bookingLines(tx, orgId, [mine(fitnessBookings.contactId), gte(fitnessBookings.startsAt, now), inArray(fitnessBookings.status, [...SEAT_TAKING_STATUSES])], 'asc', 5),
    tx
      .select({ status: fitnessBookings.status, n: sql<number>`count(*)`.mapWith(Number) })
      .from(fitnessBookings)
      .where(and(mine(fitnessBookings.contactId), gte(fitnessBookings.startsAt, since90), lt(fitnessBookings.startsAt, now)))
      .groupBy(fitnessBookings.status),
    tx.select().from(fitnessGoals).where(and(eq(fitnessGoals.contactId, c.id), eq(fitnessGoals.status, 'active'))).orderBy(desc(fitnessGoals.createdAt), asc(fitnessGoals.id)).limit(5),
    tx.select().from(fitnessMeasurements).where(eq(fitnessMeasurements.contactId, c.id)).orderBy(desc(fitnessMeasurements.measuredAt), asc(fitnessMeasurements.id)).limit(3),
    tx.select().from(fitnessNotes).where(eq(fitnessNotes.contactId, c.id)).orderBy(desc(fitnessNotes.createdAt), asc(fitnessNotes.id)).limit(3),
    tx.select().from(fitnessCommunications).where(eq(fitnessCommunications.contactId, c.id)).orderBy(desc(fitnessCommunications.at), asc(fitnessCommunications.id)).limit(3),
  ]);
  const last90 = Object.fromEntries(recent.map((r) => [r.status, r.n]));
  return {
    id: c.id,
    name: fullName(c),
    firstName: c.firstName,
    lastName: c.lastName,
    status: c.status,
    kind: kindOfStatus(c.status as ContactStatus),
    email: c.email,
    phone: c.phone,
    dateOfBirth: c.dateOfBirth,
    tags: c.tags,
    source: c.source,
    consents: consentsOf(c),
    joinedAt: iso(c.joinedAt),
    createdAt: c.createdAt.toISOString(),
    lastVisitAt: iso(c.lastVisitAt),
    visits30d: c.visits30d,
    leadStage: stage[0] ? { id: c.leadStageId, ...stage[0] } : null,
    owner: owner[0] ?? null,
    subscriptions,
    payments: { ...totals, latest: payments.map(paymentLine) },
    bookings: {
      upcoming,
      last90Days: { attended: last90.attended ?? 0, noShow: last90.no_show ?? 0, cancelled: last90.cancelled ?? 0, booked: last90.booked ?? 0 },
    },
    goals: goals.map((g) => ({
      id: g.id,
      kind: g.kind,
      title: g.title,
      metric: g.metric,
      unit: g.unit,
      startValue: g.startValue,
      targetValue: g.targetValue,
      targetDate: g.targetDate,
    })),
    latestMeasurements: latest.map((m) => ({ measuredAt: m.measuredAt.toISOString(), weightKg: m.weightKg, bodyFatPct: m.bodyFatPct, metric: m.metric, value: m.value, unit: m.unit })),
    recentNotes: notes.map((n) => ({ at: n.createdAt.toISOString(), body: clip(n.body) })),
    recentMessages: messages.map((m) => ({ at: m.at.toISOString(), channel: m.channel, direction: m.direction, status: m.status, subject: m.subject, body: clip(m.body, 160) })),
  };
}

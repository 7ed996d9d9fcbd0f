import { and, eq, ilike, inArray, ne, or, sql } from 'drizzle-orm';
import type { z } from 'zod';
import type { Tx } from '../../../../db/client.js';
import { AppError } from '../../../../shared/errors.js';
import { likePattern } from '../../../../shared/pagination.js';
import type { bookingSchema, checkInSchema, classSchema, listBookingsQuery, listCheckInsQuery, listClassesQuery, listSessionsQuery, sessionSchema } from '../dto/classes.js';
import { SEAT_TAKING_STATUSES } from '../enums.js';
import { isoDates, type ResourceDef, type Values } from '../resource.js';
import { fitnessBookings, fitnessCheckIns, fitnessClasses, fitnessContacts, fitnessSessions, type BookingRow } from '../schema.js';
import { anyIf, eqIf, taken, textSort, timestampSort } from './common.js';
import { contactRef, staffRef } from './people.js';

export const classDef: ResourceDef<typeof fitnessClasses, z.output<typeof classSchema>, z.output<typeof listClassesQuery>> = {
  label: 'Class',
  table: fitnessClasses,
  time: fitnessClasses.createdAt,
  sorts: { name: textSort(sql`lower(${fitnessClasses.name})`), createdAt: timestampSort(fitnessClasses.createdAt) },
  filters: (q) => [
    eqIf(fitnessClasses.category, q.category),
    eqIf(fitnessClasses.active, q.active),
    q.q ? or(ilike(fitnessClasses.name, likePattern(q.q)), ilike(fitnessClasses.category, likePattern(q.q))) : undefined,
  ],
  fromCreate: (input) => input,
  conflicts: { fitness_classes_org_name_key: taken('class_name_taken', 'name', 'Another class of this organization has this name (names ignore case)') },
  inUse: 'The class has sessions; deactivate it (active: false) instead of deleting it',
  view: (row) => isoDates(row),
};

const seatTaking = (status: unknown) => (SEAT_TAKING_STATUSES as readonly unknown[]).includes(status);

/**
 * Places taken in a session: its booked and attended bookings (index fitness_bookings_session_idx).
 * Written out, because Drizzle leaves a single-table select's columns unqualified, and "id" inside
 * the subquery would then be the booking's.
 */
const SEAT_TAKING_LIST = sql.raw(SEAT_TAKING_STATUSES.map((s) => `'${s}'`).join(', '));
export const bookedPlaces = sql<number>`(select count(*) from fitness_bookings b where b.session_id = fitness_sessions.id and b.status in (${SEAT_TAKING_LIST}))`.mapWith(Number);

export const sessionDef: ResourceDef<typeof fitnessSessions, z.output<typeof sessionSchema>, z.output<typeof listSessionsQuery>> = {
  label: 'Session',
  table: fitnessSessions,
  time: fitnessSessions.startsAt,
  sorts: { startsAt: timestampSort(fitnessSessions.startsAt) },
  filters: (q) => [eqIf(fitnessSessions.classId, q.classId), eqIf(fitnessSessions.instructorId, q.instructorId), eqIf(fitnessSessions.status, q.status), eqIf(fitnessSessions.room, q.room)],
  refs: { classId: { table: fitnessClasses, label: 'class' }, instructorId: staffRef },
  extra: { booked: bookedPlaces },
  fromCreate: (input) => input,
  fromUpdate: (patch, current) => {
    const set: Values = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    // Moved without a new end: it keeps its length.
    if (patch.startsAt instanceof Date && patch.endsAt === undefined) set.endsAt = new Date(patch.startsAt.getTime() + (current.endsAt.getTime() - current.startsAt.getTime()));
    return set;
  },
  complete: async (tx, next, current) => {
    if (current) return;
    const [cls] = await tx
      .select({ defaultCapacity: fitnessClasses.defaultCapacity, durationMinutes: fitnessClasses.durationMinutes })
      .from(fitnessClasses)
      .where(and(eq(fitnessClasses.orgId, next.orgId as string), eq(fitnessClasses.id, next.classId as string)));
    if (!cls) return;
    return {
      capacity: next.capacity ?? cls.defaultCapacity,
      endsAt: next.endsAt ?? new Date((next.startsAt as Date).getTime() + cls.durationMinutes * 60_000),
    };
  },
  check: (next) => ((next.endsAt as Date) <= (next.startsAt as Date) ? [{ path: 'body.endsAt', message: 'must be after startsAt' }] : []),
  // Its bookings happen when it does.
  after: async (tx, row, current) => {
    if (current && current.startsAt.getTime() !== row.startsAt.getTime()) {
      await tx
        .update(fitnessBookings)
        .set({ startsAt: row.startsAt, updatedAt: sql`now()` })
        .where(and(eq(fitnessBookings.orgId, row.orgId), eq(fitnessBookings.sessionId, row.id)));
    }
  },
  view: (row) => isoDates(row as typeof row & { booked: number }),
};

/** The session a booking is for, locked so two bookings cannot take its last place together. */
async function lockSession(tx: Tx, orgId: string, sessionId: string) {
  const [session] = await tx
    .select({ startsAt: fitnessSessions.startsAt, capacity: fitnessSessions.capacity, status: fitnessSessions.status })
    .from(fitnessSessions)
    .where(and(eq(fitnessSessions.orgId, orgId), eq(fitnessSessions.id, sessionId)))
    .for('update');
  return session;
}

/** 409 session_full / session_cancelled when a booking would take a place its session does not have. */
async function checkPlace(tx: Tx, next: Values, current: BookingRow | null) {
  const sessionId = next.sessionId as string | null;
  if (!sessionId || !seatTaking(next.status)) return;
  // Already holding a place in this session: nothing new is taken.
  if (current && current.sessionId === sessionId && seatTaking(current.status)) return;
  const session = await lockSession(tx, next.orgId as string, sessionId);
  if (!session) return;
  if (session.status === 'cancelled') throw new AppError(409, 'session_cancelled', 'The session is cancelled; it takes no bookings');
  const [{ taken: placesTaken } = { taken: 0 }] = await tx
    .select({ taken: sql<number>`count(*)`.mapWith(Number) })
    .from(fitnessBookings)
    .where(
      and(
        eq(fitnessBookings.sessionId, sessionId),
        inArray(fitnessBookings.status, [...SEAT_TAKING_STATUSES]),
        current ? ne(fitnessBookings.id, current.id) : undefined,
      ),
    );
  if (placesTaken >= session.capacity) throw new AppError(409, 'session_full', `The session is full (${session.capacity} places taken)`);
}

export const bookingDef: ResourceDef<typeof fitnessBookings, z.output<typeof bookingSchema>, z.output<typeof listBookingsQuery>> = {
  label: 'Booking',
  table: fitnessBookings,
  time: fitnessBookings.startsAt,
  sorts: { startsAt: timestampSort(fitnessBookings.startsAt), bookedAt: timestampSort(fitnessBookings.bookedAt) },
  filters: (q) => [eqIf(fitnessBookings.contactId, q.contactId), eqIf(fitnessBookings.sessionId, q.sessionId), eqIf(fitnessBookings.kind, q.kind), anyIf(fitnessBookings.status, q.status)],
  refs: { contactId: contactRef, sessionId: { table: fitnessSessions, label: 'session' }, staffId: staffRef },
  fromCreate: (input) => ({ ...input, ...(input.status === 'cancelled' ? { cancelledAt: new Date() } : {}) }),
  fromUpdate: (patch, current) => {
    const set: Values = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    if (patch.status !== undefined && patch.status !== current.status) set.cancelledAt = patch.status === 'cancelled' ? new Date() : null;
    return set;
  },
  // A session booking happens when its session does.
  complete: async (tx, next) => {
    if (!next.sessionId) return;
    const [session] = await tx
      .select({ startsAt: fitnessSessions.startsAt })
      .from(fitnessSessions)
      .where(and(eq(fitnessSessions.orgId, next.orgId as string), eq(fitnessSessions.id, next.sessionId as string)));
    return session ? { startsAt: session.startsAt } : undefined;
  },
  check: (next) => {
    if (next.kind === 'class' && !next.sessionId) return [{ path: 'body.sessionId', message: 'is required for a class booking' }];
    if (next.kind === 'facility_tour' && next.sessionId) return [{ path: 'body.sessionId', message: 'must be null for a facility tour (give startsAt)' }];
    if (!next.sessionId && !next.startsAt) return [{ path: 'body.startsAt', message: 'is required for a booking without a session' }];
    return [];
  },
  guard: (tx, next, current) => checkPlace(tx, next, current),
  conflicts: { fitness_bookings_session_contact_key: taken('already_booked', 'contactId', 'The contact already has a place in this session') },
  view: (row) => isoDates(row),
};

/**
 * A contact's visit figures from their check-ins: the latest (a contact without check-ins keeps
 * the last visit it was given, e.g. on import) and how many in the 30 days before now.
 * `contactIds` null: every contact of the organization (one statement).
 */
export async function refreshVisits(tx: Tx, orgId: string, contactIds: string[] | null): Promise<number> {
  const c = fitnessContacts;
  const rows = await tx
    .update(c)
    .set({
      lastVisitAt: sql`coalesce((select max(ci.at) from fitness_check_ins ci where ci.contact_id = fitness_contacts.id), fitness_contacts.last_visit_at)`,
      visits30d: sql`(select count(*) from fitness_check_ins ci where ci.contact_id = fitness_contacts.id and ci.at > now() - interval '30 days' and ci.at <= now())`,
      visitsRefreshedAt: sql`now()`,
    })
    .where(and(eq(c.orgId, orgId), contactIds ? inArray(c.id, contactIds) : undefined))
    .returning({ id: c.id });
  return rows.length;
}

export const checkInDef: ResourceDef<typeof fitnessCheckIns, z.output<typeof checkInSchema>, z.output<typeof listCheckInsQuery>> = {
  label: 'Check-in',
  table: fitnessCheckIns,
  time: fitnessCheckIns.at,
  sorts: { at: timestampSort(fitnessCheckIns.at) },
  filters: (q) => [eqIf(fitnessCheckIns.contactId, q.contactId), eqIf(fitnessCheckIns.source, q.source)],
  refs: { contactId: contactRef },
  fromCreate: (input) => ({ ...input, at: input.at ?? new Date() }),
  after: async (tx, row, current) => {
    await refreshVisits(tx, row.orgId, current && current.contactId !== row.contactId ? [row.contactId, current.contactId] : [row.contactId]);
  },
  afterDelete: async (tx, row) => {
    await refreshVisits(tx, row.orgId, [row.contactId]);
  },
  view: (row) => isoDates(row),
};

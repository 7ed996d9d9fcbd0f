import { z } from 'zod';
import { BOOKING_KINDS, BOOKING_STATUSES, CHECK_IN_SOURCES, SESSION_STATUSES } from '../enums.js';
import { anyOf, idFilter, listQuery, name, nullableRef, optionalAll, out, ref, rowBase, rowTimes, searchText, text, time } from './common.js';

// Classes (programs), their sessions, bookings and check-ins.

// ---- classes ----
const classFields = {
  name: name(200),
  description: text(2000),
  category: text(100).describe('yoga, hiit, strength, spin, … (free text)'),
  defaultCapacity: z.number().int().min(1).max(10_000).describe("A new session's capacity unless given"),
  durationMinutes: z.number().int().min(1).max(1440).describe("A new session's length unless its end is given"),
  active: z.boolean(),
};
/** Defaults: description and category '', defaultCapacity 20, durationMinutes 60, active true. */
export const createClassBody = z
  .strictObject({
    ...classFields,
    description: classFields.description.default(''),
    category: classFields.category.default(''),
    defaultCapacity: classFields.defaultCapacity.default(20),
    durationMinutes: classFields.durationMinutes.default(60),
    active: classFields.active.default(true),
  })
  .meta({ id: 'FitnessCreateClass' });
export const updateClassBody = z.strictObject(optionalAll(classFields)).meta({ id: 'FitnessUpdateClass' });
export const classSchema = z
  .object({ ...rowTimes, name: out.text, description: out.text, category: out.text, defaultCapacity: out.int, durationMinutes: out.int, active: out.bool })
  .meta({ id: 'FitnessClass' });
export const listClassesQuery = listQuery(['name', 'createdAt'], 'createdAt', 'asc').extend({
  category: z.string().trim().min(1).max(100).optional(),
  active: z.stringbool().optional(),
  q: searchText.describe('Name or category contains this (case-insensitive)'),
});

// ---- sessions ----
const sessionFields = {
  classId: ref('Class'),
  startsAt: time,
  endsAt: time.describe("Default: startsAt plus the class's duration"),
  room: text(100),
  instructorId: nullableRef('Staff member'),
  capacity: z.number().int().min(0).max(10_000).describe("Places; default the class's defaultCapacity"),
  status: z.enum(SESSION_STATUSES).describe('A cancelled session takes no new bookings'),
};
export const createSessionBody = z
  .strictObject({
    ...sessionFields,
    endsAt: sessionFields.endsAt.optional(),
    room: sessionFields.room.default(''),
    instructorId: sessionFields.instructorId.default(null),
    capacity: sessionFields.capacity.optional(),
    status: sessionFields.status.default('scheduled'),
  })
  .meta({ id: 'FitnessCreateSession' });
export const updateSessionBody = z.strictObject(optionalAll(sessionFields)).meta({ id: 'FitnessUpdateSession' });
export const sessionSchema = z
  .object({
    ...rowTimes,
    classId: out.id,
    startsAt: out.time,
    endsAt: out.time,
    room: out.text,
    instructorId: out.nullableId,
    capacity: out.int,
    status: z.enum(SESSION_STATUSES),
    booked: out.int.describe('Bookings holding a place (booked or attended)'),
  })
  .meta({ id: 'FitnessSession' });
export const listSessionsQuery = listQuery(['startsAt'], 'startsAt').extend({
  classId: idFilter,
  instructorId: idFilter,
  status: z.enum(SESSION_STATUSES).optional(),
  room: z.string().trim().min(1).max(100).optional(),
});

// ---- bookings ----
const bookingFields = {
  contactId: ref('Contact'),
  sessionId: nullableRef('Session').describe('Required for a class booking; optional for a trial; none for a facility tour'),
  kind: z.enum(BOOKING_KINDS),
  status: z.enum(BOOKING_STATUSES),
  startsAt: time.describe("When it happens: the session's start for a session booking (not given then), else required"),
  staffId: nullableRef('Staff member').describe('Who gives the tour or trial'),
};
export const createBookingBody = z
  .strictObject({
    ...bookingFields,
    sessionId: bookingFields.sessionId.default(null),
    kind: bookingFields.kind.default('class'),
    status: bookingFields.status.default('booked'),
    startsAt: bookingFields.startsAt.optional(),
    staffId: bookingFields.staffId.default(null),
  })
  .meta({ id: 'FitnessCreateBooking' });
export const updateBookingBody = z.strictObject(optionalAll(bookingFields)).meta({ id: 'FitnessUpdateBooking' });
export const bookingSchema = z
  .object({
    ...rowTimes,
    contactId: out.id,
    sessionId: out.nullableId,
    kind: z.enum(BOOKING_KINDS),
    status: z.enum(BOOKING_STATUSES),
    bookedAt: out.time,
    startsAt: out.time,
    staffId: out.nullableId,
    cancelledAt: out.nullableTime,
  })
  .meta({ id: 'FitnessBooking' });
export const listBookingsQuery = listQuery(['startsAt', 'bookedAt'], 'startsAt').extend({
  contactId: idFilter,
  sessionId: idFilter,
  kind: z.enum(BOOKING_KINDS).optional(),
  status: anyOf(BOOKING_STATUSES, 'status').optional(),
});

// ---- check-ins ----
const checkInFields = {
  contactId: ref('Contact'),
  at: time.describe('Default now'),
  source: z.enum(CHECK_IN_SOURCES),
};
export const createCheckInBody = z
  .strictObject({ ...checkInFields, at: time.optional(), source: checkInFields.source.default('front_desk') })
  .meta({ id: 'FitnessCreateCheckIn' });
export const updateCheckInBody = z.strictObject(optionalAll(checkInFields)).meta({ id: 'FitnessUpdateCheckIn' });
export const checkInSchema = z.object({ ...rowBase, contactId: out.id, at: out.time, source: z.enum(CHECK_IN_SOURCES) }).meta({ id: 'FitnessCheckIn' });
export const listCheckInsQuery = listQuery(['at'], 'at').extend({ contactId: idFilter, source: z.enum(CHECK_IN_SOURCES).optional() });

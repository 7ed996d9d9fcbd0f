import { z } from 'zod';
import { CALENDAR_KINDS, EVENT_STATUSES, MAIL_OUTCOMES, NOTICE_KINDS, ON_CONFLICT, REMINDER_STATUSES, TIME_OF_DAY_RE, WEEKDAYS } from './enums.js';
import { isTimeZone, minutesOf } from './time.js';

/** The wire shapes of calendars, their events and reminders (docs/calendars.md). Browser-pure. */

const iso = z.date().transform((d) => d.toISOString());
const isoOrNull = z
  .date()
  .nullable()
  .transform((d) => d?.toISOString() ?? null);
const instant = z.iso.datetime({ offset: true });

const timeOfDay = z.string().regex(TIME_OF_DAY_RE, 'a time of day, HH:MM (00:00 to 24:00)');
const timeRange = z
  .object({ start: timeOfDay, end: timeOfDay })
  .refine((r) => minutesOf(r.end) > minutesOf(r.start), { message: 'end must be after start', path: ['end'] });
export const workingHoursSchema = z
  .strictObject(Object.fromEntries(WEEKDAYS.map((d) => [d, z.array(timeRange).max(10).optional()])) as Record<(typeof WEEKDAYS)[number], z.ZodOptional<z.ZodArray<typeof timeRange>>>)
  .describe('Per weekday (mon … sun), the bookable ranges in the calendar’s time zone; a missing day is closed');
export const breakSchema = z
  .object({ days: z.array(z.enum(WEEKDAYS)).min(1).max(7), start: timeOfDay, end: timeOfDay })
  .refine((r) => minutesOf(r.end) > minutesOf(r.start), { message: 'end must be after start', path: ['end'] });
export const timeZoneSchema = z
  .string()
  .min(1)
  .max(100)
  .refine(isTimeZone, { message: 'an IANA time zone, e.g. Europe/Berlin or UTC' });

const calendarFields = {
  name: z.string().trim().min(1).max(200),
  kind: z.enum(CALENDAR_KINDS).default('staff').describe('staff (a person) or room'),
  staffId: z.uuid().nullable().optional().describe('The staff member whose calendar it is'),
  timeZone: timeZoneSchema.default('UTC'),
  workingHours: workingHoursSchema.optional().describe('Default Mon–Fri 09:00–17:00'),
  breaks: z.array(breakSchema).max(20).optional().describe('Default lunch 12:00–13:00 Mon–Fri'),
};
export const createCalendarBody = z.strictObject(calendarFields).meta({ id: 'CreateCalendar' });
export type CreateCalendarInput = z.output<typeof createCalendarBody>;
export const updateCalendarBody = z
  .strictObject({
    name: calendarFields.name.optional(),
    kind: z.enum(CALENDAR_KINDS).optional(),
    staffId: calendarFields.staffId,
    timeZone: timeZoneSchema.optional(),
    workingHours: workingHoursSchema.optional(),
    breaks: z.array(breakSchema).max(20).optional(),
  })
  .meta({ id: 'UpdateCalendar' });
export type UpdateCalendarInput = z.output<typeof updateCalendarBody>;

export const calendarSchema = z
  .object({
    id: z.uuid(),
    orgId: z.uuid(),
    name: z.string(),
    kind: z.enum(CALENDAR_KINDS),
    staffId: z.uuid().nullable(),
    timeZone: z.string(),
    workingHours: z.record(z.string(), z.array(z.object({ start: z.string(), end: z.string() }))),
    breaks: z.array(z.object({ days: z.array(z.string()), start: z.string(), end: z.string() })),
    hasFeed: z.boolean().describe('An ICS feed token exists'),
    archivedAt: isoOrNull,
    createdAt: iso,
    updatedAt: iso,
  })
  .meta({ id: 'Calendar' });

export const listCalendarsQuery = z.object({ archived: z.enum(['true', 'false']).default('false').transform((v) => v === 'true').describe('true: the archived ones') });

export const attendeeSchema = z.object({ name: z.string().trim().max(200).optional(), email: z.email().max(254) });
const reminderOffsets = z
  .array(z.number().int().min(1).max(60 * 24 * 60))
  .max(10)
  .describe('Minutes before the start; default [1440, 60]; [] for none');

export const createEventBody = z
  .strictObject({
    title: z.string().trim().min(1).max(500),
    start: instant.describe('ISO date-time with an offset'),
    durationMinutes: z.number().int().min(5).max(24 * 60).optional().describe('Default 30 (or given by end)'),
    end: instant.optional().describe('Instead of durationMinutes'),
    description: z.string().max(20_000).optional(),
    location: z.string().max(500).optional(),
    attendees: z.array(attendeeSchema).max(100).default([]),
    reminders: reminderOffsets.optional(),
    sendConfirmation: z.boolean().optional().describe('Mail attendees an invitation (ICS); default true when any has an address'),
    onConflict: z.enum(ON_CONFLICT).default('reject').describe('reject (409 with alternatives), next_slot (moved to the first free slot at or after start), allow'),
  })
  .meta({ id: 'CreateCalendarEvent' });
export type CreateEventInput = z.output<typeof createEventBody>;

export const updateEventBody = z
  .strictObject({
    title: z.string().trim().min(1).max(500).optional(),
    start: instant.optional(),
    durationMinutes: z.number().int().min(5).max(24 * 60).optional(),
    end: instant.optional(),
    description: z.string().max(20_000).nullable().optional(),
    location: z.string().max(500).nullable().optional(),
    attendees: z.array(attendeeSchema).max(100).optional(),
    reminders: reminderOffsets.optional().describe('Replace the pending reminders'),
    notifyAttendees: z.boolean().optional().describe('Mail attendees the change (default true when any has an address)'),
    onConflict: z.enum(ON_CONFLICT).default('reject'),
  })
  .meta({ id: 'UpdateCalendarEvent' });
export type UpdateEventInput = z.output<typeof updateEventBody>;

export const cancelEventBody = z
  .strictObject({ reason: z.string().max(2000).optional(), notifyAttendees: z.boolean().optional() })
  .meta({ id: 'CancelCalendarEvent' });

export const reminderSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(NOTICE_KINDS),
    remindAt: iso,
    offsetMinutes: z.number().int().nullable(),
    status: z.enum(REMINDER_STATUSES),
    sentAt: isoOrNull,
    attempts: z.number().int(),
    mail: z.enum(MAIL_OUTCOMES).nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: 'CalendarReminder' });

export const calendarEventSchema = z
  .object({
    id: z.uuid(),
    calendarId: z.uuid(),
    title: z.string(),
    description: z.string().nullable(),
    location: z.string().nullable(),
    startAt: iso,
    endAt: iso,
    status: z.enum(EVENT_STATUSES),
    attendees: z.array(z.object({ name: z.string().optional(), email: z.string() })),
    createdBy: z.object({ kind: z.string(), id: z.string().nullable() }),
    runId: z.uuid().nullable(),
    sequence: z.number().int(),
    cancelReason: z.string().nullable(),
    cancelledAt: isoOrNull,
    createdAt: iso,
    updatedAt: iso,
  })
  .meta({ id: 'CalendarEvent' });
export const calendarEventWithRemindersSchema = calendarEventSchema.extend({ reminders: z.array(reminderSchema) }).meta({ id: 'CalendarEventWithReminders' });
export const bookedEventSchema = calendarEventWithRemindersSchema
  .extend({ moved: z.boolean().describe('next_slot moved it from the requested start') })
  .meta({ id: 'BookedCalendarEvent' });

export const eventsQuery = z
  .object({
    from: instant.describe('Events ending after'),
    to: instant.describe('Events starting before (at most 62 days after from)'),
    status: z.enum(EVENT_STATUSES).optional(),
  })
  .refine((q) => Date.parse(q.to) > Date.parse(q.from), { message: 'to must be after from', path: ['to'] })
  .refine((q) => Date.parse(q.to) - Date.parse(q.from) <= 62 * 86_400_000, { message: 'at most 62 days', path: ['to'] });

export const slotSchema = z.object({ start: z.string(), end: z.string() }).meta({ id: 'CalendarSlot' });
export const freeSlotsQuery = z.object({
  from: instant.optional().describe('Default now'),
  durationMinutes: z.coerce.number().int().min(5).max(24 * 60).default(30),
  count: z.coerce.number().int().min(1).max(50).default(5),
});

/** A 409 on a clash: the clashing events, why, and the next free slots of the same length. */
export const conflictProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    requestId: z.string().optional(),
    reasons: z.array(z.enum(['overlap', 'break', 'outside_hours'])),
    conflicts: z.array(z.object({ id: z.uuid(), title: z.string(), startAt: z.string(), endAt: z.string() })),
    alternatives: z.array(slotSchema),
  })
  .meta({ id: 'CalendarConflictProblem' });

export const icsTokenSchema = z.object({ url: z.string().describe('The feed, with its token: shown only now'), token: z.string() }).meta({ id: 'CalendarFeedToken' });

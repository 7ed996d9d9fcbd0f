import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, orgId, ts, updatedAt } from '../db/columns.js';
import { DEFAULT_BREAKS, DEFAULT_WORKING_HOURS, EVENT_STATUSES, MAIL_OUTCOMES, NOTICE_KINDS, REMINDER_STATUSES, type BreakRule, type WorkingHours } from './enums.js';

/**
 * A staff member's or a room's calendar (issue 16; docs/calendars.md): its working hours and
 * breaks in its own time zone decide when it may be booked. Bookings lock the row, so two racing
 * for one slot are taken one after the other.
 */
export const calendars = pgTable(
  'calendars',
  {
    id: id(),
    orgId: orgId(),
    name: text('name').notNull(),
    /** `staff` or `room`. */
    kind: text('kind', { enum: ['staff', 'room'] }).notNull().default('staff'),
    /** The staff member (src/staff/) whose calendar it is; the foreign key comes with that module. */
    staffId: uuid('staff_id'),
    /** IANA name (Europe/Berlin), checked with Intl. */
    timeZone: text('time_zone').notNull().default('UTC'),
    workingHours: jsonb('working_hours').$type<WorkingHours>().notNull().default(DEFAULT_WORKING_HOURS),
    breaks: jsonb('breaks').$type<BreakRule[]>().notNull().default(DEFAULT_BREAKS),
    /** SHA-256 of the ICS feed's token; null: no feed. */
    icsTokenHash: text('ics_token_hash'),
    archivedAt: ts('archived_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('calendars_org_name').on(t.orgId, t.name), check('calendars_kind', sql`${t.kind} in ('staff', 'room')`)],
);

/** Who or what made an event: a person, an API key, an agent's run (a tool call). */
export interface CreatedBy {
  kind: 'user' | 'api_key' | 'agent' | 'system';
  id: string | null;
}
export interface Attendee {
  name?: string;
  email: string;
}

/** A booking in a calendar; cancelled ones stay (the ICS feed shows them CANCELLED). */
export const calendarEvents = pgTable(
  'calendar_events',
  {
    id: id(),
    orgId: orgId(),
    calendarId: uuid('calendar_id')
      .notNull()
      .references(() => calendars.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    description: text('description'),
    location: text('location'),
    startAt: ts('start_at').notNull(),
    endAt: ts('end_at').notNull(),
    status: text('status', { enum: EVENT_STATUSES }).notNull().default('confirmed'),
    attendees: jsonb('attendees').$type<Attendee[]>().notNull().default([]),
    createdBy: jsonb('created_by').$type<CreatedBy>().notNull(),
    /** The run whose tool call made it. */
    runId: uuid('run_id'),
    /** The tool call that made it: the same call again answers this event (calendar_create_event). */
    toolCallId: text('tool_call_id'),
    /** Bumped by every change, for the ICS SEQUENCE (calendar clients replace the older copy). */
    sequence: integer('sequence').notNull().default(0),
    cancelReason: text('cancel_reason'),
    cancelledAt: ts('cancelled_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // Keyed by (run, tool call) as tickets are: models number their calls per run (call_1, …).
    uniqueIndex('calendar_events_tool_call').on(t.runId, t.toolCallId),
    index('calendar_events_calendar_time_idx').on(t.calendarId, t.startAt),
    check('calendar_events_span', sql`${t.endAt} > ${t.startAt}`),
  ],
);

/**
 * What the reminder processor delivers: a reminder `offsetMinutes` before the start, or the mail
 * telling attendees of a new (confirmation), moved (update) or cancelled event. Due at `remindAt`;
 * taken under a lease (FOR UPDATE SKIP LOCKED), marked sent fenced by its lease token.
 */
export const calendarReminders = pgTable(
  'calendar_reminders',
  {
    id: id(),
    orgId: orgId(),
    eventId: uuid('event_id')
      .notNull()
      .references(() => calendarEvents.id, { onDelete: 'cascade' }),
    /** reminder, confirmation, update, cancellation. */
    kind: text('kind', { enum: NOTICE_KINDS }).notNull().default('reminder'),
    remindAt: ts('remind_at').notNull(),
    /** Minutes before the start (reminders); null for the other notices. */
    offsetMinutes: integer('offset_minutes'),
    status: text('status', { enum: REMINDER_STATUSES }).notNull().default('pending'),
    sentAt: ts('sent_at'),
    attempts: integer('attempts').notNull().default(0),
    /** The processor holding it, until leaseUntil; another takes it after. */
    leaseToken: uuid('lease_token'),
    leaseUntil: ts('lease_until'),
    /** sent, skipped (no SMTP), none (no attendee address), failed. */
    mail: text('mail', { enum: MAIL_OUTCOMES }),
    error: text('error'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('calendar_reminders_event_idx').on(t.eventId),
    // What the processor takes: pending, earliest first.
    index('calendar_reminders_due_idx').on(t.remindAt).where(sql`status = 'pending'`),
  ],
);

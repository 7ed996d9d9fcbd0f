/**
 * The calendars module's fixed vocabularies, with no dependency: the server's schemas and the
 * dashboard share them (the dashboard may not import schema.ts).
 */

export const CALENDAR_KINDS = ['staff', 'room'] as const;
export type CalendarKind = (typeof CALENDAR_KINDS)[number];

export const EVENT_STATUSES = ['confirmed', 'cancelled'] as const;
export type CalendarEventStatus = (typeof EVENT_STATUSES)[number];

export const REMINDER_STATUSES = ['pending', 'sent', 'cancelled', 'failed'] as const;
export type ReminderStatus = (typeof REMINDER_STATUSES)[number];

/**
 * What a notice row delivers: a reminder before the start, or the mail that tells attendees of a
 * new, moved or cancelled event (sent by the same processor, so a crash loses none).
 */
export const NOTICE_KINDS = ['reminder', 'confirmation', 'update', 'cancellation'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

/** How the mail of a delivered notice went: sent, skipped (no SMTP_URL: kept in the outbox), none (no attendee with an address), failed. */
export const MAIL_OUTCOMES = ['sent', 'skipped', 'none', 'failed'] as const;
export type MailOutcome = (typeof MAIL_OUTCOMES)[number];

/** What to do when an event clashes: refuse (409 with alternatives), move to the next free slot, or book anyway. */
export const ON_CONFLICT = ['reject', 'next_slot', 'allow'] as const;
export type OnConflict = (typeof ON_CONFLICT)[number];

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** `HH:MM`, 00:00 to 24:00. */
export const TIME_OF_DAY_RE = /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/;

export interface TimeRange {
  start: string;
  end: string;
}
export type WorkingHours = Partial<Record<Weekday, TimeRange[]>>;
export interface BreakRule {
  days: Weekday[];
  start: string;
  end: string;
}

/** Mon–Fri 09:00–17:00 (the ops seed: prefer 9–17). */
export const DEFAULT_WORKING_HOURS: WorkingHours = {
  mon: [{ start: '09:00', end: '17:00' }],
  tue: [{ start: '09:00', end: '17:00' }],
  wed: [{ start: '09:00', end: '17:00' }],
  thu: [{ start: '09:00', end: '17:00' }],
  fri: [{ start: '09:00', end: '17:00' }],
};
/** Lunch 12:00–13:00 on working days (the ops seed: avoid 12–1). */
export const DEFAULT_BREAKS: BreakRule[] = [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '12:00', end: '13:00' }];

/** 24 hours and 1 hour before the start (issue 16). */
export const DEFAULT_REMINDERS = [1440, 60];
/** The ops seed's default length of a booking. */
export const DEFAULT_DURATION_MINUTES = 30;

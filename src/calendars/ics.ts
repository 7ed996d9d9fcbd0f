import ical, { ICalCalendarMethod, ICalEventStatus } from 'ical-generator';
import type { Attendee } from './schema.js';

/** What an ICS event is made of (a calendar_events row). */
export interface IcsEvent {
  id: string;
  title: string;
  description: string | null;
  location: string | null;
  startAt: Date;
  endAt: Date;
  status: 'confirmed' | 'cancelled';
  attendees: Attendee[];
  sequence: number;
  createdAt: Date;
  updatedAt: Date;
}

/** The UID calendar clients match updates and cancellations by. */
export const icsUid = (eventId: string) => `${eventId}@troupe`;

/**
 * An iCalendar text (RFC 5545) built with ical-generator: the feed (no METHOD), an invitation
 * (REQUEST) or a cancellation (CANCEL). Times are UTC; SEQUENCE is the event's change count, so
 * clients replace their older copy.
 */
export function buildIcs(
  calendar: { name: string; timeZone: string },
  events: IcsEvent[],
  options: { method: 'REQUEST' | 'CANCEL' | null; organizer?: { name: string; email: string } | null },
): string {
  const cal = ical({ name: calendar.name, prodId: { company: 'Troupe', product: 'calendars', language: 'EN' }, ...(options.method ? { method: ICalCalendarMethod[options.method] } : {}) });
  for (const e of events) {
    cal.createEvent({
      id: icsUid(e.id),
      summary: e.title,
      description: e.description,
      location: e.location,
      start: e.startAt,
      end: e.endAt,
      status: e.status === 'cancelled' ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
      sequence: e.sequence,
      stamp: e.updatedAt,
      created: e.createdAt,
      lastModified: e.updatedAt,
      ...(options.organizer ? { organizer: options.organizer } : {}),
      attendees: e.attendees.map((a) => ({ email: a.email, ...(a.name ? { name: a.name } : {}), rsvp: options.method === 'REQUEST' })),
    });
  }
  return cal.toString();
}

import type { z } from 'zod';
import type { bookedEventSchema, calendarEventSchema, calendarSchema, createCalendarBody, createEventBody, icsTokenSchema, updateCalendarBody } from '@server/calendars/dto';
import { api } from '../../api/client';

/*
 * The endpoints the Calendar page uses (src/calendars/routes.ts): calendars, their events in a
 * window, booking (a clash answers 409 with the alternatives), cancelling, settings and the feed.
 */

export type Calendar = z.output<typeof calendarSchema>;
export type CalendarEvent = z.output<typeof calendarEventSchema>;
export type BookedEvent = z.output<typeof bookedEventSchema>;
export type NewEvent = z.input<typeof createEventBody>;
export type NewCalendar = z.input<typeof createCalendarBody>;
export type CalendarChange = z.input<typeof updateCalendarBody>;

/** What a 409 `calendar_conflict` carries besides its detail. */
export interface Clash {
  reasons: ('overlap' | 'break' | 'outside_hours')[];
  conflicts: { id: string; title: string; startAt: string; endAt: string }[];
  alternatives: { start: string; end: string }[];
}

export const calendarKeys = {
  all: ['calendar'] as const,
  list: ['calendar', 'list'] as const,
  events: (id: string, from: string, to: string) => ['calendar', 'events', id, from, to] as const,
};

export const calendarApi = {
  list: (signal?: AbortSignal) => api.get<{ items: Calendar[] }>('/calendars', { signal }),
  create: (body: NewCalendar) => api.post<Calendar>('/calendars', body),
  update: (id: string, body: CalendarChange) => api.patch<Calendar>(`/calendars/${id}`, body),
  events: (id: string, from: string, to: string, signal?: AbortSignal) => api.get<{ items: CalendarEvent[] }>(`/calendars/${id}/events`, { query: { from, to }, signal }),
  book: (id: string, body: NewEvent) => api.post<BookedEvent>(`/calendars/${id}/events`, body),
  cancel: (eventId: string, reason?: string) => api.post<CalendarEvent>(`/calendar-events/${eventId}/cancel`, reason ? { reason } : {}),
  feedToken: (id: string) => api.post<z.output<typeof icsTokenSchema>>(`/calendars/${id}/ics-token`),
};

import { and, asc, eq, gt, inArray, isNull, lt, ne, sql } from 'drizzle-orm';
import type { Database, Tx } from '../db/client.js';
import { afterCommit } from '../db/client.js';
import { AppError, badRequest, conflict, isUniqueViolation, notFound } from '../shared/errors.js';
import { UUID_RE } from '../shared/ids.js';
import type { Actor } from '../shared/roles.js';
import { randomToken, safeEqual, sha256 } from '../shared/crypto.js';
import type { CreateCalendarInput, CreateEventInput, UpdateCalendarInput, UpdateEventInput } from './dto.js';
import { DEFAULT_BREAKS, DEFAULT_DURATION_MINUTES, DEFAULT_REMINDERS, DEFAULT_WORKING_HOURS, type NoticeKind, type OnConflict } from './enums.js';
import { buildIcs } from './ics.js';
import { calendarEvents, calendarReminders, calendars, type Attendee, type CreatedBy } from './schema.js';
import { findSlots, hoursProblem, type Interval } from './time.js';

export type CalendarRow = typeof calendars.$inferSelect;
export type { Attendee, CreatedBy } from './schema.js';
export type CalendarEventRow = typeof calendarEvents.$inferSelect;
export type ReminderRow = typeof calendarReminders.$inferSelect;

/** Stores the calendar.* events (the events module's EventService.emit, wired by the app). */
export interface CalendarEventSink {
  emit(orgId: string, e: { type: string; source: 'troupe'; payload: unknown; dedupeKey: string }): Promise<unknown>;
}

export type ConflictReason = 'overlap' | 'break' | 'outside_hours';
export interface Slot {
  start: string;
  end: string;
}

/** A booking refused: what it clashes with, why, and the next free slots of the same length (a 409). */
export class CalendarConflict extends AppError {
  constructor(
    readonly reasons: ConflictReason[],
    readonly conflicts: { id: string; title: string; startAt: string; endAt: string }[],
    readonly alternatives: Slot[],
  ) {
    const what = [
      ...conflicts.map((c) => `"${c.title}" ${c.startAt}–${c.endAt}`),
      ...(reasons.includes('break') ? ['a break'] : []),
      ...(reasons.includes('outside_hours') ? ['time outside working hours'] : []),
    ];
    const alt = alternatives.length ? ` Free slots: ${alternatives.map((s) => s.start).join(', ')}.` : ' No free slot in the next 60 days.';
    super(409, 'calendar_conflict', `The time clashes with ${what.join(', ')}.${alt}`);
  }
}

/** Who makes a booking and, for an agent's tool call, the key a retry finds it by. */
export interface BookingOrigin {
  createdBy: CreatedBy;
  runId?: string | null;
  toolCallId?: string | null;
}

export interface Booked {
  event: CalendarEventRow;
  reminders: ReminderRow[];
  /** next_slot moved it from the requested start. */
  moved: boolean;
  /** false: the same tool call had made it before (a retry). */
  created: boolean;
}

const MINUTE = 60_000;
const ALTERNATIVES = 3;
const hasAddress = (attendees: Attendee[]) => attendees.some((a) => a.email);
const isoOf = (ms: number) => new Date(ms).toISOString();

/**
 * Calendars of staff and rooms with their working hours and breaks, and the events booked in them
 * (issue 16; docs/calendars.md). A booking locks its calendar's row, so two racing for one slot
 * are checked one after the other; a clash is refused with the next free slots, moved to the first
 * one (`next_slot`), or allowed. Each booking gets its reminders and, for attendees with an
 * address, a confirmation: rows the reminder processor (reminders.ts) delivers once.
 */
export class CalendarService {
  /** Called after notices were written (the processor looks at once instead of at its next poll). */
  onNotice: (() => void) | null = null;

  constructor(
    private readonly database: Database,
    private readonly sink: CalendarEventSink | null = null,
  ) {}

  // ---- calendars ----

  async list(actor: Actor, archived = false): Promise<CalendarRow[]> {
    return this.database.readOrg(actor.orgId, (tx) =>
      tx
        .select()
        .from(calendars)
        .where(and(eq(calendars.orgId, actor.orgId), archived ? sql`${calendars.archivedAt} is not null` : isNull(calendars.archivedAt)))
        .orderBy(asc(calendars.name)),
    );
  }

  async get(actor: Actor, id: string): Promise<CalendarRow> {
    if (!UUID_RE.test(id)) throw notFound('Calendar');
    const [row] = await this.database.readOrg(actor.orgId, (tx) => tx.select().from(calendars).where(and(eq(calendars.orgId, actor.orgId), eq(calendars.id, id))));
    if (!row) throw notFound('Calendar');
    return row;
  }

  async create(actor: Actor, input: CreateCalendarInput): Promise<CalendarRow> {
    try {
      const [row] = await this.database.withOrg(actor.orgId, (tx) =>
        tx
          .insert(calendars)
          .values({
            orgId: actor.orgId,
            name: input.name,
            kind: input.kind,
            staffId: input.staffId ?? null,
            timeZone: input.timeZone,
            workingHours: input.workingHours ?? DEFAULT_WORKING_HOURS,
            breaks: input.breaks ?? DEFAULT_BREAKS,
          })
          .returning(),
      );
      return row!;
    } catch (err) {
      throw isUniqueViolation(err) ? nameTaken(input.name) : err;
    }
  }

  async update(actor: Actor, id: string, input: UpdateCalendarInput): Promise<CalendarRow> {
    await this.get(actor, id);
    try {
      const [row] = await this.database.withOrg(actor.orgId, (tx) =>
        tx
          .update(calendars)
          .set({ ...stripUndefined(input), updatedAt: new Date() })
          .where(and(eq(calendars.orgId, actor.orgId), eq(calendars.id, id)))
          .returning(),
      );
      if (!row) throw notFound('Calendar');
      return row;
    } catch (err) {
      throw isUniqueViolation(err) ? nameTaken(input.name ?? '') : err;
    }
  }

  /** Archived: no new bookings, kept with its events (and its feed) for the record. */
  async archive(actor: Actor, id: string): Promise<CalendarRow> {
    await this.get(actor, id);
    const [row] = await this.database.withOrg(actor.orgId, (tx) =>
      tx.update(calendars).set({ archivedAt: new Date(), updatedAt: new Date() }).where(and(eq(calendars.orgId, actor.orgId), eq(calendars.id, id))).returning(),
    );
    return row!;
  }

  /** A new feed token (the old one stops working); only its SHA-256 is kept. */
  async rotateFeedToken(actor: Actor, id: string): Promise<string> {
    await this.get(actor, id);
    const token = randomToken('ics_');
    await this.database.withOrg(actor.orgId, (tx) => tx.update(calendars).set({ icsTokenHash: sha256(token), updatedAt: new Date() }).where(and(eq(calendars.orgId, actor.orgId), eq(calendars.id, id))));
    return token;
  }

  /**
   * The calendar's ICS feed (events of the last 90 days and the future, cancelled ones as
   * CANCELLED) when `token` is its feed token; null otherwise (a 404, whichever part was wrong).
   */
  async feed(calendarId: string, token: string): Promise<string | null> {
    if (!UUID_RE.test(calendarId)) return null;
    const [cal] = await this.database.system((tx) => tx.select().from(calendars).where(eq(calendars.id, calendarId)));
    // Compared in constant time, also when there is no token to compare with.
    const ok = safeEqual(sha256(token), cal?.icsTokenHash ?? sha256(`none:${token}`)) && cal?.icsTokenHash;
    if (!cal || !ok) return null;
    const rows = await this.database.readOrg(cal.orgId, (tx) =>
      tx
        .select()
        .from(calendarEvents)
        .where(and(eq(calendarEvents.orgId, cal.orgId), eq(calendarEvents.calendarId, cal.id), gt(calendarEvents.endAt, new Date(Date.now() - 90 * 86_400_000))))
        .orderBy(asc(calendarEvents.startAt))
        .limit(5000),
    );
    return buildIcs({ name: cal.name, timeZone: cal.timeZone }, rows, { method: null });
  }

  // ---- events ----

  private async calendarFor(tx: Tx, orgId: string, ref: string, lock: boolean): Promise<CalendarRow> {
    const byId = UUID_RE.test(ref);
    const q = tx
      .select()
      .from(calendars)
      .where(and(eq(calendars.orgId, orgId), byId ? eq(calendars.id, ref) : eq(calendars.name, ref), isNull(calendars.archivedAt)));
    const [row] = lock ? await q.for('update') : await q;
    if (!row) throw notFound('Calendar');
    return row;
  }

  async events(actor: Actor, calendarId: string, q: { from: string; to: string; status?: 'confirmed' | 'cancelled' }): Promise<CalendarEventRow[]> {
    await this.get(actor, calendarId);
    return this.database.readOrg(actor.orgId, (tx) =>
      tx
        .select()
        .from(calendarEvents)
        .where(
          and(
            eq(calendarEvents.orgId, actor.orgId),
            eq(calendarEvents.calendarId, calendarId),
            gt(calendarEvents.endAt, new Date(q.from)),
            lt(calendarEvents.startAt, new Date(q.to)),
            q.status ? eq(calendarEvents.status, q.status) : undefined,
          ),
        )
        .orderBy(asc(calendarEvents.startAt))
        .limit(2000),
    );
  }

  async event(orgId: string, id: string): Promise<CalendarEventRow & { reminders: ReminderRow[] }> {
    if (!UUID_RE.test(id)) throw notFound('Calendar event');
    const [[event], reminders] = await this.database.readOrg(orgId, (tx) =>
      Promise.all([
        tx.select().from(calendarEvents).where(and(eq(calendarEvents.orgId, orgId), eq(calendarEvents.id, id))),
        tx.select().from(calendarReminders).where(and(eq(calendarReminders.orgId, orgId), eq(calendarReminders.eventId, id))).orderBy(asc(calendarReminders.remindAt)),
      ]),
    );
    if (!event) throw notFound('Calendar event');
    return { ...event, reminders };
  }

  /** Busy intervals of a calendar's confirmed events overlapping [from, to), but `except`. */
  private async busy(tx: Tx, orgId: string, calendarId: string, from: number, to: number, except?: string): Promise<(Interval & { row: CalendarEventRow })[]> {
    const rows = await tx
      .select()
      .from(calendarEvents)
      .where(
        and(
          eq(calendarEvents.orgId, orgId),
          eq(calendarEvents.calendarId, calendarId),
          eq(calendarEvents.status, 'confirmed'),
          gt(calendarEvents.endAt, new Date(from)),
          lt(calendarEvents.startAt, new Date(to)),
          except ? ne(calendarEvents.id, except) : undefined,
        ),
      )
      .orderBy(asc(calendarEvents.startAt));
    return rows.map((row) => ({ start: row.startAt.getTime(), end: row.endAt.getTime(), row }));
  }

  /**
   * Places [start, start + duration) in the (locked) calendar: as asked when it is free, else by
   * `onConflict`: a CalendarConflict (reject), the first free slot at or after start (next_slot),
   * or as asked (allow).
   */
  private async place(tx: Tx, cal: CalendarRow, start: number, durationMs: number, onConflict: OnConflict, except?: string): Promise<{ start: number; moved: boolean }> {
    if (onConflict === 'allow') return { start, moved: false };
    const end = start + durationMs;
    const clashing = (await this.busy(tx, cal.orgId, cal.id, start, end, except)).map((b) => b.row);
    const hours = hoursProblem(cal, start, end);
    if (!clashing.length && !hours) return { start, moved: false };
    const horizon = 60 * 86_400_000;
    const busy = await this.busy(tx, cal.orgId, cal.id, start, start + horizon + durationMs, except);
    const slots = findSlots(cal, busy, start, durationMs, onConflict === 'next_slot' ? 1 : ALTERNATIVES, horizon);
    if (onConflict === 'next_slot') {
      if (!slots[0]) throw new CalendarConflict(reasonsOf(clashing, hours), clashing.map(clashView), []);
      return { start: slots[0].start, moved: true };
    }
    throw new CalendarConflict(reasonsOf(clashing, hours), clashing.map(clashView), slots.map((s) => ({ start: isoOf(s.start), end: isoOf(s.end) })));
  }

  /** The next `count` free slots of `durationMinutes` at or after `from` (default now). */
  async freeSlots(orgId: string, calendarRef: string, q: { from?: string; durationMinutes: number; count: number }): Promise<{ calendarId: string; timeZone: string; slots: Slot[] }> {
    const from = q.from ? Date.parse(q.from) : Date.now();
    const durationMs = q.durationMinutes * MINUTE;
    const horizon = 60 * 86_400_000;
    return this.database.withOrg(orgId, async (tx) => {
      const cal = await this.calendarFor(tx, orgId, calendarRef, false);
      const busy = await this.busy(tx, orgId, cal.id, from, from + horizon + durationMs);
      const slots = findSlots(cal, busy, from, durationMs, q.count, horizon);
      return { calendarId: cal.id, timeZone: cal.timeZone, slots: slots.map((s) => ({ start: isoOf(s.start), end: isoOf(s.end) })) };
    });
  }

  /**
   * Books an event. With a tool call's (runId, toolCallId), the same call again answers the event
   * it made (`created` false) and books nothing more. Reminders already past are not made.
   */
  async createEvent(orgId: string, calendarRef: string, input: CreateEventInput, origin: BookingOrigin): Promise<Booked> {
    const requested = Date.parse(input.start);
    const durationMs = input.end ? Date.parse(input.end) - requested : (input.durationMinutes ?? DEFAULT_DURATION_MINUTES) * MINUTE;
    if (!(durationMs > 0)) throw badRequest('end must be after start', [{ path: 'body.end', message: 'must be after start' }]);
    if (durationMs > 24 * 60 * MINUTE) throw badRequest('An event lasts at most 24 hours', [{ path: 'body.end', message: 'at most 24 hours after start' }]);
    const keyed = origin.runId && origin.toolCallId ? { runId: origin.runId, toolCallId: origin.toolCallId } : null;
    const booked = await this.database.withOrg(orgId, async (tx): Promise<Booked> => {
      const cal = await this.calendarFor(tx, orgId, calendarRef, true);
      if (keyed) {
        const [made] = await tx.select().from(calendarEvents).where(and(eq(calendarEvents.orgId, orgId), eq(calendarEvents.runId, keyed.runId), eq(calendarEvents.toolCallId, keyed.toolCallId)));
        if (made) return { event: made, reminders: await this.remindersOf(tx, orgId, made.id), moved: made.startAt.getTime() !== requested, created: false };
      }
      const { start, moved } = await this.place(tx, cal, requested, durationMs, input.onConflict);
      const [event] = await tx
        .insert(calendarEvents)
        .values({
          orgId,
          calendarId: cal.id,
          title: input.title,
          description: input.description ?? null,
          location: input.location ?? null,
          startAt: new Date(start),
          endAt: new Date(start + durationMs),
          attendees: input.attendees,
          createdBy: origin.createdBy,
          runId: origin.runId ?? null,
          toolCallId: keyed?.toolCallId ?? null,
        })
        .returning();
      const reminders = await this.addReminders(tx, orgId, event!, input.reminders ?? DEFAULT_REMINDERS);
      if ((input.sendConfirmation ?? true) && hasAddress(input.attendees)) await this.addNotice(tx, orgId, event!.id, 'confirmation');
      afterCommit(tx, () => this.onNotice?.());
      return { event: event!, reminders, moved, created: true };
    });
    if (booked.created) await this.emit(orgId, 'calendar.event.created', booked.event, `calendar-event:${booked.event.id}:created`, { moved: booked.moved });
    return booked;
  }

  async updateEvent(orgId: string, id: string, input: UpdateEventInput): Promise<Booked> {
    if (!UUID_RE.test(id)) throw notFound('Calendar event');
    const out = await this.database.withOrg(orgId, async (tx) => {
      const [current] = await tx.select().from(calendarEvents).where(and(eq(calendarEvents.orgId, orgId), eq(calendarEvents.id, id)));
      if (!current) throw notFound('Calendar event');
      if (current.status === 'cancelled') throw conflict('The event is cancelled', 'event_cancelled');
      const cal = await this.calendarFor(tx, orgId, current.calendarId, true);
      const requested = input.start ? Date.parse(input.start) : current.startAt.getTime();
      const durationMs = input.end
        ? Date.parse(input.end) - requested
        : input.durationMinutes
          ? input.durationMinutes * MINUTE
          : current.endAt.getTime() - current.startAt.getTime();
      if (!(durationMs > 0)) throw badRequest('end must be after start', [{ path: 'body.end', message: 'must be after start' }]);
      const timeChanged = requested !== current.startAt.getTime() || durationMs !== current.endAt.getTime() - current.startAt.getTime();
      const { start, moved } = timeChanged ? await this.place(tx, cal, requested, durationMs, input.onConflict, id) : { start: requested, moved: false };
      const [event] = await tx
        .update(calendarEvents)
        .set({
          ...(input.title !== undefined ? { title: input.title } : {}),
          ...(input.description !== undefined ? { description: input.description } : {}),
          ...(input.location !== undefined ? { location: input.location } : {}),
          ...(input.attendees !== undefined ? { attendees: input.attendees } : {}),
          startAt: new Date(start),
          endAt: new Date(start + durationMs),
          sequence: sql`${calendarEvents.sequence} + 1`,
          updatedAt: new Date(),
        })
        .where(eq(calendarEvents.id, id))
        .returning();
      if (input.reminders) {
        await tx
          .update(calendarReminders)
          .set({ status: 'cancelled', updatedAt: new Date() })
          .where(and(eq(calendarReminders.eventId, id), eq(calendarReminders.kind, 'reminder'), eq(calendarReminders.status, 'pending')));
        await this.addReminders(tx, orgId, event!, input.reminders);
      } else if (start !== current.startAt.getTime()) {
        // Pending reminders move with the start; those it puts in the past will not be sent.
        await tx
          .update(calendarReminders)
          .set({ remindAt: sql`${event!.startAt.toISOString()}::timestamptz - make_interval(mins => ${calendarReminders.offsetMinutes})`, updatedAt: new Date() })
          .where(and(eq(calendarReminders.eventId, id), eq(calendarReminders.kind, 'reminder'), eq(calendarReminders.status, 'pending')));
        await tx
          .update(calendarReminders)
          .set({ status: 'cancelled', error: 'moved into the past', updatedAt: new Date() })
          .where(and(eq(calendarReminders.eventId, id), eq(calendarReminders.kind, 'reminder'), eq(calendarReminders.status, 'pending'), lt(calendarReminders.remindAt, new Date())));
      }
      if ((input.notifyAttendees ?? true) && hasAddress(event!.attendees) && (timeChanged || (input.title !== undefined && input.title !== current.title) || (input.location !== undefined && input.location !== current.location))) await this.addNotice(tx, orgId, id, 'update');
      afterCommit(tx, () => this.onNotice?.());
      return { event: event!, reminders: await this.remindersOf(tx, orgId, id), moved, created: false };
    });
    await this.emit(orgId, 'calendar.event.updated', out.event, `calendar-event:${id}:updated:${out.event.sequence}`, { moved: out.moved });
    return out;
  }

  /** Cancels the event and its pending reminders; cancelling a cancelled event changes nothing. */
  async cancelEvent(orgId: string, id: string, opts: { reason?: string; notifyAttendees?: boolean } = {}): Promise<CalendarEventRow & { reminders: ReminderRow[] }> {
    if (!UUID_RE.test(id)) throw notFound('Calendar event');
    const changed = await this.database.withOrg(orgId, async (tx) => {
      const [event] = await tx
        .update(calendarEvents)
        .set({ status: 'cancelled', cancelledAt: new Date(), cancelReason: opts.reason ?? null, sequence: sql`${calendarEvents.sequence} + 1`, updatedAt: new Date() })
        .where(and(eq(calendarEvents.orgId, orgId), eq(calendarEvents.id, id), eq(calendarEvents.status, 'confirmed')))
        .returning();
      if (!event) return null;
      await tx.update(calendarReminders).set({ status: 'cancelled', updatedAt: new Date() }).where(and(eq(calendarReminders.eventId, id), eq(calendarReminders.status, 'pending')));
      if ((opts.notifyAttendees ?? true) && hasAddress(event.attendees)) await this.addNotice(tx, orgId, id, 'cancellation');
      afterCommit(tx, () => this.onNotice?.());
      return event;
    });
    if (changed) await this.emit(orgId, 'calendar.event.cancelled', changed, `calendar-event:${id}:cancelled`, { reason: opts.reason ?? null });
    return this.event(orgId, id);
  }

  private async remindersOf(tx: Tx, orgId: string, eventId: string): Promise<ReminderRow[]> {
    return tx.select().from(calendarReminders).where(and(eq(calendarReminders.orgId, orgId), eq(calendarReminders.eventId, eventId))).orderBy(asc(calendarReminders.remindAt));
  }

  private async addReminders(tx: Tx, orgId: string, event: CalendarEventRow, offsets: number[]): Promise<ReminderRow[]> {
    const now = Date.now();
    const rows = [...new Set(offsets)]
      .map((m) => ({ orgId, eventId: event.id, kind: 'reminder' as const, offsetMinutes: m, remindAt: new Date(event.startAt.getTime() - m * MINUTE) }))
      .filter((r) => r.remindAt.getTime() > now);
    return rows.length ? tx.insert(calendarReminders).values(rows).returning() : [];
  }

  private async addNotice(tx: Tx, orgId: string, eventId: string, kind: Exclude<NoticeKind, 'reminder'>): Promise<void> {
    // A newer notice supersedes one not sent yet (a move right after the booking mails once).
    if (kind !== 'confirmation') {
      await tx
        .update(calendarReminders)
        .set({ status: 'cancelled', error: 'superseded', updatedAt: new Date() })
        .where(and(eq(calendarReminders.eventId, eventId), inArray(calendarReminders.kind, ['update']), eq(calendarReminders.status, 'pending')));
    }
    await tx.insert(calendarReminders).values({ orgId, eventId, kind, remindAt: new Date() });
  }

  private async emit(orgId: string, type: string, event: CalendarEventRow, dedupeKey: string, extra: Record<string, unknown>): Promise<void> {
    await this.sink?.emit(orgId, { type, source: 'troupe', dedupeKey, payload: { ...eventPayload(event), ...extra } });
  }

  /**
   * What a decision needs to book (the decision prompt): each calendar with its hours, breaks and
   * time zone, and its busy intervals in [from, to).
   */
  async contextOf(orgId: string, span: { from: Date | string; to: Date | string }): Promise<CalendarContext> {
    const window = { from: new Date(span.from), to: new Date(span.to) };
    const [cals, rows] = await this.database.readOrg(orgId, (tx) =>
      Promise.all([
        tx.select().from(calendars).where(and(eq(calendars.orgId, orgId), isNull(calendars.archivedAt))).orderBy(asc(calendars.name)),
        tx
          .select({ calendarId: calendarEvents.calendarId, id: calendarEvents.id, title: calendarEvents.title, startAt: calendarEvents.startAt, endAt: calendarEvents.endAt })
          .from(calendarEvents)
          .where(and(eq(calendarEvents.orgId, orgId), eq(calendarEvents.status, 'confirmed'), gt(calendarEvents.endAt, window.from), lt(calendarEvents.startAt, window.to)))
          .orderBy(asc(calendarEvents.startAt))
          .limit(2000),
      ]),
    );
    return {
      from: window.from.toISOString(),
      to: window.to.toISOString(),
      calendars: cals.map((c) => ({
        id: c.id,
        name: c.name,
        kind: c.kind,
        staffId: c.staffId,
        timeZone: c.timeZone,
        workingHours: c.workingHours,
        breaks: c.breaks,
        busy: rows.filter((r) => r.calendarId === c.id).map((r) => ({ eventId: r.id, title: r.title, start: r.startAt.toISOString(), end: r.endAt.toISOString() })),
      })),
    };
  }
}

export interface CalendarContext {
  from: string;
  to: string;
  calendars: {
    id: string;
    name: string;
    kind: string;
    staffId: string | null;
    timeZone: string;
    workingHours: CalendarRow['workingHours'];
    breaks: CalendarRow['breaks'];
    busy: { eventId: string; title: string; start: string; end: string }[];
  }[];
}

/** The payload of calendar.* events. */
export function eventPayload(e: CalendarEventRow) {
  return { eventId: e.id, calendarId: e.calendarId, title: e.title, start: e.startAt.toISOString(), end: e.endAt.toISOString(), status: e.status, attendees: e.attendees, sequence: e.sequence };
}

const clashView = (e: CalendarEventRow) => ({ id: e.id, title: e.title, startAt: e.startAt.toISOString(), endAt: e.endAt.toISOString() });
const reasonsOf = (clashing: CalendarEventRow[], hours: 'break' | 'outside_hours' | null): ConflictReason[] => [...(clashing.length ? (['overlap'] as const) : []), ...(hours ? [hours] : [])];
const nameTaken = (name: string) => new AppError(409, 'name_taken', `A calendar named "${name}" exists`, [{ path: 'body.name', message: 'is taken' }]);
function stripUndefined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

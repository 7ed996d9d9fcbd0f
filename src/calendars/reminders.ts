import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { rowFromJson } from '../db/json-row.js';
import { PassLoop } from '../shared/pass-loop.js';
import type { Logger } from '../shared/logger.js';
import { safeSmtpMessage, sendMail, type SmtpSettings } from '../shared/mail.js';
import { Outbox } from '../tools/outbox.js';
import type { MailOutcome, NoticeKind } from './enums.js';
import { buildIcs } from './ics.js';
import { calendarEvents, calendarReminders, calendars } from './schema.js';
import { eventPayload, type CalendarEventSink, type CalendarEventRow, type CalendarRow, type ReminderRow } from './service.js';
import { localParts } from './time.js';

export interface ReminderProcessorOptions {
  /** Rows taken per pass (default 50). */
  batch?: number;
  /** How long a pass holds its rows (default 60 s); past it another processor may take them. */
  leaseMs?: number;
  /** Sleep between passes (default 5 s; a notice written in this process wakes it at once). */
  idleMs?: number;
  /** Mail attempts before a notice is `failed` (default 5; tried again after attempts × 30 s). */
  maxAttempts?: number;
}

/** Mail settings; SMTP_URL absent: mails are kept in the outbox and the notice counts as delivered (`skipped`). */
export interface ReminderMailSettings {
  SMTP_URL?: string;
  SMTP_FROM: string;
}

/**
 * Delivers calendar notices when due (issue 16; docs/calendars.md, decision 70): reminders before
 * an event (an event `calendar.reminder.due` plus a mail to the attendees) and the confirmation,
 * update and cancellation mails (with an ICS invitation). Runs in every worker and in `serve`, as
 * the trigger processor does: a pass takes due rows under a lease (FOR UPDATE SKIP LOCKED, a
 * fresh lease token), so two processors never hold one row and a dead one's rows are taken again
 * once the lease lapses. The event is stored with the dedupe key `reminder:<id>` (once, whoever
 * delivers it); the row becomes `sent` only where its lease token still holds. The mail carries a
 * fixed Message-ID: the one repeat possible (a worker dying between SMTP's answer and that
 * update) is the same message to the reader's client.
 */
export class ReminderProcessor {
  private readonly loop: PassLoop;
  private readonly batch: number;
  private readonly leaseMs: number;
  private readonly idleMs: number;
  private readonly maxAttempts: number;

  constructor(
    private readonly database: Database,
    private readonly sink: CalendarEventSink,
    private readonly mail: ReminderMailSettings,
    private readonly logger: Logger,
    options: ReminderProcessorOptions = {},
  ) {
    this.batch = options.batch ?? 50;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.idleMs = options.idleMs ?? 5000;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.loop = new PassLoop({ what: 'reminder pass', logger, idleMs: this.idleMs, pass: async () => (await this.pass()) >= this.batch });
  }

  start() {
    this.loop.start();
  }

  async stop() {
    await this.loop.stop();
  }

  /** A notice was written: look now. */
  kick() {
    this.loop.kick();
  }

  /**
   * Takes up to `batch` due rows under a new lease token: pending, due, and not held by another
   * processor's live lease. Returns them with the token their writes are fenced by.
   */
  async claim(limit = this.batch): Promise<{ token: string; rows: ReminderRow[] }> {
    const token = randomUUID();
    const { rows } = await this.database.system((tx) =>
      tx.execute(sql`
        update calendar_reminders set lease_token = ${token}, lease_until = now() + make_interval(secs => ${this.leaseMs / 1000}), attempts = attempts + 1, updated_at = now()
        where id in (
          select id from calendar_reminders
          where status = 'pending' and remind_at <= now() and (lease_until is null or lease_until < now())
          order by remind_at limit ${limit}
          for update skip locked)
        returning to_jsonb(calendar_reminders.*) as r`),
    );
    return { token, rows: (rows as { r: Record<string, unknown> }[]).map((r) => rowFromJson(calendarReminders, r.r)) };
  }

  /** One pass: claims due rows and delivers each; returns how many it took. */
  async pass(): Promise<number> {
    const { token, rows } = await this.claim();
    for (const row of rows) {
      await this.deliver(row, token).catch((err: unknown) => this.logger.warn({ err, reminderId: row.id }, 'could not deliver a calendar notice; it is taken again after its lease'));
    }
    return rows.length;
  }

  private async deliver(row: ReminderRow, token: string): Promise<void> {
    const [found] = await this.database.readOrg(row.orgId, (tx) =>
      tx
        .select({ event: calendarEvents, calendar: calendars })
        .from(calendarEvents)
        .innerJoin(calendars, eq(calendars.id, calendarEvents.calendarId))
        .where(and(eq(calendarEvents.orgId, row.orgId), eq(calendarEvents.id, row.eventId))),
    );
    const kind = row.kind as NoticeKind;
    if (!found || (found.event.status === 'cancelled' && kind !== 'cancellation')) {
      await this.finish(row, token, { status: 'cancelled', mail: null, error: 'the event is cancelled' });
      return;
    }
    const { event, calendar } = found;
    if (kind === 'reminder') {
      await this.sink.emit(row.orgId, {
        type: 'calendar.reminder.due',
        source: 'troupe',
        dedupeKey: `reminder:${row.id}`,
        payload: { reminderId: row.id, offsetMinutes: row.offsetMinutes, calendar: { id: calendar.id, name: calendar.name }, ...eventPayload(event) },
      });
    }
    const outcome = await this.mailFor(row, kind, event, calendar);
    if (outcome.mail === 'failed' && row.attempts < this.maxAttempts) {
      // Tried again later: the lease is pushed out by the back-off.
      await this.database.withOrg(row.orgId, (tx) =>
        tx
          .update(calendarReminders)
          .set({ error: outcome.error, leaseUntil: new Date(Date.now() + row.attempts * 30_000), updatedAt: new Date() })
          .where(and(eq(calendarReminders.id, row.id), eq(calendarReminders.leaseToken, token))),
      );
      return;
    }
    await this.finish(row, token, { status: outcome.mail === 'failed' ? 'failed' : 'sent', mail: outcome.mail, error: outcome.error });
  }

  private async finish(row: ReminderRow, token: string, to: { status: 'sent' | 'failed' | 'cancelled'; mail: MailOutcome | null; error: string | null }) {
    const done = await this.database.withOrg(row.orgId, (tx) =>
      tx
        .update(calendarReminders)
        .set({ status: to.status, mail: to.mail, error: to.error, sentAt: to.status === 'sent' ? new Date() : null, leaseToken: null, leaseUntil: null, updatedAt: new Date() })
        .where(and(eq(calendarReminders.id, row.id), eq(calendarReminders.leaseToken, token), eq(calendarReminders.status, 'pending')))
        .returning({ id: calendarReminders.id }),
    );
    if (!done.length) this.logger.warn({ reminderId: row.id }, 'a calendar notice changed hands while it was delivered (its lease lapsed)');
  }

  /** Mails the attendees (kept in the outbox without SMTP_URL: `skipped`). */
  private async mailFor(row: ReminderRow, kind: NoticeKind, event: CalendarEventRow, calendar: CalendarRow): Promise<{ mail: MailOutcome; error: string | null }> {
    const to = [...new Set(event.attendees.map((a) => a.email).filter(Boolean))];
    if (!to.length) return { mail: 'none', error: null };
    const when = localTime(event.startAt, calendar.timeZone);
    const subject = {
      reminder: `Reminder: ${event.title}, ${when}`,
      confirmation: `Confirmed: ${event.title}, ${when}`,
      update: `Changed: ${event.title}, now ${when}`,
      cancellation: `Cancelled: ${event.title}, ${when}`,
    }[kind].replace(/[\r\n]+/g, ' ');
    const lines = [
      kind === 'cancellation' ? `This event is cancelled${event.cancelReason ? `: ${event.cancelReason}` : '.'}` : kind === 'update' ? 'This event has changed.' : kind === 'reminder' ? 'A reminder of your appointment.' : 'Your appointment is booked.',
      '',
      event.title,
      `When: ${when} – ${localTime(event.endAt, calendar.timeZone).slice(11)} (${calendar.timeZone})`,
      ...(event.location ? [`Where: ${event.location}`] : []),
      ...(event.description ? ['', event.description] : []),
    ];
    const organizer = { name: calendar.name, email: addressOf(this.mail.SMTP_FROM) };
    const ics = kind === 'reminder' ? null : buildIcs(calendar, [event], { method: kind === 'cancellation' ? 'CANCEL' : 'REQUEST', organizer });
    const method = kind === 'cancellation' ? 'CANCEL' : 'REQUEST';
    const attachments = ics ? [{ filename: 'invite.ics', contentType: `text/calendar; charset=utf-8; method=${method}`, content: ics }] : [];
    const mail = { to, subject, text: lines.join('\n'), attachments };
    const outbox = new Outbox(this.database);
    if (!this.mail.SMTP_URL) {
      await outbox.record(row.orgId, { ...mail, status: 'kept' });
      return { mail: 'skipped', error: null };
    }
    try {
      const smtp: SmtpSettings = { SMTP_URL: this.mail.SMTP_URL, SMTP_FROM: this.mail.SMTP_FROM };
      const { messageId } = await sendMail(smtp, { ...mail, messageId: `<calendar-${row.id}@troupe>` });
      await outbox.record(row.orgId, { ...mail, status: 'sent', messageId, sentAt: new Date() }).catch((err: unknown) => this.logger.warn({ err }, 'a calendar mail was sent but its outbox row could not be written'));
      return { mail: 'sent', error: null };
    } catch (err) {
      const error = safeSmtpMessage(err, this.mail.SMTP_URL);
      if (row.attempts >= this.maxAttempts) await outbox.record(row.orgId, { ...mail, status: 'failed', error }).catch(() => {});
      return { mail: 'failed', error };
    }
  }
}

/** `2026-12-08 10:30` on the calendar's wall clock. */
export function localTime(at: Date, tz: string): string {
  const p = localParts(at.getTime(), tz);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${p.year}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)}`;
}

/** `Troupe <troupe@x>` → `troupe@x`. */
const addressOf = (from: string) => /<([^>]+)>/.exec(from)?.[1] ?? from.trim();

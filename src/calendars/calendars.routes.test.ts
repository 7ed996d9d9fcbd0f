import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedRoles, type Member, type TestApp } from '../../test/helpers/app.js';
import type { DbKind } from '../../test/helpers/databases.js';
import { decodedMail, startSmtpSink } from '../../test/helpers/smtp-sink.js';
import { toolContext } from '../../test/helpers/tool-context.js';
import { createLogger } from '../shared/logger.js';
import { ToolError } from '../tools/errors.js';
import { ReminderProcessor } from './reminders.js';
import { calendarTools } from './tools.js';

/**
 * Calendars through the API (issue 16), on PostgreSQL and PGlite: clashes with events, breaks,
 * working hours and time zones; alternatives and next_slot; reminders made, moved, cancelled and
 * delivered once; the ICS feed; roles, other organizations and the tools' idempotency.
 *
 * The calendar is in Europe/Berlin (UTC+1 in March): Monday 2027-03-01 10:00 there is 09:00Z.
 */
interface Reminder {
  id: string;
  kind: string;
  remindAt: string;
  offsetMinutes: number | null;
  status: string;
  mail: string | null;
}
interface CalEvent {
  id: string;
  calendarId: string;
  title: string;
  startAt: string;
  endAt: string;
  status: string;
  sequence: number;
  moved?: boolean;
  reminders: Reminder[];
}
interface Conflict {
  code: string;
  detail: string;
  reasons: string[];
  conflicts: { id: string; title: string; startAt: string }[];
  alternatives: { start: string; end: string }[];
}

const MONDAY = '2027-03-01';
/** The ICS attachment of a received mail (nodemailer sends it base64). */
function icsOf(mail: string): string {
  const part = /filename=invite\.ics\r\n\r\n([A-Za-z0-9+/=\r\n]+?)\r\n--/.exec(mail);
  if (!part) throw new Error(`no invite.ics in: ${mail.slice(0, 300)}`);
  return Buffer.from(part[1]!.replace(/\r\n/g, ''), 'base64').toString('utf8');
}
const at = (hhmmZ: string, day = MONDAY) => `${day}T${hhmmZ}:00.000Z`;

describe.each(['postgres', 'pglite'] as DbKind[])('calendars on %s', (kind) => {
  let t: TestApp;
  let roles: Awaited<ReturnType<typeof seedRoles>>;
  let sink: Awaited<ReturnType<typeof startSmtpSink>>;
  let calId: string;

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, who: Member, payload?: unknown) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { ...who.headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }) });
  const book = async (body: Record<string, unknown>, cal = calId) => {
    const res = await call('POST', `/calendars/${cal}/events`, roles.member, body);
    expect(res.statusCode, res.body).toBe(201);
    return json<CalEvent>(res);
  };
  const clash = async (body: Record<string, unknown>, cal = calId) => {
    const res = await call('POST', `/calendars/${cal}/events`, roles.member, body);
    expect(res.statusCode, res.body).toBe(409);
    return json<Conflict>(res);
  };
  const mailsTo = (address: string) => sink.messages.filter((m) => m.to.includes(address)).map((m) => decodedMail(m.data));

  beforeAll(async () => {
    sink = await startSmtpSink();
    t = await createTestApp(kind, { SMTP_URL: `smtp://127.0.0.1:${sink.port}`, SMTP_FROM: 'Front desk <desk@example.com>' });
    // The tests deliver notices with explicit passes (the app's own loop would race them).
    await t.ctx.services.reminders.stop();
    roles = await seedRoles(t.ctx);
    const res = await call('POST', '/calendars', roles.admin, { name: 'Dr. Berg', kind: 'staff', timeZone: 'Europe/Berlin' });
    expect(res.statusCode, res.body).toBe(201);
    calId = json<{ id: string }>(res).id;
  });
  afterAll(async () => {
    await t.close();
    await sink.close();
  });

  it('creates calendars with default hours and lunch; checks the time zone and the name; roles and other organizations', async () => {
    const cal = json<{ workingHours: Record<string, unknown>; breaks: unknown[]; timeZone: string; hasFeed: boolean }>(await call('GET', `/calendars/${calId}`, roles.viewer));
    expect(cal).toMatchObject({ timeZone: 'Europe/Berlin', hasFeed: false, workingHours: { mon: [{ start: '09:00', end: '17:00' }] }, breaks: [{ start: '12:00', end: '13:00' }] });
    expect(cal.workingHours.sat).toBeUndefined();
    const badZone = expectProblem(await call('POST', '/calendars', roles.admin, { name: 'X', timeZone: 'Mars/Olympus' }), 400);
    expect(badZone.detail).toContain('body.timeZone');
    const badHours = expectProblem(await call('POST', '/calendars', roles.admin, { name: 'Y', workingHours: { mon: [{ start: '17:00', end: '09:00' }] } }), 400);
    expect(badHours.errors?.[0]?.path).toBe('body.workingHours.mon.0.end');
    expect(expectProblem(await call('POST', '/calendars', roles.admin, { name: 'Dr. Berg' }), 409).code).toBe('name_taken');
    expectProblem(await call('POST', '/calendars', roles.member, { name: 'Room' }), 403);
    expectProblem(await call('POST', `/calendars/${calId}/events`, roles.viewer, { title: 'x', start: at('09:00') }), 403);
    expectProblem(await call('GET', `/calendars/${calId}`, roles.stranger), 404);
    expectProblem(await call('GET', `/calendars/${calId}/events?from=${at('00:00')}&to=${at('23:00')}`, roles.stranger), 404);
    expectProblem(await call('POST', `/calendars/${calId}/events`, roles.stranger, { title: 'x', start: at('09:00') }), 404);
    expectProblem(await call('GET', '/calendars/not-a-uuid', roles.viewer), 404);
    expect(json<{ items: { id: string }[] }>(await call('GET', '/calendars', roles.viewer)).items.map((c) => c.id)).toContain(calId);
  });

  it('refuses an overlap, the lunch break and time outside working hours (in the calendar’s time zone), with the next free slots', async () => {
    const first = await book({ title: 'Checkup Ann', start: at('09:00') }); // 10:00–10:30 Berlin
    expect(first).toMatchObject({ startAt: at('09:00'), endAt: at('09:30'), status: 'confirmed', moved: false });

    const overlap = await clash({ title: 'Checkup Bob', start: at('09:15') });
    expect(overlap).toMatchObject({ code: 'calendar_conflict', reasons: ['overlap'], conflicts: [{ id: first.id, title: 'Checkup Ann' }] });
    // Free from 10:30 Berlin on, in non-overlapping slots of the same 30 minutes.
    expect(overlap.alternatives).toEqual([
      { start: at('09:30'), end: at('10:00') },
      { start: at('10:00'), end: at('10:30') },
      { start: at('10:30'), end: at('11:00') },
    ]);
    expect(overlap.detail).toContain('Checkup Ann');

    const lunch = await clash({ title: 'Lunch slot', start: at('11:15') }); // 12:15 Berlin
    expect(lunch.reasons).toEqual(['break']);
    expect(lunch.alternatives[0]).toEqual({ start: at('12:00'), end: at('12:30') }); // 13:00 Berlin

    const early = await clash({ title: 'Too early', start: at('07:00') }); // 08:00 Berlin
    expect(early.reasons).toEqual(['outside_hours']);
    expect(early.alternatives[0]!.start).toBe(at('08:00')); // 09:00 Berlin

    // 16:30 UTC is 17:30 in Berlin: closed; 15:30 UTC (16:30 Berlin) is the day's last half hour.
    expect((await clash({ title: 'Late', start: at('16:30') })).reasons).toEqual(['outside_hours']);
    await book({ title: 'Last one', start: at('15:30') });
    // Saturday is closed.
    expect((await clash({ title: 'Weekend', start: at('09:00', '2027-03-06') })).alternatives[0]!.start).toBe(at('08:00', '2027-03-08'));
  });

  it('next_slot books at the first free slot at or after the start; allow books anyway; a cancelled event frees its time', async () => {
    const moved = await book({ title: 'Moved', start: at('09:00', '2027-03-02'), durationMinutes: 60 });
    const next = await book({ title: 'Next', start: at('09:00', '2027-03-02'), durationMinutes: 60, onConflict: 'next_slot' });
    expect(next).toMatchObject({ moved: true, startAt: at('10:00', '2027-03-02'), endAt: at('11:00', '2027-03-02') });
    // 11:00 Berlin on is free until lunch: a 90-minute booking at 11:00 would cross it, so it goes after lunch.
    const long = await book({ title: 'Long', start: at('10:00', '2027-03-02'), durationMinutes: 90, onConflict: 'next_slot' });
    expect(long.startAt).toBe(at('12:00', '2027-03-02'));
    const forced = await book({ title: 'Forced', start: at('09:00', '2027-03-02'), onConflict: 'allow' });
    expect(forced.startAt).toBe(at('09:00', '2027-03-02'));
    const cancelled = json<CalEvent>(await call('POST', `/calendar-events/${moved.id}/cancel`, roles.member, { reason: 'ill' }));
    expect(cancelled.status).toBe('cancelled');
    await call('POST', `/calendar-events/${forced.id}/cancel`, roles.member, {});
    expect((await book({ title: 'Freed', start: at('09:00', '2027-03-02') })).startAt).toBe(at('09:00', '2027-03-02'));

    const slots = json<{ timeZone: string; slots: { start: string }[] }>(await call('GET', `/calendars/${calId}/free-slots?from=${at('08:00', '2027-03-02')}&durationMinutes=30&count=3`, roles.viewer));
    expect(slots.timeZone).toBe('Europe/Berlin');
    // 09:00 and 09:30 Berlin are free again (Moved was cancelled), 10:00 is Freed's.
    expect(slots.slots.map((s) => s.start)).toEqual([at('08:00', '2027-03-02'), at('08:30', '2027-03-02'), at('09:30', '2027-03-02')]);
    const bad = expectProblem(await call('GET', `/calendars/${calId}/free-slots?durationMinutes=2`, roles.viewer), 400);
    expect(bad.detail).toContain('querystring.durationMinutes');
  });

  it('two bookings racing for one slot: one is booked, the other refused', async () => {
    const body = { title: 'Race', start: at('13:00', '2027-03-03') };
    const [a, b] = await Promise.all([call('POST', `/calendars/${calId}/events`, roles.member, body), call('POST', `/calendars/${calId}/events`, roles.admin, body)]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([201, 409]);
  });

  it('makes reminders 24 h and 1 h before; moves them with the event; cancels them with it; makes none already past', async () => {
    const e = await book({ title: 'Consult', start: at('13:00', '2027-03-04') });
    const reminders = e.reminders.filter((r) => r.kind === 'reminder');
    expect(reminders.map((r) => [r.offsetMinutes, r.remindAt, r.status])).toEqual([
      [1440, at('13:00', '2027-03-03'), 'pending'],
      [60, at('12:00', '2027-03-04'), 'pending'],
    ]);
    const res = await call('PATCH', `/calendar-events/${e.id}`, roles.member, { start: at('14:00', '2027-03-04') });
    expect(res.statusCode, res.body).toBe(200);
    const moved = json<CalEvent>(res);
    expect(moved.sequence).toBe(1);
    expect(moved.reminders.filter((r) => r.kind === 'reminder').map((r) => r.remindAt)).toEqual([at('14:00', '2027-03-03'), at('13:00', '2027-03-04')]);
    // A move into a clash is refused like a booking.
    const blocker = await book({ title: 'Blocker', start: at('09:00', '2027-03-04') });
    expect(json<Conflict>(await call('PATCH', `/calendar-events/${e.id}`, roles.member, { start: at('09:00', '2027-03-04') })).conflicts[0]!.id).toBe(blocker.id);
    const cancelled = json<CalEvent>(await call('POST', `/calendar-events/${e.id}/cancel`, roles.member, {}));
    expect(cancelled.reminders.filter((r) => r.kind === 'reminder').map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
    expect(json<CalEvent>(await call('GET', `/calendar-events/${e.id}`, roles.viewer)).status).toBe('cancelled');

    // Starting in two hours: the 24-hour reminder is already past and is not made; [] makes none.
    const soon = await book({ title: 'Soon', start: new Date(Date.now() + 2 * 3_600_000).toISOString(), onConflict: 'allow' });
    expect(soon.reminders.filter((r) => r.kind === 'reminder').map((r) => r.offsetMinutes)).toEqual([60]);
    expect((await book({ title: 'None', start: at('15:00', '2027-03-04'), reminders: [] })).reminders).toEqual([]);

    expectProblem(await call('GET', `/calendar-events/${e.id}`, roles.stranger), 404);
    expectProblem(await call('PATCH', `/calendar-events/${e.id}`, roles.stranger, { title: 'x' }), 404);
    expectProblem(await call('POST', `/calendar-events/${e.id}/cancel`, roles.stranger, {}), 404);
    expectProblem(await call('POST', `/calendar-events/${e.id}/cancel`, roles.viewer, {}), 403);
  });

  it('mails the confirmation with an invitation, delivers a due reminder once (a mail and the event calendar.reminder.due)', async () => {
    const guest = `guest-${randomUUID().slice(0, 8)}@example.com`;
    const e = await book({ title: 'Intro call', start: at('08:00', '2027-03-05'), attendees: [{ name: 'Gus', email: guest }] });
    const processor = t.ctx.services.reminders;
    while ((await processor.pass()) > 0);
    const confirmation = mailsTo(guest);
    expect(confirmation).toHaveLength(1);
    expect(confirmation[0]).toContain('Subject: Confirmed: Intro call, 2027-03-05 09:00');
    const invite = icsOf(confirmation[0]!);
    expect(invite).toContain('METHOD:REQUEST');
    expect(invite).toContain('DTSTART:20270305T080000Z');
    expect(invite).toContain(`UID:${e.id}@troupe`);

    const hourBefore = e.reminders.find((r) => r.offsetMinutes === 60)!;
    await t.ctx.database.system((tx) => tx.execute(sql`update calendar_reminders set remind_at = now() where id = ${hourBefore.id}`));
    expect(await processor.pass()).toBe(1);
    expect(await processor.pass()).toBe(0);
    const mails = mailsTo(guest);
    expect(mails).toHaveLength(2);
    expect(mails[1]).toContain('Subject: Reminder: Intro call');
    const after = json<CalEvent>(await call('GET', `/calendar-events/${e.id}`, roles.viewer));
    expect(after.reminders.find((r) => r.id === hourBefore.id)).toMatchObject({ status: 'sent', mail: 'sent' });
    expect(after.reminders.find((r) => r.offsetMinutes === 1440)).toMatchObject({ status: 'pending' });
    const due = json<{ items: { payload: { reminderId: string; eventId: string } }[] }>(await call('GET', '/events?type=calendar.reminder.due', roles.viewer));
    expect(due.items.filter((i) => i.payload.reminderId === hourBefore.id)).toHaveLength(1);
    expect(due.items[0]!.payload.eventId).toBe(e.id);
    const created = json<{ items: { payload: { eventId: string } }[] }>(await call('GET', '/events?type=calendar.event.*', roles.viewer));
    expect(created.items.some((i) => i.payload.eventId === e.id)).toBe(true);

    // Without SMTP the mail waits in the outbox and the reminder counts as delivered (skipped, not failed).
    const offline = new ReminderProcessor(t.ctx.database, t.ctx.services.events, { SMTP_FROM: 'desk@example.com' }, createLogger('silent'));
    const day = e.reminders.find((r) => r.offsetMinutes === 1440)!;
    await t.ctx.database.system((tx) => tx.execute(sql`update calendar_reminders set remind_at = now() where id = ${day.id}`));
    expect(await offline.pass()).toBe(1);
    const skipped = json<CalEvent>(await call('GET', `/calendar-events/${e.id}`, roles.viewer)).reminders.find((r) => r.id === day.id);
    expect(skipped).toMatchObject({ status: 'sent', mail: 'skipped' });
    expect(mailsTo(guest)).toHaveLength(2);
  });

  it('claims a due reminder for one processor at a time; a dead processor’s reminder is taken again after its lease, and delivered once', async () => {
    const processor = t.ctx.services.reminders;
    while ((await processor.pass()) > 0);
    const guest = `lease-${randomUUID().slice(0, 8)}@example.com`;
    const e = await book({ title: 'Leased', start: at('08:00', '2027-03-08'), attendees: [{ email: guest }], sendConfirmation: false });
    const ids = e.reminders.map((r) => r.id);
    expect(ids).toHaveLength(2);
    await t.ctx.database.system((tx) => tx.execute(sql`update calendar_reminders set remind_at = now() where event_id = ${e.id}`));
    const logger = createLogger('silent');
    const a = new ReminderProcessor(t.ctx.database, t.ctx.services.events, t.ctx.config, logger, { leaseMs: 60_000 });
    const b = new ReminderProcessor(t.ctx.database, t.ctx.services.events, t.ctx.config, logger, { leaseMs: 60_000 });
    // Two processors claiming at once share the due rows: each row goes to one of them (which one, the race decides).
    const [ca, cb] = await Promise.all([a.claim(1), b.claim(10)]);
    const held = [...ca.rows, ...cb.rows];
    expect(held.map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(ca.rows.length).toBeLessThanOrEqual(1);
    // Held: nobody else takes them.
    expect((await processor.claim()).rows).toEqual([]);
    // Its holder dies; once its lease lapses, the next pass takes and delivers it, once.
    const dead = held[0]!;
    await t.ctx.database.system((tx) => tx.execute(sql`update calendar_reminders set lease_until = now() - interval '1 second' where id = ${dead.id}`));
    expect(await processor.pass()).toBe(1);
    expect(await processor.pass()).toBe(0);
    expect(mailsTo(guest)).toHaveLength(1);
    const rows = json<CalEvent>(await call('GET', `/calendar-events/${e.id}`, roles.viewer)).reminders;
    expect(rows.find((r) => r.id === dead.id)).toMatchObject({ status: 'sent' });
    expect(rows.find((r) => r.id !== dead.id)).toMatchObject({ status: 'pending' });
    const taken = await t.ctx.database.system((tx) => tx.execute(sql`select attempts from calendar_reminders where id = ${dead.id}`));
    expect((taken.rows[0] as { attempts: number }).attempts).toBe(2);
  });

  it('serves an ICS feed behind its token: every event, cancelled ones as CANCELLED; a wrong token is a 404', async () => {
    const room = json<{ id: string }>(await call('POST', '/calendars', roles.admin, { name: 'Room A', kind: 'room', timeZone: 'UTC' })).id;
    const one = await book({ title: 'Standup', start: at('09:00', '2027-03-09') }, room);
    await book({ title: 'Review', start: at('10:00', '2027-03-09') }, room);
    await call('POST', `/calendar-events/${one.id}/cancel`, roles.member, {});
    expectProblem(await call('POST', `/calendars/${room}/ics-token`, roles.member), 403);
    const res = await call('POST', `/calendars/${room}/ics-token`, roles.admin);
    expect(res.statusCode, res.body).toBe(201);
    const { url, token } = json<{ url: string; token: string }>(res);
    expect(url).toContain(`/ical/${room}.ics?token=`);
    const feed = await t.app.inject({ method: 'GET', url: `/ical/${room}.ics?token=${encodeURIComponent(token)}` });
    expect(feed.statusCode).toBe(200);
    expect(feed.headers['content-type']).toContain('text/calendar');
    expect(feed.body.match(/BEGIN:VEVENT/g)).toHaveLength(2);
    expect(feed.body).toContain('DTSTART:20270309T090000Z');
    expect(feed.body).toContain('STATUS:CANCELLED');
    expect(feed.body).toContain('SUMMARY:Review');
    expect((await t.app.inject({ method: 'GET', url: `/ical/${room}.ics?token=${encodeURIComponent(token)}x` })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: `/ical/${calId}.ics?token=${encodeURIComponent(token)}` })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: `/ical/${room}.ics` })).statusCode).toBe(404);
    // A new token retires the old one.
    await call('POST', `/calendars/${room}/ics-token`, roles.admin);
    expect((await t.app.inject({ method: 'GET', url: `/ical/${room}.ics?token=${encodeURIComponent(token)}` })).statusCode).toBe(404);
  });

  it('tools: the same tool call books once; a clash lists the alternatives; update, cancel and free slots by name', async () => {
    const tools = calendarTools(t.ctx.services.calendars);
    const byName = (n: string) => tools.find((d) => d.name === n)!;
    expect(tools.map((d) => t.ctx.services.tools.get(d.name)?.name)).toEqual(tools.map((d) => d.name));
    const ctx = toolContext({ app: t.ctx, orgId: roles.owner.orgId });
    const input = byName('calendar_create_event').inputSchema.parse({ calendar: 'Dr. Berg', title: 'Booked by agent', start: at('08:00', '2027-03-10') });
    const first = (await byName('calendar_create_event').execute(input, ctx)) as { eventId: string; created: boolean; reminders: string[]; end: string };
    const again = (await byName('calendar_create_event').execute(input, ctx)) as { eventId: string; created: boolean };
    expect(again).toMatchObject({ eventId: first.eventId, created: false });
    expect(first).toMatchObject({ created: true, end: at('08:30', '2027-03-10'), reminders: [at('08:00', '2027-03-09'), at('07:00', '2027-03-10')] });
    const list = json<{ items: CalEvent[] }>(await call('GET', `/calendars/${calId}/events?from=${at('00:00', '2027-03-10')}&to=${at('23:59', '2027-03-10')}`, roles.viewer));
    expect(list.items.map((e) => e.title)).toEqual(['Booked by agent']);

    const other = toolContext({ app: t.ctx, orgId: roles.owner.orgId });
    const err = await byName('calendar_create_event').execute(input, other).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect((err as ToolError).code).toBe('conflict');
    expect((err as ToolError).message).toContain('Booked by agent');
    expect((err as ToolError).message).toContain(at('08:30', '2027-03-10'));
    const moved = (await byName('calendar_create_event').execute({ ...(input as Record<string, unknown>), onConflict: 'next_slot' }, toolContext({ app: t.ctx, orgId: roles.owner.orgId }))) as { start: string; moved: boolean };
    expect(moved).toMatchObject({ start: at('08:30', '2027-03-10'), moved: true });

    const slots = (await byName('calendar_find_slots').execute(byName('calendar_find_slots').inputSchema.parse({ calendar: 'Dr. Berg', from: at('08:00', '2027-03-10'), count: 2 }), ctx)) as { slots: { start: string }[] };
    expect(slots.slots.map((s) => s.start)).toEqual([at('09:00', '2027-03-10'), at('09:30', '2027-03-10')]);
    const updated = (await byName('calendar_update_event').execute(byName('calendar_update_event').inputSchema.parse({ eventId: first.eventId, start: at('09:00', '2027-03-10') }), ctx)) as { start: string };
    expect(updated.start).toBe(at('09:00', '2027-03-10'));
    expect(await byName('calendar_cancel_event').execute({ eventId: first.eventId }, ctx)).toEqual({ eventId: first.eventId, status: 'cancelled' });
    // Another organization's calendar and event are not found.
    const stranger = toolContext({ app: t.ctx, orgId: roles.stranger.orgId });
    expect(((await byName('calendar_create_event').execute(input, stranger).catch((e: unknown) => e)) as ToolError).code).toBe('not_found');
    expect(((await byName('calendar_cancel_event').execute({ eventId: first.eventId }, stranger).catch((e: unknown) => e)) as ToolError).code).toBe('not_found');

    const context = await t.ctx.services.calendars.contextOf(roles.owner.orgId, { from: new Date(at('00:00', '2027-03-10')), to: new Date(at('23:59', '2027-03-10')) });
    const berg = context.calendars.find((c) => c.name === 'Dr. Berg')!;
    expect(berg).toMatchObject({ timeZone: 'Europe/Berlin', workingHours: { mon: [{ start: '09:00', end: '17:00' }] } });
    expect(berg.busy.map((b) => b.start)).toEqual([at('08:30', '2027-03-10')]);
  });
});

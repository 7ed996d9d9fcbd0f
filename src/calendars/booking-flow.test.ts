import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, json, seedRoles, type Member, type TestApp } from '../../test/helpers/app.js';
import type { DbKind } from '../../test/helpers/databases.js';
import { startProviderStub, type ProviderStub } from '../../test/helpers/provider-stub.js';
import { decodedMail, startSmtpSink, waitForMail } from '../../test/helpers/smtp-sink.js';

/**
 * Issue 16's booking flow at the calendar's end, through the real run engine and tool layer: an
 * agent (the model a provider stub) books a booking form's request with calendar_create_event, and
 * the event gets two reminders and a confirmation mail with an invitation; a second request for a
 * taken time is refused with the alternatives, which the model reads and books instead.
 * (The decision that chooses the action is the decisions module's; this is what its action does.)
 */
interface Run {
  id: string;
  status: string;
}
interface CalEvent {
  id: string;
  title: string;
  startAt: string;
  reminders: { kind: string; offsetMinutes: number | null; status: string; mail: string | null }[];
}

describe.each(['postgres', 'pglite'] as DbKind[])('the booking flow on %s', (kind) => {
  let t: TestApp;
  let stub: ProviderStub;
  let sink: Awaited<ReturnType<typeof startSmtpSink>>;
  let roles: Awaited<ReturnType<typeof seedRoles>>;
  let agentId: string;
  let calendarId: string;

  const call = (method: 'GET' | 'POST', url: string, who: Member, payload?: unknown) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { ...who.headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }) });
  const run = async (task: string) => {
    const res = await call('POST', `/agents/${agentId}/execute?wait=true`, roles.owner, { task });
    expect(res.statusCode, res.body).toBe(200);
    return json<Run>(res);
  };
  const eventsOn = async (day: string) =>
    json<{ items: CalEvent[] }>(await call('GET', `/calendars/${calendarId}/events?from=${day}T00:00:00Z&to=${day}T23:59:00Z`, roles.viewer)).items.filter((e) => e.title.startsWith('Consultation'));

  beforeAll(async () => {
    stub = await startProviderStub();
    sink = await startSmtpSink();
    t = await createTestApp(kind, { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: `${stub.url}/v1`, SMTP_URL: `smtp://127.0.0.1:${sink.port}`, SMTP_FROM: 'Front desk <desk@example.com>' });
    roles = await seedRoles(t.ctx);
    const agent = await call('POST', '/agents', roles.owner, { name: 'Booker', model: 'openai:gpt-4o-mini', instructions: 'Book requests from the booking form.', tools: ['calendar_create_event'] });
    expect(agent.statusCode, agent.body).toBe(201);
    agentId = json<{ id: string }>(agent).id;
    const cal = await call('POST', '/calendars', roles.admin, { name: 'Front desk', timeZone: 'Europe/Berlin' });
    calendarId = json<{ id: string }>(cal).id;
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([stub.close(), sink.close()]);
  });

  it('books the form’s request with two reminders and a confirmation; a taken time gets the alternatives and the model books one', async () => {
    const ann = `ann-${randomUUID().slice(0, 8)}@example.com`;
    // Monday 2027-03-01 11:00 in Berlin (10:00Z).
    const book = (start: string, email: string) => ({ name: 'calendar_create_event', args: { calendar: 'Front desk', title: `Consultation: ${email}`, start, attendees: [{ email }] } });
    stub.enqueue({ toolCalls: [book('2027-03-01T10:00:00Z', ann)] }, { text: 'Booked for Monday 11:00.' });
    expect((await run(`Booking form: ${ann} wants Monday 1 March 2027, 11:00`)).status).toBe('succeeded');
    const [first] = await eventsOn('2027-03-01');
    expect(first).toMatchObject({ startAt: '2027-03-01T10:00:00.000Z' });
    const detail = json<CalEvent>(await call('GET', `/calendar-events/${first!.id}`, roles.viewer));
    expect(detail.reminders.filter((r) => r.kind === 'reminder').map((r) => r.offsetMinutes)).toEqual([1440, 60]);
    // The app's own processor (as in `troupe serve`) mails the confirmation with the invitation.
    await waitForMail(sink.messages, 1);
    const mail = decodedMail(sink.messages[0]!.data);
    expect(sink.messages[0]!.to).toEqual([ann]);
    expect(mail).toContain('Subject: Confirmed: Consultation');
    expect(mail).toContain('method=REQUEST');

    // Bob asks for the same time: the tool refuses with the alternatives; the model takes the first.
    const bob = `bob-${randomUUID().slice(0, 8)}@example.com`;
    stub.enqueue({ toolCalls: [book('2027-03-01T10:00:00Z', bob)] }, { toolCalls: [book('2027-03-01T10:30:00Z', bob)] }, { text: 'Booked for 11:30 instead.' });
    const before = stub.requests.length;
    expect((await run(`Booking form: ${bob} wants Monday 1 March 2027, 11:00`)).status).toBe('succeeded');
    const refused = JSON.stringify(stub.requests[before + 1]!.body);
    expect(refused).toContain('clashes with');
    expect(refused).toContain('2027-03-01T10:30:00.000Z');
    expect((await eventsOn('2027-03-01')).map((e) => [e.title, e.startAt])).toEqual([
      [`Consultation: ${ann}`, '2027-03-01T10:00:00.000Z'],
      [`Consultation: ${bob}`, '2027-03-01T10:30:00.000Z'],
    ]);
    await waitForMail(sink.messages, 2);
    expect(sink.messages.filter((m) => m.to.includes(bob))).toHaveLength(1);
  });
});

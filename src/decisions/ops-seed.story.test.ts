import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json } from '../../test/helpers/app.js';
import { decodedMail } from '../../test/helpers/smtp-sink.js';
import { startReceiver, useDecisionApi, type Decision } from './decisions.test-helpers.js';

/**
 * The ops seed's two flows end to end (issue 16; seeds/004 §5), from a form post at a webhook
 * endpoint through a trigger to a decision and its actions, with the model a provider stub:
 * 1. a contact form → SALES_INQUIRY at 0.9 → assigned in "Sales Inquiries" to the least loaded sales
 *    person, who is notified, and the automation webhook called once; the same at 0.4 → a person
 *    approves → executed once; the model down → a rule decision;
 * 2. a booking form → a calendar event with two reminders and a confirmation mail; a booking for a
 *    taken time → the next free slot.
 */
describe('the ops seed, end to end', () => {
  const api = useDecisionApi('postgres', ['pipeline_assign', 'notify_staff', 'send_webhook', 'calendar_create_event'], { smtp: true });
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let endpoint: { id: string; secret: string };
  let pipelineId: string;
  let calendarId: string;
  let seller: { id: string };

  const post = (form: Record<string, string>) =>
    api.t.app.inject({ method: 'POST', url: `/hooks/${endpoint.id}`, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-webhook-token': endpoint.secret }, payload: new URLSearchParams(form).toString() });
  /** The decision the trigger made of a form post (waits until it rests). */
  async function decisionOf(form: Record<string, string>): Promise<Decision> {
    const res = await post(form);
    expect(res.statusCode, res.body).toBe(202);
    const eventId = json<{ eventId: string }>(res).eventId;
    let id = '';
    await expect
      .poll(async () => {
        const fires = json<{ fires: { status: string; runId: string | null }[] }>(await api.call('GET', `/events/${eventId}`, api.roles.admin)).fires;
        id = fires.find((f) => f.runId)?.runId ?? '';
        return id;
      }, { timeout: 15_000 })
      .not.toBe('');
    return api.until(id, (d) => !['pending', 'approved'].includes(d.status));
  }
  const answer = (a: Record<string, unknown>) => ({ text: JSON.stringify(a) });
  const sales = (confidence: number) =>
    answer({
      intent: 'SALES_INQUIRY',
      urgency: 3,
      confidence,
      reasoning: 'Asks for pricing.',
      actions: [
        { type: 'ASSIGN_PIPELINE', params: { pipeline: 'Sales Inquiries', assigneeRole: 'sales' } },
        { type: 'SEND_NOTIFICATION', params: { to: 'assignee', title: 'New sales inquiry' } },
        { type: 'TRIGGER_AUTOMATION', params: { event: 'intake_assigned' } },
      ],
    });
  const items = async () => json<{ items: { id: string; assignee: { id: string } | null; title: string }[] }>(await api.call('GET', `/pipelines/${pipelineId}/items?limit=100`, api.roles.admin)).items;

  beforeAll(async () => {
    const { roles } = api;
    receiver = await startReceiver();
    await api.policy({ automationUrl: receiver.url, requireApprovalThreshold: 0.3 });
    // The organization: sales staff (one busy), the pipelines, a calendar, classification rules.
    const staff = async (name: string, extra: Record<string, unknown>) => json<{ id: string }>(await api.call('POST', '/staff', roles.admin, { name, roles: ['sales'], ...extra }));
    const busy = await staff('Busy Seller', { email: 'busy@example.com' });
    seller = await staff('Free Seller', { userId: roles.member.userId });
    pipelineId = json<{ id: string }>(await api.call('POST', '/pipelines', roles.admin, { name: 'Sales Inquiries', stages: [{ name: 'New' }, { name: 'Won', kind: 'done' }], assignment: { mode: 'least_load', role: 'sales' } })).id;
    await api.call('POST', '/pipelines', roles.admin, { name: 'Support Requests', stages: [{ name: 'New' }] });
    expect((await api.call('POST', `/pipelines/${pipelineId}/items`, roles.admin, { title: 'Earlier lead', assigneeId: busy.id })).statusCode).toBe(201);
    const cal = await api.call('POST', '/calendars', roles.admin, { name: 'Consultations', timeZone: 'UTC' });
    expect(cal.statusCode, cal.body).toBe(201);
    calendarId = json<{ id: string }>(cal).id;
    await api.call('POST', '/classification-rules', roles.admin, { label: 'SALES_INQUIRY', keywords: ['pricing', 'quote'] });
    // The contact form's endpoint, and the trigger that has the agent decide on each submission.
    endpoint = json<{ id: string; secret: string }>(await api.call('POST', '/webhooks', roles.admin, { name: 'Website forms', eventType: 'form.submitted', verification: 'token' }));
    const trig = await api.call('POST', '/triggers', roles.admin, { name: 'Decide on forms', eventType: 'form.submitted', decisionAgentId: api.agentId, decisionType: 'intake' });
    expect(trig.statusCode, trig.body).toBe(201);
  });
  afterAll(() => receiver?.close());

  it('contact form at 0.9: assigned to the least loaded sales person, who is notified; the automation called once', async () => {
    api.stub.reset();
    api.stub.enqueue(sales(0.9));
    const d = await decisionOf({ name: 'Ada', email: 'ada@example.com', message: 'What is your pricing?' });
    expect(d, JSON.stringify(d)).toMatchObject({ status: 'executed', source: 'model', intent: 'SALES_INQUIRY', outcome: 'execute' });
    expect(d.actionResults.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const mine = (await items()).filter((i) => i.assignee?.id === seller.id);
    expect(mine).toHaveLength(1);
    const notes = json<{ items: { title: string }[] }>(await api.call('GET', '/notifications', api.roles.member)).items;
    expect(notes.filter((n) => n.title === 'New sales inquiry')).toHaveLength(1);
    expect(receiver.bodies.filter((b) => b.decisionId === d.id)).toHaveLength(1);
    expect(receiver.bodies.find((b) => b.decisionId === d.id)).toMatchObject({ event: 'intake_assigned', input: { source: 'webhook', type: 'form.submitted', data: { name: 'Ada' } } });
    // The record names its event and trigger.
    expect(json<{ eventId: string | null; triggerId: string | null }>(await api.call('GET', `/decisions/${d.id}`, api.roles.viewer)).eventId).not.toBeNull();
  });

  it('the same at 0.4: waits for a person; approved, it is executed once', async () => {
    api.stub.reset();
    api.stub.enqueue(sales(0.4));
    const before = { items: (await items()).length, hooks: receiver.bodies.length };
    const d = await decisionOf({ name: 'Bo', email: 'bo@example.com', message: 'pricing, maybe?' });
    expect(d).toMatchObject({ status: 'awaiting_approval', outcome: 'ask' });
    expect((await items()).length).toBe(before.items);
    expect((await api.call('POST', `/decisions/${d.id}/approve`, api.roles.member, {})).statusCode).toBe(200);
    const done = await api.until(d.id, (x) => x.status === 'executed' || x.status === 'failed');
    expect(done.status, JSON.stringify(done.actionResults)).toBe('executed');
    expect((await items()).length).toBe(before.items + 1);
    expect(receiver.bodies.length - before.hooks).toBe(1);
    expectOnce(await api.call('POST', `/decisions/${d.id}/approve`, api.roles.member, {}));
  });

  it('the model down: the rules decide', async () => {
    api.stub.reset();
    api.stub.enqueue({ status: 503, text: 'overloaded' });
    const d = await decisionOf({ name: 'Cy', email: 'cy@example.com', message: 'Please send a quote' });
    expect(d).toMatchObject({ source: 'rules', intent: 'SALES_INQUIRY' });
    expect(d.modelError).toBeTruthy();
  });

  it('a booking form: a calendar event with two reminders and a confirmation mail; a taken time gets the next free slot', async () => {
    const day = new Date(Date.now() + 3 * 86_400_000);
    while ([0, 6].includes(day.getUTCDay())) day.setUTCDate(day.getUTCDate() + 1);
    const at = `${day.toISOString().slice(0, 10)}T10:00:00Z`;
    const book = (email: string, onConflict?: string) =>
      answer({ intent: 'BOOKING', confidence: 0.95, actions: [{ type: 'CREATE_EVENT', params: { calendar: 'Consultations', title: `Consultation ${email}`, start: at, durationMinutes: 30, attendees: [{ email }], ...(onConflict ? { onConflict } : {}) } }] });
    api.stub.reset();
    api.stub.enqueue(book('guest@example.com'));
    const first = await decisionOf({ kind: 'booking', email: 'guest@example.com', date: at });
    expect(first.status, JSON.stringify(first)).toBe('executed');
    const created = first.actionResults[0]!.output as { eventId: string; start: string; reminders: string[] };
    expect(created.start).toBe(new Date(at).toISOString());
    expect(created.reminders).toHaveLength(2);
    await expect.poll(() => api.sink.messages.some((m) => m.to.includes('guest@example.com'))).toBe(true);
    expect(api.sink.messages.some((m) => m.to.includes('guest@example.com') && /Consultation/.test(decodedMail(m.data))), JSON.stringify(api.sink.messages.map((m) => [m.to, decodedMail(m.data).slice(0, 300)]))).toBe(true);
    // The same time again: the calendar's next free slot.
    api.stub.enqueue(book('other@example.com', 'next_slot'));
    const second = await decisionOf({ kind: 'booking', email: 'other@example.com', date: at });
    expect(second.status).toBe('executed');
    const moved = second.actionResults[0]!.output as { start: string; moved: boolean };
    expect(moved.moved).toBe(true);
    expect(Date.parse(moved.start)).toBeGreaterThanOrEqual(Date.parse(at) + 30 * 60_000);
    const events = json<{ items: { title: string }[] }>(await api.call('GET', `/calendars/${calendarId}/events?from=${day.toISOString().slice(0, 10)}T00:00:00Z&to=${day.toISOString().slice(0, 10)}T23:59:00Z`, api.roles.viewer)).items;
    expect(events.filter((e) => e.title.startsWith('Consultation'))).toHaveLength(2);
  });
});

function expectOnce(res: { statusCode: number }) {
  expect(res.statusCode).toBe(409);
}

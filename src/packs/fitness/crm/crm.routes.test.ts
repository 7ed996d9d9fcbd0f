import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedRoles, type Member, type TestApp } from '../../../../test/helpers/app.js';
import { fitnessContacts } from './schema.js';

let t: TestApp;
let roles: Awaited<ReturnType<typeof seedRoles>>;

beforeAll(async () => {
  t = await createTestApp('postgres');
  roles = await seedRoles(t.ctx);
});
afterAll(() => t.close());

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
type Row = Record<string, unknown> & { id: string };
interface Page {
  items: Row[];
  total: number;
  nextCursor: string | null;
}
const call = (method: Method, url: string, who: Member | null, payload?: object) =>
  t.app.inject({ method, url: `/api/v1/fitness${url}`, headers: who?.headers ?? {}, ...(payload ? { payload } : {}) });

async function post(path: string, body: object, who: Member = roles.member): Promise<Row> {
  const res = await call('POST', path, who, body);
  expect(res.statusCode, res.body).toBe(201);
  return json<Row>(res);
}
async function patch(path: string, body: object, who: Member = roles.member): Promise<Row> {
  const res = await call('PATCH', path, who, body);
  expect(res.statusCode, res.body).toBe(200);
  return json<Row>(res);
}
async function list(path: string, who: Member = roles.viewer): Promise<Page> {
  const res = await call('GET', path, who);
  expect(res.statusCode, res.body).toBe(200);
  return json<Page>(res);
}
const field400 = (res: Parameters<typeof expectProblem>[0]) => expectProblem(res, 400).errors?.[0]?.path;

let seq = 0;
const contact = (body: Record<string, unknown> = {}, who?: Member) => post('/contacts', { firstName: `Person${++seq}`, ...body }, who);

describe('contacts', () => {
  it('creates a lead with the documented defaults, reads it back, and turns it into a member', async () => {
    const c = await contact({ firstName: '  Jane ', lastName: 'Doe', email: 'Jane.Doe@Example.com', phone: '+1 (555) 010-0199', tags: ['VIP', 'vip', 'Morning'] });
    expect(c).toMatchObject({
      firstName: 'Jane',
      lastName: 'Doe',
      email: 'jane.doe@example.com',
      status: 'lead',
      kind: 'lead',
      tags: ['vip', 'morning'],
      emailConsent: false,
      emailConsentAt: null,
      optedOut: false,
      joinedAt: null,
      visits30d: 0,
      orgId: roles.owner.orgId,
      createdBy: roles.member.userId,
    });
    expect(json(await call('GET', `/contacts/${c.id}`, roles.viewer))).toEqual(c);

    const member = await patch(`/contacts/${c.id}`, { status: 'active', emailConsent: true });
    expect(member).toMatchObject({ status: 'active', kind: 'member', emailConsent: true });
    expect(Date.parse(member.joinedAt as string)).toBeGreaterThan(Date.now() - 60_000);
    expect(Date.parse(member.emailConsentAt as string)).toBeGreaterThan(Date.now() - 60_000);
    // Unchanged consent keeps its time; null clears a nullable field.
    const again = await patch(`/contacts/${c.id}`, { emailConsent: true, phone: null });
    expect(again.emailConsentAt).toBe(member.emailConsentAt);
    expect(again.phone).toBeNull();
    expect(again.joinedAt).toBe(member.joinedAt);
  });

  it('refuses bad input with 400 naming the field', async () => {
    expect(field400(await call('POST', '/contacts', roles.member, { lastName: 'No first name' }))).toBe('body.firstName');
    expect(field400(await call('POST', '/contacts', roles.member, { firstName: 'A', email: 'not-an-email' }))).toBe('body.email');
    expect(field400(await call('POST', '/contacts', roles.member, { firstName: 'A', status: 'vip' }))).toBe('body.status');
    expect(field400(await call('POST', '/contacts', roles.member, { firstName: 'A', phone: 'call me' }))).toBe('body.phone');
    expect(field400(await call('POST', '/contacts', roles.member, { firstName: 'A', dateOfBirth: '1990-02-30' }))).toBe('body.dateOfBirth');
    expect(field400(await call('POST', '/contacts', roles.member, { firstName: 'A', leadStageId: 'nope' }))).toBe('body.leadStageId');
    expect(expectProblem(await call('POST', '/contacts', roles.member, { firstName: 'A', nickname: 'x' }), 400).detail).toMatch(/nickname/);
    expect(field400(await call('GET', '/contacts?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', roles.viewer))).toBe('querystring.to');
    expect(field400(await call('GET', '/contacts?status=lead,vip', roles.viewer))).toBe('querystring.status');
    expect(field400(await call('GET', '/contacts?cursor=garbage', roles.viewer))).toBe('querystring.cursor');
  });

  it('keeps emails and external ids unique in the organization (any case), not across organizations', async () => {
    await contact({ email: 'unique@example.com', externalId: 'EXT-1' });
    const dup = await call('POST', '/contacts', roles.member, { firstName: 'B', email: 'UNIQUE@example.com' });
    expect(expectProblem(dup, 409)).toMatchObject({ code: 'contact_email_taken', errors: [{ path: 'body.email' }] });
    expect(expectProblem(await call('POST', '/contacts', roles.member, { firstName: 'B', externalId: 'EXT-1' }), 409).code).toBe('contact_external_id_taken');
    await contact({ email: 'unique@example.com', externalId: 'EXT-1' }, roles.stranger);
  });

  it('lets viewers read, members write, and only admins delete', async () => {
    const c = await contact();
    expect(expectProblem(await call('POST', '/contacts', roles.viewer, { firstName: 'V' }), 403).code).toBe('insufficient_role');
    expectProblem(await call('PATCH', `/contacts/${c.id}`, roles.viewer, { lastName: 'X' }), 403);
    expectProblem(await call('DELETE', `/contacts/${c.id}`, roles.member), 403);
    expectProblem(await call('GET', '/contacts', null), 401);
    expect((await call('DELETE', `/contacts/${c.id}`, roles.admin)).statusCode).toBe(204);
    expectProblem(await call('GET', `/contacts/${c.id}`, roles.viewer), 404);
  });

  it("answers 404 for another organization's contact, and refuses to point at it", async () => {
    const c = await contact({ email: 'mine@example.com' });
    for (const [method, body] of [['GET'], ['PATCH', { lastName: 'Taken' }], ['DELETE']] as [Method, object?][]) {
      expect(expectProblem(await call(method, `/contacts/${c.id}`, roles.stranger, body), 404).code).toBe('not_found');
    }
    expectProblem(await call('GET', '/contacts/not-a-uuid', roles.viewer), 404);
    expectProblem(await call('GET', `/contacts/${randomUUID()}`, roles.viewer), 404);
    expect((await list('/contacts?q=mine', roles.stranger)).total).toBe(0);
    const note = await call('POST', '/notes', roles.stranger, { contactId: c.id, body: 'hello' });
    expect(expectProblem(note, 400).errors).toEqual([{ path: 'body.contactId', message: 'no contact with this id in this organization' }]);
    expect(json<Row>(await call('GET', `/contacts/${c.id}`, roles.viewer)).lastName).toBe('');
    // The second wall: row-level security hides the row from another organization's scope even
    // when a query forgets its own org_id filter.
    const unscoped = await t.ctx.database.withOrg(roles.stranger.orgId, (tx) => tx.select().from(fitnessContacts).where(eq(fitnessContacts.id, c.id)));
    expect(unscoped).toEqual([]);
  });

  it('filters by status, kind, tag, consent and visits, searches, sorts and pages', async () => {
    const tag = `t${randomUUID().slice(0, 8)}`;
    const made = [
      await contact({ firstName: 'Zed', lastName: 'Alpha', status: 'active', tags: [tag], email: `zed.alpha@${tag}.example`, emailConsent: true }),
      await contact({ firstName: 'Amy', lastName: 'Bravo', status: 'trial', tags: [tag], phone: '+44 20 7946 0958' }),
      await contact({ firstName: 'Mia', lastName: 'Charlie', status: 'frozen', tags: [tag], emailConsent: true, optedOut: true }),
      await contact({ firstName: 'Bob', lastName: 'Delta', status: 'lead', tags: [tag], lastVisitAt: '2020-01-01T00:00:00Z' }),
    ];
    const names = (p: Page) => p.items.map((c) => c.firstName);
    expect(names(await list(`/contacts?tag=${tag.toUpperCase()}&sortBy=name&sortOrder=asc`))).toEqual(['Amy', 'Bob', 'Mia', 'Zed']);
    expect(names(await list(`/contacts?tag=${tag}&status=active,frozen&sortBy=name&sortOrder=asc`))).toEqual(['Mia', 'Zed']);
    expect(names(await list(`/contacts?tag=${tag}&kind=lead&sortBy=name&sortOrder=asc`))).toEqual(['Amy', 'Bob']);
    expect(names(await list(`/contacts?tag=${tag}&consent=email`))).toEqual(['Zed']);
    expect(names(await list(`/contacts?tag=${tag}&visitedSince=2019-01-01T00:00:00Z`))).toEqual(['Bob']);
    expect((await list(`/contacts?tag=${tag}&notVisitedSince=2021-01-01T00:00:00Z`)).total).toBe(4);
    // Text search: word prefixes of names, email parts, phone digits.
    expect(names(await list(`/contacts?q=zed alp`))).toEqual(['Zed']);
    expect(names(await list(`/contacts?q=${tag}`))).toEqual(['Zed']);
    expect(names(await list(`/contacts?q=zed.alpha@${tag}`))).toEqual(['Zed']);
    expect(names(await list('/contacts?q=%2B44 20 79'))).toEqual(['Amy']);
    expect((await list('/contacts?q=%27%3B%20drop%20table%20x%3B%20--%20%5C')).total).toBe(0);
    // Cursor pages and offsets see the same order.
    const first = await list(`/contacts?tag=${tag}&sortBy=name&sortOrder=desc&limit=3`);
    expect(first.total).toBe(4);
    expect(names(first)).toEqual(['Zed', 'Mia', 'Bob']);
    const second = await list(`/contacts?tag=${tag}&sortBy=name&sortOrder=desc&limit=3&cursor=${first.nextCursor}`);
    expect([names(second), second.nextCursor]).toEqual([['Amy'], null]);
    expect(names(await list(`/contacts?tag=${tag}&sortBy=name&sortOrder=desc&limit=2&offset=2`))).toEqual(['Bob', 'Amy']);
    expect(made).toHaveLength(4);
  });
});

describe('staff and lead stages', () => {
  it('keeps staff emails unique and filters by role', async () => {
    const trainer = await post('/staff', { name: 'Tara Trainer', email: 'tara@gym.example', role: 'trainer' });
    expect(trainer).toMatchObject({ role: 'trainer', active: true, phone: null, userId: null });
    expect(expectProblem(await call('POST', '/staff', roles.member, { name: 'Other', email: 'TARA@gym.example', role: 'sales' }), 409).code).toBe('staff_email_taken');
    expect(field400(await call('POST', '/staff', roles.member, { name: 'Nope', role: 'janitor' }))).toBe('body.role');
    expect((await list('/staff?role=trainer&q=tara')).items.map((s) => s.id)).toEqual([trainer.id]);
  });

  it('orders stages by position, refuses won-and-lost, and a deleted stage leaves its contacts', async () => {
    const won = await post('/lead-stages', { name: 'Joined', position: 3, isWon: true });
    const fresh = await post('/lead-stages', { name: 'New', position: 1 });
    expect(field400(await call('POST', '/lead-stages', roles.member, { name: 'Odd', isWon: true, isLost: true }))).toBe('body.isLost');
    expect(field400(await call('PATCH', `/lead-stages/${won.id}`, roles.member, { isLost: true }))).toBe('body.isLost');
    expect(expectProblem(await call('POST', '/lead-stages', roles.member, { name: 'new' }), 409).code).toBe('lead_stage_name_taken');
    const names = (await list('/lead-stages')).items.map((s) => s.name);
    expect(names.indexOf('New')).toBeLessThan(names.indexOf('Joined'));
    const lead = await contact({ leadStageId: fresh.id });
    expect((await list(`/contacts?leadStageId=${fresh.id}`)).items.map((c) => c.id)).toEqual([lead.id]);
    expect((await call('DELETE', `/lead-stages/${fresh.id}`, roles.admin)).statusCode).toBe(204);
    expect(json<Row>(await call('GET', `/contacts/${lead.id}`, roles.viewer)).leadStageId).toBeNull();
  });
});

describe('plans, subscriptions and payments', () => {
  it('copies the plan terms into a subscription, stamps cancellations, and keeps a used plan', async () => {
    const plan = await post('/plans', { name: `Monthly ${++seq}`, priceMicros: 49_990_000 });
    expect(plan).toMatchObject({ currency: 'USD', billingInterval: 'month', intervalCount: 1, active: true });
    const member = await contact({ status: 'active' });
    const sub = await post('/subscriptions', { contactId: member.id, planId: plan.id, startedAt: '2026-01-15T10:00:00Z' });
    expect(sub).toMatchObject({ status: 'active', priceMicros: 49_990_000, currency: 'USD', billingInterval: 'month', intervalCount: 1, startedAt: '2026-01-15T10:00:00.000Z', cancelledAt: null });
    await patch(`/plans/${plan.id}`, { priceMicros: 59_990_000 });
    const cancelled = await patch(`/subscriptions/${sub.id}`, { status: 'cancelled', cancelReason: 'moved away' });
    expect(cancelled).toMatchObject({ priceMicros: 49_990_000, status: 'cancelled', cancelReason: 'moved away' });
    expect(Date.parse(cancelled.cancelledAt as string)).toBeGreaterThan(Date.now() - 60_000);
    expect(field400(await call('PATCH', `/subscriptions/${sub.id}`, roles.member, { cancelledAt: '2025-01-01T00:00:00Z' }))).toBe('body.cancelledAt');
    expect(expectProblem(await call('DELETE', `/plans/${plan.id}`, roles.admin), 409).code).toBe('in_use');
    expect(field400(await call('POST', '/plans', roles.member, { name: 'Bad', priceMicros: 9.99 }))).toBe('body.priceMicros');
    expect(field400(await call('POST', '/plans', roles.member, { name: 'Bad', priceMicros: 1, currency: 'dollars' }))).toBe('body.currency');
    expect((await list(`/subscriptions?contactId=${member.id}&status=cancelled`)).total).toBe(1);
  });

  it('keeps payments and refunds consistent', async () => {
    const payer = await contact({ status: 'active' });
    const other = await contact();
    const plan = await post('/plans', { name: `Weekly ${++seq}`, priceMicros: 15_000_000, billingInterval: 'week' });
    const sub = await post('/subscriptions', { contactId: payer.id, planId: plan.id });
    const paid = await post('/payments', { contactId: payer.id, subscriptionId: sub.id, amountMicros: 15_000_000, paidAt: '2026-02-01T09:00:00Z' });
    expect(paid).toMatchObject({ status: 'succeeded', refundedMicros: 0, method: 'card', currency: 'USD' });
    expect(await patch(`/payments/${paid.id}`, { status: 'refunded' })).toMatchObject({ status: 'refunded', refundedMicros: 15_000_000 });
    expect(await patch(`/payments/${paid.id}`, { status: 'partially_refunded', refundedMicros: 5_000_000 })).toMatchObject({ refundedMicros: 5_000_000 });
    expect(field400(await call('PATCH', `/payments/${paid.id}`, roles.member, { refundedMicros: 20_000_000 }))).toBe('body.refundedMicros');
    expect(field400(await call('POST', '/payments', roles.member, { contactId: payer.id, amountMicros: 1_000_000, status: 'partially_refunded' }))).toBe('body.refundedMicros');
    expect(field400(await call('POST', '/payments', roles.member, { contactId: payer.id, amountMicros: -1 }))).toBe('body.amountMicros');
    const wrongOwner = await call('POST', '/payments', roles.member, { contactId: other.id, subscriptionId: sub.id, amountMicros: 1_000_000 });
    expect(field400(wrongOwner)).toBe('body.subscriptionId');
    await post('/payments', { contactId: payer.id, amountMicros: 2_000_000, status: 'failed', failureReason: 'card declined', paidAt: '2026-03-05T09:00:00Z' });
    const feb = await list(`/payments?contactId=${payer.id}&from=2026-02-01T00:00:00Z&to=2026-02-28T23:59:59Z`);
    expect(feb.items.map((p) => p.id)).toEqual([paid.id]);
    expect((await list(`/payments?contactId=${payer.id}&status=failed`)).items[0]).toMatchObject({ failureReason: 'card declined' });
    expect((await list(`/payments?contactId=${payer.id}&sortBy=amountMicros&sortOrder=asc`)).items.map((p) => p.amountMicros)).toEqual([2_000_000, 15_000_000]);
    // Deleting the subscription keeps its payments (money records), unlinked.
    expect((await call('DELETE', `/subscriptions/${sub.id}`, roles.admin)).statusCode).toBe(204);
    expect(json<Row>(await call('GET', `/payments/${paid.id}`, roles.viewer)).subscriptionId).toBeNull();
  });
});

describe('classes, sessions, bookings and check-ins', () => {
  it('fills a session from its class, counts places, refuses a full or duplicate booking, and moves bookings with it', async () => {
    const cls = await post('/classes', { name: `Spin ${++seq}`, category: 'cardio', defaultCapacity: 2, durationMinutes: 45 });
    const coach = await post('/staff', { name: 'Coach', role: 'trainer' });
    const session = await post('/sessions', { classId: cls.id, startsAt: '2026-06-01T07:00:00Z', instructorId: coach.id, room: 'Studio 1' });
    expect(session).toMatchObject({ capacity: 2, endsAt: '2026-06-01T07:45:00.000Z', booked: 0, status: 'scheduled' });
    const [a, b, c] = [await contact(), await contact(), await contact()];
    const first = await post('/bookings', { contactId: a.id, sessionId: session.id });
    expect(first).toMatchObject({ kind: 'class', status: 'booked', startsAt: '2026-06-01T07:00:00.000Z' });
    expect(expectProblem(await call('POST', '/bookings', roles.member, { contactId: a.id, sessionId: session.id }), 409).code).toBe('already_booked');
    await post('/bookings', { contactId: b.id, sessionId: session.id });
    expect(json<Row>(await call('GET', `/sessions/${session.id}`, roles.viewer)).booked).toBe(2);
    expect(expectProblem(await call('POST', '/bookings', roles.member, { contactId: c.id, sessionId: session.id }), 409).code).toBe('session_full');
    const cancelled = await patch(`/bookings/${first.id}`, { status: 'cancelled' });
    expect(cancelled.cancelledAt).not.toBeNull();
    await post('/bookings', { contactId: c.id, sessionId: session.id });
    // Re-activating the cancelled place would overfill the session.
    expect(expectProblem(await call('PATCH', `/bookings/${first.id}`, roles.member, { status: 'booked' }), 409).code).toBe('session_full');
    const moved = await patch(`/sessions/${session.id}`, { startsAt: '2026-06-02T18:00:00Z' });
    expect(moved).toMatchObject({ endsAt: '2026-06-02T18:45:00.000Z' });
    expect((await list(`/bookings?sessionId=${session.id}&sortBy=bookedAt`)).items.map((x) => x.startsAt)).toEqual(Array(3).fill('2026-06-02T18:00:00.000Z'));
    expect((await list(`/sessions?classId=${cls.id}&from=2026-06-02T00:00:00Z&to=2026-06-03T00:00:00Z`)).total).toBe(1);
    expect(expectProblem(await call('DELETE', `/classes/${cls.id}`, roles.admin), 409).code).toBe('in_use');
    await patch(`/sessions/${session.id}`, { status: 'cancelled' });
    const late = await contact();
    expect(expectProblem(await call('POST', '/bookings', roles.member, { contactId: late.id, sessionId: session.id }), 409).code).toBe('session_cancelled');
    expect(field400(await call('PATCH', `/sessions/${session.id}`, roles.member, { endsAt: '2026-06-02T17:00:00Z' }))).toBe('body.endsAt');
  });

  it('books trials and tours without a session, and says what is missing', async () => {
    const lead = await contact();
    const tour = await post('/bookings', { contactId: lead.id, kind: 'facility_tour', startsAt: '2026-07-01T16:00:00Z' });
    expect(tour).toMatchObject({ kind: 'facility_tour', sessionId: null, startsAt: '2026-07-01T16:00:00.000Z' });
    expect(field400(await call('POST', '/bookings', roles.member, { contactId: lead.id, kind: 'facility_tour' }))).toBe('body.startsAt');
    expect(field400(await call('POST', '/bookings', roles.member, { contactId: lead.id }))).toBe('body.sessionId');
    expect((await list(`/bookings?contactId=${lead.id}&kind=facility_tour`)).total).toBe(1);
  });

  it("keeps a contact's last visit and 30-day visits in step with check-ins", async () => {
    const regular = await contact({ status: 'active' });
    const recent = new Date(Date.now() - 2 * 86_400_000).toISOString();
    await post('/check-ins', { contactId: regular.id, at: '2020-05-01T08:00:00Z' });
    const latest = await post('/check-ins', { contactId: regular.id, at: recent, source: 'kiosk' });
    await post('/check-ins', { contactId: regular.id });
    let c = json<Row>(await call('GET', `/contacts/${regular.id}`, roles.viewer));
    expect(c.visits30d).toBe(2);
    const now = await list(`/check-ins?contactId=${regular.id}&sortBy=at&sortOrder=desc&limit=1`);
    expect(c.lastVisitAt).toBe(now.items[0]!.at);
    await call('DELETE', `/check-ins/${now.items[0]!.id}`, roles.admin);
    c = json<Row>(await call('GET', `/contacts/${regular.id}`, roles.viewer));
    expect([c.lastVisitAt, c.visits30d]).toEqual([latest.at, 1]);
    expect((await list(`/check-ins?contactId=${regular.id}&source=kiosk`)).total).toBe(1);
  });
});

describe('goals, measurements, workout plans, notes and communications', () => {
  it('stores progress with its rules', async () => {
    const m = await contact({ status: 'active' });
    expect(field400(await call('POST', '/goals', roles.member, { contactId: m.id, kind: 'pr', targetValue: 140 }))).toBe('body.metric');
    const goal = await post('/goals', { contactId: m.id, kind: 'weight', targetValue: 72.5, unit: 'kg', targetDate: '2026-09-01' });
    expect(goal).toMatchObject({ status: 'active', targetDate: '2026-09-01', achievedAt: null });
    expect((await patch(`/goals/${goal.id}`, { status: 'achieved' })).achievedAt).not.toBeNull();
    expect(field400(await call('POST', '/measurements', roles.member, { contactId: m.id }))).toBe('body');
    expect(field400(await call('POST', '/measurements', roles.member, { contactId: m.id, metric: 'back_squat' }))).toBe('body.value');
    expect(field400(await call('POST', '/measurements', roles.member, { contactId: m.id, bodyFatPct: 140 }))).toBe('body.bodyFatPct');
    await post('/measurements', { contactId: m.id, weightKg: 80.2, bodyFatPct: 21.5, measuredAt: '2026-01-01T07:00:00Z' });
    await post('/measurements', { contactId: m.id, metric: 'back_squat', value: 120, unit: 'kg', measuredAt: '2026-02-01T07:00:00Z' });
    expect((await list(`/measurements?contactId=${m.id}&metric=back_squat`)).items[0]).toMatchObject({ value: 120, weightKg: null });
    const plan = await post('/workout-plans', { contactId: m.id, title: '12 weeks', plan: { weeks: [{ days: ['squat', 'rest'] }] }, createdBy: 'agent', runId: randomUUID() });
    expect(plan.plan).toEqual({ weeks: [{ days: ['squat', 'rest'] }] });
    expect((await list(`/workout-plans?contactId=${m.id}&createdBy=agent`)).total).toBe(1);
  });

  it('keeps notes with their author and the communications log by channel', async () => {
    const m = await contact();
    const note = await post('/notes', { contactId: m.id, body: 'Prefers mornings' });
    expect(note).toMatchObject({ createdBy: roles.member.userId, authorStaffId: null });
    expect(field400(await call('POST', '/notes', roles.member, { contactId: m.id, body: '   ' }))).toBe('body.body');
    await post('/communications', { contactId: m.id, channel: 'sms', body: 'See you tomorrow', status: 'sent' });
    await post('/communications', { contactId: m.id, channel: 'email', subject: 'Welcome', direction: 'outbound' });
    await post('/communications', { contactId: m.id, channel: 'call', direction: 'inbound' });
    expect((await list(`/communications?contactId=${m.id}&channel=sms,email`)).total).toBe(2);
    expect((await list(`/communications?contactId=${m.id}&direction=inbound`)).items[0]).toMatchObject({ channel: 'call', status: 'logged' });
    // Deleting a contact takes their records with it.
    expect((await call('DELETE', `/contacts/${m.id}`, roles.admin)).statusCode).toBe(204);
    expectProblem(await call('GET', `/notes/${note.id}`, roles.viewer), 404);
    expect((await list(`/communications?contactId=${m.id}`)).total).toBe(0);
  });
});

/** The CRM's route prefixes under /api/v1/fitness (the pack's tools, analytics and demo add others). */
const CRM_PATHS = /^\/api\/v1\/fitness\/(contacts|staff|lead-stages|plans|subscriptions|payments|classes|sessions|bookings|check-ins|goals|measurements|workout-plans|notes|communications|import|export)(\/|$)/;

describe('the CRM API as a whole', () => {
  it('declares access on every route: viewers read and export, members write and import, admins delete', () => {
    const routes = t.app.accessTable.filter((r) => CRM_PATHS.test(r.url));
    expect(routes.length).toBe(15 * 5 + 3 * 2);
    for (const r of routes) {
      const want = r.method === 'GET' ? 'viewer' : r.method === 'DELETE' ? 'admin' : 'member';
      expect(`${r.method} ${r.url} ${r.access}`).toBe(`${r.method} ${r.url} ${want}`);
    }
  });

  it('lists every entity in every sort it offers, both ways', async () => {
    const spec = json<{ paths: Record<string, { get?: { parameters?: { name: string; schema: { enum?: string[] } }[] } }> }>(await t.app.inject({ url: '/api/v1/openapi.json' }));
    const lists = Object.entries(spec.paths).filter(([path, ops]) => /^\/api\/v1\/fitness\/[a-z-]+$/.test(path) && CRM_PATHS.test(path) && ops.get);
    expect(lists).toHaveLength(15);
    for (const [path, ops] of lists) {
      const sorts = ops.get!.parameters!.find((p) => p.name === 'sortBy')!.schema.enum!;
      for (const sortBy of sorts) {
        for (const sortOrder of ['asc', 'desc']) {
          const first = await t.app.inject({ url: `${path}?sortBy=${sortBy}&sortOrder=${sortOrder}&limit=1`, headers: roles.viewer.headers });
          expect(first.statusCode, `${path} ${sortBy}: ${first.body}`).toBe(200);
          const { nextCursor } = json<Page>(first);
          if (nextCursor) expect((await t.app.inject({ url: `${path}?sortBy=${sortBy}&sortOrder=${sortOrder}&limit=1&cursor=${nextCursor}`, headers: roles.viewer.headers })).statusCode).toBe(200);
        }
      }
    }
  });

  it('never answers 500 to hostile input', { timeout: 120_000 }, async () => {
    const hostile: unknown[] = [null, -1, 1e308, 'x'.repeat(5000), [], {}, true, "'; drop table x; --", { $gt: '' }];
    const queries = ['?limit=-1&offset=abc&cursor=%25%25&sortBy=drop&sortOrder=sideways&status=1&from=a', '?limit=1e9&cursor=eyJ4Ijp9&to=-3&q=%5C%27%22&tag=%00', '?q=%3A*%20%26%20!'];
    const failures: string[] = [];
    const routes = t.app.accessTable.filter((r) => r.url.startsWith('/api/v1/fitness/'));
    for (const route of routes) {
      for (const param of [randomUUID(), 'not-a-uuid']) {
        const url = route.url.replace(/:id/, param);
        const isRead = route.method === 'GET' || route.method === 'DELETE';
        const tries: { url: string; payload?: string }[] = isRead
          ? queries.map((q) => ({ url: url + q }))
          : hostile.flatMap((v) => [{ url, payload: JSON.stringify(v) }, { url, payload: JSON.stringify({ contactId: v, csv: v, name: v, firstName: v, startsAt: v }) }]);
        for (const attempt of tries) {
          const res = await t.app.inject({ method: route.method as 'GET', headers: { ...roles.owner.headers, 'content-type': 'application/json' }, ...attempt });
          if (res.statusCode >= 500) failures.push(`${route.method} ${attempt.url} ${attempt.payload?.slice(0, 60) ?? ''} → ${res.statusCode} ${res.body.slice(0, 200)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });
});

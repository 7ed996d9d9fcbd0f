import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../../test/helpers/app.js';
import { createPaymentBody, createPlanBody, createSubscriptionBody } from '../crm/dto/memberships.js';
import { createLeadStageBody, createStaffBody } from '../crm/dto/people.js';
import { createGoalBody } from '../crm/dto/progress.js';
import { createBookingBody, createCheckInBody } from '../crm/dto/classes.js';
import { daysAgo, failed, gym, inDays, ok, type Gym } from './test-fixtures.js';

type Row = Record<string, unknown>;
type List = { total: number; items: Row[]; nextOffset: number | null };

/** The fifteen CRM data tools on a small gym, against PostgreSQL, called through the tool registry. */
describe('fitness CRM tools', () => {
  let t: TestApp;
  let g: Gym;
  let other: Gym;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestApp('postgres');
    g = await gym(t);
    other = await gym(t);
    const { crm, actor } = g;
    const prospect = await crm.leadStages.create(actor, createLeadStageBody.parse({ name: 'Prospect', position: 0 }));
    await crm.leadStages.create(actor, createLeadStageBody.parse({ name: 'Trial booked', position: 1 }));
    await crm.leadStages.create(actor, createLeadStageBody.parse({ name: 'Won', position: 2, isWon: true }));
    ids.trainer = (await crm.staff.create(actor, createStaffBody.parse({ name: 'Tess Trainer', role: 'trainer' }))).id;
    ids.ada = (await g.contact({ firstName: 'Ada', lastName: 'Lovelace', tags: ['vip'], phone: '+1 555 0100', emailConsent: true, smsConsent: true })).id;
    ids.bo = (await g.contact({ firstName: 'Bo', lastName: 'Frost', status: 'frozen' })).id;
    ids.eve = (await g.contact({ firstName: 'Eve', lastName: 'Gone', status: 'cancelled' })).id;
    ids.cy = (await g.contact({ firstName: 'Cy', lastName: 'Prospect', status: 'lead', source: 'website', leadStageId: prospect.id, ownerStaffId: ids.trainer })).id;
    ids.dee = (await g.contact({ firstName: 'Dee', lastName: 'Trial', status: 'trial' })).id;
    ids.stranger = (await other.contact({ firstName: 'Sam', lastName: 'Elsewhere' })).id;
    for (const d of [20, 10, 3]) await crm.checkIns.create(actor, createCheckInBody.parse({ contactId: ids.ada, at: daysAgo(d).toISOString() }));

    const plan = await crm.plans.create(actor, createPlanBody.parse({ name: 'Monthly', priceMicros: 49_000_000 }));
    ids.plan = plan.id;
    const sub = await crm.subscriptions.create(actor, createSubscriptionBody.parse({ contactId: ids.ada, planId: plan.id, startedAt: daysAgo(60).toISOString() }));
    await crm.subscriptions.create(actor, createSubscriptionBody.parse({ contactId: ids.eve, planId: plan.id, startedAt: daysAgo(90).toISOString(), status: 'cancelled', cancelReason: 'moved away' }));
    const pay = (fields: Row) => crm.payments.create(actor, createPaymentBody.parse({ contactId: ids.ada, subscriptionId: sub.id, amountMicros: 49_000_000, ...fields }));
    await pay({ paidAt: daysAgo(40).toISOString() });
    await pay({ paidAt: daysAgo(10).toISOString(), status: 'failed', failureReason: 'card declined' });
    await pay({ paidAt: daysAgo(9).toISOString(), status: 'partially_refunded', refundedMicros: 10_000_000 });
    await other.crm.payments.create(other.actor, createPaymentBody.parse({ contactId: ids.stranger, amountMicros: 999_000_000 }));

    const yoga = await g.klass({ name: 'Yoga', category: 'mind-body', defaultCapacity: 2 });
    ids.yoga = yoga.id;
    ids.next = (await g.session(yoga.id, inDays(1), { instructorId: ids.trainer, room: 'Studio A' })).id;
    ids.past = (await g.session(yoga.id, inDays(-7))).id;
    await crm.bookings.create(actor, createBookingBody.parse({ contactId: ids.ada, sessionId: ids.next }));
    await crm.bookings.create(actor, createBookingBody.parse({ contactId: ids.ada, sessionId: ids.past, status: 'attended' }));
    await crm.goals.create(actor, createGoalBody.parse({ contactId: ids.ada, kind: 'weight', title: 'Lose 5 kg', startValue: 80, targetValue: 75, unit: 'kg' }));
  });
  afterAll(() => t.close());

  it('search_clients finds members (not leads) by words, tag, last visit; search_leads the prospects with their stage', async () => {
    const all = ok<List>(await g.call('search_clients', {}));
    expect(all.items.map((c) => c.name).sort()).toEqual(['Ada Lovelace', 'Bo Frost', 'Eve Gone']);
    expect(all).toMatchObject({ total: 3, nextOffset: null });
    expect(ok<List>(await g.call('search_clients', { query: 'lovel' })).items).toMatchObject([{ id: ids.ada, status: 'active', kind: 'member', tags: ['vip'], visits30d: 3 }]);
    expect(ok<List>(await g.call('search_clients', { tag: 'VIP' })).total).toBe(1);
    expect(ok<List>(await g.call('search_clients', { notVisitedForDays: 7, sort: 'name' })).items.map((c) => c.name)).toEqual(['Bo Frost', 'Eve Gone']);
    const page = ok<List>(await g.call('search_clients', { limit: 2, sort: 'name' }));
    expect(page).toMatchObject({ total: 3, nextOffset: 2 });

    const leads = ok<List>(await g.call('search_leads', { sort: 'name' }));
    expect(leads.items.map((c) => [c.name, c.stage])).toEqual([
      ['Cy Prospect', 'Prospect'],
      ['Dee Trial', null],
    ]);
    expect(ok<List>(await g.call('search_leads', { stage: 'prospect', source: 'website' })).items.map((c) => c.id)).toEqual([ids.cy]);
    const unknown = failed(await g.call('search_leads', { stage: 'Nope' }));
    expect(unknown).toMatchObject({ code: 'not_found', message: expect.stringContaining('"Prospect", "Trial booked", "Won"') });
    // Another organization's people are not there.
    expect(ok<List>(await other.call('search_clients', { query: 'ada' })).total).toBe(0);
  });

  it('view_client_profile: memberships, money, bookings, goals; another organization answers not_found', async () => {
    const p = ok<Row>(await g.call('view_client_profile', { clientId: ids.ada }));
    expect(p).toMatchObject({
      name: 'Ada Lovelace',
      consents: { email: true, sms: true, marketing: false, optedOut: false },
      subscriptions: [{ plan: 'Monthly', status: 'active', price: { micros: 49_000_000, usd: '$49.00' }, every: 'month' }],
      payments: { payments: 3, collected: { usd: '$98.00' }, refunded: { usd: '$10.00' }, net: { micros: 88_000_000 }, failed: 1, failedAmount: { usd: '$49.00' } },
      bookings: { upcoming: [{ className: 'Yoga', room: 'Studio A', status: 'booked' }], last90Days: { attended: 1, noShow: 0 } },
      goals: [{ kind: 'weight', targetValue: 75 }],
    });
    expect(failed(await other.call('view_client_profile', { clientId: ids.ada }))).toMatchObject({ code: 'not_found', message: 'Client not found in this organization' });
    expect(failed(await g.call('view_client_profile', { clientId: 'not-an-id' })).code).toBe('invalid_arguments');
  });

  it('view_client_bookings and view_client_payments filter and total', async () => {
    expect(ok<{ items: Row[] }>(await g.call('view_client_bookings', { clientId: ids.ada })).items.map((b) => b.status)).toEqual(['booked', 'attended']);
    expect(ok<{ items: Row[] }>(await g.call('view_client_bookings', { clientId: ids.ada, upcomingOnly: true })).items).toMatchObject([{ sessionId: ids.next, kind: 'class' }]);
    const failedOnes = ok<{ totals: Row; items: Row[] }>(await g.call('view_client_payments', { clientId: ids.ada, status: ['failed'] }));
    expect(failedOnes.totals).toMatchObject({ payments: 1, failed: 1, collected: { micros: 0 } });
    expect(failedOnes.items).toMatchObject([{ failureReason: 'card declined', amount: { usd: '$49.00' } }]);
    expect(failed(await other.call('view_client_payments', { clientId: ids.ada })).code).toBe('not_found');
  });

  it('update_client_status changes the status once and notes why; update_lead_status moves a lead by stage name', async () => {
    const first = ok<Row>(await g.call('update_client_status', { clientId: ids.bo, status: 'active', reason: 'Back from travelling' }));
    expect(first).toMatchObject({ previousStatus: 'frozen', status: 'active', changed: true, noteId: expect.any(String) });
    expect(ok<Row>(await g.call('update_client_status', { clientId: ids.bo, status: 'active' }))).toMatchObject({ changed: false, noteId: null });
    const notes = await g.crm.notes.list(g.actor, { contactId: ids.bo, limit: 10, sortBy: 'createdAt', sortOrder: 'desc' } as never);
    expect(notes.items.map((n) => n.body)).toEqual(['Status changed from frozen to active by an agent: Back from travelling']);
    expect((await g.crm.contacts.get(g.actor, ids.bo!)).joinedAt).not.toBeNull();

    const moved = ok<Row>(await g.call('update_lead_status', { leadId: ids.cy, stage: 'trial BOOKED', status: 'trial', note: 'Booked Yoga on Tuesday' }));
    expect(moved).toMatchObject({ status: 'trial', stage: 'Trial booked', changed: true });
    expect(ok<Row>(await g.call('update_lead_status', { leadId: ids.cy, stage: 'Trial booked' }))).toMatchObject({ changed: false, noteId: null, stage: 'Trial booked' });
    expect(failed(await g.call('update_lead_status', { leadId: ids.cy }))).toMatchObject({ code: 'invalid_arguments' });
    expect(failed(await other.call('update_lead_status', { leadId: ids.cy, status: 'active' })).code).toBe('not_found');
    const lead = ok<Row & { pipeline: Row[]; recentNotes: Row[] }>(await g.call('view_lead_profile', { leadId: ids.cy }));
    expect(lead).toMatchObject({ status: 'trial', source: 'website', leadStage: { name: 'Trial booked' }, owner: { name: 'Tess Trainer' } });
    expect(lead.pipeline.map((s) => s.name)).toEqual(['Prospect', 'Trial booked', 'Won']);
    expect(lead.recentNotes[0]!.body).toBe('Moved to stage "Trial booked" and status trial by an agent. Booked Yoga on Tuesday');
  });

  it('classes: search, schedule with places, availability, who is booked', async () => {
    expect(ok<{ items: Row[] }>(await g.call('search_classes', { query: 'yo' })).items).toMatchObject([{ name: 'Yoga', category: 'mind-body', sessionsNext14Days: 1, nextSessionAt: expect.any(String) }]);
    const schedule = ok<{ items: Row[] }>(await g.call('view_class_schedule', {}));
    expect(schedule.items).toMatchObject([{ id: ids.next, className: 'Yoga', instructor: 'Tess Trainer', capacity: 2, booked: 1, spotsLeft: 1 }]);
    expect(ok<Row>(await g.call('check_class_availability', { sessionId: ids.next }))).toMatchObject({ bookable: true, session: { spotsLeft: 1 } });
    expect(ok<Row>(await g.call('check_class_availability', { className: 'YOGA' }))).toMatchObject({ class: { name: 'Yoga' }, sessions: 1, withSpace: 1 });

    await g.crm.bookings.create(g.actor, createBookingBody.parse({ contactId: ids.dee, sessionId: ids.next, kind: 'trial' }));
    expect(ok<Row>(await g.call('check_class_availability', { sessionId: ids.next }))).toMatchObject({ bookable: false, reason: 'session_full: all 2 places are taken' });
    expect(ok<{ items: Row[] }>(await g.call('view_class_schedule', { onlyWithSpace: true })).items).toEqual([]);
    const roster = ok<{ counts: Row; items: Row[] }>(await g.call('view_class_bookings', { sessionId: ids.next }));
    expect(roster.items.map((b) => [b.name, b.kind])).toEqual([
      ['Ada Lovelace', 'class'],
      ['Dee Trial', 'trial'],
    ]);
    expect(roster.counts).toEqual({ booked: 2 });
    expect(failed(await g.call('check_class_availability', { sessionId: ids.next, className: 'Yoga' })).code).toBe('invalid_arguments');
    expect(failed(await other.call('view_class_bookings', { sessionId: ids.next })).code).toBe('not_found');
  });

  it('query_payments and query_subscriptions total over the organization only', async () => {
    const all = ok<{ totals: Row; items: Row[] }>(await g.call('query_payments', { sort: 'oldest' }));
    expect(all.totals).toMatchObject({ payments: 3, net: { usd: '$88.00' } });
    expect(all.items.map((p) => p.status)).toEqual(['succeeded', 'failed', 'partially_refunded']);
    expect(all.items[0]).toMatchObject({ clientId: ids.ada, clientName: 'Ada Lovelace' });
    expect(ok<{ totals: Row }>(await g.call('query_payments', { from: daysAgo(15).toISOString(), status: ['succeeded', 'partially_refunded'] })).totals).toMatchObject({ payments: 1, collected: { micros: 49_000_000 } });
    expect(ok<{ totals: Row }>(await other.call('query_payments', {})).totals).toMatchObject({ payments: 1, collected: { usd: '$999.00' } });

    const subs = ok<{ total: number; byStatus: Row; byPlan: Row; items: Row[] }>(await g.call('query_subscriptions', {}));
    expect(subs).toMatchObject({ total: 2, byStatus: { active: 1, cancelled: 1 }, byPlan: { Monthly: 2 } });
    expect(ok<{ items: Row[] }>(await g.call('query_subscriptions', { status: ['cancelled'], plan: 'monthly' })).items).toMatchObject([{ contactName: 'Eve Gone', cancelReason: 'moved away' }]);
    expect(failed(await g.call('query_subscriptions', { plan: 'Platinum' })).code).toBe('not_found');
  });

  it('calculate_engagement_score applies the analytics formula', async () => {
    const res = ok<{ items: Row[]; notFound: string[] }>(await g.call('calculate_engagement_score', { clientIds: [ids.ada, ids.stranger] }));
    // Last visit 3 days ago: 40 - 2 = 38; 3 visits: floor(7.5) = 7; no no-shows: 20; one failed payment: 5.
    expect(res.items).toMatchObject([
      {
        clientId: ids.ada,
        score: 70,
        band: 'high',
        parts: { recency: 38, frequency: 7, reliability: 20, payments: 5 },
        inputs: { daysSinceLastVisit: 3, visits30d: 3, noShows30d: 0, failedPayments30d: 1 },
      },
    ]);
    expect(res.notFound).toEqual([ids.stranger]);
    expect(failed(await other.call('calculate_engagement_score', { clientIds: [ids.ada] })).code).toBe('not_found');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../../test/helpers/app.js';
import { createCheckInBody } from '../crm/dto/classes.js';
import { daysAgo, failed, gym, inDays, ok } from './test-fixtures.js';

type Row = Record<string, unknown>;

// The embedded database runs the same SQL: array updates, advisory locks, subqueries, json aggregation.
// One block, as PGlite takes seconds to open.
describe('the fitness tools on PGlite', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('pglite');
  }, 120_000);
  afterAll(() => t.close());

  it('search, tags, bookings, tours, messages, a bulk message, the calendar and an export', { timeout: 120_000 }, async () => {
    const g = await gym(t);
    const other = await gym(t);
    const ada = await g.contact({ firstName: 'Ada', tags: ['vip'], emailConsent: true, marketingConsent: true });
    const lou = await g.contact({ firstName: 'Lou', status: 'lead', smsConsent: true, phone: '+1 555 0100' });
    await g.crm.checkIns.create(g.actor, createCheckInBody.parse({ contactId: ada.id, at: daysAgo(1).toISOString() }));
    const yoga = await g.klass({ name: 'Yoga', defaultCapacity: 1 });
    const session = await g.session(yoga.id, inDays(1, 18));

    expect(ok<{ items: Row[] }>(await g.call('search_clients', { query: 'ada' })).items).toMatchObject([{ id: ada.id, visits30d: 1 }]);
    expect(ok<Row>(await g.call('update_client_tags', { clientId: ada.id, add: ['morning'], remove: ['vip'] }))).toMatchObject({ tags: ['morning'] });
    expect(ok<Row>(await g.call('book_trial_class', { contactId: lou.id, sessionId: session.id }))).toMatchObject({ contact: { status: 'trial' }, session: { spotsLeft: 0 } });
    expect(failed(await g.call('book_trial_class', { contactId: ada.id, sessionId: session.id })).message).toMatch(/^session_full/);
    const tour = inDays(2, 10).toISOString();
    expect(ok<Row>(await g.call('schedule_facility_tour', { contactId: lou.id, startsAt: tour }))).toMatchObject({ alreadyBooked: false });
    expect(ok<Row>(await g.call('schedule_facility_tour', { contactId: lou.id, startsAt: tour }))).toMatchObject({ alreadyBooked: true });
    expect(ok<{ events: Row[] }>(await g.call('view_calendar_events', {})).events.map((e) => e.type)).toEqual(['class', 'trial', 'facility_tour']);
    expect(ok<{ items: Row[] }>(await g.call('view_class_schedule', {})).items).toMatchObject([{ booked: 1, spotsLeft: 0 }]);
    expect(ok<{ items: Row[] }>(await g.call('search_classes', {})).items).toMatchObject([{ name: 'Yoga', sessionsNext14Days: 1 }]);

    expect(ok<Row>(await g.call('send_sms', { contactId: lou.id, body: 'See you tomorrow, {{first_name}}' }))).toMatchObject({ status: 'queued', body: 'See you tomorrow, Lou' });
    expect(failed(await g.call('send_message_to_lead', { leadId: lou.id, body: 'Offer!', purpose: 'marketing' })).code).toBe('refused');
    const preview = ok<Row>(await g.call('preview_bulk_message', { segment: { status: ['active'] } }));
    expect(preview).toMatchObject({ expectedRecipients: 1, excluded: {} });
    expect(ok<Row>(await g.call('send_bulk_message', { segment: { status: ['active'] }, body: 'Hi {{first_name}}', expectedRecipients: 1 }))).toMatchObject({ queued: 1 });
    expect(ok<{ items: Row[] }>(await g.call('calculate_engagement_score', { clientIds: [ada.id] })).items).toMatchObject([{ inputs: { visits30d: 1, daysSinceLastVisit: 1 } }]);
    expect(ok<Row>(await g.call('suggest_schedule', { clientId: ada.id, timeZone: 'Europe/London' }))).toMatchObject({ history: { visits: 1 } });
    expect(ok<Row>(await g.call('export_data', { entity: 'contacts' }))).toMatchObject({ rows: 2, status: 'kept' });
    expect(failed(await other.call('view_client_profile', { clientId: ada.id })).code).toBe('not_found');
  });
});

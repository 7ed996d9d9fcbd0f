import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, json, seedMember, type TestApp } from '../../../../test/helpers/app.js';
import { outboxEmails } from '../../../tools/schema.js';
import { createStaffBody } from '../crm/dto/people.js';
import { fitnessBookings } from '../crm/schema.js';
import { fitnessSocialPosts } from './schema.js';
import { failed, gym, inDays, ok, type Gym } from './test-fixtures.js';

type Row = Record<string, unknown>;

/** Automation tools on PostgreSQL: tasks, tags, exports, lead tasks, social posts, the calendar and its bookings. */
describe('fitness automation tools', () => {
  let t: TestApp;
  let g: Gym;
  let other: Gym;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestApp('postgres');
    g = await gym(t);
    other = await gym(t);
    await t.app.inject({ method: 'PATCH', url: '/api/v1/orgs/current', headers: g.owner.headers, payload: { name: 'Iron Temple' } });
    const staffUser = await seedMember(t.ctx, 'member', g.orgId);
    ids.staffUser = staffUser.userId;
    ids.sara = (await g.crm.staff.create(g.actor, createStaffBody.parse({ name: 'Sara Sales', role: 'sales', userId: staffUser.userId }))).id;
    ids.tom = (await g.crm.staff.create(g.actor, createStaffBody.parse({ name: 'Tom Trainer', role: 'trainer' }))).id;
    ids.ada = (await g.contact({ firstName: 'Ada', tags: ['vip', 'early'] })).id;
    ids.lead = (await g.contact({ firstName: 'Lou', status: 'lead', ownerStaffId: ids.sara, phone: '+1 555 0142' })).id;
    ids.lead2 = (await g.contact({ firstName: 'Liz', status: 'lead' })).id;
    ids.agent = json<{ id: string }>(
      await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: g.owner.headers, payload: { name: 'Lead Nurture Agent', model: 'openai:gpt-4o-mini' } }),
    ).id;
    const spin = await g.klass({ name: 'Spin', category: 'cycling', defaultCapacity: 1, description: 'Indoor cycling to music' });
    ids.spin = spin.id;
    ids.spinSoon = (await g.session(spin.id, inDays(2, 7), { instructorId: ids.tom, room: 'Bike room' })).id;
    ids.spinLater = (await g.session(spin.id, inDays(3, 7), { instructorId: ids.tom })).id;
    ids.spinPast = (await g.session(spin.id, inDays(-1, 7))).id;
  }, 120_000);
  afterAll(() => t.close());

  it('schedule_task makes a one-off task for an agent of the organization, not of another', async () => {
    const runAt = inDays(1, 9).toISOString();
    const res = ok<Row>(await g.call('schedule_task', { instructions: 'Call Lou about the trial', runAt, contactId: ids.lead }, { agentId: ids.agent }));
    expect(res).toMatchObject({ agentId: ids.agent, runAt });
    const task = json<Row & { schedule: Row; context: Row }>(await t.app.inject({ method: 'GET', url: `/api/v1/tasks/${String(res.taskId)}`, headers: g.owner.headers }));
    expect(task).toMatchObject({ agentId: ids.agent, instructions: 'Call Lou about the trial', context: { contact: { id: ids.lead, name: 'Lou Test', phone: '+1 555 0142' } }, nextRunAt: runAt });
    expect(failed(await other.call('schedule_task', { instructions: 'x', inMinutes: 5, agentId: ids.agent })).code).toBe('not_found');
    expect(failed(await g.call('schedule_task', { instructions: 'x', inMinutes: 5, runAt }))).toMatchObject({ code: 'invalid_arguments' });
    expect(failed(await g.call('schedule_task', { instructions: 'x', runAt: new Date(Date.now() - 60_000).toISOString() }, { agentId: ids.agent })).code).toBe('invalid_arguments');
  });

  it('update_client_tags adds and removes in one statement; repeating it changes nothing', async () => {
    expect(ok<Row>(await g.call('update_client_tags', { clientId: ids.ada, add: ['Morning', 'vip'], remove: ['early'] }))).toEqual({ id: ids.ada, name: 'Ada Test', tags: ['morning', 'vip'], added: ['morning'], removed: ['early'] });
    expect(ok<Row>(await g.call('update_client_tags', { clientId: ids.ada, add: ['morning'], remove: ['early'] }))).toMatchObject({ tags: ['morning', 'vip'], added: [], removed: [] });
    expect((await g.crm.contacts.get(g.actor, ids.ada!)).tags).toEqual(['morning', 'vip']);
    expect(failed(await g.call('update_client_tags', { clientId: ids.ada })).code).toBe('invalid_arguments');
    expect(failed(await other.call('update_client_tags', { clientId: ids.ada, add: ['x'] })).code).toBe('not_found');
  });

  it('export_data puts the CRM export in the outbox as an attachment', async () => {
    const context = g.ctx();
    const res = ok<Row>(await t.ctx.services.tools.execute('export_data', { entity: 'contacts' }, context));
    expect(res).toMatchObject({ entity: 'contacts', rows: 3, status: 'kept', filename: expect.stringMatching(/^contacts-\d{4}-\d\d-\d\d\.csv$/) });
    const [mail] = await t.ctx.database.withOrg(g.orgId, (tx) => tx.select().from(outboxEmails).where(eq(outboxEmails.id, res.outboxId as string)));
    expect(mail).toMatchObject({ to: [], status: 'kept', runId: context.runId });
    const csv = mail!.attachments[0]!.content;
    expect(csv.split('\r\n')[0]).toMatch(/^id,externalId,firstName,lastName,email/);
    expect(csv.split('\r\n').filter(Boolean)).toHaveLength(4);
    const file = await t.app.inject({ method: 'GET', url: String(res.download), headers: g.owner.headers });
    expect(file.body).toBe(csv);
    expect(ok<Row>(await other.call('export_data', { entity: 'payments' }))).toMatchObject({ rows: 0 });
  });

  it('create_lead_task notes it on the lead, tells the owner in the app and lists a follow-up', async () => {
    const dueAt = inDays(1, 10).toISOString();
    const res = ok<Row>(await g.call('create_lead_task', { leadId: ids.lead, title: 'Call back about the family plan', details: 'Prefers evenings', dueAt }));
    expect(res).toMatchObject({ assignedTo: 'Sara Sales', followUpId: expect.any(String) });
    const notes = await g.crm.notes.list(g.actor, { contactId: ids.lead, limit: 5, sortBy: 'createdAt', sortOrder: 'desc' } as never);
    expect(notes.items[0]!.body).toBe(`Task for Sara Sales: Call back about the family plan (due ${dueAt})\nPrefers evenings`);
    const staffMember = await seedMember(t.ctx, 'viewer', g.orgId);
    const mine = json<{ items: Row[] }>(await t.app.inject({ method: 'GET', url: '/api/v1/notifications', headers: { ...staffMember.headers } }));
    expect(mine.items.find((n) => n.title === 'Lead task: Call back about the family plan')).toBeUndefined();
    const [note] = await t.ctx.services.tools.notifications.list({ orgId: g.orgId, role: 'member', userId: ids.staffUser!, apiKeyId: null }, { limit: 5, sortOrder: 'desc' } as never).then((p) => p.items);
    expect(note).toMatchObject({ title: 'Lead task: Call back about the family plan', userId: ids.staffUser, body: expect.stringContaining('Lou Test, +1 555 0142') });
    const followUps = json<{ items: Row[] }>(await t.app.inject({ method: 'GET', url: '/api/v1/follow-ups', headers: g.owner.headers }));
    expect(followUps.items).toMatchObject([{ id: res.followUpId, note: 'Call back about the family plan (lead Lou Test), for Sara Sales', dueAt }]);
    // No owner and no staff named: everyone is told.
    expect(ok<Row>(await g.call('create_lead_task', { leadId: ids.lead2, title: 'Send prices' }))).toMatchObject({ assignedTo: null, followUpId: null });
    expect(failed(await g.call('create_lead_task', { leadId: ids.lead2, title: 'x', assignToStaffId: ids.staffUser })).code).toBe('not_found');
  });

  it('schedule_social_post keeps the post in the outbox once per call, within the platform length', async () => {
    const context = g.ctx();
    const args = { platform: 'instagram', content: 'New 6am Spin class!', hashtags: ['spin', '#IndoorCycling', 'spin'], scheduledFor: inDays(2, 12).toISOString() };
    const res = ok<Row>(await t.ctx.services.tools.execute('schedule_social_post', args, context));
    expect(res).toMatchObject({ platform: 'instagram', status: 'scheduled', characters: 19 + 1 + '#spin #IndoorCycling'.length });
    expect(ok<Row>(await t.ctx.services.tools.execute('schedule_social_post', args, context)).postId).toBe(res.postId);
    const rows = await t.ctx.database.withOrg(g.orgId, (tx) => tx.select().from(fitnessSocialPosts).where(eq(fitnessSocialPosts.runId, context.runId)));
    expect(rows).toMatchObject([{ hashtags: ['#spin', '#IndoorCycling'], status: 'scheduled' }]);
    expect(failed(await g.call('schedule_social_post', { ...args, platform: 'x', content: 'x'.repeat(270) }))).toMatchObject({ code: 'invalid_arguments', message: expect.stringContaining('x takes at most 280') });
    expect(failed(await g.call('schedule_social_post', { ...args, scheduledFor: inDays(-1).toISOString() })).code).toBe('invalid_arguments');
    expect(json<{ items: Row[] }>(await t.app.inject({ method: 'GET', url: '/api/v1/fitness/social-posts', headers: g.owner.headers })).items).toMatchObject([{ id: res.postId, content: 'New 6am Spin class!' }]);
  });

  it('generate_social_content and generate_hashtags assemble from the gym data, the same each time', async () => {
    const content = ok<Row & { facts: Row; drafts: string[]; hashtags: string[] }>(await g.call('generate_social_content', { kind: 'class_spotlight', className: 'spin', timeZone: 'America/New_York' }));
    expect(content).toMatchObject({ gym: 'Iron Temple', rules: { maxCharacters: 2200 } });
    expect(content.facts).toMatchObject({ sessionsComing: 2, featuredClass: { name: 'Spin', description: 'Indoor cycling to music' } });
    expect(content.drafts[0]).toMatch(/^Spotlight on Spin at Iron Temple! Indoor cycling to music Next up: \w{3} 0[23]:00 Spin with Tom Trainer/);
    expect(ok<Row>(await g.call('generate_social_content', { kind: 'class_spotlight', className: 'spin', timeZone: 'America/New_York' }))).toEqual(content);
    expect(failed(await g.call('generate_social_content', { kind: 'offer' })).code).toBe('invalid_arguments');
    expect(failed(await g.call('generate_social_content', { kind: 'motivation', timeZone: 'Mars/Olympus' })).code).toBe('invalid_arguments');

    const tags = ok<{ hashtags: string[] }>(await g.call('generate_hashtags', { topic: 'New early morning HIIT bootcamp', classNames: ['Morning Burn'], location: 'Leeds', platform: 'instagram', count: 8 }));
    expect(tags.hashtags).toEqual(['#IronTemple', '#Leeds', '#LeedsFitness', '#MorningBurn', '#hiit', '#hiitworkout', '#cardio', '#fatburn']);
    expect(ok<{ hashtags: string[] }>(await g.call('generate_hashtags', { topic: 'yoga', platform: 'x', includeGymName: false })).hashtags).toEqual(['#yoga', '#yogapractice']);
  });

  it('book_trial_class books by the CRM rules: full, started, and the same booking twice', async () => {
    const booked = ok<Row>(await g.call('book_trial_class', { contactId: ids.lead2, sessionId: ids.spinSoon }));
    expect(booked).toMatchObject({ alreadyBooked: false, contact: { name: 'Liz Test', status: 'trial' }, session: { className: 'Spin', room: 'Bike room', spotsLeft: 0 } });
    const [row] = await t.ctx.database.withOrg(g.orgId, (tx) => tx.select().from(fitnessBookings).where(eq(fitnessBookings.id, booked.bookingId as string)));
    expect(row).toMatchObject({ kind: 'trial', status: 'booked', contactId: ids.lead2, sessionId: ids.spinSoon });
    expect(ok<Row>(await g.call('book_trial_class', { contactId: ids.lead2, sessionId: ids.spinSoon }))).toMatchObject({ bookingId: booked.bookingId, alreadyBooked: true });
    expect(failed(await g.call('book_trial_class', { contactId: ids.lead, sessionId: ids.spinSoon }))).toMatchObject({ code: 'conflict', message: expect.stringMatching(/^session_full: /) });
    expect(failed(await g.call('book_trial_class', { contactId: ids.lead, sessionId: ids.spinPast }))).toMatchObject({ code: 'conflict', message: expect.stringMatching(/already started/) });
    await g.crm.sessions.update(g.actor, ids.spinLater!, { status: 'cancelled' });
    expect(failed(await g.call('book_trial_class', { contactId: ids.lead, sessionId: ids.spinLater }))).toMatchObject({ code: 'conflict', message: expect.stringMatching(/^session_cancelled: /) });
    await g.crm.sessions.update(g.actor, ids.spinLater!, { status: 'scheduled' });
    expect(failed(await other.call('book_trial_class', { contactId: ids.lead, sessionId: ids.spinLater })).code).toBe('not_found');
  });

  it('schedule_facility_tour checks the contact and the staff member are free', async () => {
    const at = inDays(2, 7); // Tom teaches Spin then
    expect(failed(await g.call('schedule_facility_tour', { contactId: ids.lead, startsAt: at.toISOString(), staffId: ids.tom }))).toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('Tom Trainer teaches Spin'),
    });
    // Liz holds a place in that Spin session: a tour that overlaps it is refused.
    expect(failed(await g.call('schedule_facility_tour', { contactId: ids.lead2, startsAt: new Date(at.getTime() + 30 * 60_000).toISOString() }))).toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('Liz Test already has a Spin booked'),
    });
    const tour = inDays(4, 17).toISOString();
    const res = ok<Row>(await g.call('schedule_facility_tour', { contactId: ids.lead, startsAt: tour, staffId: ids.sara }));
    expect(res).toMatchObject({ alreadyBooked: false, staff: 'Sara Sales', startsAt: tour });
    expect(ok<Row>(await g.call('schedule_facility_tour', { contactId: ids.lead, startsAt: tour, staffId: ids.sara }))).toMatchObject({ bookingId: res.bookingId, alreadyBooked: true });
    // Sara gives that tour: another contact 20 minutes later with her is refused, without her it is fine.
    const later = new Date(Date.parse(tour) + 20 * 60_000).toISOString();
    expect(failed(await g.call('schedule_facility_tour', { contactId: ids.ada, startsAt: later, staffId: ids.sara })).message).toContain('Sara Sales already gives a facility tour');
    expect(ok<Row>(await g.call('schedule_facility_tour', { contactId: ids.ada, startsAt: later }))).toMatchObject({ staff: null });
    expect(failed(await other.call('schedule_facility_tour', { contactId: ids.ada, startsAt: later })).code).toBe('not_found');

    const cal = ok<{ events: Row[] }>(await g.call('view_calendar_events', { from: new Date().toISOString(), to: inDays(5, 0).toISOString() }));
    expect(cal.events.map((e) => [e.type, e.className ?? null, e.contact ?? null])).toEqual([
      ['class', 'Spin', null],
      ['trial', 'Spin', 'Liz Test'],
      ['class', 'Spin', null],
      ['facility_tour', null, 'Lou Test'],
      ['facility_tour', null, 'Ada Test'],
    ]);
    expect(ok<{ events: Row[] }>(await g.call('view_calendar_events', { kinds: ['facility_tour'], staffId: ids.sara })).events).toMatchObject([{ contact: 'Lou Test', staff: 'Sara Sales' }]);
  });
});

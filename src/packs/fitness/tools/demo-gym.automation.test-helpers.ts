import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { schedules } from '../../../schedules/schema.js';
import { tasks } from '../../../tasks/schema.js';
import { followUps, notifications } from '../../../tools/schema.js';
import { fitnessBookings, fitnessCommunications, fitnessContacts, fitnessNotes, fitnessWorkoutPlans } from '../crm/schema.js';
import type { DemoContact, DemoSession } from '../demo/rows.js';
import { DAY, fullName, isLead, iso, MINUTE, reachOf } from './demo-truth.test-helpers.js';
import { fitnessSmsOutbox, fitnessSocialPosts } from './schema.js';
import { failed } from './test-fixtures.js';
import { NOW, GYM, caller, rowsOf, expectSmallUntouched, pick, type Env, type Row } from './demo-gym.env.test-helpers.js';

/** The automation tools' cases (demo-gym.test.ts runs them, after the reads): each checks the rows it wrote and that the other gym is untouched. */
export const AUTOMATION_CASES: Record<string, (env: Env) => Promise<void>> = {
  async create_retention_campaign(env) {
    const { read } = caller(env);
    const { truth } = env;
    const away = truth.searchContacts({ statuses: ['active'], notVisitedForDays: 14 });
    const reached = away.flatMap((c) => {
      const r = reachOf(c, 'auto', 'marketing');
      return r.ok ? [{ c, r }] : [];
    });
    expect(reached.length).toBeGreaterThan(5);
    const runId = randomUUID();
    const out = await read<Row>('create_retention_campaign', { name: 'March check-in', template: 'check_in', expectedRecipients: reached.length }, { runId });
    expect(out).toMatchObject({ template: 'check_in', recipients: reached.length, queued: reached.length, sent: 0, failed: 0, segment: 'status active; no visit for 14+ days' });
    const logged = await rowsOf(env, env.gym.orgId, fitnessCommunications, eq(fitnessCommunications.runId, runId));
    const expected = reached.map(({ c, r }) =>
      r.channel === 'email'
        ? [c.id, 'email', `How is your training going, ${c.firstName}?`, `Hi ${c.firstName},\n\nJust checking in: how is your training going?`]
        : [c.id, 'sms', null, `Hi ${c.firstName}, how is your training going? Reply if you would like a new plan or a session with a coach. ${GYM}`],
    );
    expect(logged.map((l) => [l.contactId, l.channel, l.subject, l.channel === 'email' ? l.body.split(' If you would')[0] : l.body]).sort()).toEqual(expected.sort());

    // Every message the tools sent in this gym so far: to someone who agreed to that channel and had not opted out, and each SMS in the outbox once.
    const all = await rowsOf(env, env.gym.orgId, fitnessCommunications);
    expect(all.length).toBeGreaterThan(30);
    for (const m of all) {
      const c = truth.contact(m.contactId);
      expect(c.optedOut || (m.channel === 'email' ? !c.emailConsent || !c.email : !c.smsConsent || !c.phone), `${m.channel} to ${fullName(c)}`).toBe(false);
    }
    const sms = await rowsOf(env, env.gym.orgId, fitnessSmsOutbox);
    expect(sms.map((x) => x.communicationId).sort()).toEqual(all.filter((m) => m.channel === 'sms').map((m) => m.id).sort());
    await expectSmallUntouched(env);
  },

  async schedule_task(env) {
    const { read, run } = caller(env);
    const { truth } = env;
    const member = pick(truth.rows.contacts, (c) => c.status === 'active' && c.email !== null && c.phone !== null, 'member with email and phone');
    const runId = randomUUID();
    const out = await read<Row>('schedule_task', { instructions: 'Ask how the new plan is going', runAt: '2026-03-16T09:00:00-04:00', contactId: member.id, agentId: env.agentId }, { runId });
    expect(out).toEqual({ taskId: expect.any(String), agentId: env.agentId, runAt: '2026-03-16T13:00:00.000Z' });
    const [task] = await rowsOf(env, env.gym.orgId, tasks, eq(tasks.id, out.taskId as string));
    expect(task).toMatchObject({ agentId: env.agentId, instructions: 'Ask how the new plan is going', createdByRunId: runId, context: { contact: { id: member.id, name: fullName(member), email: member.email, phone: member.phone } } });
    const [schedule] = await rowsOf(env, env.gym.orgId, schedules, eq(schedules.taskId, task!.id));
    expect(schedule).toMatchObject({ onceAt: new Date('2026-03-16T13:00:00Z'), nextFireAt: new Date('2026-03-16T13:00:00Z') });
    expect(failed(await run('schedule_task', { instructions: 'x', inMinutes: 5, contactId: env.small.rows.contacts[0]!.id, agentId: env.agentId })).code).toBe('not_found');
    expect(failed(await run('schedule_task', { instructions: 'x', inMinutes: 5, agentId: env.agentId }, { orgId: env.small.orgId })).code).toBe('not_found');
    expect(failed(await run('schedule_task', { instructions: 'x', runAt: '2026-03-15T09:00:00Z', agentId: env.agentId })).code).toBe('invalid_arguments');
    await expectSmallUntouched(env);
  },

  async create_lead_task(env) {
    const { read, run, elsewhere } = caller(env);
    const { truth } = env;
    const lead = pick(truth.rows.contacts, (c) => isLead(c) && c.ownerStaffId !== null && c.phone !== null && c.email !== null, 'lead with an owner, phone and email');
    const owner = truth.staff.get(lead.ownerStaffId!)!;
    const name = fullName(lead);
    await elsewhere('create_lead_task', { leadId: lead.id, title: 'x' });
    const runId = randomUUID();
    const dueAt = '2026-03-17T10:00:00-04:00';
    const due = '2026-03-17T14:00:00.000Z';
    const out = await read<Row>('create_lead_task', { leadId: lead.id, title: 'Call back about the family plan', details: 'Prefers evenings', dueAt }, { runId });
    expect(out).toEqual({ noteId: expect.any(String), notificationId: expect.any(String), followUpId: expect.any(String), assignedTo: owner.name });
    const [note] = await rowsOf(env, env.gym.orgId, fitnessNotes, eq(fitnessNotes.id, out.noteId as string));
    expect(note).toMatchObject({ contactId: lead.id, body: `Task for ${owner.name}: Call back about the family plan (due ${due})\nPrefers evenings` });
    const [notification] = await rowsOf(env, env.gym.orgId, notifications, eq(notifications.id, out.notificationId as string));
    expect(notification).toMatchObject({ title: 'Lead task: Call back about the family plan', level: 'info', userId: null, runId, body: `${name}, ${lead.phone}, ${lead.email} (due ${due})\nPrefers evenings` });
    const [followUp] = await rowsOf(env, env.gym.orgId, followUps, eq(followUps.id, out.followUpId as string));
    expect(followUp).toMatchObject({ dueAt: new Date(due), note: `Call back about the family plan (lead ${name}), for ${owner.name}`, contact: { id: lead.id, name, email: lead.email, phone: lead.phone } });
    const trainer = pick(truth.rows.staff, (s) => s.role === 'trainer', 'trainer');
    expect(await read('create_lead_task', { leadId: lead.id, title: 'Show the weights floor', assignToStaffId: trainer.id, priority: 'urgent' })).toMatchObject({ assignedTo: trainer.name, followUpId: null });
    expect(failed(await run('create_lead_task', { leadId: lead.id, title: 'x', assignToStaffId: env.small.rows.staff[0]!.id })).code).toBe('not_found');
    await expectSmallUntouched(env);
  },

  async schedule_social_post(env) {
    const { read, run } = caller(env);
    const runId = randomUUID();
    const content = `Spin this week at ${GYM}: grab a bike!`;
    const out = await read<Row>('schedule_social_post', { platform: 'instagram', content, hashtags: ['Spin', '#IndoorCycling', 'Spin'], scheduledFor: '2026-03-16T08:00:00-04:00' }, { runId });
    expect(out).toEqual({ postId: expect.any(String), platform: 'instagram', scheduledFor: '2026-03-16T12:00:00.000Z', status: 'scheduled', characters: content.length + 1 + '#Spin #IndoorCycling'.length });
    expect(await rowsOf(env, env.gym.orgId, fitnessSocialPosts, eq(fitnessSocialPosts.runId, runId))).toMatchObject([{ id: out.postId, content, hashtags: ['#Spin', '#IndoorCycling'], scheduledFor: new Date('2026-03-16T12:00:00Z'), status: 'scheduled' }]);
    expect(failed(await run('schedule_social_post', { platform: 'x', content: 'Yesterday', scheduledFor: '2026-03-15T09:00:00Z' })).code).toBe('invalid_arguments');
    await expectSmallUntouched(env);
  },

  async book_trial_class(env) {
    const { read, run, elsewhere } = caller(env);
    const { truth } = env;
    const future = truth.rows.sessions.filter((s) => s.startsAt > NOW && s.status === 'scheduled');
    const heldBy = (s: DemoSession) => new Set((truth.bookingsIn.get(s.id!) ?? []).filter((b) => b.status === 'booked' || b.status === 'attended').map((b) => b.contactId));
    const overlaps = (a: DemoSession, b: DemoSession) => a.id !== b.id && a.startsAt < b.endsAt && b.startsAt < a.endsAt;
    const freeAt = (c: DemoContact, s: DemoSession) => !(truth.bookingsOf.get(c.id!) ?? []).some((b) => b.status === 'booked' && b.sessionId && overlaps(truth.sessions.get(b.sessionId)!, s));
    const leads = truth.rows.contacts.filter((c) => c.status === 'lead');
    const full = pick(future, (s) => truth.booked(s.id!) >= s.capacity, 'full session ahead');
    const open = pick(future, (s) => truth.booked(s.id!) < s.capacity - 1 && truth.booked(s.id!) > 0, 'session ahead with two places');
    const lead = pick(leads, (c) => freeAt(c, open) && !heldBy(open).has(c.id!), 'lead free at that time');
    const count = async () => (await rowsOf(env, env.gym.orgId, fitnessBookings)).length;
    const before = await count();

    // Full: refused by the session's capacity from the generated bookings.
    expect(failed(await run('book_trial_class', { contactId: lead.id, sessionId: full.id }))).toMatchObject({ code: 'conflict', message: expect.stringMatching(/^session_full: /) });
    // A member already booked into a class then: refused, a person cannot be in two places.
    const [busy, clash] = (() => {
      for (const s of future) {
        for (const contactId of heldBy(s)) {
          const other = future.find((x) => overlaps(x, s) && truth.booked(x.id!) < x.capacity && !heldBy(x).has(contactId));
          if (other && (truth.bookingsOf.get(contactId) ?? []).some((b) => b.sessionId === s.id && b.status === 'booked')) return [truth.contact(contactId), other] as const;
        }
      }
      throw new Error('the demo gym has no member booked at the time of another session with space');
    })();
    expect(failed(await run('book_trial_class', { contactId: busy.id, sessionId: clash.id })), `${fullName(busy)} into ${clash.id}`).toMatchObject({ code: 'conflict', message: expect.stringContaining(`${fullName(busy)} already has`) });
    // Started: refused.
    const past = pick(truth.rows.sessions, (s) => s.startsAt < NOW && s.status === 'scheduled' && truth.booked(s.id!) < s.capacity, 'past session with space');
    expect(failed(await run('book_trial_class', { contactId: lead.id, sessionId: past.id }))).toMatchObject({ code: 'conflict', message: expect.stringMatching(/already started/) });
    expect(await count()).toBe(before);
    await elsewhere('book_trial_class', { contactId: lead.id, sessionId: open.id });

    const out = await read<Row>('book_trial_class', { contactId: lead.id, sessionId: open.id });
    const cls = truth.classes.get(open.classId)!;
    expect(out).toEqual({
      bookingId: expect.any(String),
      alreadyBooked: false,
      contact: { id: lead.id, name: fullName(lead), status: 'trial' },
      session: { id: open.id, className: cls.name, startsAt: iso(open.startsAt), endsAt: iso(open.endsAt), room: open.room, spotsLeft: open.capacity - truth.booked(open.id!) - 1 },
    });
    const [row] = await rowsOf(env, env.gym.orgId, fitnessBookings, eq(fitnessBookings.id, out.bookingId as string));
    expect(row).toMatchObject({ contactId: lead.id, sessionId: open.id, kind: 'trial', status: 'booked', startsAt: open.startsAt });
    const [contact] = await rowsOf(env, env.gym.orgId, fitnessContacts, eq(fitnessContacts.id, lead.id!));
    expect(contact!.status).toBe('trial');
    truth.addBooking(row!);
    lead.status = 'trial';
    expect(await read('check_class_availability', { sessionId: open.id })).toMatchObject({ session: truth.sessionLine(open) });
    expect(await read('book_trial_class', { contactId: lead.id, sessionId: open.id })).toMatchObject({ bookingId: out.bookingId, alreadyBooked: true });
    expect(await count()).toBe(before + 1);
    await expectSmallUntouched(env);
  },

  async schedule_facility_tour(env) {
    const { read, run, elsewhere } = caller(env);
    const { truth } = env;
    const future = truth.rows.sessions.filter((s) => s.startsAt > NOW && s.status === 'scheduled');
    const booking = pick(truth.rows.bookings, (b) => b.startsAt > NOW && b.status === 'booked' && b.sessionId !== null, 'class booked ahead');
    const member = truth.contact(booking.contactId);
    const session = truth.sessions.get(booking.sessionId!)!;
    const cls = truth.classes.get(session.classId)!;
    const when = (d: Date) => d.toISOString().replace(':00.000Z', 'Z');
    // The member is in a class then; a trainer teaches one.
    expect(failed(await run('schedule_facility_tour', { contactId: member.id, startsAt: new Date(session.startsAt.getTime() + 15 * MINUTE).toISOString() }))).toMatchObject({
      code: 'conflict',
      message: `${fullName(member)} already has a ${cls.name} booked at ${when(session.startsAt)}; choose another time`,
    });
    // A session whose trainer teaches nothing else in the 45 minutes from half an hour before it.
    const tourAt = (s: DemoSession) => s.startsAt.getTime() - 30 * MINUTE;
    const taught = pick(future, (s) => future.filter((x) => x.instructorId === s.instructorId && x.startsAt.getTime() < tourAt(s) + 45 * MINUTE && x.endsAt.getTime() > tourAt(s)).length === 1, 'session whose trainer has no other class around it');
    const teacher = truth.staff.get(taught.instructorId!)!;
    const lead = pick(truth.rows.contacts, (c) => c.status === 'lead' && !(truth.bookingsOf.get(c.id!) ?? []).some((b) => b.startsAt > NOW), 'lead with nothing booked');
    expect(failed(await run('schedule_facility_tour', { contactId: lead.id, startsAt: new Date(taught.startsAt.getTime() - 30 * MINUTE).toISOString(), staffId: teacher.id }))).toMatchObject({
      code: 'conflict',
      message: `${teacher.name} teaches ${truth.classes.get(taught.classId)!.name} at ${when(taught.startsAt)}; choose another time or staff member`,
    });
    await elsewhere('schedule_facility_tour', { contactId: lead.id, startsAt: '2026-03-17T15:00:00Z' });

    const seller = pick(truth.rows.staff, (s) => s.role === 'sales', 'sales staff');
    const startsAt = '2026-03-17T11:00:00-04:00';
    const out = await read<Row>('schedule_facility_tour', { contactId: lead.id, startsAt, staffId: seller.id });
    expect(out).toEqual({ bookingId: expect.any(String), alreadyBooked: false, contact: { id: lead.id, name: fullName(lead) }, startsAt: '2026-03-17T15:00:00.000Z', endsAt: '2026-03-17T15:45:00.000Z', staff: seller.name });
    const [row] = await rowsOf(env, env.gym.orgId, fitnessBookings, eq(fitnessBookings.id, out.bookingId as string));
    expect(row).toMatchObject({ contactId: lead.id, kind: 'facility_tour', status: 'booked', startsAt: new Date('2026-03-17T15:00:00Z'), staffId: seller.id, sessionId: null });
    truth.addBooking(row!);
    expect(await read('schedule_facility_tour', { contactId: lead.id, startsAt, staffId: seller.id })).toMatchObject({ bookingId: out.bookingId, alreadyBooked: true });
    const another = pick(truth.rows.contacts, (c) => c.status === 'lead' && c.id !== lead.id && !(truth.bookingsOf.get(c.id!) ?? []).some((b) => b.startsAt > NOW), 'another free lead');
    expect(failed(await run('schedule_facility_tour', { contactId: another.id, startsAt: '2026-03-17T15:20:00Z', staffId: seller.id })).message).toContain(`${seller.name} already gives a facility tour`);
    expect(failed(await run('schedule_facility_tour', { contactId: another.id, startsAt: '2026-03-15T09:00:00Z' })).code).toBe('invalid_arguments');
    // The calendar shows the tour with who gives it.
    const cal = await read<{ events: Row[] }>('view_calendar_events', { from: '2026-03-17T00:00:00Z', to: '2026-03-18T00:00:00Z', kinds: ['facility_tour'] });
    expect(cal.events).toEqual([expect.objectContaining({ type: 'facility_tour', bookingId: out.bookingId, contact: fullName(lead), staff: seller.name, endsAt: '2026-03-17T15:45:00.000Z' })]);
    await expectSmallUntouched(env);
  },

  async generate_workout_plan(env) {
    const { read, elsewhere } = caller(env);
    const { truth } = env;
    const member = pick(
      truth.rows.contacts,
      (c) => c.status === 'active' && truth.goalsOf(c.id!).some((g) => g.status === 'active' && g.kind === 'weight') && truth.rows.checkIns.filter((x) => x.contactId === c.id && x.at >= truth.ago(56)).length >= 8,
      'active member losing weight who comes often',
    );
    await elsewhere('generate_workout_plan', { clientId: member.id });
    const goals = truth.goalsOf(member.id!).filter((g) => g.status === 'active');
    const latest = truth.rows.measurements.filter((m) => m.contactId === member.id).sort((a, b) => b.measuredAt.getTime() - a.measuredAt.getTime()).slice(0, 10);
    const visits = truth.rows.checkIns.filter((x) => x.contactId === member.id && x.at >= truth.ago(56) && x.at <= NOW).length;
    const perWeek = Math.round((visits / 8) * 10) / 10;
    const months = Math.floor((NOW.getTime() - member.joinedAt!.getTime()) / (30.44 * DAY));
    const basis = {
      goals: goals.map((g) => ({ id: g.id, kind: g.kind, title: g.title, metric: g.metric, startValue: g.startValue, targetValue: g.targetValue, targetDate: g.targetDate, unit: g.unit })),
      weightKg: latest.find((m) => m.weightKg !== null)?.weightKg ?? null,
      bodyFatPct: latest.find((m) => m.bodyFatPct !== null)?.bodyFatPct ?? null,
      visitsPerWeek: perWeek,
      memberMonths: months,
    };
    const level = months < 3 || perWeek < 1 ? 'beginner' : months >= 12 && perWeek >= 3 ? 'advanced' : 'intermediate';
    const days = Math.min(5, Math.max(2, Math.round(perWeek) || 3));
    const runId = randomUUID();
    const out = await read<Row & { plan: Row }>('generate_workout_plan', { clientId: member.id, weeks: 6 }, { runId });
    expect(out).toMatchObject({ client: { id: member.id, name: fullName(member) }, focus: 'fat_loss', level, daysPerWeek: days, title: `6-week fat loss plan, ${days} days a week`, stored: 'generated' });
    expect(out.plan.basis).toEqual(basis);
    const [stored] = await rowsOf(env, env.gym.orgId, fitnessWorkoutPlans, eq(fitnessWorkoutPlans.runId, runId));
    expect(stored).toMatchObject({ id: out.planId, contactId: member.id, title: out.title, createdBy: 'agent', plan: out.plan });
    await expectSmallUntouched(env);
  },
};

import { addDays, addMonths, DAY_MS, dateKey } from '../analytics/periods.js';
import { HOUR_MS, oneOff, subscribe, type Habits, type Span } from './billing.js';
import type { GymFrame } from './generate.js';
import { FIRST_NAMES, LAST_NAMES, MEMBER_TAGS, NOTE_BODIES, SOURCE_WEIGHTS, SOURCES } from './names.js';
import type { Rng } from './prng.js';
import type { DemoContact, DemoGoal } from './rows.js';
import { bookSession, pushBooking, sessionNear, trialBefore, visit } from './visits.js';

/*
 * Members and leads of the demo gym (generate.ts describes the whole). Every draw comes from the
 * stream handed in, in a fixed order, so the same seed makes the same people. Their memberships and
 * money: billing.ts; their visits: visits.ts.
 */

function newContact(f: GymFrame, rng: Rng, index: number, createdAt: Date): DemoContact {
  const firstName = rng.pick(FIRST_NAMES);
  const lastName = rng.pick(LAST_NAMES);
  const email = rng.chance(0.96) ? `${firstName}.${lastName}${index + 1}@example.com`.toLowerCase() : null;
  const optedOut = rng.chance(0.03);
  const emailConsent = email !== null && rng.chance(0.85);
  const smsConsent = rng.chance(0.6);
  const marketingConsent = rng.chance(0.5);
  const year = f.asOf.getUTCFullYear() - rng.int(18, 66);
  return {
    id: f.ids.uuid(),
    orgId: f.orgId,
    externalId: `DEMO-${String(index + 1).padStart(6, '0')}`,
    firstName,
    lastName,
    email,
    phone: rng.chance(0.9) ? `+1 555-01${String(rng.int(0, 99)).padStart(2, '0')}` : null,
    dateOfBirth: `${year}-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}`,
    status: 'lead',
    tags: [],
    source: rng.weighted(SOURCES, SOURCE_WEIGHTS),
    emailConsent,
    emailConsentAt: emailConsent ? createdAt : null,
    smsConsent,
    smsConsentAt: smsConsent ? createdAt : null,
    marketingConsent,
    marketingConsentAt: marketingConsent ? createdAt : null,
    optedOut,
    optedOutAt: optedOut ? createdAt : null,
    joinedAt: null,
    lastVisitAt: null,
    visits30d: 0,
    visitsRefreshedAt: f.asOf,
    leadStageId: null,
    ownerStaffId: null,
    createdBy: null,
    createdAt,
    updatedAt: createdAt,
  };
}

/** The `members` members, one after the other. */
export function simulateMembers(f: GymFrame, rng: Rng, members: number): void {
  const slots = f.slotWeights.map((_, i) => i);
  for (let i = 0; i < members; i++) {
    // The history's 12 slices: a launch in the first, a peak in January, fewer at the end of the year.
    const slice = rng.weighted(
      Array.from({ length: 12 }, (_, k) => k),
      Array.from({ length: 12 }, (_, k) => {
        const month = addMonths(f.start, k).getUTCMonth();
        return k === 0 ? 5 : month === 0 ? 1.8 : month === 8 ? 1.3 : month === 11 ? 0.7 : 1;
      }),
    );
    const from = addMonths(f.start, slice).getTime();
    const to = Math.min(addMonths(f.start, slice + 1).getTime(), f.asOf.getTime() - 2 * DAY_MS);
    const signup = new Date(from + Math.floor(rng.float() * Math.max(1, (to - from) / 60_000)) * 60_000);
    const contact = newContact(f, rng, i, new Date(signup.getTime() - rng.int(60, 21 * 24 * 60) * 60_000));
    const visitsPerWeek = rng.weighted([0.5, 1, 1.5, 2.2, 3, 3.8, 5], [8, 14, 20, 22, 18, 11, 7]);
    const habits: Habits = {
      visitsPerWeek,
      classShare: 0.4 + rng.float() * 0.55,
      noShowRate: rng.weighted([0.02, 0.06, 0.12, 0.25], [45, 30, 17, 8]),
      monthlyHazard: (visitsPerWeek < 1 ? 0.075 : visitsPerWeek < 2 ? 0.045 : 0.025) * (0.7 + rng.float() * 0.6),
      method: rng.weighted(['card', 'direct_debit', 'cash'] as const, [70, 22, 8]),
      favourites: rng.sample(slots, 4).sort((a, b) => f.slotWeights[b]! - f.slotWeights[a]!),
      driftsFrom: rng.chance(0.12) ? addDays(f.asOf, -rng.int(16, 40)) : null,
      pauseAt: rng.chance(0.05) ? new Date(f.asOf.getTime() - rng.int(3 * 24, 60 * 24) * HOUR_MS) : null,
      cardFailsFrom: rng.chance(0.04) ? new Date(f.asOf.getTime() - rng.int(24, 25 * 24) * HOUR_MS) : null,
    };
    if (habits.pauseAt && habits.pauseAt.getTime() < signup.getTime() + 14 * DAY_MS) habits.pauseAt = null;

    const subs = subscribe(f, rng, contact, signup, habits);
    const spans = subs.map((s) => s.span);
    const fades = subs.filter((s) => s.fadesBefore).map((s) => s.fadesBefore!.getTime());
    const last = subs[subs.length - 1]!.row;
    contact.joinedAt = signup;
    contact.status = last.status === 'active' || last.status === 'past_due' ? 'active' : last.status === 'paused' ? 'frozen' : f.asOf.getTime() - last.cancelledAt!.getTime() <= 60 * DAY_MS ? 'cancelled' : 'former';
    contact.leadStageId = rng.chance(0.7) ? f.stages.Won.id! : null;
    contact.ownerStaffId = rng.chance(0.6) ? rng.pick(f.staff.sales).id! : null;
    contact.tags = rng.sample(MEMBER_TAGS, rng.weighted([0, 1, 2], [50, 35, 15])).sort();
    contact.updatedAt = last.cancelledAt ?? signup;
    f.rows.contacts.push(contact);

    // Before joining: a trial class, a tour of the gym.
    if (rng.chance(0.35)) trialBefore(f, rng, contact, signup);
    if (rng.chance(0.15)) {
      const at = new Date(contact.createdAt.getTime() + Math.floor(rng.float() * (signup.getTime() - contact.createdAt.getTime())));
      pushBooking(f, { contact, session: null, kind: 'facility_tour', status: 'attended', startsAt: at, bookedAt: contact.createdAt, staffId: rng.pick(f.staff.sales).id!, cancelledAt: null });
    }
    visit(f, rng, contact, habits, spans, fades);
    extras(f, rng, contact, signup, spans);
  }
}

/** Personal training bought, goals and measurements, notes. */
function extras(f: GymFrame, rng: Rng, contact: DemoContact, signup: Date, spans: Span[]): void {
  const asOf = f.asOf.getTime();
  const until = Math.min(asOf, Math.max(...spans.map((s) => s[1])));
  const during = () => new Date(signup.getTime() + Math.floor(rng.float() * Math.max(1, until - signup.getTime())));
  if (rng.chance(0.08)) oneOff(f, rng, contact, during(), 240, 'Personal training, 4 sessions');

  if (rng.chance(0.25)) {
    const startKg = Math.round((62 + rng.float() * 48) * 10) / 10;
    const lose = rng.int(4, 10);
    const perMonth = 0.3 + rng.float() * 1.2;
    const goal: DemoGoal = {
      id: f.ids.uuid(),
      orgId: f.orgId,
      contactId: contact.id!,
      kind: 'weight',
      title: `Lose ${lose} kg`,
      metric: null,
      unit: 'kg',
      startValue: startKg,
      targetValue: Math.round((startKg - lose) * 10) / 10,
      targetDate: dateKey(addDays(signup, 182)),
      status: 'active',
      achievedAt: null,
      createdAt: signup,
      updatedAt: signup,
    };
    f.rows.goals.push(goal);
    for (let m = 0, at = signup.getTime() + 3 * DAY_MS; at < until; m++, at += 28 * DAY_MS) {
      const kg = Math.round((startKg - perMonth * m + (rng.float() - 0.5)) * 10) / 10;
      f.rows.measurements.push({
        id: f.ids.uuid(),
        orgId: f.orgId,
        contactId: contact.id!,
        measuredAt: new Date(at),
        weightKg: kg,
        bodyFatPct: rng.chance(0.6) ? Math.round((18 + rng.float() * 14) * 10) / 10 : null,
        metric: null,
        value: null,
        unit: 'kg',
        notes: '',
        createdAt: new Date(at),
      });
      if (goal.status === 'active' && kg <= goal.targetValue) {
        goal.status = 'achieved';
        goal.achievedAt = new Date(at);
        goal.updatedAt = new Date(at);
      }
    }
  } else if (rng.chance(0.12)) {
    const metric = rng.pick(['back_squat', 'deadlift', 'bench_press'] as const);
    const startKg = rng.int(40, 120);
    f.rows.goals.push({
      id: f.ids.uuid(),
      orgId: f.orgId,
      contactId: contact.id!,
      kind: 'pr',
      title: `${metric.replace('_', ' ')} ${startKg + 20} kg`,
      metric,
      unit: 'kg',
      startValue: startKg,
      targetValue: startKg + 20,
      targetDate: null,
      status: 'active',
      achievedAt: null,
      createdAt: signup,
      updatedAt: signup,
    });
    for (let m = 0, at = signup.getTime() + 7 * DAY_MS; at < until; m++, at += 35 * DAY_MS) {
      f.rows.measurements.push({
        id: f.ids.uuid(),
        orgId: f.orgId,
        contactId: contact.id!,
        measuredAt: new Date(at),
        weightKg: null,
        bodyFatPct: null,
        metric,
        value: startKg + Math.round(m * 2.5 * 10) / 10,
        unit: 'kg',
        notes: m === 0 ? 'Baseline' : '',
        createdAt: new Date(at),
      });
    }
  }
  if (rng.chance(0.15)) {
    for (let n = rng.int(1, 2); n > 0; n--) {
      const at = during();
      f.rows.notes.push({
        id: f.ids.uuid(),
        orgId: f.orgId,
        contactId: contact.id!,
        authorStaffId: rng.pick([...f.staff.frontDesk, ...f.staff.trainers.slice(0, 4), ...f.staff.managers]).id!,
        createdBy: null,
        body: rng.pick(NOTE_BODIES),
        createdAt: at,
        updatedAt: at,
      });
    }
  }
}

/** Leads in the pipeline: recent ones still open (contacted, trial booked, toured, negotiating), older ones mostly lost. */
export function simulateLeads(f: GymFrame, rng: Rng, leads: number, offset: number): void {
  const { stages } = f;
  const asOf = f.asOf.getTime();
  for (let i = 0; i < leads; i++) {
    const ageDays = Math.floor(rng.float() ** 2 * 365);
    const createdAt = new Date(Math.max(f.start.getTime(), asOf - ageDays * DAY_MS - rng.int(1, 14 * 60) * 60_000));
    const contact = newContact(f, rng, offset + i, createdAt);
    const stage =
      ageDays < 7
        ? stages.New
        : ageDays < 45
          ? rng.weighted([stages.Contacted, stages['Trial booked'], stages.Toured, stages.Negotiating], [35, 30, 20, 15])
          : rng.weighted([stages.Lost, stages.Contacted, stages.Negotiating], [60, 25, 15]);
    contact.leadStageId = stage.id!;
    contact.ownerStaffId = rng.pick(f.staff.sales).id!;
    f.rows.contacts.push(contact);

    if (stage === stages['Trial booked']) {
      const session = sessionNear(f, rng, new Date(createdAt.getTime() + rng.int(1, 10) * DAY_MS), createdAt.getTime(), f.horizon.getTime());
      if (session && bookSession(f, rng, contact, session, 'trial', 0.3)) contact.status = 'trial';
    }
    if (stage === stages.Toured || (stage === stages.Negotiating && rng.chance(0.5))) {
      const at = new Date(createdAt.getTime() + rng.int(1, 7) * DAY_MS + rng.int(10 * 60, 18 * 60) * 60_000 - (createdAt.getTime() % DAY_MS));
      if (at.getTime() < f.horizon.getTime()) {
        const status = at.getTime() >= asOf ? 'booked' : rng.chance(0.8) ? 'attended' : 'no_show';
        pushBooking(f, { contact, session: null, kind: 'facility_tour', status, startsAt: at, bookedAt: createdAt, staffId: rng.pick(f.staff.sales).id!, cancelledAt: null });
      }
    }
    if (rng.chance(0.12)) {
      const at = new Date(createdAt.getTime() + rng.int(1, 10) * DAY_MS);
      if (at.getTime() < asOf) oneOff(f, rng, contact, at, 25, 'Drop-in day pass');
    }
  }
}


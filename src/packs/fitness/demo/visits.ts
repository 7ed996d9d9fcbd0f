import { DAY_MS } from '../analytics/periods.js';
import { HOUR_MS, type Habits, type Span } from './billing.js';
import type { GymFrame } from './generate.js';
import type { Rng } from './prng.js';
import type { DemoBooking, DemoContact, DemoSession } from './rows.js';

/*
 * A demo member's visits: class bookings (with their outcome, never past a session's places),
 * trial classes and tours, check-ins (generate.ts describes the gym).
 */

const WEEK_MS = 7 * DAY_MS;

interface NewBooking {
  contact: DemoContact;
  session: DemoSession | null;
  kind: DemoBooking['kind'];
  status: DemoBooking['status'];
  startsAt: Date;
  bookedAt: Date;
  staffId: string | null;
  cancelledAt: Date | null;
}

/** Adds a booking (and the check-in of an attended one); false when its session has no place left or the contact holds one already. */
export function pushBooking(f: GymFrame, b: NewBooking): boolean {
  const sessionId = b.session?.id ?? null;
  if (sessionId && b.status !== 'cancelled') {
    const holders = f.holders.get(sessionId) ?? new Set<string>();
    if (holders.has(b.contact.id!) || (f.taken.get(sessionId) ?? 0) >= b.session!.capacity) return false;
    holders.add(b.contact.id!);
    f.holders.set(sessionId, holders);
    f.taken.set(sessionId, (f.taken.get(sessionId) ?? 0) + 1);
  }
  const past = b.startsAt.getTime() < f.asOf.getTime();
  const markedAt = b.cancelledAt ?? (past ? new Date(Math.min(b.startsAt.getTime() + 2 * HOUR_MS, f.asOf.getTime())) : b.bookedAt);
  f.rows.bookings.push({
    id: f.ids.uuid(),
    orgId: f.orgId,
    contactId: b.contact.id!,
    sessionId,
    kind: b.kind,
    status: b.status,
    bookedAt: b.bookedAt,
    startsAt: b.startsAt,
    staffId: b.staffId,
    cancelledAt: b.cancelledAt,
    createdAt: b.bookedAt,
    updatedAt: markedAt,
  });
  if (b.status === 'attended') checkIn(f, b.contact, new Date(b.startsAt.getTime() - 10 * 60_000), 'booking');
  return true;
}

function checkIn(f: GymFrame, contact: DemoContact, at: Date, source: 'booking' | 'front_desk' | 'kiosk' | 'app'): void {
  f.rows.checkIns.push({ id: f.ids.uuid(), orgId: f.orgId, contactId: contact.id!, at, source, createdAt: at });
}

/** Books `session` for the contact: past sessions get their outcome, later ones are booked. */
export function bookSession(f: GymFrame, rng: Rng, contact: DemoContact, session: DemoSession, kind: 'class' | 'trial', noShowRate: number): boolean {
  const t = session.startsAt.getTime();
  const asOf = f.asOf.getTime();
  if (t >= asOf) {
    const bookedAt = new Date(Math.min(t - 2 * HOUR_MS, asOf - rng.int(1, 72) * HOUR_MS));
    return pushBooking(f, { contact, session, kind, status: 'booked', startsAt: session.startsAt, bookedAt, staffId: null, cancelledAt: null });
  }
  if (rng.chance(0.06)) {
    const cancelledAt = new Date(t - rng.int(2, 36) * HOUR_MS);
    const bookedAt = new Date(cancelledAt.getTime() - rng.int(1, 96) * HOUR_MS);
    return pushBooking(f, { contact, session, kind, status: 'cancelled', startsAt: session.startsAt, bookedAt, staffId: null, cancelledAt });
  }
  // A few are never marked: the instructor forgot.
  const status = rng.chance(0.01) ? 'booked' : rng.chance(noShowRate) ? 'no_show' : 'attended';
  return pushBooking(f, { contact, session, kind, status, startsAt: session.startsAt, bookedAt: new Date(t - rng.int(2, 144) * HOUR_MS), staffId: null, cancelledAt: null });
}

/** A random scheduled session around `target` (same week), starting inside (after, before). */
export function sessionNear(f: GymFrame, rng: Rng, target: Date, after: number, before: number): DemoSession | null {
  const week = Math.floor((target.getTime() - f.week0.getTime()) / WEEK_MS);
  const sessions = f.sessionAt[week];
  if (!sessions) return null;
  for (let attempt = 0; attempt < 6; attempt++) {
    const s = rng.pick(sessions);
    if (s && s.status === 'scheduled' && s.startsAt.getTime() > after && s.startsAt.getTime() < before) return s;
  }
  return null;
}

export function trialBefore(f: GymFrame, rng: Rng, contact: DemoContact, signup: Date): void {
  const target = new Date(signup.getTime() - rng.int(1, 10) * DAY_MS);
  const session = sessionNear(f, rng, target, contact.createdAt.getTime(), signup.getTime());
  if (!session) return;
  const status = rng.chance(0.9) ? 'attended' : 'no_show';
  pushBooking(f, { contact, session, kind: 'trial', status, startsAt: session.startsAt, bookedAt: contact.createdAt, staffId: null, cancelledAt: null });
}

const within = (spans: Span[], t: number) => spans.some(([a, b]) => a <= t && t < b);

/** A member's weeks: class bookings at their favourite slots and open-gym check-ins, fewer before a cancellation and while drifting away. */
export function visit(f: GymFrame, rng: Rng, contact: DemoContact, habits: Habits, spans: Span[], fades: number[]): void {
  const asOf = f.asOf.getTime();
  const first = Math.max(0, Math.floor((spans[0]![0] - f.week0.getTime()) / WEEK_MS));
  for (let w = first; w < f.sessionAt.length; w++) {
    const from = f.week0.getTime() + w * WEEK_MS;
    const to = from + WEEK_MS;
    let overlap = 0;
    for (const [a, b] of spans) overlap += Math.max(0, Math.min(b, to) - Math.max(a, from));
    if (overlap === 0) continue;
    let rate = habits.visitsPerWeek * (overlap / WEEK_MS);
    if (fades.some((c) => from >= c - 42 * DAY_MS && from < c)) rate *= 0.35;
    if (habits.driftsFrom && to > habits.driftsFrom.getTime()) rate *= 0.05;
    const used = new Set<number>();
    const visits = rng.poisson(rate);
    for (let v = 0; v < visits; v++) {
      if (rng.chance(habits.classShare)) {
        const slot = rng.weighted(habits.favourites, [5, 3, 2, 1]);
        const session = f.sessionAt[w]![slot];
        if (used.has(slot) || !session || session.status !== 'scheduled' || !within(spans, session.startsAt.getTime())) continue;
        used.add(slot);
        bookSession(f, rng, contact, session, 'class', habits.noShowRate);
      } else {
        const at = from + rng.int(0, 6) * DAY_MS + rng.int(6 * 60, 21 * 60 + 59) * 60_000 + rng.int(0, 59) * 1000;
        if (at >= asOf || !within(spans, at)) continue;
        checkIn(f, contact, new Date(at), rng.weighted(['kiosk', 'front_desk', 'app'] as const, [50, 30, 20]));
      }
    }
  }
}

/** Every contact's last visit and visits in the 30 days before asOf, from their check-ins (as the CRM keeps them). */
export function finishVisits(f: GymFrame): void {
  const asOf = f.asOf.getTime();
  const last = new Map<string, number>();
  const recent = new Map<string, number>();
  for (const c of f.rows.checkIns) {
    const t = c.at.getTime();
    if (t >= asOf) continue;
    if (t > (last.get(c.contactId) ?? -Infinity)) last.set(c.contactId, t);
    if (t >= asOf - 30 * DAY_MS) recent.set(c.contactId, (recent.get(c.contactId) ?? 0) + 1);
  }
  for (const c of f.rows.contacts) {
    const t = last.get(c.id!);
    c.lastVisitAt = t === undefined ? null : new Date(t);
    c.visits30d = recent.get(c.id!) ?? 0;
  }
}

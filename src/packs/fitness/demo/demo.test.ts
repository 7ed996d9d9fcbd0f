import { describe, expect, it } from 'vitest';
import { engagementScore } from '../analytics/engagement.js';
import { divideRounded, money, monthlyAmount, rate } from '../analytics/format.js';
import { addMonths } from '../analytics/periods.js';
import { generateDemoGym } from './generate.js';
import { DEMO_TABLES, type DemoGym } from './rows.js';
import { groundTruth, truthOf } from './truth.js';

// The generator and the ground truth by themselves (no database): determinism, the gym's
// invariants (what the CRM's own rules would refuse), and the shared rounding rules.

const ORG = '0a0a0a0a-0000-4000-8000-000000000001';
const OTHER = '0b0b0b0b-0000-4000-8000-000000000002';
const AS_OF = new Date('2026-03-15T00:00:00Z');
const gymOf = (seed: number, org = ORG, members = 300) => generateDemoGym(org, { seed, members, asOf: AS_OF });

/** The rows with every id replaced by its first-seen order, so two organizations' gyms compare. */
function withoutIds(gym: DemoGym): unknown {
  const seen = new Map<string, number>();
  const re = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  return JSON.parse(JSON.stringify(gym.rows), (_k, v: unknown) => {
    if (typeof v !== 'string' || !re.test(v)) return v;
    if (!seen.has(v)) seen.set(v, seen.size);
    return `#${seen.get(v)}`;
  });
}

describe('the demo gym generator', () => {
  const gym = gymOf(7);

  it('makes the same rows from the same seed, other rows from another, the same gym with other ids in another organization', () => {
    expect(gymOf(7)).toEqual(gym);
    const other = gymOf(8);
    expect(other.rows.contacts.map((c) => c.email)).not.toEqual(gym.rows.contacts.map((c) => c.email));
    const elsewhere = gymOf(7, OTHER);
    expect(elsewhere.rows.contacts[0]!.id).not.toBe(gym.rows.contacts[0]!.id);
    expect(elsewhere.rows.contacts.every((c) => c.orgId === OTHER)).toBe(true);
    expect(withoutIds(elsewhere)).toEqual(withoutIds(gym));
  });

  it('has the members asked for, leads, staff of every role, plans, classes and 12 months of sessions', () => {
    const { rows } = gym;
    expect(new Set(rows.subscriptions.map((s) => s.contactId)).size).toBe(300);
    expect(rows.contacts).toHaveLength(300 + 90);
    expect(new Set(rows.staff.map((s) => s.role))).toEqual(new Set(['owner', 'manager', 'trainer', 'front_desk', 'sales']));
    expect(rows.plans.map((p) => p.billingInterval).sort()).toEqual(['month', 'month', 'month', 'week', 'year']);
    expect(rows.plans.some((p) => p.intervalCount === 3)).toBe(true);
    expect(rows.classes.map((c) => c.name)).toEqual(expect.arrayContaining(['Yoga Flow', 'HIIT', 'Spin', 'Pilates', 'Boxing', 'Strength Club']));
    const starts = rows.sessions.map((s) => s.startsAt.getTime());
    expect(Math.min(...starts)).toBeGreaterThanOrEqual(gym.start.getTime());
    expect(Math.min(...starts)).toBeLessThan(gym.start.getTime() + 3 * 86_400_000);
    expect(gym.start).toEqual(addMonths(AS_OF, -12));
    expect(Math.max(...starts)).toBeLessThan(AS_OF.getTime() + 14 * 86_400_000);
    expect(Math.max(...starts)).toBeGreaterThan(AS_OF.getTime() + 12 * 86_400_000);
    for (const t of DEMO_TABLES) expect(rows[t].length, t).toBeGreaterThan(0);
  });

  it('covers every state the analytics tell apart', () => {
    const { rows } = gym;
    const statuses = (list: { status: string }[]) => new Set(list.map((x) => x.status));
    expect(statuses(rows.subscriptions)).toEqual(new Set(['active', 'paused', 'cancelled', 'past_due']));
    expect(statuses(rows.payments)).toEqual(new Set(['succeeded', 'failed', 'refunded', 'partially_refunded']));
    expect(statuses(rows.bookings)).toEqual(new Set(['booked', 'attended', 'no_show', 'cancelled']));
    expect(new Set(rows.bookings.map((b) => b.kind))).toEqual(new Set(['class', 'trial', 'facility_tour']));
    expect(statuses(rows.contacts)).toEqual(new Set(['lead', 'trial', 'active', 'frozen', 'cancelled', 'former']));
    expect(rows.subscriptions.some((s) => s.cancelReason === 'plan change')).toBe(true);
    expect(rows.payments.some((p) => p.subscriptionId === null)).toBe(true);
    expect(new Set(rows.subscriptions.filter((s) => s.cancelledAt).map((s) => s.contactId)).size).toBeLessThan(rows.subscriptions.filter((s) => s.cancelledAt).length);
  });

  it('keeps the rules the CRM enforces', () => {
    const { rows } = gym;
    for (const t of DEMO_TABLES) expect(new Set(rows[t].map((r) => r.id)).size, t).toBe(rows[t].length);
    const emails = rows.contacts.map((c) => c.email).filter((e) => e !== null);
    expect(new Set(emails).size).toBe(emails.length);
    for (const p of rows.payments) {
      expect(p.refundedMicros).toBeLessThanOrEqual(p.amountMicros);
      expect(p.refundedMicros === 0).toBe(p.status === 'succeeded' || p.status === 'failed');
      expect(p.refundedMicros === p.amountMicros).toBe(p.status === 'refunded');
      expect(p.paidAt.getTime()).toBeLessThan(AS_OF.getTime());
    }
    for (const s of rows.subscriptions) {
      if (s.cancelledAt) expect(s.cancelledAt.getTime()).toBeGreaterThan(s.startedAt.getTime());
      expect(s.cancelledAt !== null).toBe(s.status === 'cancelled');
    }
    const sessions = new Map(rows.sessions.map((s) => [s.id, s]));
    const places = new Map<string, number>();
    const holders = new Set<string>();
    for (const b of rows.bookings) {
      expect(b.kind === 'facility_tour').toBe(b.sessionId === null);
      if (!b.sessionId) continue;
      const session = sessions.get(b.sessionId)!;
      expect(b.startsAt).toEqual(session.startsAt);
      expect(session.status).toBe('scheduled');
      expect(b.status === 'booked' || b.startsAt < AS_OF).toBe(true);
      if (b.status === 'cancelled') continue;
      const key = `${b.sessionId}:${b.contactId}`;
      expect(holders.has(key)).toBe(false);
      holders.add(key);
      places.set(b.sessionId, (places.get(b.sessionId) ?? 0) + 1);
    }
    for (const [id, n] of places) expect(n).toBeLessThanOrEqual(sessions.get(id)!.capacity);
    expect(rows.checkIns.every((c) => c.at < AS_OF)).toBe(true);
  });

  it('gives each contact the last visit and 30-day visits of their check-ins', () => {
    const c = gym.rows.contacts.find((x) => x.visits30d > 3)!;
    const mine = gym.rows.checkIns.filter((x) => x.contactId === c.id);
    expect(c.lastVisitAt).toEqual(new Date(Math.max(...mine.map((x) => x.at.getTime()))));
    expect(mine.filter((x) => x.at.getTime() >= AS_OF.getTime() - 30 * 86_400_000)).toHaveLength(c.visits30d);
  });

  it('writes the ground truth of every report, with figures a gym would show', () => {
    const truth = groundTruth(gym);
    expect(Object.keys(truth.reports)).toHaveLength(12);
    const mrr = truth.reports.calculate_mrr as { mrr: { micros: number }; activeMembers: number; history: unknown[] };
    expect(mrr.activeMembers).toBeGreaterThan(150);
    expect(mrr.mrr.micros).toBeGreaterThan(mrr.activeMembers * 40_000_000);
    expect(mrr.history).toHaveLength(12);
    expect(JSON.parse(JSON.stringify(truth))).toEqual(truth);
    expect(truthOf(gym, 'calculate_arr')).toMatchObject({ arr: { micros: mrr.mrr.micros * 12 } });
  });
});

describe('the shared rules', () => {
  it('turns prices into monthly amounts, rounding half up to the micro-dollar', () => {
    expect(monthlyAmount(19_000_000, 'week', 1)).toBe(82_333_333); // 82,333,333.33
    expect(monthlyAmount(3, 'week', 1)).toBe(13); // 13.0
    expect(monthlyAmount(1, 'year', 8)).toBe(0); // 0.0104
    expect(monthlyAmount(6, 'year', 1)).toBe(1); // 0.5 rounds up
    expect(monthlyAmount(199_000_000, 'month', 3)).toBe(66_333_333);
    expect(monthlyAmount(200_000_000, 'month', 3)).toBe(66_666_667);
    expect(monthlyAmount(799_000_000, 'year', 1)).toBe(66_583_333);
    expect(divideRounded(5, 2)).toBe(3);
    expect(divideRounded(-5, 2)).toBe(-3);
    expect(divideRounded(7, 0)).toBe(0);
    expect(rate(1, 3)).toBe(0.3333);
    expect(rate(2, 3)).toBe(0.6667);
    expect(rate(1, 0)).toBeNull();
    expect(money(1_234_567_890)).toEqual({ micros: 1_234_567_890, display: '$1,234.57' });
    expect(money(1_234_567_890, 'EUR')).toEqual({ micros: 1_234_567_890, display: '1,234.57 EUR' });
  });

  it('scores engagement from 0 to 100 as documented', () => {
    expect(engagementScore({ daysSinceLastVisit: 0, visits30d: 12, noShows30d: 0, failedPayments30d: 0 })).toEqual({ score: 100, recency: 40, frequency: 30, reliability: 20, payments: 10 });
    expect(engagementScore({ daysSinceLastVisit: 2, visits30d: 30, noShows30d: 0, failedPayments30d: 0 }).score).toBe(100);
    expect(engagementScore({ daysSinceLastVisit: 3, visits30d: 5, noShows30d: 1, failedPayments30d: 1 })).toEqual({ score: 38 + 12 + 15 + 5, recency: 38, frequency: 12, reliability: 15, payments: 5 });
    expect(engagementScore({ daysSinceLastVisit: 22, visits30d: 1, noShows30d: 9, failedPayments30d: 3 })).toEqual({ score: 2, recency: 0, frequency: 2, reliability: 0, payments: 0 });
    expect(engagementScore({ daysSinceLastVisit: null, visits30d: 0, noShows30d: 0, failedPayments30d: 0 }).score).toBe(30);
  });
});

import { truthEngagementOf } from '../demo/truth-activity.js';
import type { DemoBooking, DemoClass, DemoContact, DemoGoal, DemoGym, DemoLeadStage, DemoPayment, DemoPlan, DemoSession, DemoStaff, DemoSubscription } from '../demo/rows.js';

/*
 * What the fitness tools should answer on a demo gym, computed in TypeScript from the rows the
 * generator made and a "now" (demo-gym.test.ts). Written from the tools' documented rules, not
 * from their code: a filter is a predicate over the rows, an order a comparator, money a sum of
 * integers, a time zone an offset worked out by hand. Test-only (imports nothing from test/).
 */

export const DAY = 86_400_000;
const MINUTE = 60_000;

export const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());
/** Code-unit order: what PostgreSQL's C collation (the test databases') does with these ASCII names. */
export const cmp = (a: string | number, b: string | number): number => (a < b ? -1 : a > b ? 1 : 0);
const within = (d: Date, from: Date, to: Date) => d.getTime() >= from.getTime() && d.getTime() < to.getTime();
const count = <T>(list: T[], key: (x: T) => string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const x of list) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return out;
};

/** Micro-dollars as "$1,234.56" (cents at least, every non-zero micro-dollar kept), from integers. */
export function usd(micros: number): string {
  if (!Number.isSafeInteger(micros) || micros < 0) throw new Error(`not a money amount: ${micros}`);
  const whole = String(Math.floor(micros / 1_000_000)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fraction = String(micros % 1_000_000).padStart(6, '0').replace(/0+$/, '').padEnd(2, '0');
  return `$${whole}.${fraction}`;
}
export const money = (micros: number) => ({ micros, usd: usd(micros) });

export const fullName = (c: { firstName: string; lastName: string }) => [c.firstName, c.lastName].filter(Boolean).join(' ');
export const isLead = (c: DemoContact) => c.status === 'lead' || c.status === 'trial';
const SEAT_TAKING = new Set(['booked', 'attended']);

export interface ContactFilter {
  statuses: readonly string[];
  query?: string;
  tag?: string;
  notVisitedForDays?: number;
  visitedWithinDays?: number;
  consent?: 'email' | 'sms' | 'marketing';
  source?: string;
  leadStageId?: string;
  ownerStaffId?: string;
}

export type Reach = { ok: true; channel: 'email' | 'sms'; address: string } | { ok: false; reasons: string[] };

/**
 * The contact search's documented rule: every word of the query starts a word of the name, the
 * email (whole and split at @ and .) or the external id; a query of phone characters matches the
 * phone's digits from their start.
 */
export function matchesQuery(c: DemoContact, q: string): boolean {
  const digits = q.replace(/\D/g, '');
  if (/^[\d\s()+.\-/]+$/.test(q) && digits.length >= 3) return (c.phone ?? '').replace(/\D/g, '').startsWith(digits);
  const words = [c.firstName, c.lastName, ...(c.email ? c.email.split(/[@.]/) : []), ...(c.externalId ? [c.externalId, ...c.externalId.split('-')] : [])].map((w) => w.toLowerCase());
  return q
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((w) => words.some((x) => x.startsWith(w)));
}

/**
 * Who a message may reach (docs/fitness.md): never someone opted out; marketing needs marketing
 * consent; email needs email consent and an address, SMS SMS consent and a phone; auto tries
 * email, then SMS, and names every reason when neither works.
 */
export function reachOf(c: DemoContact, channel: 'auto' | 'email' | 'sms', purpose: 'service' | 'marketing'): Reach {
  if (c.optedOut) return { ok: false, reasons: ['opted_out'] };
  if (purpose === 'marketing' && !c.marketingConsent) return { ok: false, reasons: ['no_marketing_consent'] };
  const email = (): Reach => (!c.emailConsent ? { ok: false, reasons: ['no_email_consent'] } : !c.email ? { ok: false, reasons: ['no_email'] } : { ok: true, channel: 'email', address: c.email });
  const sms = (): Reach =>
    !c.smsConsent ? { ok: false, reasons: ['no_sms_consent'] } : !c.phone ? { ok: false, reasons: ['no_phone'] } : { ok: true, channel: 'sms', address: `+${c.phone.replace(/\D/g, '')}` };
  if (channel === 'email') return email();
  if (channel === 'sms') return sms();
  const e = email();
  if (e.ok) return e;
  const s = sms();
  return s.ok ? s : { ok: false, reasons: [...e.reasons, ...s.reasons] };
}

/** {{time_away}} as the templates promise it: "in a while" (never came), "since yesterday", "in N days". */
export function timeAway(c: DemoContact, now: Date): string {
  if (!c.lastVisitAt) return 'in a while';
  const days = Math.floor((now.getTime() - c.lastVisitAt.getTime()) / DAY);
  return days <= 1 ? 'since yesterday' : `in ${days} days`;
}

/** Least squares y = a + b·x over (days since the first point, value). */
export function leastSquares(points: { at: Date; value: number }[]) {
  const t0 = points[0]!.at.getTime();
  const xs = points.map((p) => (p.at.getTime() - t0) / DAY);
  const ys = points.map((p) => p.value);
  const n = points.length;
  const mx = xs.reduce((a, x) => a + x, 0) / n;
  const my = ys.reduce((a, y) => a + y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  xs.forEach((x, i) => {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (ys[i]! - my);
    syy += (ys[i]! - my) ** 2;
  });
  const slope = sxy / sxx;
  return { t0, slope, intercept: my - slope * mx, r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
}

/**
 * Weekday (0 = Monday) and hour in America/New_York, by the US rule worked out by hand for the
 * dates the demo gym covers: EDT (UTC-4) from 2025-03-09 07:00Z to 2025-11-02 06:00Z and from
 * 2026-03-08 07:00Z to 2026-11-01 06:00Z, EST (UTC-5) between.
 */
export function newYork(at: Date): { weekday: number; hour: number; minute: number; local: Date } {
  const t = at.getTime();
  const edt = (t >= Date.UTC(2025, 2, 9, 7) && t < Date.UTC(2025, 10, 2, 6)) || (t >= Date.UTC(2026, 2, 8, 7) && t < Date.UTC(2026, 10, 1, 6));
  if (t < Date.UTC(2025, 0, 1) || t >= Date.UTC(2027, 0, 1)) throw new Error('newYork(): outside the years worked out');
  const local = new Date(t + (edt ? -4 : -5) * 3_600_000);
  return { weekday: (local.getUTCDay() + 6) % 7, hour: local.getUTCHours(), minute: local.getUTCMinutes(), local };
}
const SHORT_DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
/** "Sun 14:00" in New York. */
export const newYorkSlot = (at: Date) => {
  const { weekday, hour, minute } = newYork(at);
  return `${SHORT_DAYS[weekday]} ${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
};

/** The generated gym seen at `now`: lookups, and each tool's answer as its documentation states it. */
export class GymTruth {
  readonly contacts = new Map<string, DemoContact>();
  readonly sessions = new Map<string, DemoSession>();
  readonly classes = new Map<string, DemoClass>();
  readonly staff = new Map<string, DemoStaff>();
  readonly plans = new Map<string, DemoPlan>();
  readonly stages = new Map<string, DemoLeadStage>();
  readonly bookingsOf = new Map<string, DemoBooking[]>();
  readonly bookingsIn = new Map<string, DemoBooking[]>();
  private activeEngagement?: Map<string, ReturnType<typeof truthEngagementOf>[number]>;

  constructor(
    readonly gym: DemoGym,
    readonly now: Date,
    readonly gymName: string,
  ) {
    const r = gym.rows;
    for (const c of r.contacts) this.contacts.set(c.id!, c);
    for (const s of r.sessions) this.sessions.set(s.id!, s);
    for (const c of r.classes) this.classes.set(c.id!, c);
    for (const s of r.staff) this.staff.set(s.id!, s);
    for (const p of r.plans) this.plans.set(p.id!, p);
    for (const s of r.leadStages) this.stages.set(s.id!, s);
    for (const b of r.bookings) {
      this.bookingsOf.set(b.contactId, [...(this.bookingsOf.get(b.contactId) ?? []), b]);
      if (b.sessionId) this.bookingsIn.set(b.sessionId, [...(this.bookingsIn.get(b.sessionId) ?? []), b]);
    }
  }

  /** A booking a tool made: later answers count it. */
  addBooking(b: DemoBooking): void {
    this.rows.bookings.push(b);
    this.bookingsOf.set(b.contactId, [...(this.bookingsOf.get(b.contactId) ?? []), b]);
    if (b.sessionId) this.bookingsIn.set(b.sessionId, [...(this.bookingsIn.get(b.sessionId) ?? []), b]);
  }

  get rows() {
    return this.gym.rows;
  }
  contact(id: string) {
    return this.contacts.get(id)!;
  }
  ago(days: number) {
    return new Date(this.now.getTime() - days * DAY);
  }
  ahead(days: number) {
    return new Date(this.now.getTime() + days * DAY);
  }

  // ---- contacts ----

  contactLine(c: DemoContact) {
    return {
      id: c.id,
      name: fullName(c),
      status: c.status,
      kind: isLead(c) ? 'lead' : 'member',
      email: c.email,
      phone: c.phone,
      tags: c.tags,
      lastVisitAt: iso(c.lastVisitAt),
      visits30d: c.visits30d,
    };
  }

  /** Contacts matching every filter, newest first (created, then id, both descending) or by name (lower-cased "first last", then id). */
  searchContacts(f: ContactFilter, sort: 'newest' | 'name' = 'newest'): DemoContact[] {
    const notSince = f.notVisitedForDays ? this.ago(f.notVisitedForDays) : null;
    const since = f.visitedWithinDays ? this.ago(f.visitedWithinDays) : null;
    const consent = (c: DemoContact) => !c.optedOut && (f.consent === 'email' ? c.emailConsent : f.consent === 'sms' ? c.smsConsent : c.marketingConsent);
    const found = this.rows.contacts.filter(
      (c) =>
        f.statuses.includes(c.status) &&
        (!f.query || matchesQuery(c, f.query)) &&
        (!f.tag || c.tags.includes(f.tag)) &&
        (!notSince || c.lastVisitAt === null || c.lastVisitAt < notSince) &&
        (!since || (c.lastVisitAt !== null && c.lastVisitAt >= since)) &&
        (!f.consent || consent(c)) &&
        (!f.source || c.source === f.source) &&
        (!f.leadStageId || c.leadStageId === f.leadStageId) &&
        (!f.ownerStaffId || c.ownerStaffId === f.ownerStaffId),
    );
    const byName = (c: DemoContact) => `${c.firstName} ${c.lastName}`.toLowerCase();
    return found.sort((a, b) => (sort === 'name' ? cmp(byName(a), byName(b)) || cmp(a.id!, b.id!) : b.createdAt.getTime() - a.createdAt.getTime() || cmp(b.id!, a.id!)));
  }

  // ---- lines the tools are made of ----

  subscriptionLine(s: DemoSubscription) {
    const c = this.contact(s.contactId);
    return {
      id: s.id,
      contactId: s.contactId,
      contactName: fullName(c),
      plan: this.plans.get(s.planId)!.name,
      planId: s.planId,
      status: s.status,
      price: money(s.priceMicros),
      every: s.intervalCount === 1 ? s.billingInterval : `${s.intervalCount} ${s.billingInterval}s`,
      currency: s.currency,
      startedAt: iso(s.startedAt),
      cancelledAt: iso(s.cancelledAt),
      cancelReason: s.cancelReason,
    };
  }

  paymentLine(p: DemoPayment) {
    return {
      id: p.id,
      paidAt: iso(p.paidAt),
      amount: money(p.amountMicros),
      refunded: money(p.refundedMicros),
      currency: p.currency,
      status: p.status,
      method: p.method,
      description: p.description || null,
      failureReason: p.failureReason,
      subscriptionId: p.subscriptionId,
    };
  }

  /** Collected: every payment but failed ones; refunded: every refund; failed: count and amount. */
  paymentTotals(list: DemoPayment[]) {
    const collected = list.filter((p) => p.status !== 'failed').reduce((a, p) => a + p.amountMicros, 0);
    const refunded = list.reduce((a, p) => a + p.refundedMicros, 0);
    const failed = list.filter((p) => p.status === 'failed');
    return {
      payments: list.length,
      collected: money(collected),
      refunded: money(refunded),
      net: money(collected - refunded),
      failed: failed.length,
      failedAmount: money(failed.reduce((a, p) => a + p.amountMicros, 0)),
    };
  }

  bookingLine(b: DemoBooking) {
    const s = b.sessionId ? this.sessions.get(b.sessionId)! : null;
    return {
      id: b.id,
      kind: b.kind,
      status: b.status,
      startsAt: iso(b.startsAt),
      bookedAt: iso(b.bookedAt),
      sessionId: b.sessionId,
      className: s ? this.classes.get(s.classId)!.name : null,
      room: s?.room || null,
      staffName: b.staffId ? this.staff.get(b.staffId)!.name : null,
    };
  }

  /** Places taken in a session: its booked and attended bookings. */
  booked(sessionId: string): number {
    return (this.bookingsIn.get(sessionId) ?? []).filter((b) => SEAT_TAKING.has(b.status)).length;
  }

  sessionLine(s: DemoSession) {
    const cls = this.classes.get(s.classId)!;
    const booked = this.booked(s.id!);
    return {
      id: s.id,
      classId: s.classId,
      className: cls.name,
      category: cls.category || null,
      startsAt: iso(s.startsAt),
      endsAt: iso(s.endsAt),
      room: s.room || null,
      instructorId: s.instructorId,
      instructor: s.instructorId ? this.staff.get(s.instructorId)!.name : null,
      status: s.status,
      capacity: s.capacity,
      booked,
      spotsLeft: Math.max(0, s.capacity - booked),
    };
  }

  /** Sessions starting in [from, to] (both included), soonest first, then by id. */
  sessionsBetween(from: Date, to: Date, keep: (s: DemoSession) => boolean = (s) => s.status === 'scheduled'): DemoSession[] {
    return this.rows.sessions.filter((s) => s.startsAt >= from && s.startsAt <= to && keep(s)).sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime() || cmp(a.id!, b.id!));
  }

  // ---- profiles ----

  /** view_client_profile: the contact, consents, memberships, money, bookings, goals, measurements, notes and messages. */
  profile(c: DemoContact, messages: unknown[] = []) {
    const now = this.now;
    const r = this.rows;
    const mine = <T extends { contactId: string }>(list: T[]) => list.filter((x) => x.contactId === c.id);
    const payments = mine(r.payments);
    const bookings = this.bookingsOf.get(c.id!) ?? [];
    const last90 = bookings.filter((b) => within(b.startsAt, this.ago(90), now));
    const stage = c.leadStageId ? this.stages.get(c.leadStageId)! : null;
    const owner = c.ownerStaffId ? this.staff.get(c.ownerStaffId)! : null;
    return {
      id: c.id,
      name: fullName(c),
      firstName: c.firstName,
      lastName: c.lastName,
      status: c.status,
      kind: isLead(c) ? 'lead' : 'member',
      email: c.email,
      phone: c.phone,
      dateOfBirth: c.dateOfBirth,
      tags: c.tags,
      source: c.source,
      consents: { email: c.emailConsent, sms: c.smsConsent, marketing: c.marketingConsent, optedOut: c.optedOut },
      joinedAt: iso(c.joinedAt),
      createdAt: iso(c.createdAt),
      lastVisitAt: iso(c.lastVisitAt),
      visits30d: c.visits30d,
      leadStage: stage ? { id: stage.id, name: stage.name, isWon: stage.isWon, isLost: stage.isLost } : null,
      owner: owner ? { id: owner.id, name: owner.name, role: owner.role } : null,
      subscriptions: mine(r.subscriptions)
        .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || cmp(a.id!, b.id!))
        .slice(0, 5)
        .map((s) => this.subscriptionLine(s)),
      payments: {
        ...this.paymentTotals(payments),
        latest: [...payments]
          .sort((a, b) => b.paidAt.getTime() - a.paidAt.getTime())
          .slice(0, 5)
          .map((p) => this.paymentLine(p)),
      },
      bookings: {
        upcoming: bookings
          .filter((b) => b.startsAt >= now && SEAT_TAKING.has(b.status))
          .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime() || cmp(a.id!, b.id!))
          .slice(0, 5)
          .map((b) => this.bookingLine(b)),
        last90Days: {
          attended: last90.filter((b) => b.status === 'attended').length,
          noShow: last90.filter((b) => b.status === 'no_show').length,
          cancelled: last90.filter((b) => b.status === 'cancelled').length,
          booked: last90.filter((b) => b.status === 'booked').length,
        },
      },
      goals: mine(r.goals)
        .filter((g) => g.status === 'active')
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
        .slice(0, 5)
        .map((g) => ({ id: g.id, kind: g.kind, title: g.title, metric: g.metric, unit: g.unit, startValue: g.startValue, targetValue: g.targetValue, targetDate: g.targetDate })),
      latestMeasurements: mine(r.measurements)
        .sort((a, b) => b.measuredAt.getTime() - a.measuredAt.getTime())
        .slice(0, 3)
        .map((m) => ({ measuredAt: iso(m.measuredAt), weightKg: m.weightKg, bodyFatPct: m.bodyFatPct, metric: m.metric, value: m.value, unit: m.unit })),
      recentNotes: mine(r.notes)
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
        .slice(0, 3)
        .map((n) => ({ at: iso(n.createdAt), body: n.body.length > 300 ? `${n.body.slice(0, 299)}…` : n.body })),
      recentMessages: messages,
    };
  }

  /** The lead's trial classes and facility tours, latest first, at most 10. */
  trialsAndTours(c: DemoContact) {
    return (this.bookingsOf.get(c.id!) ?? [])
      .filter((b) => b.kind === 'trial' || b.kind === 'facility_tour')
      .sort((a, b) => b.startsAt.getTime() - a.startsAt.getTime() || cmp(a.id!, b.id!))
      .slice(0, 10)
      .map((b) => this.bookingLine(b));
  }

  pipeline() {
    return [...this.rows.leadStages].sort((a, b) => a.position - b.position || cmp(a.name.toLowerCase(), b.name.toLowerCase())).map((s) => ({ name: s.name, isWon: s.isWon, isLost: s.isLost }));
  }

  // ---- engagement ----

  /**
   * The engagement score at `now` of any contact (docs: recency 0-40, frequency 0-30, reliability
   * 0-20, payments 0-10 over the 30 days before now). Active members come from the generator's own
   * truth (truthEngagementOf); anyone else is worked out here from the same rows and rule.
   */
  engagement(contactId: string) {
    this.activeEngagement ??= new Map(truthEngagementOf(this.gym, this.now).map((e) => [e.contactId, e]));
    const active = this.activeEngagement.get(contactId);
    if (active) return active;
    const since = this.ago(30);
    const visits = this.rows.checkIns.filter((x) => x.contactId === contactId && within(x.at, since, this.now));
    const last = visits.length ? Math.max(...visits.map((x) => x.at.getTime())) : null;
    const inputs = {
      daysSinceLastVisit: last === null ? null : Math.floor((this.now.getTime() - last) / DAY),
      visits30d: visits.length,
      noShows30d: (this.bookingsOf.get(contactId) ?? []).filter((b) => b.status === 'no_show' && within(b.startsAt, since, this.now)).length,
      failedPayments30d: this.rows.payments.filter((p) => p.contactId === contactId && p.status === 'failed' && within(p.paidAt, since, this.now)).length,
    };
    const recency = inputs.daysSinceLastVisit === null ? 0 : Math.max(0, 40 - 2 * Math.max(0, inputs.daysSinceLastVisit - 2));
    const frequency = Math.min(30, Math.floor((5 * inputs.visits30d) / 2));
    const reliability = Math.max(0, 20 - 5 * inputs.noShows30d);
    const payments = Math.max(0, 10 - 5 * inputs.failedPayments30d);
    return { contactId, ...inputs, score: recency + frequency + reliability + payments, recency, frequency, reliability, payments };
  }

  // ---- fitness ----

  /** Goals of a contact in creation order. */
  goalsOf(contactId: string): DemoGoal[] {
    return this.rows.goals.filter((g) => g.contactId === contactId).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  /** Visits for the schedule suggestions: attended class times and check-ins in [since, now], one per hour (UTC) they fall in. */
  visitHours(contactId: string, since: Date): Date[] {
    const hours = new Map<string, Date>();
    const attended = (this.bookingsOf.get(contactId) ?? []).filter((b) => b.status === 'attended' && b.sessionId && b.startsAt >= since && b.startsAt <= this.now);
    const checkIns = this.rows.checkIns.filter((x) => x.contactId === contactId && x.at >= since && x.at <= this.now);
    for (const t of [...attended.map((b) => b.startsAt), ...checkIns.map((x) => x.at)]) hours.set(t.toISOString().slice(0, 13), t);
    return [...hours.values()];
  }

  /** Every id the gym's rows hold (to tell that none leaks into another organization's answers). */
  ids(): Set<string> {
    const out = new Set<string>();
    for (const list of Object.values(this.rows) as { id?: string | null }[][]) for (const row of list) if (row.id) out.add(row.id);
    return out;
  }
}

export { count, MINUTE, within };

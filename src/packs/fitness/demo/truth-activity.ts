import { addAttendance, attendanceFigures, WEEKDAYS, zeroAttendance, type AttendanceCounts } from '../analytics/classes.js';
import { ENGAGEMENT_WINDOW_DAYS, engagementScore, wholeDays, type ContactEngagement } from '../analytics/engagement.js';
import { average2, byText, money, monthlyAmount, rate } from '../analytics/format.js';
import { UPCOMING_DAYS } from '../analytics/operations.js';
import type { AtRiskParams, AttendanceParams, EngagementParams, NoShowParams, OperationsParams } from '../analytics/params.js';
import { DAY_MS } from '../analytics/periods.js';
import { ENGAGEMENT_BUCKETS, riskReasons } from '../analytics/risk.js';
import type { AtRiskReport, AttendanceReport, EngagementReport, NoShowReport, OperationsReport } from '../analytics/schemas.js';
import { BOOKING_KINDS } from '../crm/enums.js';
import type { DemoBooking, DemoContact, DemoGym, DemoSession } from './rows.js';
import { counted } from './truth-money.js';

/*
 * The ground truth of the class, engagement and operations reports, from a generated gym's rows
 * (see truth-money.ts). Bookings are tied to their session by session id here, where the SQL
 * finds them by their start time.
 */

/** -Infinity (none) first; equal infinities are ties. */
const compareTimes = (a: number, b: number) => (a === b ? 0 : a - b);
const within = (d: Date, start: Date, end: Date) => d.getTime() >= start.getTime() && d.getTime() < end.getTime();
const nameOf = (c: DemoContact) => `${c.firstName} ${c.lastName}`.trim();
const isoWeekday = (d: Date) => ((d.getUTCDay() + 6) % 7) + 1;

function bookingsBySession(gym: DemoGym): Map<string, DemoBooking[]> {
  const out = new Map<string, DemoBooking[]>();
  for (const b of gym.rows.bookings) {
    if (!b.sessionId) continue;
    if (!out.has(b.sessionId)) out.set(b.sessionId, []);
    out.get(b.sessionId)!.push(b);
  }
  return out;
}

/** One session's counts (a cancelled session counts as cancelled, nothing else). */
function outcome(s: DemoSession, bookings: DemoBooking[]): AttendanceCounts {
  if (s.status === 'cancelled') return { ...zeroAttendance(), cancelledSessions: 1 };
  return {
    sessions: 1,
    cancelledSessions: 0,
    capacity: s.capacity,
    bookings: bookings.filter((b) => b.status !== 'cancelled').length,
    attended: bookings.filter((b) => b.status === 'attended').length,
    noShows: bookings.filter((b) => b.status === 'no_show').length,
    unmarked: bookings.filter((b) => b.status === 'booked').length,
  };
}

export function truthAttendance(gym: DemoGym, p: AttendanceParams): AttendanceReport {
  const bookings = bookingsBySession(gym);
  const byClass = new Map<string, AttendanceCounts>();
  const byDay = WEEKDAYS.map(() => zeroAttendance());
  for (const s of gym.rows.sessions) {
    if (!within(s.startsAt, p.start, p.end) || (p.classId && s.classId !== p.classId)) continue;
    const c = outcome(s, bookings.get(s.id!) ?? []);
    byClass.set(s.classId, addAttendance(byClass.get(s.classId) ?? zeroAttendance(), c));
    byDay[isoWeekday(s.startsAt) - 1] = addAttendance(byDay[isoWeekday(s.startsAt) - 1]!, c);
  }
  const names = new Map(gym.rows.classes.map((c) => [c.id!, c.name]));
  return {
    asOf: p.asOf.toISOString(),
    from: p.from,
    to: p.to,
    classes: [...byClass.entries()].map(([classId, c]) => ({ classId, class: names.get(classId)!, ...attendanceFigures(c) })).sort((a, b) => byText(a.class, b.class) || byText(a.classId, b.classId)),
    totals: attendanceFigures([...byClass.values()].reduce(addAttendance, zeroAttendance())),
    byWeekday: byDay.map((c, i) => ({ weekday: i + 1, day: WEEKDAYS[i]!, sessions: c.sessions, capacity: c.capacity, attended: c.attended, fillRate: rate(c.attended, c.capacity) })),
  };
}

const noShowFigures = (list: DemoBooking[]) => {
  const attended = list.filter((b) => b.status === 'attended').length;
  const noShows = list.filter((b) => b.status === 'no_show').length;
  return { attended, noShows, noShowRate: rate(noShows, attended + noShows) };
};

export function truthNoShows(gym: DemoGym, p: NoShowParams): NoShowReport {
  const marked = gym.rows.bookings.filter((b) => within(b.startsAt, p.start, p.end) && (b.status === 'attended' || b.status === 'no_show'));
  const classOf = new Map(gym.rows.sessions.map((s) => [s.id!, s.classId]));
  const classes = new Map(gym.rows.classes.map((c) => [c.id!, c.name]));
  const contacts = new Map(gym.rows.contacts.map((c) => [c.id!, c]));
  const group = <K>(key: (b: DemoBooking) => K | null) => {
    const out = new Map<K, DemoBooking[]>();
    for (const b of marked) {
      const k = key(b);
      if (k === null) continue;
      if (!out.has(k)) out.set(k, []);
      out.get(k)!.push(b);
    }
    return out;
  };
  const members = [...group((b) => b.contactId).entries()]
    .map(([contactId, list]) => ({ contactId, name: nameOf(contacts.get(contactId)!), ...noShowFigures(list) }))
    .filter((m) => m.noShows >= p.minNoShows)
    .sort((a, b) => b.noShows - a.noShows || byText(a.contactId, b.contactId));
  return {
    asOf: p.asOf.toISOString(),
    from: p.from,
    to: p.to,
    overall: noShowFigures(marked),
    byKind: BOOKING_KINDS.map((kind) => ({ kind, ...noShowFigures(marked.filter((b) => b.kind === kind)) })),
    byClass: [...group((b) => (b.sessionId ? classOf.get(b.sessionId)! : null)).entries()]
      .map(([classId, list]) => ({ classId, class: classes.get(classId)!, ...noShowFigures(list) }))
      .sort((a, b) => byText(a.class, b.class) || byText(a.classId, b.classId)),
    members: members.slice(0, p.limit),
    membersTotal: members.length,
  };
}

/** Every active member's engagement at asOf, computed from the rows with the shared formula. */
export function truthEngagementOf(gym: DemoGym, asOf: Date): ContactEngagement[] {
  const since = new Date(asOf.getTime() - ENGAGEMENT_WINDOW_DAYS * DAY_MS);
  const active = new Set(gym.rows.subscriptions.filter((s) => counted(s, asOf)).map((s) => s.contactId));
  const visits = new Map<string, { n: number; last: Date }>();
  for (const c of gym.rows.checkIns) {
    if (!active.has(c.contactId) || !within(c.at, since, asOf)) continue;
    const v = visits.get(c.contactId);
    visits.set(c.contactId, { n: (v?.n ?? 0) + 1, last: v && v.last > c.at ? v.last : c.at });
  }
  const noShows = new Map<string, number>();
  for (const b of gym.rows.bookings) if (b.status === 'no_show' && within(b.startsAt, since, asOf)) noShows.set(b.contactId, (noShows.get(b.contactId) ?? 0) + 1);
  const failed = new Map<string, number>();
  for (const x of gym.rows.payments) if (x.status === 'failed' && within(x.paidAt, since, asOf)) failed.set(x.contactId, (failed.get(x.contactId) ?? 0) + 1);
  return [...active].map((contactId) => {
    const v = visits.get(contactId);
    const inputs = { daysSinceLastVisit: v ? wholeDays(asOf, v.last) : null, visits30d: v?.n ?? 0, noShows30d: noShows.get(contactId) ?? 0, failedPayments30d: failed.get(contactId) ?? 0 };
    return { contactId, ...inputs, ...engagementScore(inputs) };
  });
}

export function truthEngagement(gym: DemoGym, p: EngagementParams): EngagementReport {
  const all = truthEngagementOf(gym, p.asOf);
  const scores = all.map((e) => e.score).sort((a, b) => a - b);
  return {
    asOf: p.asOf.toISOString(),
    members: all.length,
    averageScore: average2(
      scores.reduce((a, x) => a + x, 0),
      all.length,
    ),
    medianScore: scores.length ? scores[Math.ceil(scores.length / 2) - 1]! : null,
    buckets: ENGAGEMENT_BUCKETS.map(([min, max]) => ({ label: `${min}-${max}`, min, max, members: scores.filter((x) => x >= min && x <= max).length })),
    averageVisits30d: average2(
      all.reduce((a, e) => a + e.visits30d, 0),
      all.length,
    ),
    withoutVisit30d: all.filter((e) => e.visits30d === 0).length,
    withNoShow30d: all.filter((e) => e.noShows30d > 0).length,
    withFailedPayment30d: all.filter((e) => e.failedPayments30d > 0).length,
  };
}

export function truthAtRisk(gym: DemoGym, p: AtRiskParams): AtRiskReport {
  const since = new Date(p.asOf.getTime() - p.inactiveDays * DAY_MS);
  const lookback = p.asOf.getTime() - Math.max(ENGAGEMENT_WINDOW_DAYS, p.inactiveDays) * DAY_MS;
  const lastVisit = new Map<string, Date>();
  const seen = new Set<string>();
  for (const c of gym.rows.checkIns) {
    if (c.at.getTime() >= p.asOf.getTime()) continue;
    if (!lastVisit.has(c.contactId) || lastVisit.get(c.contactId)! < c.at) lastVisit.set(c.contactId, c.at);
    if (c.at.getTime() >= since.getTime()) seen.add(c.contactId);
  }
  // Riskiest first: by score, then by the last check-in of the lookback (none there first), then by id.
  const lastSeen = (id: string) => {
    const t = lastVisit.get(id)?.getTime();
    return t === undefined || t < lookback ? -Infinity : t;
  };
  const contacts = new Map(gym.rows.contacts.map((c) => [c.id!, c]));
  const planName = new Map(gym.rows.plans.map((x) => [x.id!, x.name]));
  const subs = gym.rows.subscriptions.filter((s) => counted(s, p.asOf));
  const risky = truthEngagementOf(gym, p.asOf)
    .filter((e) => e.score < p.threshold || !seen.has(e.contactId))
    .map((e) => {
      const mine = subs.filter((s) => s.contactId === e.contactId);
      const value = mine.filter((s) => s.currency === p.currency).reduce((a, s) => a + monthlyAmount(s.priceMicros, s.billingInterval, s.intervalCount), 0);
      return { e, last: lastVisit.get(e.contactId) ?? null, value, plans: [...new Set(mine.map((s) => planName.get(s.planId)!))].sort(byText) };
    })
    .sort((a, b) => a.e.score - b.e.score || compareTimes(lastSeen(a.e.contactId), lastSeen(b.e.contactId)) || byText(a.e.contactId, b.e.contactId));
  return {
    asOf: p.asOf.toISOString(),
    threshold: p.threshold,
    inactiveDays: p.inactiveDays,
    currency: p.currency,
    total: risky.length,
    monthlyRevenueAtRisk: money(
      risky.reduce((a, r) => a + r.value, 0),
      p.currency,
    ),
    members: risky.slice(0, p.limit).map(({ e, last, value, plans }) => {
      const c = contacts.get(e.contactId)!;
      const days = last ? wholeDays(p.asOf, last) : null;
      const { contactId, score, recency, frequency, reliability, payments, visits30d, noShows30d, failedPayments30d } = e;
      return {
        contactId,
        name: nameOf(c),
        email: c.email,
        phone: c.phone,
        score,
        recency,
        frequency,
        reliability,
        payments,
        visits30d,
        noShows30d,
        failedPayments30d,
        lastVisitAt: last ? last.toISOString() : null,
        daysSinceLastVisit: days,
        plans,
        monthlyValue: money(value, p.currency),
        reasons: riskReasons(e, !seen.has(contactId), days, p),
      };
    }),
  };
}

export function truthOperations(gym: DemoGym, p: OperationsParams): OperationsReport {
  const bookings = bookingsBySession(gym);
  const staff = new Map(gym.rows.staff.map((s) => [s.id!, s.name]));
  const byInstructor = new Map<string | null, AttendanceCounts>();
  for (const s of gym.rows.sessions) {
    if (!within(s.startsAt, p.start, p.end)) continue;
    byInstructor.set(s.instructorId, addAttendance(byInstructor.get(s.instructorId) ?? zeroAttendance(), outcome(s, bookings.get(s.id!) ?? [])));
  }
  const total = [...byInstructor.values()].reduce(addAttendance, zeroAttendance());
  const checkIns = gym.rows.checkIns.filter((c) => within(c.at, p.start, p.end));
  const byHour = Array.from({ length: 24 }, () => 0);
  for (const c of checkIns) byHour[c.at.getUTCHours()]!++;
  const visits = (kind: DemoBooking['kind']) => {
    const list = gym.rows.bookings.filter((b) => b.kind === kind && within(b.startsAt, p.start, p.end));
    return { booked: list.filter((b) => b.status !== 'cancelled').length, attended: list.filter((b) => b.status === 'attended').length, noShows: list.filter((b) => b.status === 'no_show').length };
  };
  const ahead = new Date(p.asOf.getTime() + UPCOMING_DAYS * DAY_MS);
  const upcoming = gym.rows.sessions.filter((s) => s.status === 'scheduled' && within(s.startsAt, p.asOf, ahead));
  const booked = upcoming.reduce((a, s) => a + (bookings.get(s.id!) ?? []).filter((b) => b.status === 'booked' || b.status === 'attended').length, 0);
  const capacity = upcoming.reduce((a, s) => a + s.capacity, 0);
  const stages = new Map(gym.rows.leadStages.map((s) => [s.id!, s]));
  const pipeline = new Map<string | null, number>();
  for (const c of gym.rows.contacts) if (c.status === 'lead' || c.status === 'trial') pipeline.set(c.leadStageId, (pipeline.get(c.leadStageId) ?? 0) + 1);
  return {
    asOf: p.asOf.toISOString(),
    from: p.from,
    to: p.to,
    sessions: { held: total.sessions, cancelled: total.cancelledSessions, capacity: total.capacity, fillRate: rate(total.attended, total.capacity) },
    attendance: {
      bookings: total.bookings,
      attended: total.attended,
      noShows: total.noShows,
      unmarked: total.unmarked,
      attendanceRate: rate(total.attended, total.bookings),
      noShowRate: rate(total.noShows, total.attended + total.noShows),
    },
    checkIns: { total: checkIns.length, uniqueMembers: new Set(checkIns.map((c) => c.contactId)).size, byHour },
    instructors: [...byInstructor.entries()]
      .filter(([, c]) => c.sessions > 0)
      .map(([staffId, c]) => ({ staffId, name: staffId === null ? 'Unassigned' : staff.get(staffId)!, sessions: c.sessions, attended: c.attended, fillRate: rate(c.attended, c.capacity) }))
      .sort((a, b) => byText(a.name, b.name) || byText(a.staffId ?? '', b.staffId ?? '')),
    trials: visits('trial'),
    tours: visits('facility_tour'),
    leads: {
      newContacts: gym.rows.contacts.filter((c) => within(c.createdAt, p.start, p.end)).length,
      converted: gym.rows.contacts.filter((c) => c.joinedAt && within(c.joinedAt, p.start, p.end)).length,
    },
    upcoming: { days: UPCOMING_DAYS, sessions: upcoming.length, capacity, booked, fillRate: rate(booked, capacity) },
    pipeline: [...pipeline.entries()]
      .map(([stageId, leads]) => ({ stageId, stage: stageId === null ? 'No stage' : stages.get(stageId)!.name, leads, position: stageId === null ? Infinity : stages.get(stageId)!.position }))
      .sort((a, b) => a.position - b.position || byText(a.stage, b.stage))
      .map(({ position: _position, ...rest }) => rest),
  };
}

import { sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../../../db/client.js';
import { BOOKING_KINDS, type BookingKind } from '../crm/enums.js';
import { byText, rate } from './format.js';
import type { AttendanceParams, NoShowParams } from './params.js';
import type { AttendanceReport, NoShowReport } from './schemas.js';
import { at, int, statements } from './sql.js';

export const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

/** Counts of the attendance report: a class, a weekday, or all of them. */
export interface AttendanceCounts {
  sessions: number;
  cancelledSessions: number;
  capacity: number;
  bookings: number;
  attended: number;
  noShows: number;
  unmarked: number;
}

export const zeroAttendance = (): AttendanceCounts => ({ sessions: 0, cancelledSessions: 0, capacity: 0, bookings: 0, attended: 0, noShows: 0, unmarked: 0 });
export function addAttendance(a: AttendanceCounts, b: AttendanceCounts): AttendanceCounts {
  return {
    sessions: a.sessions + b.sessions,
    cancelledSessions: a.cancelledSessions + b.cancelledSessions,
    capacity: a.capacity + b.capacity,
    bookings: a.bookings + b.bookings,
    attended: a.attended + b.attended,
    noShows: a.noShows + b.noShows,
    unmarked: a.unmarked + b.unmarked,
  };
}
export const attendanceFigures = (c: AttendanceCounts) => ({ ...c, attendanceRate: rate(c.attended, c.bookings), fillRate: rate(c.attended, c.capacity) });

/**
 * Sessions starting in [start, end) with their bookings' outcomes, grouped by `group` (an
 * expression over `ses`, the session). Bookings are found by their own start (the same as their
 * session's, decision 58), through the (org_id, starts_at) index.
 */
export function sessionOutcomesSql(orgId: string, start: Date, end: Date, group: SQL, filter: SQL = sql``): SQL {
  return sql`with ses as (
      select id, class_id, instructor_id, capacity, status, starts_at from fitness_sessions
      where org_id = ${orgId} and starts_at >= ${at(start)} and starts_at < ${at(end)}${filter}),
    b as (
      select session_id,
        count(*) filter (where status <> 'cancelled') as bookings,
        count(*) filter (where status = 'attended') as attended,
        count(*) filter (where status = 'no_show') as no_shows,
        count(*) filter (where status = 'booked') as unmarked
      from fitness_bookings
      where org_id = ${orgId} and starts_at >= ${at(start)} and starts_at < ${at(end)} and session_id is not null group by session_id)
    select ${group},
      count(*) filter (where ses.status = 'scheduled')::int as sessions,
      count(*) filter (where ses.status = 'cancelled')::int as cancelled,
      coalesce(sum(ses.capacity) filter (where ses.status = 'scheduled'), 0)::int as capacity,
      coalesce(sum(b.bookings) filter (where ses.status = 'scheduled'), 0)::int as bookings,
      coalesce(sum(b.attended) filter (where ses.status = 'scheduled'), 0)::int as attended,
      coalesce(sum(b.no_shows) filter (where ses.status = 'scheduled'), 0)::int as no_shows,
      coalesce(sum(b.unmarked) filter (where ses.status = 'scheduled'), 0)::int as unmarked
    from ses left join b on b.session_id = ses.id`;
}

export const attendanceCountsOf = (r: Record<string, unknown>): AttendanceCounts => ({
  sessions: int(r.sessions),
  cancelledSessions: int(r.cancelled),
  capacity: int(r.capacity),
  bookings: int(r.bookings),
  attended: int(r.attended),
  noShows: int(r.no_shows),
  unmarked: int(r.unmarked),
});

/** Attendance and fill rates by class and weekday, over the sessions that started in the range (before asOf). */
export async function attendanceReport(tx: Tx, orgId: string, p: AttendanceParams): Promise<AttendanceReport> {
  const filter = p.classId ? sql` and class_id = ${p.classId}` : sql``;
  const [grouped, classes] = await statements(
    tx,
    sql`${sessionOutcomesSql(orgId, p.start, p.end, sql`ses.class_id, extract(isodow from ses.starts_at at time zone 'UTC')::int as dow`, filter)} group by ses.class_id, dow`,
    sql`select id, name from fitness_classes where org_id = ${orgId}`,
  );
  const names = new Map(classes.map((r) => [String(r.id), String(r.name)]));
  const byClass = new Map<string, AttendanceCounts>();
  const byDay = WEEKDAYS.map(() => zeroAttendance());
  for (const r of grouped!) {
    const c = attendanceCountsOf(r);
    const id = String(r.class_id);
    byClass.set(id, addAttendance(byClass.get(id) ?? zeroAttendance(), c));
    byDay[int(r.dow) - 1] = addAttendance(byDay[int(r.dow) - 1]!, c);
  }
  const total = [...byClass.values()].reduce(addAttendance, zeroAttendance());
  return {
    asOf: p.asOf.toISOString(),
    from: p.from,
    to: p.to,
    classes: [...byClass.entries()]
      .map(([classId, c]) => ({ classId, class: names.get(classId) ?? '', ...attendanceFigures(c) }))
      .sort((a, b) => byText(a.class, b.class) || byText(a.classId, b.classId)),
    totals: attendanceFigures(total),
    byWeekday: byDay.map((c, i) => ({ weekday: i + 1, day: WEEKDAYS[i]!, sessions: c.sessions, capacity: c.capacity, attended: c.attended, fillRate: rate(c.attended, c.capacity) })),
  };
}

const noShowFigures = (attended: number, noShows: number) => ({ attended, noShows, noShowRate: rate(noShows, attended + noShows) });

/** No-show rates overall, by kind of booking and class, and the members who miss most. */
export async function noShowReport(tx: Tx, orgId: string, p: NoShowParams): Promise<NoShowReport> {
  const marked = sql`b.org_id = ${orgId} and b.starts_at >= ${at(p.start)} and b.starts_at < ${at(p.end)} and b.status in ('attended', 'no_show')`;
  const counts = sql`count(*) filter (where b.status = 'attended')::int as attended, count(*) filter (where b.status = 'no_show')::int as no_shows`;
  // One scan of the range's marked bookings, grouped three ways (kind, class, contact); the
  // members who miss most come with their names, and their count, in the same statement. A
  // booking starts when its session does (decision 58), so only the range's sessions are joined.
  const [grouped, classes] = await statements(
    tx,
    sql`with g as (
        select grouping(b.kind) as gk, grouping(s.class_id) as gc, b.kind, s.class_id, b.contact_id, ${counts}
        from fitness_bookings b
          left join fitness_sessions s on s.id = b.session_id and s.org_id = ${orgId} and s.starts_at >= ${at(p.start)} and s.starts_at < ${at(p.end)}
        where ${marked}
        group by grouping sets ((b.kind), (s.class_id), (b.contact_id))),
      missing as (select contact_id, attended, no_shows from g where gk = 1 and gc = 1 and no_shows >= ${p.minNoShows})
      select 'kind' as part, kind, null::uuid as class_id, null::uuid as contact_id, attended, no_shows, null as first_name, null as last_name from g where gk = 0
      union all
      select 'class', null, class_id, null, attended, no_shows, null, null from g where gk = 1 and gc = 0 and class_id is not null
      union all
      select * from (select 'member', null, null::uuid, m.contact_id, m.attended, m.no_shows, c.first_name, c.last_name
        from missing m join fitness_contacts c on c.id = m.contact_id and c.org_id = ${orgId} order by m.no_shows desc, m.contact_id limit ${p.limit}) top
      union all
      select 'total', null, null, null, count(*)::int, 0, null, null from missing`,
    sql`select id, name from fitness_classes where org_id = ${orgId}`,
  );
  const part = (name: string) => grouped.filter((r) => r.part === name);
  const kinds = { rows: part('kind') };
  const names = new Map(classes.map((r) => [String(r.id), String(r.name)]));
  const byKind = new Map(kinds.rows.map((r) => [String(r.kind), r]));
  const overall = kinds.rows.reduce<[number, number]>((a, r) => [a[0] + int(r.attended), a[1] + int(r.no_shows)], [0, 0]);
  return {
    asOf: p.asOf.toISOString(),
    from: p.from,
    to: p.to,
    overall: noShowFigures(...overall),
    byKind: BOOKING_KINDS.map((kind: BookingKind) => ({ kind, ...noShowFigures(int(byKind.get(kind)?.attended), int(byKind.get(kind)?.no_shows)) })),
    byClass: part('class')
      .map((r) => ({ classId: String(r.class_id), class: names.get(String(r.class_id)) ?? '', ...noShowFigures(int(r.attended), int(r.no_shows)) }))
      .sort((a, b) => byText(a.class, b.class) || byText(a.classId, b.classId)),
    members: part('member').map((r) => ({ contactId: String(r.contact_id), name: fullName(r.first_name, r.last_name), ...noShowFigures(int(r.attended), int(r.no_shows)) })),
    membersTotal: int(part('total')[0]?.attended),
  };
}

/** "First Last", or the first name alone. */
export const fullName = (first: unknown, last: unknown): string => `${String(first ?? '')} ${String(last ?? '')}`.trim();

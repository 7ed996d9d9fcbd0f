import { sql } from 'drizzle-orm';
import type { Tx } from '../../../db/client.js';
import { addAttendance, attendanceCountsOf, sessionOutcomesSql, zeroAttendance } from './classes.js';
import { byText, rate } from './format.js';
import type { OperationsParams } from './params.js';
import { DAY_MS } from './periods.js';
import type { OperationsReport } from './schemas.js';
import { at, int, statements } from './sql.js';

/** Days after asOf the operations report looks ahead. */
export const UPCOMING_DAYS = 7;

/**
 * A week (by default) at the front desk: sessions held and cancelled, attendance, check-ins by
 * hour, instructors, trials and tours, new contacts and conversions, the week ahead, and the
 * lead pipeline as it is now.
 */
export async function operationsReport(tx: Tx, orgId: string, p: OperationsParams): Promise<OperationsReport> {
  const start = at(p.start);
  const end = at(p.end);
  const ahead = at(new Date(p.asOf.getTime() + UPCOMING_DAYS * DAY_MS));
  const [instructors, checkIns, hours, visits, leads, upcoming, pipeline] = await statements(
    tx,
    sql`${sessionOutcomesSql(orgId, p.start, p.end, sql`ses.instructor_id, st.name`)}
      left join fitness_staff st on st.id = ses.instructor_id and st.org_id = ${orgId} group by ses.instructor_id, st.name`,
    sql`select count(*)::int as total, count(distinct contact_id)::int as members from fitness_check_ins where org_id = ${orgId} and at >= ${start} and at < ${end}`,
    sql`select extract(hour from at at time zone 'UTC')::int as hour, count(*)::int as n from fitness_check_ins where org_id = ${orgId} and at >= ${start} and at < ${end} group by 1`,
    sql`select kind, count(*) filter (where status <> 'cancelled')::int as booked, count(*) filter (where status = 'attended')::int as attended,
        count(*) filter (where status = 'no_show')::int as no_shows
      from fitness_bookings where org_id = ${orgId} and starts_at >= ${start} and starts_at < ${end} and kind in ('trial', 'facility_tour') group by kind`,
    sql`select count(*) filter (where created_at >= ${start} and created_at < ${end})::int as created,
        count(*) filter (where joined_at >= ${start} and joined_at < ${end})::int as joined
      from fitness_contacts where org_id = ${orgId} and (created_at >= ${start} or joined_at >= ${start})`,
    // The week ahead's places: its sessions, and their bookings found by their start (decision 58).
    sql`with s as (select id, capacity from fitness_sessions where org_id = ${orgId} and status = 'scheduled' and starts_at >= ${at(p.asOf)} and starts_at < ${ahead})
      select (select count(*) from s)::int as sessions, (select coalesce(sum(capacity), 0) from s)::int as capacity,
        (select count(*) from fitness_bookings b join s on s.id = b.session_id
         where b.org_id = ${orgId} and b.starts_at >= ${at(p.asOf)} and b.starts_at < ${ahead} and b.status in ('booked', 'attended'))::int as booked`,
    sql`select c.lead_stage_id, st.name, st.position, count(*)::int as n from fitness_contacts c left join fitness_lead_stages st on st.id = c.lead_stage_id and st.org_id = ${orgId}
      where c.org_id = ${orgId} and c.status in ('lead', 'trial') group by c.lead_stage_id, st.name, st.position`,
  );
  const staff = instructors.map((r) => ({ staffId: r.instructor_id === null ? null : String(r.instructor_id), name: r.instructor_id === null ? 'Unassigned' : String(r.name ?? ''), c: attendanceCountsOf(r) }));
  const total = staff.reduce((a, s) => addAttendance(a, s.c), zeroAttendance());
  const byHour = Array.from({ length: 24 }, () => 0);
  for (const r of hours!) byHour[int(r.hour)] = int(r.n);
  const kind = (k: string) => {
    const r = visits.find((x) => x.kind === k);
    return { booked: int(r?.booked), attended: int(r?.attended), noShows: int(r?.no_shows) };
  };
  const up = upcoming[0]!;
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
    checkIns: { total: int(checkIns[0]?.total), uniqueMembers: int(checkIns[0]?.members), byHour },
    instructors: staff
      .filter((s) => s.c.sessions > 0)
      .map((s) => ({ staffId: s.staffId, name: s.name, sessions: s.c.sessions, attended: s.c.attended, fillRate: rate(s.c.attended, s.c.capacity) }))
      .sort((a, b) => byText(a.name, b.name) || byText(a.staffId ?? '', b.staffId ?? '')),
    trials: kind('trial'),
    tours: kind('facility_tour'),
    leads: { newContacts: int(leads[0]?.created), converted: int(leads[0]?.joined) },
    upcoming: { days: UPCOMING_DAYS, sessions: int(up.sessions), capacity: int(up.capacity), booked: int(up.booked), fillRate: rate(int(up.booked), int(up.capacity)) },
    pipeline: pipeline!
      .map((r) => ({ stageId: r.lead_stage_id === null ? null : String(r.lead_stage_id), stage: r.lead_stage_id === null ? 'No stage' : String(r.name), leads: int(r.n), position: r.position === null ? Infinity : int(r.position) }))
      .sort((a, b) => a.position - b.position || byText(a.stage, b.stage))
      .map(({ position: _position, ...rest }) => rest),
  };
}

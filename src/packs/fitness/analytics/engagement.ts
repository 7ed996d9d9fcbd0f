import { sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../../../db/client.js';
import { UUID_RE } from '../../../shared/ids.js';
import { DAY_MS } from './periods.js';
import { at } from './sql.js';

/**
 * The engagement score (0-100, an integer): how much a member uses the gym, from what they did
 * in the 30 days before a moment `asOf` (the window [asOf - 30 days, asOf)). One formula, shared
 * by the analytics (member engagement, at-risk members) and the CRM tool
 * `calculate_engagement_score`, written twice: as a pure function (engagementScore) and as SQL
 * (engagementQuery), which the tests hold equal on a whole demo gym.
 *
 * | part | points | rule |
 * |---|---|---|
 * | recency | 0-40 | 40 for a check-in in the last 2 whole days, then 2 fewer per day: `max(0, 40 - 2 * max(0, d - 2))`, d = whole days since the last check-in (0 when none in the window) |
 * | frequency | 0-30 | check-ins in the window against a norm of 12 (three a week): `min(30, floor(5 * visits / 2))` |
 * | reliability | 0-20 | 5 off per class no-show (bookings marked no_show, by their start): `max(0, 20 - 5 * noShows)` |
 * | payments | 0-10 | 5 off per failed payment (by its date): `max(0, 10 - 5 * failedPayments)` |
 *
 * A member who came yesterday, three times a week, never missed a booked class and paid scores
 * 100; one who has not come for 22 days scores at most 60, and usually far less.
 */

export const ENGAGEMENT_WINDOW_DAYS = 30;
/** Check-ins in the window worth full frequency points (three a week). */
export const ENGAGEMENT_VISIT_NORM = 12;

export interface EngagementInputs {
  /** Whole days from the last check-in in the window to asOf; null when there was none. */
  daysSinceLastVisit: number | null;
  visits30d: number;
  noShows30d: number;
  failedPayments30d: number;
}

export interface EngagementScore {
  score: number;
  recency: number;
  frequency: number;
  reliability: number;
  payments: number;
}

/** The score of one member's inputs (see the table above). */
export function engagementScore(i: EngagementInputs): EngagementScore {
  const recency = i.daysSinceLastVisit === null ? 0 : Math.max(0, 40 - 2 * Math.max(0, i.daysSinceLastVisit - 2));
  const frequency = Math.min(30, Math.floor((5 * i.visits30d) / 2));
  const reliability = Math.max(0, 20 - 5 * i.noShows30d);
  const payments = Math.max(0, 10 - 5 * i.failedPayments30d);
  return { score: recency + frequency + reliability + payments, recency, frequency, reliability, payments };
}

/** Whole days from `last` to `asOf` (the rule the SQL's floor(epoch / 86400) follows). */
export const wholeDays = (asOf: Date, last: Date): number => Math.floor((asOf.getTime() - last.getTime()) / DAY_MS);

/**
 * The members counted in the MRR at `asOf` (a subscription started at or before it, not
 * cancelled by then, not paused): the "active members" engagement and risk are about.
 */
export function activeMembersQuery(orgId: string, asOf: Date): SQL {
  return sql`select distinct contact_id from fitness_subscriptions
    where org_id = ${orgId} and started_at <= ${at(asOf)} and (cancelled_at is null or cancelled_at > ${at(asOf)}) and status <> 'paused'`;
}

/**
 * The engagement of a set of contacts at `asOf`: one row per contact with `contact_id`, the
 * inputs (`days_since_last_visit`, `visits_30d`, `no_shows_30d`, `failed_payments_30d`) and the
 * score's parts (`recency`, `frequency`, `reliability`, `payments`, `score`), plus `last_seen_at`:
 * the last check-in in the `lookbackDays` (at least 30) before asOf. `contacts` is a query
 * returning `contact_id` (activeMembersQuery), and may return more columns, which are passed on. The window's check-ins, no-shows and failed
 * payments are read through their (org_id, time) indexes (migration 0024 adds covering and
 * partial ones); with `ids` (a few contacts), only theirs, through their contact indexes.
 */
export function engagementQuery(orgId: string, asOf: Date, contacts: SQL, ids?: string[], lookbackDays = ENGAGEMENT_WINDOW_DAYS): SQL {
  const since = at(new Date(asOf.getTime() - ENGAGEMENT_WINDOW_DAYS * DAY_MS));
  const lookback = at(new Date(asOf.getTime() - Math.max(ENGAGEMENT_WINDOW_DAYS, lookbackDays) * DAY_MS));
  const until = at(asOf);
  const only = ids?.length ? sql` and contact_id in (${sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `)})` : sql``;
  // With a lookback no longer than the window (the default), every aggregate reads the same rows:
  // no filters, and the two max(at) share one state (about a fifth of the report's time went to
  // grouping the window's check-ins, 260,000 on a 50,000-member gym).
  const visits =
    lookbackDays <= ENGAGEMENT_WINDOW_DAYS
      ? sql`count(*)::int as visits, max(at) as last_at, max(at) as last_seen_at`
      : sql`count(*) filter (where at >= ${since})::int as visits, max(at) filter (where at >= ${since}) as last_at, max(at) as last_seen_at`;
  return sql`with c as (${contacts}),
    v as (select contact_id, ${visits}
          from fitness_check_ins where org_id = ${orgId} and at >= ${lookback} and at < ${until}${only} group by contact_id),
    n as (select contact_id, count(*)::int as no_shows from fitness_bookings
          where org_id = ${orgId} and status = 'no_show' and starts_at >= ${since} and starts_at < ${until}${only} group by contact_id),
    p as (select contact_id, count(*)::int as failed from fitness_payments
          where org_id = ${orgId} and status = 'failed' and paid_at >= ${since} and paid_at < ${until}${only} group by contact_id),
    i as (select c.*, v.last_seen_at, coalesce(v.visits, 0) as visits_30d, coalesce(n.no_shows, 0) as no_shows_30d, coalesce(p.failed, 0) as failed_payments_30d,
            floor(extract(epoch from (${until} - v.last_at)) / 86400)::int as days_since_last_visit
          from c left join v on v.contact_id = c.contact_id left join n on n.contact_id = c.contact_id left join p on p.contact_id = c.contact_id),
    s as (select i.*,
            case when days_since_last_visit is null then 0 else greatest(0, 40 - 2 * greatest(0, days_since_last_visit - 2)) end as recency,
            least(30, (5 * visits_30d) / 2) as frequency,
            greatest(0, 20 - 5 * no_shows_30d) as reliability,
            greatest(0, 10 - 5 * failed_payments_30d) as payments
          from i)
    select s.*, recency + frequency + reliability + payments as score from s`;
}

export interface ContactEngagement extends EngagementInputs, EngagementScore {
  contactId: string;
}

/** A row of engagementQuery as numbers. */
export function engagementRow(r: Record<string, unknown>): ContactEngagement {
  const days = r.days_since_last_visit;
  return {
    contactId: String(r.contact_id),
    daysSinceLastVisit: days === null || days === undefined ? null : Number(days),
    visits30d: Number(r.visits_30d),
    noShows30d: Number(r.no_shows_30d),
    failedPayments30d: Number(r.failed_payments_30d),
    score: Number(r.score),
    recency: Number(r.recency),
    frequency: Number(r.frequency),
    reliability: Number(r.reliability),
    payments: Number(r.payments),
  };
}

/**
 * The engagement of the given contacts at `asOf` (default now), by contact id; for the CRM tool.
 * Contacts of another organization, unknown ids and strings that are no id are simply absent (the query reads this
 * organization's rows only, and row-level security hides the rest).
 */
export async function engagementOf(tx: Tx, orgId: string, ids: string[], asOf = new Date()): Promise<Map<string, ContactEngagement>> {
  // Anything but an id names no contact (and would not cast to uuid).
  const contactIds = [...new Set(ids.filter((id) => UUID_RE.test(id)))];
  if (contactIds.length === 0) return new Map();
  const known = sql`select id as contact_id from fitness_contacts where org_id = ${orgId} and id in (${sql.join(
    contactIds.map((id) => sql`${id}::uuid`),
    sql`, `,
  )})`;
  const { rows } = await tx.execute(engagementQuery(orgId, asOf, known, contactIds));
  return new Map(rows.map((r) => [String(r.contact_id), engagementRow(r)]));
}

import { sql } from 'drizzle-orm';
import type { Tx } from '../../../db/client.js';
import { fullName } from './classes.js';
import { activeMembersQuery, engagementQuery, engagementRow, wholeDays, type ContactEngagement } from './engagement.js';
import { average2, byText, money } from './format.js';
import { countedAt, monthlyAmountSql } from './mrr.js';
import type { AtRiskParams, EngagementParams } from './params.js';
import { DAY_MS } from './periods.js';
import type { AtRiskReport, EngagementReport } from './schemas.js';
import { at, int, iso, textOrNull, statements } from './sql.js';

/** The score bands of the engagement report. */
export const ENGAGEMENT_BUCKETS = [
  [0, 19],
  [20, 39],
  [40, 59],
  [60, 79],
  [80, 100],
] as const;

/** How the active members' engagement is spread (engagement.ts defines the score). */
export async function engagementReport(tx: Tx, orgId: string, p: EngagementParams): Promise<EngagementReport> {
  const bands = ENGAGEMENT_BUCKETS.map(([lo, hi], i) => sql`count(*) filter (where score between ${lo} and ${hi})::int as ${sql.identifier(`b${i}`)}`);
  const [rows] = await statements(
    tx,
    sql`with e as (${engagementQuery(orgId, p.asOf, activeMembersQuery(orgId, p.asOf))})
    select count(*)::int as members, coalesce(sum(score), 0)::int as score_sum, coalesce(sum(visits_30d), 0)::int as visits_sum,
      count(*) filter (where visits_30d = 0)::int as no_visit, count(*) filter (where no_shows_30d > 0)::int as no_show,
      count(*) filter (where failed_payments_30d > 0)::int as failed,
      percentile_disc(0.5) within group (order by score) as median,
      ${sql.join(bands, sql`, `)}
    from e`,
  );
  const r = rows[0]!;
  const members = int(r.members);
  return {
    asOf: p.asOf.toISOString(),
    members,
    averageScore: average2(int(r.score_sum), members),
    medianScore: r.median === null || r.median === undefined ? null : int(r.median),
    buckets: ENGAGEMENT_BUCKETS.map(([min, max], i) => ({ label: `${min}-${max}`, min, max, members: int(r[`b${i}`]) })),
    averageVisits30d: average2(int(r.visits_sum), members),
    withoutVisit30d: int(r.no_visit),
    withNoShow30d: int(r.no_show),
    withFailedPayment30d: int(r.failed),
  };
}

/** Why a member is at risk, in words. */
export function riskReasons(e: ContactEngagement, inactive: boolean, lastVisitDays: number | null, p: Pick<AtRiskParams, 'threshold' | 'inactiveDays'>): string[] {
  const reasons: string[] = [];
  if (inactive) reasons.push(lastVisitDays === null ? 'no visit on record' : `no visit in ${lastVisitDays} days`);
  if (e.score < p.threshold) reasons.push(`engagement score ${e.score}, below ${p.threshold}`);
  if (e.noShows30d > 0) reasons.push(`${e.noShows30d} no-show${e.noShows30d > 1 ? 's' : ''} in 30 days`);
  if (e.failedPayments30d > 0) reasons.push(`${e.failedPayments30d} failed payment${e.failedPayments30d > 1 ? 's' : ''} in 30 days`);
  return reasons;
}

/**
 * Active members whose engagement score is below `threshold` or who have not checked in for
 * `inactiveDays`, riskiest first: lowest score, then the longest since their last check-in in the
 * last max(30, inactiveDays) days (none in that time first), then by id. With the MRR each of
 * them brings. Their last visit ever is looked up for the members listed only.
 */
export async function atRiskReport(tx: Tx, orgId: string, p: AtRiskParams): Promise<AtRiskReport> {
  const asOf = at(p.asOf);
  const since = at(new Date(p.asOf.getTime() - p.inactiveDays * DAY_MS));
  const [listed, plans] = await statements(
    tx,
    // The members' subscriptions are grouped once for who is active; what each brings (the
    // monthly amount, the plans) is worked out only for the members at risk (a tenth to a fifth of
    // them) and the page's, not for every active member.
    sql`with m as (select distinct s.contact_id from fitness_subscriptions s where s.org_id = ${orgId} and s.status <> 'paused' and ${countedAt(asOf)}),
      e as (${engagementQuery(orgId, p.asOf, sql`select * from m`, undefined, p.inactiveDays)}),
      r as (select e.*, (e.last_seen_at is null or e.last_seen_at < ${since}) as inactive from e
            where e.score < ${p.threshold} or e.last_seen_at is null or e.last_seen_at < ${since}),
      page as (select * from r order by score, last_seen_at nulls first, contact_id limit ${p.limit}),
      worth as (select s.contact_id, coalesce(sum(${monthlyAmountSql()}) filter (where s.currency = ${p.currency}), 0)::bigint as monthly, array_agg(s.plan_id) as plan_ids
        from fitness_subscriptions s join r on r.contact_id = s.contact_id
        where s.org_id = ${orgId} and s.status <> 'paused' and ${countedAt(asOf)} group by s.contact_id)
    select page.*, w.monthly, w.plan_ids, c.first_name, c.last_name, c.email, c.phone,
      (select max(ci.at) from fitness_check_ins ci where ci.contact_id = page.contact_id and ci.org_id = ${orgId} and ci.at < ${asOf}) as last_at,
      (select count(*) from r)::int as total, (select coalesce(sum(monthly), 0) from worth)::bigint as at_risk
    from page join fitness_contacts c on c.id = page.contact_id and c.org_id = ${orgId} left join worth w on w.contact_id = page.contact_id
    order by page.score, page.last_seen_at nulls first, page.contact_id`,
    sql`select id, name from fitness_plans where org_id = ${orgId}`,
  );
  const planName = new Map(plans.map((r) => [String(r.id), String(r.name)]));
  const rows = listed!;
  return {
    asOf: p.asOf.toISOString(),
    threshold: p.threshold,
    inactiveDays: p.inactiveDays,
    currency: p.currency,
    total: int(rows[0]?.total),
    monthlyRevenueAtRisk: money(int(rows[0]?.at_risk), p.currency),
    members: rows.map((r) => {
      const e = engagementRow(r);
      const lastVisitAt = iso(r.last_at);
      const days = lastVisitAt === null ? null : wholeDays(p.asOf, new Date(lastVisitAt));
      return {
        contactId: e.contactId,
        name: fullName(r.first_name, r.last_name),
        email: textOrNull(r.email),
        phone: textOrNull(r.phone),
        score: e.score,
        recency: e.recency,
        frequency: e.frequency,
        reliability: e.reliability,
        payments: e.payments,
        visits30d: e.visits30d,
        noShows30d: e.noShows30d,
        failedPayments30d: e.failedPayments30d,
        lastVisitAt,
        daysSinceLastVisit: days,
        plans: [...new Set(((r.plan_ids as string[] | null) ?? []).map((id) => planName.get(String(id)) ?? ''))].sort(byText),
        monthlyValue: money(int(r.monthly), p.currency),
        reasons: riskReasons(e, r.inactive === true, days, p),
      };
    }),
  };
}

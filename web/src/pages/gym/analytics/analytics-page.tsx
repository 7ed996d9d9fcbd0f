import { useQuery, type UseQueryResult } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { QueryValue } from '../../../api/client';
import { Button } from '../../../components/button';
import { TextField } from '../../../components/fields';
import { PageHeader } from '../../../components/page-header';
import { ErrorState, Loading } from '../../../components/states';
import { gymApi, gymKeys, type AtRiskReport, type AttendanceReport, type ChurnReport, type LtvReport, type MrrReport, type NoShowReport, type ArrReport } from '../api';
import { count, dateTime, money, percent } from '../format';
import { Columns, LineChart } from './charts';
import { periodOf, monthName, shortMonth, thisMonth } from './period';
import { TableScroll } from '../table-scroll';
import '../../../components/data-table.css';
import '../../usage/usage.css';
import '../gym.css';

const MONTH_RE = /^\d{4}-(0[1-9]|1[0-2])$/;

function useReport<T>(report: string, query: Record<string, QueryValue>): UseQueryResult<T> {
  return useQuery({ queryKey: gymKeys.analytics(report, query), queryFn: ({ signal }) => gymApi.analytics<T>(report, query, signal), staleTime: 60_000 });
}

/** Money figures from the API carry their own display string ({micros, display}); axes need a short one. */
const axisMoney = (micros: number) => {
  const d = micros / 1e6;
  if (d === 0) return '$0';
  if (d >= 1_000_000) return `$${(d / 1_000_000).toLocaleString('en-US', { maximumFractionDigits: 1 })}M`;
  if (d >= 1000) return `$${(d / 1000).toLocaleString('en-US', { maximumFractionDigits: 1 })}k`;
  return `$${d.toLocaleString('en-US', { maximumFractionDigits: 2 })}`;
};

/**
 * `/gym/analytics?month=YYYY-MM`: MRR and ARR, churn, LTV by cohort, attendance and no-shows, and
 * the members at risk, as the API computes them (GET /fitness/analytics/*), through the month
 * chosen (default this one: up to now). Monthly reports cover the 12 months to it.
 */
export function AnalyticsPage() {
  const [params, setParams] = useSearchParams();
  const now = thisMonth();
  const chosen = params.get('month');
  const month = chosen && MONTH_RE.test(chosen) && chosen <= now ? chosen : now;
  const p = periodOf(month, now);

  const mrr = useReport<MrrReport>('mrr', { asOf: p.asOf, months: 12 });
  const arr = useReport<ArrReport>('arr', { asOf: p.asOf });
  const churn = useReport<ChurnReport>('churn', { asOf: p.asOf, toMonth: month });
  const ltv = useReport<LtvReport>('ltv', { asOf: p.asOf, toMonth: month });
  const attendance = useReport<AttendanceReport>('class-attendance', { asOf: p.asOf, from: p.from, to: p.to });
  const noShows = useReport<NoShowReport>('no-show-rates', { asOf: p.asOf, from: p.from, to: p.to, limit: 10 });
  const atRisk = useReport<AtRiskReport>('at-risk-members', { asOf: p.asOf, limit: 20 });
  const churnMonth = churn.data?.months[churn.data.months.length - 1];

  return (
    <>
      <PageHeader title="Analytics" description="The gym's figures as its software reports them: recurring revenue, churn, lifetime value, attendance and who may leave. Definitions: docs/fitness.md." />
      <MonthForm key={month} month={month} max={now} onApply={(m) => setParams(m === now ? {} : { month: m })} />
      <p className="muted small">
        {month === now ? `Up to now (${monthName(month)} so far).` : `As of the end of ${monthName(month)}.`} Months and days are UTC.
      </p>

      <section aria-label="Key figures" className="stat-grid">
        <Stat label="MRR" testId="gym-mrr" query={mrr} value={(d) => d.mrr.display} hint={(d) => `${count(d.activeSubscriptions)} subscriptions`} />
        <Stat label="ARR" testId="gym-arr" query={arr} value={(d) => d.arr.display} hint={() => 'MRR × 12'} />
        <Stat label="Active members" query={mrr} value={(d) => count(d.activeMembers)} />
        <Stat
          label={`Member churn, ${churnMonth ? shortMonth(churnMonth.month) : '…'}`}
          query={churn}
          value={() => percent(churnMonth?.members.churnRate, 2)}
          hint={() => (churnMonth ? `${churnMonth.members.lost} of ${churnMonth.members.atStart} left` : '')}
        />
        <Stat label="At risk" testId="gym-at-risk" query={atRisk} value={(d) => count(d.total)} hint={(d) => `${d.monthlyRevenueAtRisk.display} a month`} />
      </section>

      <Card title="Monthly recurring revenue" query={mrr}>
        {(d) => (
          <LineChart
            title="MRR at the start of each month"
            columns={['Month', 'MRR']}
            format={(n) => money(n)}
            axisFormat={axisMoney}
            points={[
              ...d.history.map((h) => ({ key: h.at, short: shortMonth(h.at.slice(0, 7)), label: `1 ${monthName(h.at.slice(0, 7))}`, value: h.mrr.micros, detail: h.mrr.display })),
              { key: 'now', short: 'now', label: month === now ? 'now' : `end of ${monthName(month)}`, value: d.mrr.micros, detail: d.mrr.display },
            ]}
          />
        )}
      </Card>

      <div className="grid-2">
        <Card title="Churn by month" query={churn}>
          {(d) => (
            <>
              <Columns
                title="Member churn by month"
                width={420}
                columns={['Month', 'Member churn']}
                format={(n) => percent(n, 2)}
                axisFormat={(n) => percent(n, 1)}
                points={d.months.map((m) => ({ key: m.month, short: shortMonth(m.month), label: monthName(m.month), value: m.members.churnRate ?? 0, detail: `${percent(m.members.churnRate, 2)} (${m.members.lost} of ${m.members.atStart})` }))}
              />
              <p className="small">
                Over the 12 months: {percent(d.totals.memberChurnRate, 2)} of members a month ({d.totals.lost} left), {percent(d.totals.subscriptionChurnRate, 2)} of subscriptions ({d.totals.cancelled} cancelled).
              </p>
              {d.reasons.length > 0 && (
                <>
                  <h3 className="gym-subheading">Why they cancelled</h3>
                  <ul className="list">
                    {d.reasons.slice(0, 6).map((r) => (
                      <li key={r.reason} className="list-row">
                        <span>{r.reason}</span>
                        <span>{r.count}</span>
                      </li>
                    ))}
                  </ul>
                </>
              )}
            </>
          )}
        </Card>
        <Card title={`No-shows, ${monthName(month)}`} query={noShows}>
          {(d) => (
            <>
              <p>
                <strong>{percent(d.overall.noShowRate, 2)}</strong> of bookings that were due ended as no-shows ({d.overall.noShows} of {d.overall.attended + d.overall.noShows}).
              </p>
              <Columns
                title="No-show rate by class"
                width={420}
                columns={['Class', 'No-show rate']}
                format={(n) => percent(n, 2)}
                axisFormat={(n) => percent(n, 0)}
                points={d.byClass.map((c) => ({ key: c.classId, short: c.class.slice(0, 8), label: c.class, value: c.noShowRate ?? 0, detail: `${percent(c.noShowRate, 2)} (${c.noShows})` }))}
              />
              {d.members.length > 0 && (
                <>
                  <h3 className="gym-subheading">Most no-shows ({d.membersTotal} with two or more)</h3>
                  <ul className="list">
                    {d.members.map((m) => (
                      <li key={m.contactId} className="list-row">
                        <Link to={`/gym/members/${m.contactId}`}>{m.name}</Link>
                        <span>
                          {m.noShows} of {m.attended + m.noShows}
                        </span>
                      </li>
                    ))}
                  </ul>
                </>
              )}
            </>
          )}
        </Card>
      </div>

      <Card title="Lifetime value by cohort" query={ltv}>
        {(d) => (
          <>
            <Columns
              title="Lifetime value by signup month"
              columns={['Cohort', 'LTV']}
              format={(n) => money(n)}
              axisFormat={axisMoney}
              points={d.cohorts.map((c) => ({ key: c.month, short: shortMonth(c.month), label: monthName(c.month), value: c.ltv.micros, detail: c.ltv.display }))}
            />
            <TableScroll label="Lifetime value by cohort">
              <table className="data-table responsive">
                <caption>Members by the month of their first subscription; revenue to date</caption>
                <thead>
                  <tr>
                    <th scope="col">Cohort</th>
                    <th scope="col" className="num">
                      Members
                    </th>
                    <th scope="col" className="num">
                      Retained
                    </th>
                    <th scope="col" className="num">
                      Net revenue
                    </th>
                    <th scope="col" className="num">
                      LTV
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {d.cohorts.map((c) => (
                    <tr key={c.month}>
                      <td data-label="Cohort">{monthName(c.month)}</td>
                      <td data-label="Members" className="num">
                        {c.members}
                      </td>
                      <td data-label="Retained" className="num">
                        {percent(c.retention)}
                      </td>
                      <td data-label="Net revenue" className="num">
                        {c.netRevenue.display}
                      </td>
                      <td data-label="LTV" className="num">
                        {c.ltv.display}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          </>
        )}
      </Card>

      <Card title={`Attendance, ${monthName(month)}`} query={attendance}>
        {(d) => (
          <>
            <dl className="gym-figures">
              <Figure label="Sessions held" value={count(d.totals.sessions)} />
              <Figure label="Bookings" value={count(d.totals.bookings)} />
              <Figure label="Attended" value={`${count(d.totals.attended)} (${percent(d.totals.attendanceRate)})`} />
              <Figure label="No-shows" value={count(d.totals.noShows)} />
              <Figure label="Places filled" value={percent(d.totals.fillRate)} />
            </dl>
            <TableScroll label="Attendance by class">
              <table className="data-table responsive">
                <caption>By class</caption>
                <thead>
                  <tr>
                    <th scope="col">Class</th>
                    <th scope="col" className="num">
                      Sessions
                    </th>
                    <th scope="col" className="num">
                      Attended
                    </th>
                    <th scope="col" className="num">
                      No-shows
                    </th>
                    <th scope="col" className="num">
                      Filled
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {d.classes.map((c) => (
                    <tr key={c.classId}>
                      <td data-label="Class">{c.class}</td>
                      <td data-label="Sessions" className="num">
                        {c.sessions}
                      </td>
                      <td data-label="Attended" className="num">
                        {c.attended} ({percent(c.attendanceRate)})
                      </td>
                      <td data-label="No-shows" className="num">
                        {c.noShows}
                      </td>
                      <td data-label="Filled" className="num">
                        {percent(c.fillRate)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          </>
        )}
      </Card>

      <Card title="Members at risk" query={atRisk}>
        {(d) =>
          d.members.length === 0 ? (
            <p className="muted">Nobody is at risk: every active member scores {d.threshold} or more and came in the last {d.inactiveDays} days.</p>
          ) : (
            <>
              <p className="muted small">
                Active members scoring under {d.threshold} (engagement, 0–100) or without a visit in {d.inactiveDays} days: {d.total}, worth {d.monthlyRevenueAtRisk.display} a month. The riskiest{' '}
                {d.members.length} first.
              </p>
              <TableScroll label="Members at risk">
                <table className="data-table responsive">
                  <caption className="visually-hidden">Members at risk</caption>
                  <thead>
                    <tr>
                      <th scope="col">Member</th>
                      <th scope="col" className="num">
                        Score
                      </th>
                      <th scope="col">Last visit</th>
                      <th scope="col">Why</th>
                      <th scope="col" className="num">
                        Monthly value
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.members.map((m) => (
                      <tr key={m.contactId}>
                        <td data-label="Member">
                          <Link to={`/gym/members/${m.contactId}`}>{m.name}</Link>
                        </td>
                        <td data-label="Score" className="num">
                          {m.score}
                        </td>
                        <td data-label="Last visit">{m.lastVisitAt ? `${dateTime(m.lastVisitAt)} (${m.daysSinceLastVisit} days)` : 'never'}</td>
                        <td data-label="Why" className="gym-wrap">
                          {m.reasons.join('; ')}
                        </td>
                        <td data-label="Monthly value" className="num">
                          {m.monthlyValue.display}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableScroll>
            </>
          )
        }
      </Card>
    </>
  );
}

function MonthForm({ month, max, onApply }: { month: string; max: string; onApply: (month: string) => void }) {
  const [value, setValue] = useState(month);
  const [error, setError] = useState<string>();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!MONTH_RE.test(value)) return setError('Choose a month');
    if (value > max) return setError('Choose this month or an earlier one');
    setError(undefined);
    onApply(value);
  };
  return (
    <form className="card usage-range" onSubmit={submit} noValidate aria-label="Period">
      <TextField id="gym-month" label="Through month" type="month" max={max} value={value} error={error} onChange={(e) => setValue(e.target.value)} />
      <div className="usage-range-actions">
        <Button type="submit" variant="primary">
          Show
        </Button>
        {month !== max && (
          <Button variant="ghost" onClick={() => onApply(max)}>
            This month
          </Button>
        )}
      </div>
    </form>
  );
}

function Stat<T>({ label, query, value, hint, testId }: { label: string; query: UseQueryResult<T>; value: (d: T) => string; hint?: (d: T) => string; testId?: string }) {
  return (
    <div className="stat card" data-testid={testId}>
      <div className="stat-label">{label}</div>
      <div className="stat-value">{query.data ? value(query.data) : query.isError ? '—' : '…'}</div>
      {hint && query.data && <div className="stat-hint muted small">{hint(query.data)}</div>}
    </div>
  );
}

function Figure({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

function Card<T>({ title, query, children }: { title: string; query: UseQueryResult<T>; children: (data: T) => ReactNode }) {
  const id = `gym-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return (
    <section className="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {query.isPending ? <Loading quiet label={`Loading ${title.toLowerCase()}…`} /> : query.data === undefined ? <ErrorState error={query.error} onRetry={() => void query.refetch()} /> : children(query.data)}
    </section>
  );
}

import { useQueries, useQuery, type UseQueryResult } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { errorMessage } from '../../api/errors';
import { useSession } from '../../auth/session';
import { Button } from '../../components/button';
import { FormError, TextField } from '../../components/fields';
import { PageHeader } from '../../components/page-header';
import { EmptyState, ErrorState, Loading } from '../../components/states';
import '../../components/data-table.css';
import { download } from '../../api/download';
import { combine, currentMonth, joinCsv, monthsBetween, usageApi, usageKeys, type RangeUsage, type UsageReport } from './api';
import { BarList, BudgetBar, ColumnChart } from './charts';
import { count, usd } from './money';
import './usage.css';

const MONTH_RE = /^\d{4}-(0[1-9]|1[0-2])$/;
/** The longest range the page loads at once (one request per month). */
const MAX_MONTHS = 24;

/** Why a range is not valid, per field, or null. */
function rangeProblems(from: string, to: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  if (!MONTH_RE.test(from)) out.from = 'Choose a month';
  if (!MONTH_RE.test(to)) out.to = 'Choose a month';
  if (!out.from && !out.to) {
    if (from > to) out.to = 'Must not be before the first month';
    else if (monthsBetween(from, to).length > MAX_MONTHS) out.to = `At most ${MAX_MONTHS} months at once`;
  }
  return Object.keys(out).length ? out : null;
}

/** Usage and billing: cost per day, by agent and by model, against the budgets; CSV export. */
export function UsagePage() {
  const [params, setParams] = useSearchParams();
  const now = currentMonth();
  const from = params.get('from') ?? now;
  const to = params.get('to') ?? from;
  const valid = !rangeProblems(from, to);
  const months = valid ? monthsBetween(from, to) : [now];

  const reports = useQueries({
    queries: months.map((month) => ({ queryKey: usageKeys.report(month), queryFn: ({ signal }: { signal: AbortSignal }) => usageApi.report(month, signal) })),
  });
  // Budgets are always about the current month, whatever range is shown.
  const current = useQuery({ queryKey: usageKeys.report(now), queryFn: ({ signal }) => usageApi.report(now, signal) });

  const pending = reports.some((r) => r.isPending);
  const failed = reports.find((r) => r.isError);
  const data = !pending && !failed ? combine(reports.map((r) => r.data as UsageReport)) : null;
  const label = from === to ? monthLabel(from) : `${monthLabel(from)} – ${monthLabel(to)}`;

  return (
    <>
      <PageHeader
        title="Usage"
        description="What your agents cost: billed amounts include the organization's markup. Months are UTC calendar months."
        actions={<ExportButton months={months} from={from} to={to} disabled={!valid} />}
      />
      <RangeForm
        key={`${from}/${to}`}
        from={from}
        to={to}
        onApply={(f, t) => setParams(f === now && t === now ? {} : { from: f, to: t })}
      />
      {failed ? (
        <ErrorState error={failed.error} onRetry={() => reports.forEach((r) => r.isError && void r.refetch())} />
      ) : !data ? (
        <Loading label="Loading usage…" />
      ) : (
        <RangeView data={data} label={label} />
      )}
      <BudgetsCard report={current} />
    </>
  );
}

const monthLabel = (month: string) => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m - 1, 1)).toLocaleDateString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' });
};

function RangeForm({ from, to, onApply }: { from: string; to: string; onApply: (from: string, to: string) => void }) {
  const [values, setValues] = useState({ from, to });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const problems = rangeProblems(values.from, values.to);
    setErrors(problems ?? {});
    if (!problems) onApply(values.from, values.to);
  };
  const now = currentMonth();
  return (
    <form className="card usage-range" onSubmit={submit} noValidate aria-label="Date range">
      <TextField id="usage-from" name="from" label="From month" type="month" max={now} value={values.from} error={errors.from} onChange={(e) => setValues((v) => ({ ...v, from: e.target.value }))} />
      <TextField id="usage-to" name="to" label="To month" type="month" max={now} value={values.to} error={errors.to} onChange={(e) => setValues((v) => ({ ...v, to: e.target.value }))} />
      <div className="usage-range-actions">
        <Button type="submit" variant="primary">
          Show
        </Button>
        <Button
          variant="ghost"
          onClick={() => {
            setValues({ from: now, to: now });
            setErrors({});
            onApply(now, now);
          }}
        >
          This month
        </Button>
      </div>
    </form>
  );
}

function ExportButton({ months, from, to, disabled }: { months: string[]; from: string; to: string; disabled: boolean }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const parts = await Promise.all(months.map((m) => usageApi.csv(m)));
      download(`troupe-usage-${from === to ? from : `${from}_${to}`}.csv`, joinCsv(parts));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="usage-export">
      <Button onClick={() => void run()} busy={busy} disabled={disabled}>
        Export CSV
      </Button>
      <FormError message={error} />
    </div>
  );
}

function RangeView({ data, label }: { data: RangeUsage; label: string }) {
  const t = data.totals;
  const base = t.baseCostMicros;
  return (
    <>
      <section aria-label={`Totals for ${label}`} className="stat-grid">
        <Stat label="Billed cost" value={usd(t.billedCostMicros)} hint={label} testId="usage-billed" />
        <Stat label="Model cost" value={usd(base)} hint={`Markup ${usd(t.billedCostMicros - base)}`} />
        <Stat label="Model calls" value={count(t.calls)} />
        <Stat label="Tokens" value={count(t.inputTokens + t.outputTokens)} hint={`${count(t.inputTokens)} in (${count(t.cachedInputTokens)} cached) · ${count(t.outputTokens)} out`} />
      </section>
      <section className="card" aria-labelledby="usage-day-heading">
        <h2 id="usage-day-heading">Cost per day</h2>
        <ColumnChart
          title={`Billed cost per day, ${label}`}
          data={data.byDay.map((d) => ({ key: d.date, label: d.date, value: d.totals.billedCostMicros, detail: `${usd(d.totals.billedCostMicros)} · ${calls(d.totals.calls)}` }))}
          format={usd}
          axisFormat={axisUsd}
        />
      </section>
      <div className="grid-2">
        <section className="card" aria-labelledby="usage-agent-heading">
          <h2 id="usage-agent-heading">By agent</h2>
          {data.byAgent.length === 0 ? (
            <p className="muted">No agent has run in this period.</p>
          ) : (
            <BarList
              title={`Billed cost by agent, ${label}`}
              columns={['Agent', 'Cost']}
              format={usd}
              data={data.byAgent.map((a) => ({ key: a.agentId, label: a.agentName ?? 'Deleted agent', value: a.totals.billedCostMicros }))}
              renderLabel={(d) => <Link to={`/agents/${d.key}`}>{d.label}</Link>}
            />
          )}
        </section>
        <section className="card" aria-labelledby="usage-model-heading">
          <h2 id="usage-model-heading">By model</h2>
          {data.byModel.length === 0 ? (
            <p className="muted">No model was called in this period.</p>
          ) : (
            <BarList
              title={`Billed cost by model, ${label}`}
              columns={['Model', 'Cost']}
              format={usd}
              data={data.byModel.map((m) => ({ key: m.key, label: m.key, value: m.totals.billedCostMicros, detail: `${usd(m.totals.billedCostMicros)} · ${calls(m.totals.calls)}` }))}
            />
          )}
        </section>
      </div>
      {t.calls === 0 && (
        <EmptyState title="No usage in this period">
          <p>Costs appear here as soon as an agent calls a model.</p>
        </EmptyState>
      )}
    </>
  );
}

const calls = (n: number) => `${count(n)} call${n === 1 ? '' : 's'}`;

/** Axis labels: short dollars. */
function axisUsd(micros: number): string {
  const d = micros / 1e6;
  if (d === 0) return '$0';
  if (d >= 1) return `$${d.toLocaleString('en-US', { maximumFractionDigits: 2 })}`;
  return `$${d.toPrecision(2).replace(/0+$/, '').replace(/\.$/, '')}`;
}

function Stat({ label, value, hint, testId }: { label: string; value: string; hint?: string; testId?: string }) {
  return (
    <div className="stat card" data-testid={testId}>
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
      {hint && <div className="stat-hint muted small">{hint}</div>}
    </div>
  );
}

function BudgetsCard({ report }: { report: UseQueryResult<UsageReport> }) {
  const { can } = useSession();
  return (
    <section className="card" aria-labelledby="usage-budget-heading">
      <div className="card-header">
        <h2 id="usage-budget-heading">This month against budgets</h2>
        {can('owner') && <Link to="/settings/billing">Change markup and budget</Link>}
      </div>
      {report.isPending ? (
        <Loading label="Loading budgets…" />
      ) : report.isError ? (
        <ErrorState error={report.error} onRetry={() => void report.refetch()} />
      ) : (
        <div className="stack">
          <p className="muted">
            Markup: <strong data-testid="usage-markup">{report.data.markupPercent}%</strong> over model cost. {monthLabel(report.data.month)}, UTC.
          </p>
          <BudgetBar
            label="Organization"
            spent={usd(report.data.budgets.org.spentMicros)}
            budget={report.data.budgets.org.budgetMicros === null ? null : usd(report.data.budgets.org.budgetMicros)}
            percent={report.data.budgets.org.percent}
          />
          {report.data.budgets.agents.length === 0 ? (
            <p className="muted small">No agent has its own budget. Set one on the agent's page (Limits).</p>
          ) : (
            <ul className="list" aria-label="Agent budgets">
              {report.data.budgets.agents.map((a) => (
                <li key={a.agentId}>
                  <BudgetBar
                    label={<Link to={`/agents/${a.agentId}`}>{a.agentName}</Link>}
                    spent={usd(a.spentMicros)}
                    budget={a.budgetMicros === null ? null : usd(a.budgetMicros)}
                    percent={a.percent}
                  />
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}

import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { SelectField, TextField } from '../../components/fields';
import { EmptyState, QueryView } from '../../components/states';
import { useListParams } from '../../components/use-list-params';
import { agentsQuery } from '../runs/api';
import { DECISION_STATUSES, decisionKeys, decisionsApi, isoOf, percent, STATUS_LABELS, type Analytics } from './api';
import { DecisionsHeader } from './parts';
import '../usage/usage.css';

type Bucket = Analytics['byIntent'][number];

/**
 * `/decisions/analytics`: how decisions went, for one agent or all: totals by status and by who
 * decided (model or rules), the auto-execution, approval and edit rates, a table per intent and
 * per decision type, and the confidence histogram.
 */
export function DecisionsAnalyticsPage() {
  const [params, set] = useListParams();
  const query = { agentId: params.get('agentId') || undefined, from: isoOf(params.get('from')), to: isoOf(params.get('to')) };
  const agents = useQuery(agentsQuery);
  const analytics = useQuery({ queryKey: decisionKeys.analytics(query), queryFn: ({ signal }) => decisionsApi.analytics(query, signal) });
  return (
    <>
      <DecisionsHeader title="Decision analytics" description="How often agents decide on their own, how often a person agrees, and how sure the decisions were." />
      <form className="filters" aria-label="Filter analytics" onSubmit={(e) => e.preventDefault()}>
        <SelectField
          id="decisions-analytics-agent"
          label="Agent"
          value={query.agentId ?? ''}
          onChange={(e) => set({ agentId: e.target.value })}
          options={[{ value: '', label: 'Every agent' }, ...(agents.data?.items ?? []).map((a) => ({ value: a.id, label: a.name }))]}
        />
        <TextField id="decisions-analytics-from" type="datetime-local" label="From" value={params.get('from') ?? ''} onChange={(e) => set({ from: e.target.value })} />
        <TextField id="decisions-analytics-to" type="datetime-local" label="Until" value={params.get('to') ?? ''} onChange={(e) => set({ to: e.target.value })} />
      </form>
      <QueryView
        query={analytics}
        loadingLabel="Loading analytics…"
        isEmpty={(a) => a.total === 0}
        empty={<EmptyState title={query.agentId || query.from || query.to ? 'No decisions match these filters' : 'No decisions yet'} />}
      >
        {(a) => (
          <>
            <section aria-labelledby="decisions-rates-heading">
              <h2 id="decisions-rates-heading" className="visually-hidden">
                Totals and rates
              </h2>
              <dl className="stats" data-testid="decision-rates">
                <Stat label="Decisions" value={String(a.total)} />
                <Stat label="Executed without a person" value={percent(a.autoExecutionRate)} />
                <Stat label="Approved by a person" value={percent(a.approvalRate)} />
                <Stat label="Approved with changed actions" value={percent(a.editRate)} />
              </dl>
            </section>
            <div className="grid-2">
              <section className="card" aria-labelledby="decisions-status-heading">
                <h2 id="decisions-status-heading">By status</h2>
                <dl className="facts">
                  {DECISION_STATUSES.map((s) => (
                    <Fact key={s} label={STATUS_LABELS[s]} value={a.byStatus[s] ?? 0} />
                  ))}
                </dl>
              </section>
              <section className="card" aria-labelledby="decisions-source-heading">
                <h2 id="decisions-source-heading">Decided by</h2>
                <dl className="facts">
                  {Object.entries(a.bySource).map(([k, n]) => (
                    <Fact key={k} label={k === 'pending' ? 'not yet' : k} value={n} />
                  ))}
                </dl>
              </section>
            </div>
            <section className="card" aria-labelledby="decisions-histogram-heading">
              <h2 id="decisions-histogram-heading">Confidence</h2>
              <Histogram data={a.confidenceHistogram} />
            </section>
            <BucketTable title="By intent" column="Intent" rows={a.byIntent} />
            <BucketTable title="By decision type" column="Decision type" rows={a.byType} />
          </>
        )}
      </QueryView>
    </>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div className="stat">
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

function Fact({ label, value }: { label: string; value: number }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </>
  );
}

function BucketTable({ title, column, rows }: { title: string; column: string; rows: Bucket[] }) {
  const id = useId();
  return (
    <section className="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      <div className="table-scroll">
        <table className="data-table">
          <caption className="visually-hidden">{title}</caption>
          <thead>
            <tr>
              <th scope="col">{column}</th>
              <th scope="col" className="num">
                Count
              </th>
              <th scope="col" className="num">
                Auto-executed
              </th>
              <th scope="col" className="num">
                Approved
              </th>
              <th scope="col" className="num">
                Rejected
              </th>
              <th scope="col" className="num">
                Edited
              </th>
              <th scope="col" className="num">
                Failed
              </th>
              <th scope="col" className="num">
                Avg. confidence
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key}>
                <td>{r.key === '(none)' ? <span className="muted">none yet</span> : <code>{r.key}</code>}</td>
                <td className="num">{r.count}</td>
                <td className="num">{r.autoExecuted}</td>
                <td className="num">{r.approved}</td>
                <td className="num">{r.rejected}</td>
                <td className="num">{r.edited}</td>
                <td className="num">{r.failed}</td>
                <td className="num">{percent(r.avgConfidence)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

const W = 480;
const H = 180;
const PAD = { top: 12, right: 8, bottom: 28, left: 40 };

/**
 * The confidence histogram (ten buckets of 0.1) as plain SVG bars, the usage charts' style: a
 * <title> per bar, a summary for screen readers, and the counts as a table below.
 */
function Histogram({ data }: { data: Analytics['confidenceHistogram'] }) {
  const id = useId();
  const max = Math.max(1, ...data.map((d) => d.count));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, data.length);
  const barW = slot * 0.75;
  const range = (d: { from: number; to: number }) => `${percent(d.from)}–${percent(d.to)}`;
  const total = data.reduce((s, d) => s + d.count, 0);
  const summary = `Confidence of ${total} decisions in ten buckets: ${data.map((d) => `${range(d)}: ${d.count}`).join(', ')}.`;
  return (
    <figure className="chart decisions-histogram" aria-labelledby={`${id}-caption`}>
      <figcaption id={`${id}-caption`} className="visually-hidden">
        {summary}
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} className="chart-svg" role="img" aria-label={summary} data-testid="confidence-histogram">
        {[0, max].map((t) => {
          const y = PAD.top + plotH - (t / max) * plotH;
          return (
            <g key={t} className="chart-grid">
              <line x1={PAD.left} x2={W - PAD.right} y1={y} y2={y} />
              <text x={PAD.left - 6} y={y + 4} textAnchor="end">
                {t}
              </text>
            </g>
          );
        })}
        {data.map((d, i) => {
          const h = (d.count / max) * plotH;
          const x = PAD.left + i * slot + (slot - barW) / 2;
          return (
            <g key={d.from}>
              <rect className="chart-bar" x={x} y={PAD.top + plotH - h} width={barW} height={Math.max(h, d.count > 0 ? 1 : 0)} rx={2}>
                <title>{`${range(d)}: ${d.count}`}</title>
              </rect>
              {i % 2 === 0 && (
                <text className="chart-label" x={x} y={H - 8} textAnchor="start">
                  {d.from.toFixed(1)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <details className="chart-table">
        <summary>Show as table</summary>
        <div className="table-scroll">
          <table className="data-table">
            <caption className="visually-hidden">Decisions per confidence bucket</caption>
            <thead>
              <tr>
                <th scope="col">Confidence</th>
                <th scope="col" className="num">
                  Decisions
                </th>
              </tr>
            </thead>
            <tbody>
              {data.map((d) => (
                <tr key={d.from}>
                  <td>{range(d)}</td>
                  <td className="num">{d.count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

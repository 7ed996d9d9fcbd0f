import { useId, type ReactNode } from 'react';

export interface ChartDatum {
  /** Key and label of the bar (a day, an agent, a model). */
  key: string;
  label: string;
  value: number;
  /** Shown in the tooltip and the table; default `format(value)`. */
  detail?: string;
}

/** The data of a chart as a table, in a disclosure: the accessible and copyable fallback. */
function ChartTable({ caption, data, format, columns }: { caption: string; data: ChartDatum[]; format: (n: number) => string; columns: [string, string] }) {
  return (
    <details className="chart-table">
      <summary>Show as table</summary>
      <div className="table-scroll">
        <table className="data-table">
          <caption className="visually-hidden">{caption}</caption>
          <thead>
            <tr>
              <th scope="col">{columns[0]}</th>
              <th scope="col" className="num">
                {columns[1]}
              </th>
            </tr>
          </thead>
          <tbody>
            {data.map((d) => (
              <tr key={d.key}>
                <td>{d.label}</td>
                <td className="num">{d.detail ?? format(d.value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

const W = 720;
const H = 220;
const PAD = { top: 12, right: 8, bottom: 28, left: 64 };

/** A "nice" top of the axis at or above `max` (1, 2, 2.5 or 5 × a power of ten). */
function niceMax(max: number): number {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

/**
 * Vertical bars over time (cost per day) as plain SVG: one <title> per bar for the tooltip, an
 * accessible summary on the figure, and the same data as a table below.
 */
export function ColumnChart({ title, data, format, axisFormat = format, columns = ['Day', 'Cost'] }: {
  title: string;
  data: ChartDatum[];
  format: (n: number) => string;
  axisFormat?: (n: number) => string;
  columns?: [string, string];
}) {
  const id = useId();
  const max = niceMax(Math.max(0, ...data.map((d) => d.value)));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = data.length ? plotW / data.length : plotW;
  const barW = Math.max(1, Math.min(28, slot * 0.7));
  const ticks = [0, 0.5, 1].map((f) => f * max);
  const labelEvery = Math.max(1, Math.ceil(data.length / 10));
  const total = data.reduce((s, d) => s + d.value, 0);
  const peak = data.reduce<ChartDatum | null>((p, d) => (!p || d.value > p.value ? d : p), null);
  const summary = `${title}: ${data.length} bars, total ${format(total)}${peak && peak.value > 0 ? `, highest ${format(peak.value)} on ${peak.label}` : ''}.`;
  return (
    <figure className="chart" aria-labelledby={`${id}-caption`}>
      <figcaption id={`${id}-caption`} className="visually-hidden">
        {summary}
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} className="chart-svg" role="img" aria-label={summary}>
        {ticks.map((t) => {
          const y = PAD.top + plotH - (t / max) * plotH;
          return (
            <g key={t} className="chart-grid">
              <line x1={PAD.left} x2={W - PAD.right} y1={y} y2={y} />
              <text x={PAD.left - 6} y={y + 4} textAnchor="end">
                {axisFormat(t)}
              </text>
            </g>
          );
        })}
        {data.map((d, i) => {
          const h = (d.value / max) * plotH;
          const x = PAD.left + i * slot + (slot - barW) / 2;
          return (
            <g key={d.key}>
              <rect className="chart-bar" x={x} y={PAD.top + plotH - h} width={barW} height={Math.max(h, d.value > 0 ? 1 : 0)} rx={2}>
                <title>{`${d.label}: ${d.detail ?? format(d.value)}`}</title>
              </rect>
              {i % labelEvery === 0 && (
                <text className="chart-label" x={x + barW / 2} y={H - 8} textAnchor="middle">
                  {d.label.length > 5 ? d.label.slice(5) : d.label}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <ChartTable caption={title} data={data} format={format} columns={columns} />
    </figure>
  );
}

/**
 * Horizontal bars (cost by agent, by model): each row is a label, a bar as wide as its share of
 * the largest value, and the amount. The bars are decorative; the text carries the figures.
 */
export function BarList({ title, data, format, columns, renderLabel }: {
  title: string;
  data: ChartDatum[];
  format: (n: number) => string;
  columns: [string, string];
  renderLabel?: (d: ChartDatum) => ReactNode;
}) {
  const max = Math.max(0, ...data.map((d) => d.value));
  return (
    <figure className="chart">
      <ul className="bar-list" aria-label={title}>
        {data.map((d) => {
          const pct = max > 0 ? (d.value / max) * 100 : 0;
          return (
            <li key={d.key} className="bar-row">
              <span className="bar-label">{renderLabel ? renderLabel(d) : d.label}</span>
              <span className="bar-track" aria-hidden="true">
                <svg className="bar-svg" viewBox="0 0 100 10" preserveAspectRatio="none" focusable="false">
                  <rect className="chart-bar" x={0} y={0} width={Math.max(pct, d.value > 0 ? 0.5 : 0)} height={10} />
                </svg>
              </span>
              <span className="bar-value">{d.detail ?? format(d.value)}</span>
            </li>
          );
        })}
      </ul>
      <ChartTable caption={title} data={data} format={format} columns={columns} />
    </figure>
  );
}

/**
 * How much of a budget is spent: a bar (amber from 80%, red at 100%) with the figures in text.
 * `percent` null: no budget.
 */
export function BudgetBar({ label, spent, budget, percent }: { label: ReactNode; spent: string; budget: string | null; percent: number | null }) {
  const tone = percent === null ? 'none' : percent >= 100 ? 'over' : percent >= 80 ? 'near' : 'ok';
  const width = percent === null ? 0 : Math.min(100, percent);
  return (
    <div className={`budget budget-${tone}`}>
      <div className="budget-head">
        <span className="budget-label">{label}</span>
        <span className="budget-figures">
          {budget === null ? `${spent} spent · no budget` : `${spent} of ${budget} (${percent}%)`}
        </span>
      </div>
      {percent !== null && (
        <div
          className="budget-track"
          role="meter"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.min(100, percent)}
          aria-valuetext={`${percent}% of the budget spent`}
          aria-label={typeof label === 'string' ? `${label}: budget used` : 'Budget used'}
        >
          <svg className="bar-svg" viewBox="0 0 100 10" preserveAspectRatio="none" focusable="false" aria-hidden="true">
            <rect className="budget-fill" x={0} y={0} width={width} height={10} />
          </svg>
        </div>
      )}
    </div>
  );
}

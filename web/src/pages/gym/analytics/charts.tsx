import { useId } from 'react';
import { labelEvery, linePath, slotX, ticks, valueY, type Plot } from './scale';
import { TableScroll } from '../table-scroll';

export interface Point {
  key: string;
  /** Under the axis ("Mar"). */
  short: string;
  /** In the summary, tooltip and table ("March 2026"). */
  label: string;
  value: number;
  /** The value as people read it; default format(value). */
  detail?: string;
}

const PLOT: Plot = { width: 720, height: 220, left: 72, right: 16, top: 12, bottom: 28 };
/** A chart `width` units wide (the height stays): 720 for a full card, about 420 for half of one, so its text stays legible when scaled. */
const plotOf = (width = PLOT.width): Plot => ({ ...PLOT, width });

/** The chart's figures as a table in a disclosure: the accessible, copyable fallback. */
function ChartTable({ caption, points, format, columns }: { caption: string; points: Point[]; format: (n: number) => string; columns: [string, string] }) {
  return (
    <details className="chart-table">
      <summary>Show as table</summary>
      <TableScroll label={caption}>
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
            {points.map((p) => (
              <tr key={p.key}>
                <td>{p.label}</td>
                <td className="num">{p.detail ?? format(p.value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </details>
  );
}

function Frame({ title, summary, points, format, axisFormat, columns, x, plot, children }: {
  title: string;
  plot: Plot;
  /** The x of point i (its label's centre). */
  x: (i: number) => number;
  summary: string;
  points: Point[];
  format: (n: number) => string;
  axisFormat: (n: number) => string;
  columns: [string, string];
  children: (top: number) => React.ReactNode;
}) {
  const id = useId();
  const axis = ticks(Math.max(0, ...points.map((p) => p.value)));
  const top = axis[axis.length - 1]!;
  const show = labelEvery(points.length, Math.max(3, Math.floor(plot.width / 90)));
  return (
    <figure className="chart" aria-labelledby={`${id}-caption`}>
      <figcaption id={`${id}-caption`} className="visually-hidden">
        {summary}
      </figcaption>
      <svg viewBox={`0 0 ${plot.width} ${plot.height}`} className="chart-svg" role="img" aria-label={summary}>
        {axis.map((t) => {
          const y = valueY(plot, t, top);
          return (
            <g key={t} className="chart-grid">
              <line x1={plot.left} x2={plot.width - plot.right} y1={y} y2={y} />
              <text x={plot.left - 6} y={y + 4} textAnchor="end">
                {axisFormat(t)}
              </text>
            </g>
          );
        })}
        {children(top)}
        {points.map((p, i) =>
          show(i) ? (
            <text key={p.key} className="chart-label" x={x(i)} y={plot.height - 8} textAnchor="middle">
              {p.short}
            </text>
          ) : null,
        )}
      </svg>
      <ChartTable caption={title} points={points} format={format} columns={columns} />
    </figure>
  );
}

/**
 * A line over time (MRR month by month) as plain SVG: a dot with a tooltip per point, a summary
 * for screen readers (first, last, highest), and the figures as a table below.
 */
export function LineChart({ title, points, format, axisFormat = format, columns, width }: { title: string; points: Point[]; format: (n: number) => string; axisFormat?: (n: number) => string; columns: [string, string]; width?: number }) {
  const plot = plotOf(width);
  const first = points[0];
  const last = points[points.length - 1];
  const peak = points.reduce<Point | undefined>((p, x) => (!p || x.value > p.value ? x : p), undefined);
  const summary = first && last ? `${title}: from ${first.detail ?? format(first.value)} in ${first.label} to ${last.detail ?? format(last.value)} in ${last.label}${peak ? `; highest ${peak.detail ?? format(peak.value)} in ${peak.label}` : ''}.` : `${title}: no data.`;
  return (
    <Frame title={title} summary={summary} points={points} format={format} axisFormat={axisFormat} columns={columns} plot={plot} x={(i) => slotX(plot, i, points.length)}>
      {(top) => (
        <>
          <path className="gym-line" d={linePath(plot, points.map((p) => p.value), top)} />
          {points.map((p, i) => (
            <circle key={p.key} className="gym-point" cx={slotX(plot, i, points.length)} cy={valueY(plot, p.value, top)} r={3.5}>
              <title>{`${p.label}: ${p.detail ?? format(p.value)}`}</title>
            </circle>
          ))}
        </>
      )}
    </Frame>
  );
}

/** Vertical bars, one per point (churn by month, LTV by cohort), with the same summary and table. */
export function Columns({ title, points, format, axisFormat = format, columns, width }: { title: string; points: Point[]; format: (n: number) => string; axisFormat?: (n: number) => string; columns: [string, string]; width?: number }) {
  const plot = plotOf(width);
  const peak = points.reduce<Point | undefined>((p, x) => (!p || x.value > p.value ? x : p), undefined);
  const summary = `${title}: ${points.length} ${points.length === 1 ? 'bar' : 'bars'}${peak && peak.value > 0 ? `, highest ${peak.detail ?? format(peak.value)} in ${peak.label}` : ''}.`;
  const inner = plot.width - plot.left - plot.right;
  const slot = points.length ? inner / points.length : inner;
  const barW = Math.max(2, Math.min(36, slot * 0.6));
  // Bars sit in slots: their centres are the slots' centres (a line's points run end to end).
  const centre = (i: number) => plot.left + slot * i + slot / 2;
  return (
    <Frame title={title} summary={summary} points={points} format={format} axisFormat={axisFormat} columns={columns} plot={plot} x={centre}>
      {(top) =>
        points.map((p, i) => {
          const y = valueY(plot, p.value, top);
          const base = valueY(plot, 0, top);
          return (
            <rect key={p.key} className="chart-bar" x={centre(i) - barW / 2} y={y} width={barW} height={Math.max(base - y, p.value > 0 ? 1 : 0)} rx={2}>
              <title>{`${p.label}: ${p.detail ?? format(p.value)}`}</title>
            </rect>
          );
        })
      }
    </Frame>
  );
}

import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { dateTime, relative, shortId } from '../runs/format';
import type { Fire } from './api';
import { FireBadge } from './parts';

/**
 * Trigger fires as table rows: the trigger (or the event), the status, the run it started (a
 * link), the error of a failed one and its attempts. The event's page leaves the event out, a
 * trigger's page the trigger; the dead letters (no runs) add a Replay per row (`action`).
 */
export function FiresTable({ fires, caption, show, action }: { fires: Fire[]; caption: string; show: { trigger?: boolean; event?: boolean; run?: boolean; when?: boolean }; action?: (fire: Fire) => ReactNode }) {
  return (
    <div className="table-wrap">
      <table className="work-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {show.trigger && <th scope="col">Trigger</th>}
            {show.event && <th scope="col">Event</th>}
            <th scope="col">Status</th>
            {show.run !== false && <th scope="col">Run</th>}
            <th scope="col">Error</th>
            <th scope="col" className="num">
              Attempts
            </th>
            {show.when && <th scope="col">When</th>}
            {action && (
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {fires.map((f) => (
            <tr key={f.id} data-fire={f.triggerName} data-status={f.status}>
              {show.trigger && (
                <td className="wrap">
                  <Link to={`/events/triggers/${f.triggerId}`}>{f.triggerName}</Link>
                </td>
              )}
              {show.event && (
                <td>
                  <Link to={`/events?event=${f.eventId}`}>
                    <code>{f.eventType}</code>
                  </Link>
                </td>
              )}
              <td>
                <FireBadge status={f.status} />
                <FireNote fire={f} />
              </td>
              {show.run !== false && (
                <td>
                  {f.runId ? (
                    <Link to={`/runs/${f.runId}`} aria-label={`Run ${shortId(f.runId)} of ${f.triggerName}`}>
                      <code>{shortId(f.runId)}</code>
                    </Link>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
              )}
              <td className="wrap events-error">
                {f.error ? (
                  <>
                    <code>{f.error.code}</code> {f.error.message}
                  </>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
              <td className="num">{f.attempts}</td>
              {show.when && <td title={dateTime(f.updatedAt)}>{relative(f.updatedAt)}</td>}
              {action && <td>{action(f)}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** What a debounce or a queue adds to a fire's status: when a pending one starts, how many events a run carries. */
function FireNote({ fire: f }: { fire: Fire }) {
  if (f.status === 'pending' && f.dueAt)
    return (
      <span className="muted small" title={dateTime(f.dueAt)}>
        {' '}
        starts {relative(f.dueAt)}
      </span>
    );
  if (f.status === 'debounced') return <span className="muted small"> carried by a later event</span>;
  if (f.collapsed > 1) return <span className="muted small"> ({f.collapsed} events)</span>;
  return null;
}

/**
 * An event's fires as a compact list (the details panel beside the log is narrow): the trigger,
 * its status, the run it started, attempts, and a failed fire's error on a line of its own.
 */
export function FireList({ fires, label }: { fires: Fire[]; label: string }) {
  return (
    <ul className="events-fires" aria-label={label}>
      {fires.map((f) => (
        <li key={f.id} data-fire={f.triggerName} data-status={f.status}>
          <div className="events-fire-head">
            <Link to={`/events/triggers/${f.triggerId}`}>{f.triggerName}</Link>
            <FireBadge status={f.status} />
            <FireNote fire={f} />
            {f.runId && (
              <Link to={`/runs/${f.runId}`} aria-label={`Run ${shortId(f.runId)} of ${f.triggerName}`}>
                run <code>{shortId(f.runId)}</code>
              </Link>
            )}
            <span className="muted small">
              {f.attempts} attempt{f.attempts === 1 ? '' : 's'}
            </span>
          </div>
          {f.error && (
            <p className="events-error small">
              <code>{f.error.code}</code> {f.error.message}
            </p>
          )}
        </li>
      ))}
    </ul>
  );
}

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useRef, type KeyboardEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { Badge } from '../../../components/badge';
import { Button } from '../../../components/button';
import { PageHeader } from '../../../components/page-header';
import { ErrorState, Loading, QueryView } from '../../../components/states';
import { contactQuery, gymApi, gymKeys, lookups, type Booking, type Session } from '../api';
import { clock, dateTime, fullName, label, tone } from '../format';
import { addDays, dayKey, fill, layoutWeek, moveInWeek, startOfWeek, weekFromParam } from './week';
import { TableScroll } from '../table-scroll';
import '../../../components/data-table.css';
import '../gym.css';

const weekdayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'short' });
const rangeFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'long', year: 'numeric' });

/**
 * `/gym/classes?week=YYYY-MM-DD&session=<id>`: the week's sessions in seven columns (Monday
 * first, the browser's time zone), each with its places booked against its capacity; a session
 * opens its bookings below. Arrow keys move between sessions (up and down in a day, left and
 * right across days), Tab goes through them in order.
 */
export function ClassesPage() {
  const [params, setParams] = useSearchParams();
  const weekStart = weekFromParam(params.get('week'));
  const weekEnd = addDays(weekStart, 7);
  const selected = params.get('session');
  const thisWeek = dayKey(startOfWeek(new Date()));
  const key = dayKey(weekStart);

  const sessions = useQuery({
    queryKey: gymKeys.sessions(key),
    queryFn: ({ signal }) => gymApi.sessions(weekStart, weekEnd, signal),
    placeholderData: keepPreviousData,
  });
  const classes = useQuery(lookups.classes);
  const staff = useQuery(lookups.staff);
  const className = (s: Session) => classes.data?.find((c) => c.id === s.classId)?.name ?? 'Class';
  const instructor = (s: Session) => (s.instructorId ? staff.data?.find((x) => x.id === s.instructorId)?.name : undefined);

  const go = (week: string, session?: string) =>
    setParams(() => {
      const next = new URLSearchParams();
      if (week !== thisWeek) next.set('week', week);
      if (session) next.set('session', session);
      return next;
    });

  return (
    <>
      <PageHeader title="Classes and sessions" description="The timetable week by week: how full each session is, and who booked it." />
      <nav className="gym-week-nav" aria-label="Weeks">
        <Button onClick={() => go(dayKey(addDays(weekStart, -7)))}>
          <span aria-hidden="true">← </span>Previous week
        </Button>
        <h2 aria-live="polite" className="gym-week-title">
          {rangeFormat.formatRange(weekStart, addDays(weekStart, 6))}
        </h2>
        <Button onClick={() => go(dayKey(addDays(weekStart, 7)))}>
          Next week<span aria-hidden="true"> →</span>
        </Button>
        {key !== thisWeek && (
          <Button variant="ghost" onClick={() => go(thisWeek)}>
            This week
          </Button>
        )}
      </nav>
      <QueryView query={sessions} loadingLabel="Loading the week…">
        {(list) => (
          <Week
            sessions={list}
            weekStart={weekStart}
            selected={selected}
            onSelect={(id) => go(key, id === selected ? undefined : id)}
            className={className}
            instructor={instructor}
          />
        )}
      </QueryView>
      {selected && <SessionPanel id={selected} className={className} instructor={instructor} onClose={() => go(key)} />}
    </>
  );
}

function Week({
  sessions,
  weekStart,
  selected,
  onSelect,
  className,
  instructor,
}: {
  sessions: Session[];
  weekStart: Date;
  selected: string | null;
  onSelect: (id: string) => void;
  className: (s: Session) => string;
  instructor: (s: Session) => string | undefined;
}) {
  const days = layoutWeek(sessions, weekStart);
  const grid = useRef<HTMLDivElement>(null);
  const today = dayKey(new Date());
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const button = (e.target as HTMLElement).closest<HTMLButtonElement>('button[data-day]');
    if (!button) return;
    const to = moveInWeek(
      days.map((d) => d.items.length),
      { day: Number(button.dataset.day), index: Number(button.dataset.index) },
      e.key,
    );
    if (!to) return;
    e.preventDefault();
    grid.current?.querySelector<HTMLButtonElement>(`button[data-day="${to.day}"][data-index="${to.index}"]`)?.focus();
  };
  if (sessions.length === 0) {
    return (
      <div className="empty-state">
        <h2>No sessions this week</h2>
        <p className="empty-state-body">Sessions are added through the API or an import; the demo gym has a weekly timetable.</p>
      </div>
    );
  }
  return (
    <div className="gym-week" ref={grid} onKeyDown={onKeyDown}>
      {days.map((d, day) => (
        <section key={d.key} className={`gym-day${d.key === today ? ' gym-today' : ''}`} aria-labelledby={`day-${d.key}`}>
          <h3 id={`day-${d.key}`} className="gym-day-title">
            {weekdayFormat.format(d.date)}
            {d.key === today && <span className="visually-hidden"> (today)</span>}
          </h3>
          {d.items.length === 0 ? (
            <p className="muted small">No sessions</p>
          ) : (
            <ul className="gym-sessions">
              {d.items.map((s, index) => {
                const { ratio, level } = fill(s.booked, s.capacity);
                const cancelled = s.status === 'cancelled';
                const who = instructor(s);
                return (
                  <li key={s.id}>
                    <button
                      type="button"
                      className={`gym-session gym-fill-${level}${cancelled ? ' gym-cancelled' : ''}`}
                      data-day={day}
                      data-index={index}
                      data-session={s.id}
                      aria-pressed={selected === s.id}
                      onClick={() => onSelect(s.id)}
                    >
                      <span className="gym-session-time">
                        {clock(s.startsAt)}–{clock(s.endsAt)}
                      </span>
                      <span className="gym-session-name">{className(s)}</span>
                      <span className="gym-session-meta muted small">{[s.room, who].filter(Boolean).join(' · ') || '\u00a0'}</span>
                      {cancelled ? (
                        <span className="gym-session-places">Cancelled</span>
                      ) : (
                        <>
                          <span className="gym-session-places">
                            {s.booked}/{s.capacity} booked
                          </span>
                          <svg className="gym-capacity" viewBox="0 0 100 6" preserveAspectRatio="none" aria-hidden="true" focusable="false">
                            <rect className="gym-capacity-track" x={0} y={0} width={100} height={6} />
                            <rect className="gym-capacity-fill" x={0} y={0} width={ratio * 100} height={6} />
                          </svg>
                        </>
                      )}
                    </button>
                  </li>
                );
              })}
            </ul>
          )}
        </section>
      ))}
    </div>
  );
}

/** One session's details and its bookings (the roster), below the week. */
function SessionPanel({ id, className, instructor, onClose }: { id: string; className: (s: Session) => string; instructor: (s: Session) => string | undefined; onClose: () => void }) {
  const session = useQuery({ queryKey: gymKeys.session(id), queryFn: ({ signal }) => gymApi.session(id, signal) });
  const bookings = useQuery({ queryKey: gymKeys.sessionBookings(id), queryFn: ({ signal }) => gymApi.sessionBookings(id, signal) });
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    ref.current?.scrollIntoView?.({ block: 'nearest' });
  }, [id]);
  const s = session.data;
  return (
    <section ref={ref} className="card gym-session-panel" aria-labelledby="session-heading">
      <div className="card-header">
        <h2 id="session-heading">{s ? `${className(s)}, ${dateTime(s.startsAt)}` : 'Session'}</h2>
        <Button variant="ghost" onClick={onClose}>
          Close
        </Button>
      </div>
      {session.isPending ? (
        <Loading label="Loading the session…" />
      ) : !s ? (
        <ErrorState error={session.error} onRetry={() => void session.refetch()} />
      ) : (
        <>
          <p>
            {[s.room, instructor(s)].filter(Boolean).join(' · ')}
            {s.room || instructor(s) ? ' · ' : ''}
            <strong>
              {s.booked} of {s.capacity} places booked
            </strong>
            {s.status === 'cancelled' && (
              <>
                {' '}
                <Badge tone="danger">cancelled</Badge>
              </>
            )}
          </p>
          {bookings.isPending ? (
            <Loading quiet label="Loading bookings…" />
          ) : !bookings.data ? (
            <ErrorState error={bookings.error} onRetry={() => void bookings.refetch()} />
          ) : bookings.data.length === 0 ? (
            <p className="muted">Nobody has booked this session.</p>
          ) : (
            <TableScroll label="Bookings of this session">
              <table className="data-table responsive">
                <caption className="visually-hidden">Bookings of this session</caption>
                <thead>
                  <tr>
                    <th scope="col">Person</th>
                    <th scope="col">Booking</th>
                    <th scope="col">Status</th>
                    <th scope="col">Booked</th>
                  </tr>
                </thead>
                <tbody>
                  {bookings.data.map((b) => (
                    <RosterRow key={b.id} booking={b} />
                  ))}
                </tbody>
              </table>
            </TableScroll>
          )}
        </>
      )}
    </section>
  );
}

function RosterRow({ booking: b }: { booking: Booking }) {
  const contact = useQuery(contactQuery(b.contactId));
  return (
    <tr>
      <td data-label="Person">{contact.data ? <Link to={`/gym/members/${b.contactId}`}>{fullName(contact.data)}</Link> : <span className="muted">…</span>}</td>
      <td data-label="Booking">{label(b.kind)}</td>
      <td data-label="Status">
        <Badge tone={tone(b.status)}>{label(b.status)}</Badge>
      </td>
      <td data-label="Booked">{dateTime(b.bookedAt)}</td>
    </tr>
  );
}

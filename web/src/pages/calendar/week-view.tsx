import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { BreakRule } from '@server/calendars/enums';
import { openIntervals } from '@server/calendars/time';
import { QueryView } from '../../components/states';
import { calendarApi, calendarKeys, type Calendar, type CalendarEvent } from './api';
import type { BookingStart } from './book-dialog';
import { EventDialog } from './event-dialog';
import { addDays, dayLabel, hhmm, instantOf, sameDate, todayIn, wallClock, type LocalDate } from './week';

const HOUR_PX = 48;

/** The hours shown: the calendar's working hours and every event of the week, at least 08–18. */
function hourRange(calendar: Calendar, events: CalendarEvent[], days: LocalDate[]): [number, number] {
  let first = 8;
  let last = 18;
  for (const ranges of Object.values(calendar.workingHours)) {
    for (const r of ranges) {
      first = Math.min(first, Math.floor(Number(r.start.slice(0, 2))));
      last = Math.max(last, Math.ceil(Number(r.end.slice(0, 2)) + Number(r.end.slice(3)) / 60));
    }
  }
  for (const e of events) {
    const s = wallClock(Date.parse(e.startAt), calendar.timeZone);
    const end = wallClock(Date.parse(e.endAt), calendar.timeZone);
    if (days.some((d) => sameDate(d, s.date))) first = Math.min(first, Math.floor(s.minutes / 60));
    if (days.some((d) => sameDate(d, end.date))) last = Math.max(last, Math.ceil(end.minutes / 60));
  }
  return [first, Math.min(24, Math.max(last, first + 1))];
}

/** The shown minutes of a day the calendar is not open (outside working hours, breaks), as [from, to) minute pairs. */
function closedRanges(calendar: Calendar, dayStart: number, dayEnd: number, shownFrom: number, shownTo: number): [number, number][] {
  const tz = calendar.timeZone;
  const open = openIntervals({ timeZone: tz, workingHours: calendar.workingHours, breaks: calendar.breaks as BreakRule[] }, dayStart, dayEnd).map(({ start, end }): [number, number] => [
    start <= dayStart ? 0 : wallClock(start, tz).minutes,
    end >= dayEnd ? 24 * 60 : wallClock(end, tz).minutes,
  ]);
  const out: [number, number][] = [];
  let at = shownFrom;
  for (const [a, b] of open) {
    if (a > at) out.push([at, Math.min(a, shownTo)]);
    at = Math.max(at, b);
  }
  if (at < shownTo) out.push([at, shownTo]);
  return out.filter(([a, b]) => b > a);
}

/** Seven day columns, hour rows, events placed by their time in the calendar's zone; today marked. */
export function WeekView({ calendar, week, canBook, onBook }: { calendar: Calendar; week: LocalDate; canBook: boolean; onBook: (start: BookingStart) => void }) {
  const tz = calendar.timeZone;
  const days = Array.from({ length: 7 }, (_, i) => addDays(week, i));
  const from = new Date(instantOf(week, 0, tz)).toISOString();
  const to = new Date(instantOf(addDays(week, 7), 0, tz)).toISOString();
  const events = useQuery({ queryKey: calendarKeys.events(calendar.id, from, to), queryFn: ({ signal }) => calendarApi.events(calendar.id, from, to, signal) });
  const [open, setOpen] = useState<CalendarEvent | null>(null);
  const today = todayIn(tz);

  return (
    <QueryView query={events}>
      {(data) => {
        const [first, last] = hourRange(calendar, data.items, days);
        const hours = Array.from({ length: last - first }, (_, i) => first + i);
        const height = (last - first) * HOUR_PX;
        return (
          <div className="cal-week" role="grid" aria-label={`Week of ${dayLabel(week)}`}>
            <div className="cal-head" role="row">
              <div className="cal-corner" />
              {days.map((d) => (
                <div key={d.day} role="columnheader" className={`cal-day-head${sameDate(d, today) ? ' cal-today' : ''}`} aria-current={sameDate(d, today) ? 'date' : undefined}>
                  {dayLabel(d)}
                </div>
              ))}
            </div>
            <div className="cal-body" role="row" style={{ height }}>
              <div className="cal-hours">
                {hours.map((h) => (
                  <div key={h} className="cal-hour-label" style={{ height: HOUR_PX }}>
                    {hhmm(h * 60)}
                  </div>
                ))}
              </div>
              {days.map((d) => {
                const dayStart = instantOf(d, 0, tz);
                const dayEnd = instantOf(addDays(d, 1), 0, tz);
                const mine = data.items.filter((e) => Date.parse(e.endAt) > dayStart && Date.parse(e.startAt) < dayEnd);
                const closed = closedRanges(calendar, dayStart, dayEnd, first * 60, last * 60);
                return (
                  <div key={d.day} role="gridcell" className={`cal-day${sameDate(d, today) ? ' cal-today' : ''}`} data-date={`${d.year}-${d.month}-${d.day}`}>
                    {hours.map((h) => (
                      <button
                        key={h}
                        type="button"
                        className="cal-slot"
                        style={{ height: HOUR_PX }}
                        disabled={!canBook}
                        aria-label={`Book ${dayLabel(d)} ${hhmm(h * 60)}`}
                        onClick={() => onBook({ date: d, minutes: h * 60 })}
                      />
                    ))}
                    {closed.map(([a, b]) => (
                      <div key={a} className="cal-closed" aria-hidden="true" style={{ top: ((a - first * 60) / 60) * HOUR_PX, height: ((b - a) / 60) * HOUR_PX }} />
                    ))}
                    {mine.map((e) => {
                      const s = Math.max(Date.parse(e.startAt), dayStart);
                      const end = Math.min(Date.parse(e.endAt), dayEnd);
                      const top = ((wallClock(s, tz).minutes - first * 60) / 60) * HOUR_PX;
                      const endMinutes = end === dayEnd ? 24 * 60 : wallClock(end, tz).minutes;
                      const h = Math.max(18, ((endMinutes - wallClock(s, tz).minutes) / 60) * HOUR_PX);
                      return (
                        <button
                          key={e.id}
                          type="button"
                          className={`cal-event${e.status === 'cancelled' ? ' cal-event-cancelled' : ''}`}
                          style={{ top: Math.max(0, top), height: h }}
                          onClick={() => setOpen(e)}
                          title={e.title}
                        >
                          <span className="cal-event-time">{hhmm(wallClock(Date.parse(e.startAt), tz).minutes)}</span> <span className="cal-event-title">{e.title}</span>
                        </button>
                      );
                    })}
                  </div>
                );
              })}
            </div>
            {open && <EventDialog event={open} calendar={calendar} onClose={() => setOpen(null)} />}
          </div>
        );
      }}
    </QueryView>
  );
}

import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { useSession } from '../../auth/session';
import { Button } from '../../components/button';
import { SelectField } from '../../components/fields';
import { PageHeader } from '../../components/page-header';
import { EmptyState, QueryView } from '../../components/states';
import { calendarApi, calendarKeys, type Calendar } from './api';
import { BookDialog, type BookingStart } from './book-dialog';
import { NewCalendarDialog, SettingsDialog } from './settings-dialog';
import { WeekView } from './week-view';
import { addDays, dateKey, mondayOf, parseDateKey, todayIn } from './week';
import './calendar.css';

/**
 * The Calendar area: a week of the chosen calendar in its own time zone, booking from a dialog
 * (a clash offers the free alternatives), cancelling, and the calendar's settings and ICS link.
 * The calendar and the week are in the URL (`?cal=…&week=2027-03-01`).
 */
export function CalendarPage() {
  const { can } = useSession();
  const [params, setParams] = useSearchParams();
  const [dialog, setDialog] = useState<null | 'new' | 'settings' | { book: BookingStart | null }>(null);
  const list = useQuery({ queryKey: calendarKeys.list, queryFn: ({ signal }) => calendarApi.list(signal) });
  const calendars = list.data?.items ?? [];
  const selected: Calendar | undefined = calendars.find((c) => c.id === params.get('cal')) ?? calendars[0];
  const tz = selected?.timeZone ?? 'UTC';
  const week = mondayOf(parseDateKey(params.get('week') ?? '') ?? todayIn(tz));
  const go = (changes: Record<string, string>) => setParams((p) => ({ ...Object.fromEntries(p), ...changes }), { replace: true });

  return (
    <div className="cal-page">
      <PageHeader
        title="Calendar"
        description="Bookings of staff and rooms, in each calendar's time zone."
        actions={
          <>
            {can('admin') && <Button onClick={() => setDialog('new')}>New calendar</Button>}
            {selected && can('member') && (
              <Button variant="primary" onClick={() => setDialog({ book: null })}>
                New event
              </Button>
            )}
          </>
        }
      />
      <QueryView
        query={list}
        isEmpty={(d) => d.items.length === 0}
        empty={<EmptyState title="No calendars yet" action={can('admin') ? <Button onClick={() => setDialog('new')}>New calendar</Button> : undefined}>A calendar belongs to a staff member or a room, with working hours and breaks.</EmptyState>}
      >
        {() =>
          selected && (
            <>
              <div className="cal-toolbar">
                <SelectField
                  id="cal-select"
                  label="Calendar"
                  value={selected.id}
                  onChange={(e) => go({ cal: e.target.value })}
                  options={calendars.map((c) => ({ value: c.id, label: `${c.name} (${c.kind})` }))}
                />
                <div className="cal-week-nav" role="group" aria-label="Week">
                  <Button onClick={() => go({ week: dateKey(addDays(week, -7)) })} aria-label="Previous week">
                    ← Previous
                  </Button>
                  <Button onClick={() => go({ week: dateKey(mondayOf(todayIn(tz))) })}>This week</Button>
                  <Button onClick={() => go({ week: dateKey(addDays(week, 7)) })} aria-label="Next week">
                    Next →
                  </Button>
                </div>
                <p className="cal-zone">
                  Times in <strong>{tz}</strong>
                </p>
                {can('admin') && <Button onClick={() => setDialog('settings')}>Settings</Button>}
              </div>
              <WeekView calendar={selected} week={week} canBook={can('member')} onBook={(start) => setDialog({ book: start })} />
            </>
          )
        }
      </QueryView>
      <NewCalendarDialog open={dialog === 'new'} onClose={() => setDialog(null)} onCreated={(c) => go({ cal: c.id })} />
      {selected && <SettingsDialog open={dialog === 'settings'} calendar={selected} onClose={() => setDialog(null)} />}
      {selected && typeof dialog === 'object' && dialog !== null && <BookDialog calendar={selected} initial={dialog.book} onClose={() => setDialog(null)} />}
    </div>
  );
}

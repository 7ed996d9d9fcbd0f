import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { z } from 'zod';
import { createEventBody } from '@server/calendars/dto';
import { ApiError } from '../../api/errors';
import { Button } from '../../components/button';
import { Dialog } from '../../components/dialog';
import { FormError, SelectField, TextField } from '../../components/fields';
import { useZodForm } from '../../components/use-zod-form';
import { calendarApi, calendarKeys, type Calendar, type Clash } from './api';
import { dateKey, hhmm, instantOf, parseDateKey, todayIn, wallClock, type LocalDate } from './week';

export interface BookingStart {
  date: LocalDate;
  minutes: number;
}

const REASONS = { overlap: 'another event', break: 'a break', outside_hours: 'time outside working hours' } as const;
const { title, description, location } = createEventBody.shape;
/** The server's body (createEventBody) as a person fills it in: a date and a time on the calendar's clock, one attendee. */
const bookSchema = z.object({
  title,
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date'),
  time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time, HH:MM'),
  durationMinutes: z.coerce.number().int().min(5).max(24 * 60),
  attendeeName: z.string().max(200).optional(),
  attendeeEmail: z.email().optional(),
  description: description.optional(),
  location: location.optional(),
});

const DURATIONS = [15, 30, 45, 60, 90, 120].map((m) => ({ value: String(m), label: `${m} minutes` }));

/** Books an event; a clash shows what it clashes with and the free alternatives, each one click to book. */
export function BookDialog({ calendar, initial, onClose }: { calendar: Calendar; initial: BookingStart | null; onClose: () => void }) {
  const queryClient = useQueryClient();
  const tz = calendar.timeZone;
  const [clash, setClash] = useState<Clash | null>(null);
  const start = initial ?? { date: todayIn(tz), minutes: 9 * 60 };
  const toIso = (date: string, time: string) => new Date(instantOf(parseDateKey(date)!, Number(time.slice(0, 2)) * 60 + Number(time.slice(3)), tz)).toISOString();
  const form = useZodForm({
    schema: bookSchema,
    initial: { title: '', date: dateKey(start.date), time: hhmm(start.minutes), durationMinutes: '30', attendeeName: '', attendeeEmail: '', description: '', location: '' },
    idPrefix: 'book',
    submit: async (v) => {
      setClash(null);
      try {
        return await calendarApi.book(calendar.id, {
          title: v.title,
          start: toIso(v.date, v.time),
          durationMinutes: v.durationMinutes,
          attendees: v.attendeeEmail ? [{ email: v.attendeeEmail, ...(v.attendeeName ? { name: v.attendeeName } : {}) }] : [],
          ...(v.description ? { description: v.description } : {}),
          ...(v.location ? { location: v.location } : {}),
        });
      } catch (err) {
        if (err instanceof ApiError && err.code === 'calendar_conflict') setClash(err.body as unknown as Clash);
        throw err;
      }
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: calendarKeys.all });
      onClose();
    },
  });
  const pick = (iso: string) => {
    const w = wallClock(Date.parse(iso), tz);
    form.setValue('date', dateKey(w.date));
    form.setValue('time', hhmm(w.minutes));
    setClash(null);
  };
  return (
    <Dialog open onClose={onClose} title={`New event in ${calendar.name}`}>
      <form onSubmit={form.handleSubmit} noValidate aria-label="New event">
        <TextField label="Title" required autoFocus autoComplete="off" {...form.field('title')} />
        <div className="cal-form-row">
          <TextField label="Date" type="date" required {...form.field('date')} />
          <TextField label={`Time (${tz})`} type="time" required {...form.field('time')} />
          <SelectField label="Length" options={DURATIONS} {...form.field('durationMinutes')} />
        </div>
        <div className="cal-form-row">
          <TextField label="Attendee name" autoComplete="off" {...form.field('attendeeName')} />
          <TextField label="Attendee email" type="email" autoComplete="off" hint="Gets a confirmation with an invitation, and reminders" {...form.field('attendeeEmail')} />
        </div>
        <TextField label="Location" autoComplete="off" {...form.field('location')} />
        {clash ? (
          <div className="cal-clash" role="alert">
            <p>
              This time clashes with{' '}
              {[...clash.conflicts.map((c) => `“${c.title}” (${hhmm(wallClock(Date.parse(c.startAt), tz).minutes)}–${hhmm(wallClock(Date.parse(c.endAt), tz).minutes)})`), ...clash.reasons.filter((r) => r !== 'overlap').map((r) => REASONS[r])].join(', ')}
              .
            </p>
            {clash.alternatives.length ? (
              <>
                <p>Free instead:</p>
                <ul className="cal-alternatives">
                  {clash.alternatives.map((a) => {
                    const w = wallClock(Date.parse(a.start), tz);
                    return (
                      <li key={a.start}>
                        <Button onClick={() => pick(a.start)}>
                          {dateKey(w.date)} {hhmm(w.minutes)}
                        </Button>
                      </li>
                    );
                  })}
                </ul>
              </>
            ) : (
              <p>No free slot in the next 60 days.</p>
            )}
          </div>
        ) : (
          <FormError message={form.formError} />
        )}
        <div className="form-actions">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={form.submitting}>
            Book
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

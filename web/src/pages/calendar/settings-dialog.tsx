import { useMutation, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';
import { createCalendarBody } from '@server/calendars/dto';
import { CALENDAR_KINDS, TIME_OF_DAY_RE, WEEKDAYS, type Weekday } from '@server/calendars/enums';
import { errorMessage } from '../../api/errors';
import { Button } from '../../components/button';
import { CopyButton } from '../../components/copy-button';
import { Dialog } from '../../components/dialog';
import { FormError, SelectField, TextField } from '../../components/fields';
import { useZodForm } from '../../components/use-zod-form';
import { calendarApi, calendarKeys, type Calendar } from './api';

const kindOptions = CALENDAR_KINDS.map((k) => ({ value: k, label: k === 'staff' ? 'Staff member' : 'Room' }));
const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
const { name, kind, timeZone } = createCalendarBody.shape;

/** A new calendar: name, kind and time zone (hours and lunch take the server's defaults). */
export function NewCalendarDialog({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (c: Calendar) => void }) {
  const queryClient = useQueryClient();
  const form = useZodForm({
    schema: z.object({ name, kind, timeZone }),
    initial: { name: '', kind: 'staff', timeZone: browserZone() },
    idPrefix: 'new-cal',
    submit: (body) => calendarApi.create(body),
    onSuccess: (c) => {
      void queryClient.invalidateQueries({ queryKey: calendarKeys.all });
      onCreated(c);
      close();
    },
  });
  const close = () => {
    form.reset();
    onClose();
  };
  return (
    <Dialog open={open} onClose={close} title="New calendar">
      <form onSubmit={form.handleSubmit} noValidate aria-label="New calendar">
        <TextField label="Name" required autoFocus autoComplete="off" hint="A person (“Dr. Berg”) or a room (“Room A”)" {...form.field('name')} />
        <SelectField label="Kind" options={kindOptions} {...form.field('kind')} />
        <TextField label="Time zone" required autoComplete="off" hint="IANA name, e.g. Europe/Berlin. Working hours: Mon–Fri 09:00–17:00, lunch 12:00–13:00 (change them in Settings)." {...form.field('timeZone')} />
        <FormError message={form.formError} />
        <div className="form-actions">
          <Button onClick={close}>Cancel</Button>
          <Button type="submit" variant="primary" busy={form.submitting}>
            Create calendar
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

const DAY_LABELS: Record<Weekday, string> = { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday' };
// The form sends blank fields as undefined: a blank time is a closed day (or no break).
const time = z.string().regex(TIME_OF_DAY_RE, 'HH:MM').optional();
const settingsSchema = z.object({
  timeZone,
  hours: z.object(Object.fromEntries(WEEKDAYS.map((d) => [d, z.object({ start: time, end: time })])) as Record<Weekday, z.ZodObject<{ start: typeof time; end: typeof time }>>),
  breakStart: time,
  breakEnd: time,
});

/**
 * The calendar's settings: time zone, one range of working hours per day (empty: closed), a daily
 * break on working days, and its ICS feed link (a new link retires the old one).
 */
export function SettingsDialog({ open, calendar, onClose }: { open: boolean; calendar: Calendar; onClose: () => void }) {
  const queryClient = useQueryClient();
  const lunch = calendar.breaks[0];
  const form = useZodForm({
    schema: settingsSchema,
    initial: {
      timeZone: calendar.timeZone,
      hours: Object.fromEntries(WEEKDAYS.map((d) => [d, { start: calendar.workingHours[d]?.[0]?.start ?? '', end: calendar.workingHours[d]?.[0]?.end ?? '' }])) as Record<Weekday, { start: string; end: string }>,
      breakStart: lunch?.start ?? '',
      breakEnd: lunch?.end ?? '',
    },
    idPrefix: `cal-settings-${calendar.id}`,
    submit: (v) => {
      const open = WEEKDAYS.filter((d) => v.hours[d]?.start && v.hours[d]?.end);
      return calendarApi.update(calendar.id, {
        timeZone: v.timeZone,
        workingHours: Object.fromEntries(open.map((d) => [d, [{ start: v.hours[d]!.start!, end: v.hours[d]!.end! }]])),
        breaks: v.breakStart && v.breakEnd && open.length ? [{ days: open, start: v.breakStart, end: v.breakEnd }] : [],
      });
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: calendarKeys.all });
      onClose();
    },
  });
  const feed = useMutation({ mutationFn: () => calendarApi.feedToken(calendar.id) });
  return (
    <Dialog open={open} onClose={onClose} title={`${calendar.name}: settings`}>
      <form onSubmit={form.handleSubmit} noValidate aria-label="Calendar settings">
        <TextField label="Time zone" required autoComplete="off" {...form.field('timeZone')} />
        <fieldset className="cal-hours-fieldset">
          <legend>Working hours (empty: closed)</legend>
          {WEEKDAYS.map((d) => (
            <div key={d} className="cal-form-row">
              <TextField label={`${DAY_LABELS[d]} from`} placeholder="09:00" autoComplete="off" {...form.field(`hours.${d}.start`)} />
              <TextField label="to" placeholder="17:00" autoComplete="off" {...form.field(`hours.${d}.end`)} />
            </div>
          ))}
        </fieldset>
        <div className="cal-form-row">
          <TextField label="Break from" placeholder="12:00" autoComplete="off" hint="Every working day; empty: none" {...form.field('breakStart')} />
          <TextField label="Break to" placeholder="13:00" autoComplete="off" {...form.field('breakEnd')} />
        </div>
        <FormError message={form.formError} />
        <div className="form-actions">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={form.submitting}>
            Save
          </Button>
        </div>
      </form>
      <section className="cal-feed" aria-label="ICS feed">
        <h2>ICS feed</h2>
        <p className="field-hint">Subscribe from a calendar app. The link is shown once; a new link stops the old one.</p>
        {feed.data ? (
          <div className="secret-row">
            <input id="cal-feed-url" readOnly value={feed.data.url} aria-label="Feed URL" onFocus={(e) => e.currentTarget.select()} />
            <CopyButton text={feed.data.url} label="Copy link" />
          </div>
        ) : (
          <Button busy={feed.isPending} onClick={() => feed.mutate()}>
            {calendar.hasFeed ? 'Make a new feed link' : 'Make a feed link'}
          </Button>
        )}
        <FormError message={feed.error ? errorMessage(feed.error) : undefined} />
      </section>
    </Dialog>
  );
}

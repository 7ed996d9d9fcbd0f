import { useMutation, useQueryClient } from '@tanstack/react-query';
import { errorMessage } from '../../api/errors';
import { useSession } from '../../auth/session';
import { Button } from '../../components/button';
import { Dialog } from '../../components/dialog';
import { FormError } from '../../components/fields';
import { calendarApi, calendarKeys, type Calendar, type CalendarEvent } from './api';
import { dateKey, hhmm, wallClock } from './week';

/** One event: its time on the calendar's clock, attendees, status; members may cancel it. */
export function EventDialog({ event, calendar, onClose }: { event: CalendarEvent; calendar: Calendar; onClose: () => void }) {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const cancel = useMutation({
    mutationFn: () => calendarApi.cancel(event.id),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: calendarKeys.all });
      onClose();
    },
  });
  const s = wallClock(Date.parse(event.startAt), calendar.timeZone);
  const e = wallClock(Date.parse(event.endAt), calendar.timeZone);
  return (
    <Dialog open onClose={onClose} title={event.title}>
      <dl className="cal-details">
        <dt>When</dt>
        <dd>
          {dateKey(s.date)} {hhmm(s.minutes)}–{hhmm(e.minutes)} ({calendar.timeZone})
        </dd>
        <dt>Status</dt>
        <dd>{event.status}</dd>
        {event.location && (
          <>
            <dt>Where</dt>
            <dd>{event.location}</dd>
          </>
        )}
        <dt>Attendees</dt>
        <dd>{event.attendees.length ? event.attendees.map((a) => (a.name ? `${a.name} <${a.email}>` : a.email)).join(', ') : 'none'}</dd>
        {event.description && (
          <>
            <dt>Notes</dt>
            <dd>{event.description}</dd>
          </>
        )}
      </dl>
      <FormError message={cancel.error ? errorMessage(cancel.error) : undefined} />
      <div className="form-actions">
        <Button onClick={onClose}>Close</Button>
        {can('member') && event.status === 'confirmed' && (
          <Button variant="danger" busy={cancel.isPending} onClick={() => cancel.mutate()}>
            Cancel event
          </Button>
        )}
      </div>
    </Dialog>
  );
}

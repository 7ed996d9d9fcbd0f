import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { EmptyState, QueryView } from '../../components/states';
import { useListParams } from '../../components/use-list-params';
import { Pager } from '../runs/pager';
import { eventKeys, eventsApi, type FireQuery } from './api';
import { ReplayButton } from './event-details';
import { FiresTable } from './fires-table';
import { EventsHeader } from './parts';

const LIMIT = 25;

/**
 * `/events/dead-letters`: fires that failed (`GET /trigger-fires?status=failed`), newest first,
 * each with its trigger, event, error and attempts, and Replay (admins). Refreshed every 3 s, so
 * a replay that worked leaves the list and one that failed again shows its new attempt.
 */
export function DeadLettersPage() {
  const [params, set] = useListParams();
  const query: FireQuery = { status: 'failed', offset: Number(params.get('offset')) || 0, limit: LIMIT };
  const fires = useQuery({
    queryKey: eventKeys.fires(query),
    queryFn: ({ signal }) => eventsApi.fires(query, signal),
    placeholderData: keepPreviousData,
    refetchInterval: 3000,
  });
  return (
    <>
      <EventsHeader title="Dead letters" description="Trigger fires that failed: fix the trigger or its target, then replay the event." />
      <QueryView
        query={fires}
        loadingLabel="Loading dead letters…"
        isEmpty={(d) => d.items.length === 0}
        empty={
          <EmptyState title="No dead letters">
            <p>
              When a <Link to="/events/triggers">trigger</Link> cannot start its agent or workflow, the fire shows here with the reason.
            </p>
          </EmptyState>
        }
      >
        {(page) => (
          <>
            <FiresTable
              fires={page.items}
              caption="Failed trigger fires"
              show={{ trigger: true, event: true, run: false, when: true }}
              action={(f) => <ReplayButton eventId={f.eventId} what={`${f.eventType} for ${f.triggerName}`} small />}
            />
            <Pager label="Dead letter pages" offset={query.offset ?? 0} limit={LIMIT} total={page.total} onChange={(o) => set({ offset: o ? String(o) : '' })} />
          </>
        )}
      </QueryView>
    </>
  );
}

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { errorMessage } from '../../api/errors';
import { useSession } from '../../auth/session';
import { Button } from '../../components/button';
import { FormError } from '../../components/fields';
import { EmptyState, QueryView } from '../../components/states';
import { CodeBlock } from '../runs/code-block';
import { IdChip } from '../runs/id-chip';
import { dateTime, json } from '../runs/format';
import { EDIT_ROLE, eventKeys, eventsApi, type Endpoint, type EventWithFires } from './api';
import { FireList } from './fires-table';

/** Still being processed: its triggers are being matched, or a fire is under way. */
const inProgress = (e: EventWithFires | undefined) => Boolean(e && (!e.processedAt || e.fires.some((f) => f.status === 'firing')));

/**
 * One event: what happened and when, where it came from, its payload, and every trigger it fired
 * (each fire's status, its run, the error of a failed one), with Replay for admins. Polls while
 * the processor is still at it, and every 2 s in `live` mode.
 */
export function EventDetails({ id, live, endpoints }: { id: string; live: boolean; endpoints: Endpoint[] | undefined }) {
  const event = useQuery({
    queryKey: eventKeys.detail(id),
    queryFn: ({ signal }) => eventsApi.get(id, signal),
    refetchInterval: (q) => (inProgress(q.state.data) ? 1000 : live ? 2000 : false),
  });
  return (
    <section className="card events-detail" aria-labelledby="event-detail-heading" data-testid="event-details">
      <QueryView query={event} loadingLabel="Loading the event…">
        {(e) => {
          const endpoint = e.endpointId ? endpoints?.find((x) => x.id === e.endpointId) : undefined;
          return (
            <>
              <div className="card-header">
                <h2 id="event-detail-heading">
                  <code>{e.type}</code>
                </h2>
                <ReplayButton eventId={e.id} what={e.type} />
              </div>
              <dl className="facts">
                <dt>Event</dt>
                <dd>
                  <IdChip id={e.id} what="event" />
                </dd>
                <dt>Source</dt>
                <dd>
                  {e.source}
                  {e.endpointId && (
                    <>
                      {' '}
                      (<Link to={`/events/webhooks/${e.endpointId}`}>{endpoint?.name ?? 'webhook endpoint'}</Link>)
                    </>
                  )}
                </dd>
                <dt>Happened</dt>
                <dd>{dateTime(e.occurredAt)}</dd>
                <dt>Received</dt>
                <dd>{dateTime(e.createdAt)}</dd>
                <dt>Processed</dt>
                <dd>{e.processedAt ? dateTime(e.processedAt) : <span className="muted">waiting for the trigger processor…</span>}</dd>
                {e.dedupeKey && (
                  <>
                    <dt>Dedupe key</dt>
                    <dd>
                      <code>{e.dedupeKey}</code>
                    </dd>
                  </>
                )}
              </dl>
              <h3>Payload</h3>
              <CodeBlock label="Payload">{json(e.payload)}</CodeBlock>
              <h3>Triggers fired</h3>
              {e.fires.length ? (
                <FireList fires={e.fires} label="Triggers this event fired" />
              ) : (
                <EmptyState title={e.processedAt ? 'No trigger matched' : 'Not processed yet'}>
                  <p>
                    A <Link to="/events/triggers">trigger</Link> listening for this type, whose filter is true, starts an agent or a workflow.
                  </p>
                </EmptyState>
              )}
            </>
          );
        }}
      </QueryView>
    </section>
  );
}

/**
 * `POST /events/:id/replay` (admins): the event is processed again; failed fires are tried again,
 * fired ones stay. The event's page and the dead letters refresh.
 */
export function ReplayButton({ eventId, what, small = false }: { eventId: string; what: string; small?: boolean }) {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const replay = useMutation({
    mutationFn: () => eventsApi.replay(eventId),
    onSuccess: (e) => {
      queryClient.setQueryData(eventKeys.detail(eventId), e);
      void queryClient.invalidateQueries({ queryKey: ['events', 'fires'] });
      void queryClient.invalidateQueries({ queryKey: ['runs'] });
    },
  });
  if (!can(EDIT_ROLE)) return null;
  return (
    <span className="events-replay">
      <Button className={small ? 'btn-small' : undefined} busy={replay.isPending} onClick={() => replay.mutate()} aria-label={small ? `Replay ${what}` : undefined}>
        Replay
      </Button>
      <span role="status" className={replay.isSuccess ? 'small muted' : 'visually-hidden'}>
        {replay.isSuccess ? 'Replayed' : ''}
      </span>
      {replay.isError && <FormError message={errorMessage(replay.error)} />}
    </span>
  );
}

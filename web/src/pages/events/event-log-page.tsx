import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { Badge } from '../../components/badge';
import { CheckboxField, SelectField, TextField } from '../../components/fields';
import { EmptyState, QueryView } from '../../components/states';
import { useListParams } from '../../components/use-list-params';
import { dateTime, relative } from '../runs/format';
import { Pager } from '../runs/pager';
import { useDebounced } from '../tasks/use-debounced';
import { EVENT_PATTERN_HINT, EVENT_PATTERN_RE, EVENT_SOURCES, eventKeys, eventsApi, type Endpoint, type Event, type EventQuery, type EventSource } from './api';
import { EventDetails } from './event-details';
import { EventsHeader } from './parts';

const LIMIT = 25;
/** How often the live log asks for new events. */
const LIVE_MS = 2000;

/**
 * `/events`: the event log, newest first, filtered by type (or prefix), source and endpoint (all
 * in the URL, with the selected event and the live switch), paged by offset. Live mode refetches
 * every 2 s so new events appear at the top; the selected event's details show beside the list.
 */
export function EventLogPage() {
  const [params, set] = useListParams();
  const query: EventQuery = {
    type: params.get('type') || undefined,
    source: (params.get('source') || undefined) as EventSource | undefined,
    endpointId: params.get('endpointId') || undefined,
    offset: Number(params.get('offset')) || 0,
    limit: LIMIT,
  };
  // Held here as well as in the URL: the URL changes in a transition, and a checkbox controlled by
  // it alone snaps back for a render (a quick second click would read as "not changed").
  const [live, setLive] = useState(() => params.get('live') === '1');
  const selected = params.get('event');
  const endpoints = useQuery({ queryKey: eventKeys.endpoints, queryFn: ({ signal }) => eventsApi.endpoints(signal), staleTime: 30_000 });
  const events = useQuery({
    queryKey: eventKeys.list(query),
    queryFn: ({ signal }) => eventsApi.list(query, signal),
    placeholderData: keepPreviousData,
    refetchInterval: live ? LIVE_MS : false,
  });
  const filtered = Boolean(query.type || query.source || query.endpointId);
  /** The URL with another event selected (filters, page and live mode kept). */
  const selectHref = (id: string) => {
    const next = new URLSearchParams(params);
    next.set('event', id);
    return `?${next.toString()}`;
  };

  return (
    <>
      <EventsHeader title="Event log" description="What happened, as Troupe heard it: webhooks, the API, agents and Troupe itself; and the triggers each event fired." />
      <form className="filters" aria-label="Filter events" onSubmit={(e) => e.preventDefault()}>
        <TypeFilter value={query.type ?? ''} onChange={(type) => set({ type })} />
        <SelectField
          id="events-source"
          label="Source"
          value={query.source ?? ''}
          onChange={(e) => set({ source: e.target.value })}
          options={[{ value: '', label: 'Any source' }, ...EVENT_SOURCES.map((s) => ({ value: s, label: s }))]}
        />
        <SelectField
          id="events-endpoint"
          label="Webhook endpoint"
          value={query.endpointId ?? ''}
          onChange={(e) => set({ endpointId: e.target.value })}
          options={[{ value: '', label: 'Any endpoint' }, ...(endpoints.data?.items ?? []).map((x) => ({ value: x.id, label: x.name }))]}
        />
        <CheckboxField
          id="events-live"
          label="Live (every 2 s)"
          checked={live}
          onChange={(e) => {
            setLive(e.target.checked);
            set({ live: e.target.checked ? '1' : '' });
          }}
        />
      </form>
      <div className={selected ? 'events-split' : undefined}>
        <div>
          <QueryView
            query={events}
            loadingLabel="Loading events…"
            isEmpty={(d) => d.items.length === 0}
            empty={
              <EmptyState title={filtered ? 'No events match these filters' : 'No events yet'}>
                {!filtered && (
                  <p>
                    Events arrive from <Link to="/events/webhooks">webhook endpoints</Link>, from <code>POST /api/v1/events</code>, and from agents.
                  </p>
                )}
              </EmptyState>
            }
          >
            {(page) => (
              <>
                <EventsTable events={page.items} selected={selected} selectHref={selectHref} endpoints={endpoints.data?.items} />
                <Pager label="Event log pages" offset={query.offset ?? 0} limit={LIMIT} total={page.total} exact={page.totalExact} more={page.nextCursor !== null} onChange={(o) => set({ offset: o ? String(o) : '' })} />
              </>
            )}
          </QueryView>
        </div>
        {selected && <EventDetails key={selected} id={selected} live={live} endpoints={endpoints.data?.items} />}
      </div>
    </>
  );
}

function EventsTable({ events, selected, selectHref, endpoints }: { events: Event[]; selected: string | null; selectHref: (id: string) => string; endpoints: Endpoint[] | undefined }) {
  const endpointName = (id: string) => endpoints?.find((x) => x.id === id)?.name ?? 'webhook';
  return (
    <div className="table-wrap">
      <table className="work-table">
        <caption className="visually-hidden">Events, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">Received</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr key={e.id} data-event={e.id} aria-current={e.id === selected ? 'true' : undefined} className={e.id === selected ? 'events-selected' : undefined}>
              <td className="wrap">
                <Link to={selectHref(e.id)} aria-label={`${e.type}, received ${dateTime(e.createdAt)}`}>
                  <code>{e.type}</code>
                </Link>
                <div className="muted small">{e.endpointId ? `webhook: ${endpointName(e.endpointId)}` : e.source}</div>
              </td>
              <td title={dateTime(e.createdAt)}>
                {relative(e.createdAt)}
                {!e.processedAt && (
                  <>
                    {' '}
                    <Badge tone="info">processing</Badge>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * The type filter: typed text goes to the URL once typing pauses (300 ms), if it is an event type
 * or a prefix the API takes (`form.*`); otherwise the field says why and the list stays as it was.
 */
function TypeFilter({ value, onChange }: { value: string; onChange: (type: string) => void }) {
  const [text, setText] = useState(value);
  const settled = useDebounced(text.trim(), 300);
  const valid = settled === '' || EVENT_PATTERN_RE.test(settled);
  // The URL moved on its own (back button, a link): the box follows it.
  const written = useRef(value);
  useEffect(() => {
    if (value !== written.current) {
      written.current = value;
      setText(value);
    }
  }, [value]);
  useEffect(() => {
    if (!valid || settled === written.current) return;
    written.current = settled;
    onChange(settled);
  }, [settled, valid, onChange]);
  return (
    <TextField
      id="events-type"
      type="search"
      label="Type"
      placeholder="form.submitted or form.*"
      value={text}
      onChange={(e) => setText(e.target.value)}
      error={valid ? undefined : EVENT_PATTERN_HINT}
      autoComplete="off"
      spellCheck={false}
    />
  );
}

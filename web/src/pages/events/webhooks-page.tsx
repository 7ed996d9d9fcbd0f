import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { useSession } from '../../auth/session';
import { Button } from '../../components/button';
import { CopyButton } from '../../components/copy-button';
import { Icon } from '../../components/icons';
import { EmptyState, QueryView } from '../../components/states';
import { EDIT_ROLE, eventKeys, eventsApi, VERIFICATION_LABELS, type Endpoint } from './api';
import { EnabledBadge, EventsHeader } from './parts';
import { CreateEndpointDialog } from './webhook-create-dialog';

/** `/events/webhooks`: the organization's inbound webhook endpoints, each with its URL to copy; admins create them. */
export function WebhooksPage() {
  const { can } = useSession();
  const endpoints = useQuery({ queryKey: eventKeys.endpoints, queryFn: ({ signal }) => eventsApi.endpoints(signal) });
  const [creating, setCreating] = useState(false);
  const newButton = (
    <Button variant="primary" onClick={() => setCreating(true)}>
      <Icon name="plus" size={16} /> New endpoint
    </Button>
  );
  return (
    <>
      <EventsHeader
        title="Webhooks"
        description="Inbound webhook endpoints: other services POST to their URL, and each delivery becomes an event."
        actions={can(EDIT_ROLE) && newButton}
      />
      <QueryView
        query={endpoints}
        loadingLabel="Loading webhook endpoints…"
        isEmpty={(d) => d.items.length === 0}
        empty={
          <EmptyState title="No webhook endpoints yet" action={can(EDIT_ROLE) && newButton}>
            <p>An endpoint gives a form, a payment provider or GitHub a URL to send to; Troupe checks its token or signature and records an event.</p>
          </EmptyState>
        }
      >
        {(data) => <EndpointsTable endpoints={data.items} />}
      </QueryView>
      <CreateEndpointDialog open={creating} onClose={() => setCreating(false)} />
    </>
  );
}

function EndpointsTable({ endpoints }: { endpoints: Endpoint[] }) {
  return (
    <div className="table-wrap">
      <table className="work-table">
        <caption className="visually-hidden">Webhook endpoints</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Event type</th>
            <th scope="col">Verification</th>
            <th scope="col">Status</th>
            <th scope="col">URL</th>
          </tr>
        </thead>
        <tbody>
          {endpoints.map((x) => (
            <tr key={x.id} data-endpoint={x.name}>
              <td className="wrap">
                <Link to={`/events/webhooks/${x.id}`}>{x.name}</Link>
              </td>
              <td>
                <code>{x.eventType}</code>
                {x.mapping && <span className="muted small"> (mapped)</span>}
              </td>
              <td>{VERIFICATION_LABELS[x.verification]}</td>
              <td>
                <EnabledBadge enabled={x.enabled} />
              </td>
              <td>
                <span className="events-url">
                  <code title={x.url}>{x.url}</code>
                  <CopyButton text={x.url} label="Copy URL" />
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

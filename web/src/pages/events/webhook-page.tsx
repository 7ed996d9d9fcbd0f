import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef } from 'react';
import { useParams } from 'react-router';
import { errorMessage } from '../../api/errors';
import { useSession } from '../../auth/session';
import { CopyButton } from '../../components/copy-button';
import { Breadcrumb, PageHeader } from '../../components/page-header';
import { QueryView } from '../../components/states';
import { dateTime } from '../runs/format';
import { DEFAULT_HEADER, EDIT_ROLE, eventKeys, eventsApi, VERIFICATION_LABELS, type Endpoint } from './api';
import { bytes, EnabledBadge, EnabledSwitch } from './parts';
import { EndpointActions } from './webhook-actions';
import { Deliveries } from './webhook-deliveries';
import { EndpointForm } from './webhook-form';

/**
 * `/events/webhooks/:id`: one endpoint: its URL to copy and its settings; for admins the on/off
 * switch, a test delivery, a new secret (shown once), delete and the edit form; and its recent
 * deliveries, accepted (with their events) and refused (with the reason the sender got).
 */
export function WebhookPage() {
  const { id = '' } = useParams();
  const { can } = useSession();
  const endpoint = useQuery({ queryKey: eventKeys.endpoint(id), queryFn: ({ signal }) => eventsApi.endpoint(id, signal) });
  return (
    <>
      <Breadcrumb to="/events/webhooks">Webhooks</Breadcrumb>
      <QueryView query={endpoint} loadingLabel="Loading the endpoint…">
        {(x) => (
          <>
            <PageHeader
              title={x.name}
              description={
                <>
                  Deliveries become <code>{x.eventType}</code> events{x.mapping ? ' (or what its mapping says)' : ''}.
                </>
              }
            />
            <EndpointFacts endpoint={x} />
            {can(EDIT_ROLE) && <EndpointActions endpoint={x} />}
            <Deliveries endpointId={x.id} />
            {can(EDIT_ROLE) && <EndpointForm key={x.id} endpoint={x} />}
          </>
        )}
      </QueryView>
    </>
  );
}

function EndpointFacts({ endpoint: x }: { endpoint: Endpoint }) {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const urlRef = useRef<HTMLInputElement>(null);
  const toggle = useMutation({
    mutationFn: (enabled: boolean) => eventsApi.updateEndpoint(x.id, { enabled }),
    onSuccess: (saved) => {
      queryClient.setQueryData(eventKeys.endpoint(x.id), saved);
      void queryClient.invalidateQueries({ queryKey: eventKeys.endpoints, exact: true });
    },
  });
  const header = x.signatureHeader ?? DEFAULT_HEADER[x.verification];
  const signed = x.verification === 'hmac_sha256' || x.verification === 'stripe';
  return (
    <section className="card" aria-labelledby="endpoint-heading">
      <h2 id="endpoint-heading">Endpoint</h2>
      <div className="field">
        <label htmlFor="endpoint-url">URL senders POST to</label>
        <div className="secret-row">
          <input id="endpoint-url" ref={urlRef} readOnly value={x.url} onFocus={(e) => e.currentTarget.select()} />
          <CopyButton text={x.url} label="Copy URL" selectTarget={() => urlRef.current} />
        </div>
      </div>
      <dl className="facts">
        <dt>Event type</dt>
        <dd>
          <code>{x.eventType}</code>
        </dd>
        <dt>Verification</dt>
        <dd>
          {VERIFICATION_LABELS[x.verification]}
          {header && (
            <>
              {' '}
              in <code>{header}</code>
            </>
          )}
          {x.verification !== 'none' && !x.hasSecret && <span className="field-error"> (no secret: rotate to make one)</span>}
        </dd>
        {signed && (
          <>
            <dt>Replay window</dt>
            <dd>{x.toleranceSeconds} s</dd>
          </>
        )}
        <dt>Largest body</dt>
        <dd>{bytes(x.maxBodyBytes)}</dd>
        {x.mapping && (
          <>
            <dt>Mapping</dt>
            <dd>
              <code className="events-pre">{x.mapping}</code>
            </dd>
          </>
        )}
        <dt>Created</dt>
        <dd>{dateTime(x.createdAt)}</dd>
        <dt>{can(EDIT_ROLE) ? <label htmlFor="endpoint-enabled">Enabled</label> : 'Status'}</dt>
        <dd>
          {can(EDIT_ROLE) ? (
            <span className="switch-field">
              <EnabledSwitch id="endpoint-enabled" checked={x.enabled} busy={toggle.isPending} onChange={(on) => toggle.mutate(on)} />
              <span className="muted small">{x.enabled ? 'Takes deliveries.' : 'Off: deliveries get 404, as if it did not exist.'}</span>
            </span>
          ) : (
            <EnabledBadge enabled={x.enabled} />
          )}
          {toggle.isError && (
            <p role="alert" className="field-error">
              {errorMessage(toggle.error)}
            </p>
          )}
        </dd>
      </dl>
    </section>
  );
}

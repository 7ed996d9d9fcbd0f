import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { errorMessage } from '../../api/errors';
import { Button } from '../../components/button';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { FormError } from '../../components/fields';
import { eventKeys, eventsApi, type Endpoint, type EndpointWithSecret } from './api';
import { SecretOnce } from './secret-once';

/** What `POST /webhooks/:id/test` answered: the status the sender got, and the event or the refusal. */
function TestResult({ status, body }: { status: number; body: unknown }) {
  const b = (body ?? {}) as { eventId?: string; detail?: string; code?: string };
  const ok = status === 200 || status === 202;
  return (
    <p className={ok ? 'success' : 'field-error'} data-testid="test-result">
      The sender got <strong>{status}</strong>
      {ok && b.eventId ? (
        <>
          : <Link to={`/events?event=${b.eventId}`}>see the event</Link>.
        </>
      ) : (
        <>{b.detail ? `: ${b.code ? `${b.code}, ` : ''}${b.detail}` : '.'}</>
      )}
    </p>
  );
}

/**
 * An admin's actions on an endpoint: send a test delivery (signed as a correct sender would), a
 * new secret (the old one stops working; the new one is shown once), delete (its events stay).
 */
export function EndpointActions({ endpoint }: { endpoint: Endpoint }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [confirm, setConfirm] = useState<'rotate' | 'delete' | null>(null);
  const [rotated, setRotated] = useState<EndpointWithSecret | null>(null);
  const test = useMutation({
    mutationFn: () => eventsApi.test(endpoint.id),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: eventKeys.deliveries(endpoint.id) }),
  });
  const rotate = useMutation({
    mutationFn: () => eventsApi.rotateSecret(endpoint.id),
    onSuccess: (saved) => {
      setRotated(saved);
      const { secret: _secret, ...shown } = saved;
      queryClient.setQueryData(eventKeys.endpoint(endpoint.id), shown);
    },
  });
  const remove = useMutation({
    mutationFn: () => eventsApi.removeEndpoint(endpoint.id),
    onSuccess: () => {
      queryClient.removeQueries({ queryKey: eventKeys.endpoint(endpoint.id) });
      void queryClient.invalidateQueries({ queryKey: eventKeys.endpoints, exact: true });
      navigate('/events/webhooks', { replace: true });
    },
  });
  return (
    <section className="card" aria-labelledby="endpoint-actions-heading">
      <h2 id="endpoint-actions-heading">Actions</h2>
      <div className="events-actions">
        <Button busy={test.isPending} onClick={() => test.mutate()} disabled={!endpoint.enabled} title={endpoint.enabled ? undefined : 'Enable the endpoint first'}>
          Send a test
        </Button>
        {endpoint.verification !== 'none' && <Button onClick={() => setConfirm('rotate')}>Rotate secret</Button>}
        <Button variant="danger" onClick={() => setConfirm('delete')}>
          Delete
        </Button>
      </div>
      <div role="status">{test.data && <TestResult status={test.data.status} body={test.data.body} />}</div>
      {test.isError && <FormError message={errorMessage(test.error)} />}
      {rotated && <SecretOnce endpoint={rotated} onDone={() => setRotated(null)} />}
      <ConfirmDialog
        open={confirm === 'rotate'}
        title="Rotate the secret?"
        confirmLabel="Rotate secret"
        onClose={() => setConfirm(null)}
        onConfirm={() => rotate.mutateAsync()}
      >
        <p>
          The current secret of <strong>{endpoint.name}</strong> stops working at once: deliveries signed with it are refused until the sender has the new one.
        </p>
      </ConfirmDialog>
      <ConfirmDialog open={confirm === 'delete'} title={`Delete ${endpoint.name}?`} confirmLabel="Delete endpoint" onClose={() => setConfirm(null)} onConfirm={() => remove.mutateAsync()}>
        <p>Its URL stops taking deliveries (404). The events it received stay in the log. This cannot be undone.</p>
      </ConfirmDialog>
    </section>
  );
}

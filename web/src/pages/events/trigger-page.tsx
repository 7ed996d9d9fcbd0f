import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useSession } from '../../auth/session';
import { Button } from '../../components/button';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { Breadcrumb, PageHeader } from '../../components/page-header';
import { EmptyState, QueryView } from '../../components/states';
import { CodeBlock } from '../runs/code-block';
import { json } from '../runs/format';
import { EDIT_ROLE, eventKeys, eventsApi, type Trigger } from './api';
import { FiresTable } from './fires-table';
import { seconds } from './parts';
import { TriggerForm } from './trigger-form';
import { TargetLink, TriggerSwitch, useTargetNames } from './triggers-page';

/** `/events/triggers/new` (admins): the trigger form; once created, the trigger's page. */
export function NewTriggerPage() {
  const navigate = useNavigate();
  const { can } = useSession();
  return (
    <>
      <Breadcrumb to="/events/triggers">Triggers</Breadcrumb>
      <PageHeader title="New trigger" description="Events of a type, and a filter, start an agent or a workflow." />
      {can(EDIT_ROLE) ? (
        <TriggerForm onSaved={(t) => navigate(`/events/triggers/${t.id}`)} />
      ) : (
        <EmptyState title="Only admins create triggers">
          <p>Ask an administrator of this organization.</p>
        </EmptyState>
      )}
    </>
  );
}

/**
 * `/events/triggers/:id`: one trigger with its switch and its recent fires. Admins edit and
 * delete it, unless a workflow keeps it (`managed`): then it says which, and only the switch is here.
 */
export function TriggerPage() {
  const { id = '' } = useParams();
  const { can } = useSession();
  const trigger = useQuery({ queryKey: eventKeys.trigger(id), queryFn: ({ signal }) => eventsApi.trigger(id, signal) });
  const names = useTargetNames();
  return (
    <>
      <Breadcrumb to="/events/triggers">Triggers</Breadcrumb>
      <QueryView query={trigger} loadingLabel="Loading the trigger…">
        {(t) => (
          <>
            <PageHeader
              title={t.name}
              description={
                <>
                  Listens for <code>{t.eventType}</code> and starts <TargetLink trigger={t} names={names} />.
                </>
              }
              actions={can(EDIT_ROLE) && !t.managed && <DeleteTrigger trigger={t} />}
            />
            <div className="card switch-field">
              <TriggerSwitch trigger={t} id="trigger-enabled-switch" />
              {can(EDIT_ROLE) && <label htmlFor="trigger-enabled-switch">Enabled</label>}
              <span className="muted small">{t.enabled ? 'Matching events start work.' : 'Off: events are recorded but start nothing.'}</span>
            </div>
            {t.managed && t.workflowId && (
              <p className="notice" data-testid="managed-notice">
                From workflow <Link to={`/workflows/${t.workflowId}`}>{names.workflow(t.workflowId)}</Link>: its event trigger node keeps this trigger. Change the event type and filter
                there; here it can only be switched on or off.
              </p>
            )}
            {can(EDIT_ROLE) && !t.managed ? <TriggerForm key={t.id} trigger={t} onSaved={() => {}} /> : <TriggerFacts trigger={t} />}
            <RecentFires triggerId={t.id} />
          </>
        )}
      </QueryView>
    </>
  );
}

/** A trigger as text, for those who may not (or, for a workflow's, cannot here) edit it. */
function TriggerFacts({ trigger: t }: { trigger: Trigger }) {
  return (
    <section className="card" aria-labelledby="trigger-facts-heading">
      <h2 id="trigger-facts-heading">Settings</h2>
      <dl className="facts">
        <dt>Event type</dt>
        <dd>
          <code>{t.eventType}</code>
        </dd>
        <dt>Filter</dt>
        <dd>{t.filter ? <code>{t.filter}</code> : <span className="muted">none: every event of the type</span>}</dd>
        {t.task !== null && (
          <>
            <dt>Task</dt>
            <dd className="prose-text">{t.task}</dd>
          </>
        )}
        {t.workflowId && (
          <>
            <dt>Input</dt>
            <dd>{t.input === null ? <span className="muted">the event&apos;s payload</span> : <CodeBlock label="Input">{json(t.input)}</CodeBlock>}</dd>
          </>
        )}
        <dt>Throttle</dt>
        <dd>
          {t.throttleKey && t.throttleSeconds ? (
            <>
              once per <code>{t.throttleKey}</code> per {seconds(t.throttleSeconds)}
            </>
          ) : (
            <span className="muted">none</span>
          )}
        </dd>
        <dt>Debounce</dt>
        <dd>
          {t.debounce ? (
            <>
              one run per <code>{t.debounce.key}</code>, {seconds(t.debounce.seconds)} after the last event
            </>
          ) : (
            <span className="muted">none</span>
          )}
        </dd>
        <dt>Concurrent runs</dt>
        <dd>{t.maxConcurrentRuns ? `at most ${t.maxConcurrentRuns}` : <span className="muted">no limit</span>}</dd>
      </dl>
    </section>
  );
}

function RecentFires({ triggerId }: { triggerId: string }) {
  const query = { triggerId, limit: 20 };
  const fires = useQuery({ queryKey: eventKeys.fires(query), queryFn: ({ signal }) => eventsApi.fires(query, signal), refetchInterval: 5000 });
  return (
    <section aria-labelledby="trigger-fires-heading">
      <h2 id="trigger-fires-heading">Recent fires</h2>
      <QueryView query={fires} loadingLabel="Loading fires…" isEmpty={(d) => d.items.length === 0} empty={<EmptyState title="It has not fired yet" />}>
        {(page) => <FiresTable fires={page.items} caption="Recent fires of this trigger" show={{ event: true, when: true }} />}
      </QueryView>
    </section>
  );
}

function DeleteTrigger({ trigger }: { trigger: Trigger }) {
  const [open, setOpen] = useState(false);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: () => eventsApi.removeTrigger(trigger.id),
    onSuccess: () => {
      queryClient.removeQueries({ queryKey: eventKeys.trigger(trigger.id) });
      void queryClient.invalidateQueries({ queryKey: eventKeys.triggers, exact: true });
      navigate('/events/triggers', { replace: true });
    },
  });
  return (
    <>
      <Button variant="danger" onClick={() => setOpen(true)}>
        Delete
      </Button>
      <ConfirmDialog open={open} title={`Delete ${trigger.name}?`} confirmLabel="Delete trigger" onClose={() => setOpen(false)} onConfirm={() => remove.mutateAsync()}>
        <p>Events of its type stop starting work through it. Its past fires go with it; the runs they started stay.</p>
      </ConfirmDialog>
    </>
  );
}

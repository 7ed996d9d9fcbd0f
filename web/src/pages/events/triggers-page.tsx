import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { errorMessage } from '../../api/errors';
import { useSession } from '../../auth/session';
import { Badge } from '../../components/badge';
import { Icon } from '../../components/icons';
import { EmptyState, QueryView } from '../../components/states';
import { agentsQuery } from '../runs/api';
import { shortId } from '../runs/format';
import { EDIT_ROLE, eventKeys, eventsApi, workflowsQuery, type Trigger } from './api';
import { EnabledBadge, EnabledSwitch, EventsHeader, seconds } from './parts';

/** Names of the agents and workflows triggers start (short ids while loading, or for ones gone). */
export function useTargetNames() {
  const agents = useQuery(agentsQuery);
  const workflows = useQuery(workflowsQuery);
  return {
    agent: (id: string) => agents.data?.items.find((a) => a.id === id)?.name ?? shortId(id),
    workflow: (id: string) => workflows.data?.items.find((w) => w.id === id)?.name ?? shortId(id),
  };
}

/** What a trigger starts, linked: "Agent Desk" or "Workflow Shape". */
export function TargetLink({ trigger: t, names }: { trigger: Trigger; names: ReturnType<typeof useTargetNames> }) {
  if (t.agentId)
    return (
      <>
        Agent <Link to={`/agents/${t.agentId}`}>{names.agent(t.agentId)}</Link>
      </>
    );
  if (t.workflowId)
    return (
      <>
        Workflow <Link to={`/workflows/${t.workflowId}`}>{names.workflow(t.workflowId)}</Link>
      </>
    );
  return <span className="muted">—</span>;
}

/** `/events/triggers`: every trigger, what it listens for and starts, its throttle and its switch. */
export function TriggersPage() {
  const { can } = useSession();
  const triggers = useQuery({ queryKey: eventKeys.triggers, queryFn: ({ signal }) => eventsApi.triggers(signal) });
  const names = useTargetNames();
  const newLink = (
    <Link className="btn btn-primary" to="/events/triggers/new">
      <Icon name="plus" size={16} /> New trigger
    </Link>
  );
  return (
    <>
      <EventsHeader title="Triggers" description="When an event of a type arrives (and the filter is true), start an agent or a workflow." actions={can(EDIT_ROLE) && newLink} />
      <QueryView
        query={triggers}
        loadingLabel="Loading triggers…"
        isEmpty={(d) => d.items.length === 0}
        empty={
          <EmptyState title="No triggers yet" action={can(EDIT_ROLE) && newLink}>
            <p>A workflow with an event trigger node adds one of its own.</p>
          </EmptyState>
        }
      >
        {(data) => (
          <div className="table-wrap">
            <table className="work-table">
              <caption className="visually-hidden">Triggers</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Event type</th>
                  <th scope="col">Starts</th>
                  <th scope="col">Limits</th>
                  <th scope="col">Enabled</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((t) => (
                  <tr key={t.id} data-trigger={t.name}>
                    <td className="wrap">
                      <Link to={`/events/triggers/${t.id}`}>{t.name}</Link>
                      {t.managed && (
                        <>
                          {' '}
                          <Badge tone="info">from workflow</Badge>
                        </>
                      )}
                    </td>
                    <td>
                      <code>{t.eventType}</code>
                      {t.filter && <span className="muted small"> (filtered)</span>}
                    </td>
                    <td>
                      <TargetLink trigger={t} names={names} />
                    </td>
                    <td>
                      {t.throttleSeconds ? `once per key per ${seconds(t.throttleSeconds)}` : t.debounce ? `one run per key, ${seconds(t.debounce.seconds)} after the last` : <span className="muted">—</span>}
                      {t.maxConcurrentRuns ? <span className="muted small"> · at most {t.maxConcurrentRuns} at once</span> : null}
                    </td>
                    <td>
                      <TriggerSwitch trigger={t} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
    </>
  );
}

/** A trigger's on/off switch for admins (managed ones too: the one thing they may change here); a badge for others. */
export function TriggerSwitch({ trigger: t, id }: { trigger: Trigger; id?: string }) {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const toggle = useMutation({
    mutationFn: (enabled: boolean) => eventsApi.updateTrigger(t.id, { enabled }),
    onSuccess: (saved) => {
      queryClient.setQueryData(eventKeys.trigger(t.id), saved);
      queryClient.setQueryData<{ items: Trigger[] }>(eventKeys.triggers, (old) => old && { items: old.items.map((x) => (x.id === saved.id ? saved : x)) });
    },
  });
  if (!can(EDIT_ROLE)) return <EnabledBadge enabled={t.enabled} />;
  return (
    <>
      <EnabledSwitch id={id} checked={t.enabled} label={id ? undefined : `Enabled: ${t.name}`} busy={toggle.isPending} onChange={(on) => toggle.mutate(on)} />
      {toggle.isError && (
        <span role="alert" className="field-error">
          {' '}
          {errorMessage(toggle.error)}
        </span>
      )}
    </>
  );
}

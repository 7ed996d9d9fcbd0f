import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { useSession } from '../../auth/session';
import { Badge } from '../../components/badge';
import { Button } from '../../components/button';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { SelectField } from '../../components/fields';
import { EmptyState, QueryView } from '../../components/states';
import { useListParams } from '../../components/use-list-params';
import { agentsQuery } from '../runs/api';
import { dateTime } from '../runs/format';
import { decisionKeys, decisionsApi, POLICY_ROLE, type Policy } from './api';
import { DecisionsHeader } from './parts';
import { PolicyForm } from './policy-form';

/**
 * `/decisions/policies`: an agent's decision policies: its default (what applies to every decision
 * type without its own) and one per decision type. Admins create, change and delete them; others
 * read them.
 */
export function DecisionPoliciesPage() {
  const { can } = useSession();
  const [params, set] = useListParams();
  const agents = useQuery(agentsQuery);
  const agentId = params.get('agentId') || agents.data?.items[0]?.id;
  const readOnly = !can(POLICY_ROLE);
  return (
    <>
      <DecisionsHeader
        title="Decision policies"
        description="When an agent’s decision runs on its own, when a person is asked, and what happens when the model is down: per agent, and per decision type."
      />
      <QueryView
        query={agents}
        loadingLabel="Loading agents…"
        isEmpty={(d) => d.items.length === 0}
        empty={
          <EmptyState title="No agents yet">
            <p>
              A policy belongs to an agent. <Link to="/agents">Create an agent</Link> first.
            </p>
          </EmptyState>
        }
      >
        {(list) => (
          <>
            <form className="filters" aria-label="Choose the agent" onSubmit={(e) => e.preventDefault()}>
              <SelectField id="decisions-policy-agent" label="Agent" value={agentId ?? ''} onChange={(e) => set({ agentId: e.target.value })} options={list.items.map((a) => ({ value: a.id, label: a.name }))} />
            </form>
            {readOnly && <p className="muted small">Only admins change policies.</p>}
            {agentId && <AgentPolicies key={agentId} agentId={agentId} readOnly={readOnly} />}
          </>
        )}
      </QueryView>
    </>
  );
}

function AgentPolicies({ agentId, readOnly }: { agentId: string; readOnly: boolean }) {
  const policies = useQuery({ queryKey: decisionKeys.policies(agentId), queryFn: ({ signal }) => decisionsApi.policies(agentId, signal) });
  const [adding, setAdding] = useState(false);
  return (
    <QueryView query={policies} loadingLabel="Loading policies…">
      {({ items }) => {
        const byDefault = items.find((p) => p.decisionType === null);
        const typed = items.filter((p) => p.decisionType !== null).sort((a, b) => a.decisionType!.localeCompare(b.decisionType!));
        return (
          <>
            <section className="card" aria-labelledby="policy-default-heading" data-policy="default">
              <div className="card-header">
                <h2 id="policy-default-heading">Default policy</h2>
                {byDefault ? <PolicyMeta policy={byDefault} readOnly={readOnly} agentId={agentId} /> : <Badge>built-in defaults</Badge>}
              </div>
              {!byDefault && <p className="muted small">Not saved yet: the built-in defaults apply (run at 85 % confidence or more, ask a person from 50 %, reject below).</p>}
              {byDefault || !readOnly ? <PolicyForm key={byDefault?.id ?? 'new-default'} agentId={agentId} policy={byDefault} readOnly={readOnly} idPrefix="policy-default" /> : null}
            </section>
            {typed.map((p) => (
              <section key={p.id} className="card" aria-labelledby={`policy-${p.id}-heading`} data-policy={p.decisionType}>
                <div className="card-header">
                  <h2 id={`policy-${p.id}-heading`}>
                    For decision type <code>{p.decisionType}</code>
                  </h2>
                  <PolicyMeta policy={p} readOnly={readOnly} agentId={agentId} />
                </div>
                <details>
                  <summary>Show the policy</summary>
                  <PolicyForm agentId={agentId} policy={p} readOnly={readOnly} idPrefix={`policy-${p.id}`} />
                </details>
              </section>
            ))}
            {!readOnly &&
              (adding ? (
                <section className="card" aria-labelledby="policy-new-heading">
                  <h2 id="policy-new-heading">New policy for a decision type</h2>
                  <PolicyForm agentId={agentId} policy={undefined} typeEditable readOnly={false} idPrefix="policy-new" onSaved={() => setAdding(false)} onCancel={() => setAdding(false)} />
                </section>
              ) : (
                <Button onClick={() => setAdding(true)}>Add a policy for a decision type</Button>
              ))}
          </>
        );
      }}
    </QueryView>
  );
}

/** A saved policy's state and last change, and Delete for admins (the defaults apply again). */
function PolicyMeta({ policy, readOnly, agentId }: { policy: Policy; readOnly: boolean; agentId: string }) {
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation({
    mutationFn: () => decisionsApi.removePolicy(policy.id),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: decisionKeys.policies(agentId) }),
  });
  const what = policy.decisionType === null ? 'the default policy' : `the policy for ${policy.decisionType}`;
  return (
    <span className="decisions-policy-meta">
      <Badge tone={policy.enabled ? 'success' : 'neutral'}>{policy.enabled ? 'enabled' : 'disabled'}</Badge>
      <span className="muted small">changed {dateTime(policy.updatedAt)}</span>
      {!readOnly && (
        <>
          <Button className="btn-small" variant="danger" onClick={() => setConfirming(true)} aria-label={`Delete ${what}`}>
            Delete
          </Button>
          <ConfirmDialog open={confirming} title={`Delete ${what}?`} confirmLabel="Delete policy" onConfirm={() => remove.mutateAsync()} onClose={() => setConfirming(false)}>
            <p>{policy.decisionType === null ? 'The built-in defaults apply again to decision types without their own policy.' : 'Decisions of this type follow the default policy again.'}</p>
          </ConfirmDialog>
        </>
      )}
    </span>
  );
}

import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { errorMessage } from '../../api/errors';
import { useSession } from '../../auth/session';
import { Button } from '../../components/button';
import { FormError, TextField } from '../../components/fields';
import { EmptyState, QueryView } from '../../components/states';
import { PENDING_POLL_MS } from '../approvals/api';
import { agentsQuery } from '../runs/api';
import { shortId } from '../runs/format';
import { Pager } from '../runs/pager';
import { DECIDE_ROLE, decisionKeys, decisionsApi, type BulkItem, type Decision, type DecisionQuery } from './api';
import { DecisionCard } from './decision-card';
import { useDecisionRefresh } from './decide-controls';
import { DecisionsHeader } from './parts';

const LIMIT = 20;

/**
 * `/decisions`: the inbox, every decision waiting for a person, newest first, each with its input,
 * confidence, reasoning and proposed actions, to approve (as proposed or changed) or reject; with
 * checkboxes, several at once. Looks for new ones every few seconds while the tab is visible.
 */
export function DecisionsInboxPage() {
  const { can } = useSession();
  const [offset, setOffset] = useState(0);
  const query: DecisionQuery = { status: 'awaiting_approval', limit: LIMIT, offset };
  const agents = useQuery(agentsQuery);
  const decisions = useQuery({
    queryKey: decisionKeys.list(query),
    queryFn: ({ signal }) => decisionsApi.list(query, signal),
    placeholderData: keepPreviousData,
    refetchInterval: PENDING_POLL_MS,
  });
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  // The last bulk decision's outcome, kept here: it stays when the inbox empties.
  const [outcome, setOutcome] = useState<BulkOutcome | null>(null);
  const agentName = (id: string) => agents.data?.items.find((a) => a.id === id)?.name;
  const mayDecide = can(DECIDE_ROLE);

  return (
    <>
      <DecisionsHeader
        title="Decisions"
        description={
          <>
            What agents decided about events and inputs, waiting for a person when the policy asks: approve the proposed actions, change them, or reject. <Link to="/decisions/all">All decisions</Link> shows the others.
          </>
        }
      />
      <BulkResult outcome={outcome} />
      <QueryView
        query={decisions}
        loadingLabel="Loading decisions…"
        isEmpty={(d) => d.items.length === 0}
        empty={
          <EmptyState title="Nothing is waiting for a person">
            <p>
              A decision whose confidence is under the policy’s auto-execute threshold (or whose actions a rule says to ask about) waits here. See <Link to="/decisions/policies">policies</Link>.
            </p>
          </EmptyState>
        }
      >
        {(page) => {
          const shown = page.items.filter((d) => selected.has(d.id));
          return (
            <>
              {mayDecide && (
                <BulkBar
                  items={page.items}
                  selected={shown}
                  onSelectAll={(on) => setSelected(new Set(on ? page.items.map((d) => d.id) : []))}
                  onDone={(result) => {
                    setOutcome(result);
                    setSelected((s) => new Set([...s].filter((id) => !result.ok.includes(id))));
                  }}
                />
              )}
              <section aria-label="Decisions waiting for a person" className="decisions-list">
                {page.items.map((d) => (
                  <DecisionCard
                    key={d.id}
                    decision={d}
                    agentName={agentName(d.agentId)}
                    selection={
                      mayDecide
                        ? {
                            checked: selected.has(d.id),
                            onChange: (on) =>
                              setSelected((s) => {
                                const next = new Set(s);
                                if (on) next.add(d.id);
                                else next.delete(d.id);
                                return next;
                              }),
                          }
                        : undefined
                    }
                  />
                ))}
              </section>
              <Pager label="Inbox pages" offset={offset} limit={LIMIT} total={page.total} onChange={setOffset} />
            </>
          );
        }}
      </QueryView>
    </>
  );
}

interface BulkOutcome {
  summary: string;
  ok: string[];
  failures: { item: BulkItem; name: string }[];
}

/** What the last bulk decision did: how many, and each one that could not be decided, with why. */
function BulkResult({ outcome }: { outcome: BulkOutcome | null }) {
  return (
    <div role="status" className="decisions-bulk-result" data-testid="bulk-result">
      {outcome && <p className="small">{outcome.summary}</p>}
      {outcome && outcome.failures.length > 0 && (
        <ul className="decisions-bulk-failures" aria-label="Decisions that could not be decided">
          {outcome.failures.map(({ item, name }) => (
            <li key={item.id} className="decisions-error small">
              <Link to={`/decisions/${item.id}`}>{name}</Link>: {item.message ?? item.code ?? 'failed'}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/**
 * Select all, and approve or reject the selected decisions at once (`POST /decisions/bulk`); each
 * is decided on its own, and the ones that could not be are listed with the reason.
 */
function BulkBar({ items, selected, onSelectAll, onDone }: { items: Decision[]; selected: Decision[]; onSelectAll: (on: boolean) => void; onDone: (outcome: BulkOutcome) => void }) {
  const refresh = useDecisionRefresh();
  const [comment, setComment] = useState('');
  const bulk = useMutation({
    mutationFn: (decision: 'approve' | 'reject') => decisionsApi.bulk(selected.map((d) => d.id), decision, comment.trim() || undefined),
    onSuccess: async (res, decision) => {
      const ok = res.items.filter((i) => i.ok).map((i) => i.id);
      const byId = new Map(selected.map((d) => [d.id, d]));
      onDone({
        summary: `${decision === 'approve' ? 'Approved' : 'Rejected'} ${ok.length} of ${res.items.length}.`,
        ok,
        failures: res.items.filter((i) => !i.ok).map((item) => ({ item, name: `${byId.get(item.id)?.intent ?? 'Decision'} (${shortId(item.id)})` })),
      });
      await refresh();
    },
  });
  const all = items.length > 0 && selected.length === items.length;
  return (
    <section className="decisions-bulk card" aria-label="Decide several">
      <label className="decisions-bulk-all">
        <input type="checkbox" checked={all} onChange={(e) => onSelectAll(e.target.checked)} /> Select all on this page
      </label>
      <span className="muted small" aria-live="polite">
        {selected.length} selected
      </span>
      <TextField id="decisions-bulk-comment" label="Comment for all (optional)" value={comment} maxLength={2000} onChange={(e) => setComment(e.target.value)} />
      <div className="decisions-bulk-buttons">
        <Button variant="danger" disabled={selected.length === 0 || bulk.isPending} busy={bulk.isPending && bulk.variables === 'reject'} onClick={() => bulk.mutate('reject')}>
          Reject selected
        </Button>
        <Button variant="primary" disabled={selected.length === 0 || bulk.isPending} busy={bulk.isPending && bulk.variables === 'approve'} onClick={() => bulk.mutate('approve')}>
          Approve selected
        </Button>
      </div>
      <FormError message={bulk.error ? errorMessage(bulk.error) : undefined} />
    </section>
  );
}

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { isApiError } from '../../api/errors';
import { SelectField, TextField } from '../../components/fields';
import { EmptyState, ErrorState, Loading } from '../../components/states';
import { useListParams } from '../../components/use-list-params';
import { agentsQuery } from '../runs/api';
import { dateTime, relative } from '../runs/format';
import { Pager } from '../runs/pager';
import { useDebounced } from '../tasks/use-debounced';
import { DECISION_SOURCES, DECISION_STATUSES, decisionKeys, decisionsApi, isoOf, STATUS_LABELS, type Decision, type DecisionQuery, type DecisionSource, type DecisionStatus } from './api';
import { ConfidenceBar, DecisionsHeader, DecisionStatusBadge } from './parts';

const LIMIT = 25;

/**
 * `/decisions/all`: every decision record, newest first, filtered by status, agent, intent,
 * source and time (all in the URL), paged like the other lists.
 */
export function DecisionsListPage() {
  const [params, set] = useListParams();
  const query: DecisionQuery = {
    status: (params.get('status') || undefined) as DecisionStatus | undefined,
    agentId: params.get('agentId') || undefined,
    intent: params.get('intent') || undefined,
    source: (params.get('source') || undefined) as DecisionSource | undefined,
    from: isoOf(params.get('from')),
    to: isoOf(params.get('to')),
    offset: Number(params.get('offset')) || 0,
    limit: LIMIT,
  };
  const agents = useQuery(agentsQuery);
  const decisions = useQuery({ queryKey: decisionKeys.list(query), queryFn: ({ signal }) => decisionsApi.list(query, signal), placeholderData: keepPreviousData });
  const agentName = (id: string) => agents.data?.items.find((a) => a.id === id)?.name ?? 'a deleted agent';
  const filtered = Boolean(query.status || query.agentId || query.intent || query.source || query.from || query.to);
  const serverErrors = isApiError(decisions.error) ? decisions.error.fieldErrors() : {};

  return (
    <>
      <DecisionsHeader title="All decisions" description="Every decision record: what came in, what was decided with which confidence, what the policy made of it, and what happened." />
      <form className="filters" aria-label="Filter decisions" onSubmit={(e) => e.preventDefault()}>
        <SelectField
          id="decisions-status"
          label="Status"
          value={query.status ?? ''}
          onChange={(e) => set({ status: e.target.value })}
          options={[{ value: '', label: 'Any status' }, ...DECISION_STATUSES.map((s) => ({ value: s, label: STATUS_LABELS[s] }))]}
        />
        <SelectField
          id="decisions-agent"
          label="Agent"
          value={query.agentId ?? ''}
          onChange={(e) => set({ agentId: e.target.value })}
          options={[{ value: '', label: 'Any agent' }, ...(agents.data?.items ?? []).map((a) => ({ value: a.id, label: a.name }))]}
        />
        <IntentFilter value={query.intent ?? ''} onChange={(intent) => set({ intent })} />
        <SelectField
          id="decisions-source"
          label="Decided by"
          value={query.source ?? ''}
          onChange={(e) => set({ source: e.target.value })}
          options={[{ value: '', label: 'Model or rules' }, ...DECISION_SOURCES.map((s) => ({ value: s, label: s }))]}
        />
        <TextField id="decisions-from" type="datetime-local" label="From" value={params.get('from') ?? ''} onChange={(e) => set({ from: e.target.value })} error={serverErrors.from} />
        <TextField id="decisions-to" type="datetime-local" label="Until" value={params.get('to') ?? ''} onChange={(e) => set({ to: e.target.value })} error={serverErrors.to} />
      </form>
      {decisions.isPending ? (
        <Loading label="Loading decisions…" />
      ) : !decisions.data ? (
        <ErrorState error={decisions.error} onRetry={() => void decisions.refetch()} />
      ) : decisions.data.items.length === 0 ? (
        <EmptyState title={filtered ? 'No decisions match these filters' : 'No decisions yet'}>
          {!filtered && (
            <p>
              A trigger with a decision target, or <code>POST /api/v1/decisions</code>, has an agent decide on an input.
            </p>
          )}
        </EmptyState>
      ) : (
        <>
          <DecisionsTable items={decisions.data.items} agentName={agentName} />
          <Pager label="Decision pages" offset={query.offset ?? 0} limit={LIMIT} total={decisions.data.total} onChange={(o) => set({ offset: o ? String(o) : '' })} />
        </>
      )}
    </>
  );
}

function DecisionsTable({ items, agentName }: { items: Decision[]; agentName: (id: string) => string }) {
  return (
    <div className="table-wrap">
      <table className="work-table">
        <caption className="visually-hidden">Decisions, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Decision</th>
            <th scope="col">Status</th>
            <th scope="col">Confidence</th>
            <th scope="col">Decided by</th>
            <th scope="col">Agent</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {items.map((d) => (
            <tr key={d.id} data-decision={d.id}>
              <td className="wrap" data-label="Decision">
                <Link to={`/decisions/${d.id}`}>{d.intent ?? 'Undecided'}</Link>
                <div className="muted small">
                  <code>{d.input.type}</code> · {d.decisionType}
                </div>
              </td>
              <td data-label="Status">
                <DecisionStatusBadge status={d.status} />
                {d.actionsEdited && <span className="muted small"> edited</span>}
              </td>
              <td data-label="Confidence">
                <ConfidenceBar value={d.confidence} />
              </td>
              <td data-label="Decided by">{d.source ?? '—'}</td>
              <td data-label="Agent">
                <Link to={`/agents/${d.agentId}`}>{agentName(d.agentId)}</Link>
              </td>
              <td data-label="Created" title={dateTime(d.createdAt)}>
                {relative(d.createdAt)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The intent filter: typed text goes to the URL once typing pauses (300 ms). */
function IntentFilter({ value, onChange }: { value: string; onChange: (intent: string) => void }) {
  const [text, setText] = useState(value);
  const settled = useDebounced(text.trim(), 300);
  // The URL moved on its own (back button, a link): the box follows it.
  const written = useRef(value);
  useEffect(() => {
    if (value !== written.current) {
      written.current = value;
      setText(value);
    }
  }, [value]);
  useEffect(() => {
    if (settled === written.current) return;
    written.current = settled;
    onChange(settled);
  }, [settled, onChange]);
  return <TextField id="decisions-intent" type="search" label="Intent" placeholder="SALES_INQUIRY" value={text} maxLength={100} onChange={(e) => setText(e.target.value)} autoComplete="off" spellCheck={false} />;
}

import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { Badge } from '../../components/badge';
import { Breadcrumb, PageHeader } from '../../components/page-header';
import { QueryView } from '../../components/states';
import { approvalsApi } from '../approvals/api';
import { agentsQuery } from '../runs/api';
import { CodeBlock } from '../runs/code-block';
import { IdChip } from '../runs/id-chip';
import { dateTime, duration, json } from '../runs/format';
import { actionsOf, decisionKeys, decisionsApi, sameActions, type Decision } from './api';
import { decisionName } from './decision-card';
import { DecideControls } from './decide-controls';
import { ActionList, ConfidenceBar, DecisionStatusBadge, InputSummary, SourceText, urgencyText } from './parts';

/** Still moving on its own: being decided, or its approved actions running. */
const moving = (d: Decision | undefined) => d?.status === 'pending' || d?.status === 'approved';

/**
 * `/decisions/:id`: the whole record: the input, the prompt and the model's raw answer, the parsed
 * decision, the policy's outcome and reason, who decided and their comment, the proposed and the
 * executed actions (marked when a person changed them) with each one's result, the timings, and
 * links to the run and the event. Approve, edit or reject here too while it waits.
 */
export function DecisionPage() {
  const { id = '' } = useParams();
  const decision = useQuery({
    queryKey: decisionKeys.detail(id),
    queryFn: ({ signal }) => decisionsApi.get(id, signal),
    refetchInterval: (q) => (moving(q.state.data) ? 1000 : q.state.data?.status === 'awaiting_approval' ? 2000 : false),
  });
  return (
    <>
      <Breadcrumb to="/decisions/all">All decisions</Breadcrumb>
      <QueryView query={decision} loadingLabel="Loading the decision…">
        {(d) => <DecisionRecord d={d} />}
      </QueryView>
    </>
  );
}

function DecisionRecord({ d }: { d: Decision }) {
  const agents = useQuery(agentsQuery);
  const agent = agents.data?.items.find((a) => a.id === d.agentId);
  const proposed = actionsOf(d.proposedActions);
  const executed = actionsOf(d.actions);
  const edited = d.actionsEdited || !sameActions(d.proposedActions, d.actions);
  const name = decisionName(d);
  const since = (iso: string | null) => (iso ? ` (${duration(Date.parse(iso) - Date.parse(d.createdAt))} after it came in)` : '');
  return (
    <>
      <PageHeader title={d.intent ? `Decision: ${d.intent}` : 'Decision'} description={<DecisionStatusBadge status={d.status} />} />
      {d.status === 'awaiting_approval' && (
        <section className="card decisions-waiting" aria-labelledby="decide-heading">
          <h2 id="decide-heading">Waiting for a person</h2>
          <p className="small">{d.outcomeReason}</p>
          <DecideControls decision={d} what={name} />
        </section>
      )}
      <div className="grid-2 decisions-record">
        <section className="card" aria-labelledby="decision-facts-heading">
          <h2 id="decision-facts-heading">Decision</h2>
          <dl className="facts">
            <dt>Decision</dt>
            <dd>
              <IdChip id={d.id} what="decision" />
            </dd>
            <dt>Agent</dt>
            <dd>
              <Link to={`/agents/${d.agentId}`}>{agent?.name ?? 'the agent'}</Link>
            </dd>
            <dt>Decision type</dt>
            <dd>
              <code>{d.decisionType}</code>
            </dd>
            <dt>Run</dt>
            <dd>
              <Link to={`/runs/${d.id}`}>The decision’s run</Link>
            </dd>
            {d.eventId && (
              <>
                <dt>Event</dt>
                <dd>
                  <Link to={`/events?event=${encodeURIComponent(d.eventId)}`}>The event in the event log</Link>
                </dd>
              </>
            )}
            {d.triggerId && (
              <>
                <dt>Trigger</dt>
                <dd>
                  <Link to={`/events/triggers/${d.triggerId}`}>The trigger that started it</Link>
                </dd>
              </>
            )}
            <dt>Intent</dt>
            <dd>{d.intent ?? '—'}</dd>
            <dt>Urgency</dt>
            <dd>{urgencyText(d.urgency)}</dd>
            <dt>Confidence</dt>
            <dd>
              <ConfidenceBar value={d.confidence} />
            </dd>
            <dt>Decided by</dt>
            <dd>
              <SourceText decision={d} />
            </dd>
            <dt>Policy outcome</dt>
            <dd>
              {d.outcome ? <Badge tone={d.outcome === 'execute' ? 'success' : d.outcome === 'ask' ? 'warning' : 'neutral'}>{d.outcome}</Badge> : '—'}
              {d.outcomeReason && <div className="small" data-testid="outcome-reason">{d.outcomeReason}</div>}
            </dd>
            <dt>Settled by</dt>
            <dd data-testid="settled-by">
              <Settler d={d} />
            </dd>
            {d.comment && (
              <>
                <dt>Comment</dt>
                <dd>“{d.comment}”</dd>
              </>
            )}
            {d.error && (
              <>
                <dt>Error</dt>
                <dd className="decisions-error">
                  <code>{d.error.code}</code> {d.error.message}
                </dd>
              </>
            )}
          </dl>
        </section>
        <section className="card" aria-labelledby="decision-times-heading">
          <h2 id="decision-times-heading">Timings</h2>
          <dl className="facts">
            <dt>Came in</dt>
            <dd>{dateTime(d.createdAt)}</dd>
            <dt>Decided</dt>
            <dd>
              {dateTime(d.decidedAt)}
              <span className="muted small">{since(d.decidedAt)}</span>
            </dd>
            <dt>Settled</dt>
            <dd>
              {dateTime(d.resolvedAt)}
              <span className="muted small">{since(d.resolvedAt)}</span>
            </dd>
            <dt>Finished</dt>
            <dd>
              {dateTime(d.finishedAt)}
              <span className="muted small">{since(d.finishedAt)}</span>
            </dd>
          </dl>
          <h3 className="decisions-subhead">Input</h3>
          <InputSummary input={d.input} open />
        </section>
      </div>

      {d.reasoning && (
        <section className="card" aria-labelledby="decision-reasoning-heading">
          <h2 id="decision-reasoning-heading">Reasoning</h2>
          <p className="prose-text">{d.reasoning}</p>
        </section>
      )}

      <section className="card" aria-labelledby="decision-actions-heading">
        <h2 id="decision-actions-heading">Actions</h2>
        {edited ? (
          <div className="grid-2">
            <div>
              <h3 className="decisions-subhead">Proposed</h3>
              <ActionList actions={proposed} label="Proposed actions" />
            </div>
            <div>
              <h3 className="decisions-subhead">
                Executed <Badge tone="warning">edited</Badge>
              </h3>
              <ActionList actions={executed} results={d.actionResults} label="Executed actions" />
            </div>
          </div>
        ) : (
          <ActionList actions={executed} results={d.actionResults} label={d.actionResults.length ? 'Executed actions' : 'Proposed actions'} />
        )}
      </section>

      <section className="card" aria-labelledby="decision-model-heading">
        <h2 id="decision-model-heading">The model’s part</h2>
        <details className="decisions-prompt">
          <summary>Prompt</summary>
          <CodeBlock label="Prompt">{d.prompt ?? '(none: the model was not asked)'}</CodeBlock>
        </details>
        <details>
          <summary>Raw response</summary>
          <CodeBlock label="Raw response">{d.rawResponse ?? '(none)'}</CodeBlock>
        </details>
        <details>
          <summary>Parsed decision</summary>
          <CodeBlock label="Parsed decision">{d.parsed === null || d.parsed === undefined ? '(none)' : json(d.parsed)}</CodeBlock>
        </details>
      </section>
    </>
  );
}

/** Who settled it: the policy, or the person (their name from the approval) or API key that decided. */
function Settler({ d }: { d: Decision }) {
  const byPerson = d.decidedBy && d.decidedBy.type !== 'policy' && d.approvalId;
  const approval = useQuery({
    queryKey: ['approvals', 'one', d.approvalId ?? ''],
    queryFn: ({ signal }) => approvalsApi.get(d.approvalId!, signal),
    enabled: Boolean(byPerson),
    staleTime: 60_000,
  });
  if (!d.decidedBy) return <span className="muted">{d.status === 'awaiting_approval' ? 'waiting for a person' : '—'}</span>;
  if (d.decidedBy.type === 'policy') return <>the policy</>;
  const who = approval.data?.decider?.name ?? (d.decidedBy.type === 'api_key' ? 'an API key' : 'a person');
  return (
    <>
      {who}
      {d.decidedBy.type === 'api_key' && approval.data?.decider ? ' (API key)' : ''} {d.resolvedAt && <span className="muted small">{dateTime(d.resolvedAt)}</span>}
    </>
  );
}

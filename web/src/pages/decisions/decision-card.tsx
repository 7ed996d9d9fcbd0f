import { useId } from 'react';
import { Link } from 'react-router';
import { dateTime, relative, shortId } from '../runs/format';
import { actionsOf, type Decision } from './api';
import { DecideControls } from './decide-controls';
import { ActionList, ConfidenceBar, DecisionStatusBadge, InputSummary, SourceText, urgencyText } from './parts';

/** How a decision is named to screen readers and in buttons: its intent and short id. */
export const decisionName = (d: Decision) => `decision ${d.intent ?? d.input.type} ${shortId(d.id)}`;

/**
 * A decision in the inbox: the input (with the contact's fields), intent, urgency, confidence, who
 * decided (model or rules), the policy's reason, the reasoning and the proposed actions; then
 * approve, edit & approve, reject. `selection` adds the checkbox for bulk decisions.
 */
export function DecisionCard({ decision: d, agentName, selection }: { decision: Decision; agentName: string | undefined; selection?: { checked: boolean; onChange: (on: boolean) => void } }) {
  const headingId = useId();
  const name = decisionName(d);
  return (
    <article className="decisions-card" aria-labelledby={headingId} data-decision={d.id}>
      <div className="decisions-card-head">
        {selection && (
          <input type="checkbox" className="decisions-select" checked={selection.checked} onChange={(e) => selection.onChange(e.target.checked)} aria-label={`Select ${name}`} />
        )}
        <h2 id={headingId}>
          <Link to={`/decisions/${d.id}`}>{d.intent ?? 'Undecided'}</Link>
        </h2>
        <DecisionStatusBadge status={d.status} />
        <span className="muted small" title={dateTime(d.createdAt)}>
          {relative(d.createdAt)}
          {agentName && ` · ${agentName}`}
          {` · ${d.decisionType}`}
        </span>
      </div>
      <div className="decisions-card-body">
        <div>
          <h3 className="decisions-subhead">Input</h3>
          <InputSummary input={d.input} />
        </div>
        <div>
          <dl className="facts decisions-facts">
            <dt>Confidence</dt>
            <dd>
              <ConfidenceBar value={d.confidence} />
            </dd>
            <dt>Urgency</dt>
            <dd>{urgencyText(d.urgency)}</dd>
            <dt>Decided by</dt>
            <dd>
              <SourceText decision={d} />
            </dd>
            <dt>Policy</dt>
            <dd data-testid="outcome-reason">{d.outcomeReason ?? '—'}</dd>
          </dl>
          {d.reasoning && (
            <>
              <h3 className="decisions-subhead">Reasoning</h3>
              <p className="prose-text decisions-reasoning">{d.reasoning}</p>
            </>
          )}
        </div>
      </div>
      <h3 className="decisions-subhead">Proposed actions</h3>
      <ActionList actions={actionsOf(d.proposedActions)} label={`Proposed actions of ${name}`} />
      <DecideControls decision={d} what={name} />
    </article>
  );
}

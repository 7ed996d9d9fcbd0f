import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { Link } from 'react-router';
import { errorMessage, isApiError } from '../../api/errors';
import { useSession } from '../../auth/session';
import { Button } from '../../components/button';
import { FormError, TextAreaField } from '../../components/fields';
import { runsApi, type Approval, type Decision } from '../runs/api';
import { dateTime, json, label, shortId } from '../runs/format';
import { CodeBlock } from '../runs/code-block';
import { StatusBadge } from '../runs/status-badge';
import './approvals.css';

/**
 * A tool call waiting for a person: which agent asks (and for which task, in which run), what the
 * call does in one line, its arguments (folded), a comment, approve or reject; once decided, who
 * decided, when, and their note. After a decision the approvals (the shell's badge included), the run and its
 * task refresh.
 */
export function ApprovalCard({ approval, showRun = true }: { approval: Approval; showRun?: boolean }) {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const [comment, setComment] = useState('');
  const headingId = useId();
  const decide = useMutation({
    mutationFn: (decision: Decision) => runsApi.decide(approval.id, decision, { comment: comment.trim() || undefined }),
    onSuccess: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: ['approvals'] }),
        queryClient.invalidateQueries({ queryKey: ['runs'] }),
        queryClient.invalidateQueries({ queryKey: ['tasks'] }),
      ]),
  });
  const commentError = isApiError(decide.error) ? decide.error.fieldError('comment') : undefined;
  const pending = approval.status === 'pending';
  // An agent's decision waiting for a person: decided (and its actions edited) on its own page.
  const decisionId = approval.toolName === 'decision' ? (approval.args as { decisionId?: unknown } | null)?.decisionId : undefined;
  if (typeof decisionId === 'string') {
    return (
      <article className="approval-card" aria-labelledby={headingId} data-approval="decision">
        <div className="approval-head">
          <h3 id={headingId}>A decision{approval.agent ? ` of ${approval.agent.name}` : ''}</h3>
          <StatusBadge status={approval.status} />
        </div>
        <p className="small">
          The agent decided on an input and the policy asks a person. <Link to={`/decisions/${decisionId}`}>Open the decision</Link> to see it, approve (with changed actions) or reject.
        </p>
      </article>
    );
  }
  return (
    <article className="approval-card" aria-labelledby={headingId}>
      <div className="approval-head">
        <h3 id={headingId}>{approval.description}</h3>
        <StatusBadge status={approval.status} />
      </div>
      <p className="small approval-origin">
        {approval.agent ? <Link to={`/agents/${approval.agent.id}`}>{approval.agent.name}</Link> : 'An agent'}
        {approval.task && (
          <>
            {' · task '}
            <Link to={`/tasks/${approval.task.id}`}>{approval.task.title}</Link>
          </>
        )}
        {showRun && (
          <>
            {' · '}
            <Link to={`/runs/${approval.runId}`}>Run {shortId(approval.runId)}</Link>
          </>
        )}
      </p>
      <p className="muted small">
        {approval.reason === 'interrupted' ? 'This call was interrupted (the server stopped during it); it may have run already. ' : 'This tool needs a person’s approval. '}
        Asked {dateTime(approval.createdAt)} · tool <code>{approval.toolName}</code>
      </p>
      {/* Open while the call waits (the person deciding reads them); folded once decided. */}
      <details className="approval-args" open={pending}>
        <summary className="small">Arguments</summary>
        <CodeBlock label={`Arguments of ${approval.toolName}`}>{json(approval.args)}</CodeBlock>
      </details>
      {pending && can('member') ? (
        <form
          className="stack"
          style={{ marginTop: 'var(--space-3)' }}
          onSubmit={(e) => {
            e.preventDefault();
            decide.mutate('approve');
          }}
          noValidate
        >
          <TextAreaField
            id={`comment-${approval.id}`}
            label="Comment (optional)"
            hint="A rejection’s comment is passed to the agent."
            rows={2}
            maxLength={2000}
            value={comment}
            onChange={(e) => setComment(e.target.value)}
            error={commentError}
          />
          <FormError message={decide.error && !commentError ? errorMessage(decide.error) : undefined} />
          <div className="form-actions">
            <Button variant="danger" busy={decide.isPending && decide.variables === 'reject'} disabled={decide.isPending} onClick={() => decide.mutate('reject')}>
              Reject
            </Button>
            <Button type="submit" variant="primary" busy={decide.isPending && decide.variables === 'approve'} disabled={decide.isPending}>
              Approve
            </Button>
          </div>
        </form>
      ) : (
        !pending && (
          <p className="small" data-testid="approval-decision">
            {capitalized(label(approval.status))} by {approval.decider ? `${approval.decider.name}${approval.decider.type === 'api_key' ? ' (API key)' : ''}` : 'someone no longer here'}{' '}
            {dateTime(approval.decidedAt)}
            {approval.comment ? ` · “${approval.comment}”` : ''}
          </p>
        )
      )}
    </article>
  );
}

const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

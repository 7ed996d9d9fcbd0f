import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { approveDecisionBody } from '@server/decisions/dto';
import { errorMessage, isApiError } from '../../api/errors';
import { useSession } from '../../auth/session';
import { Button } from '../../components/button';
import { FormError, TextAreaField } from '../../components/fields';
import { zodFieldErrors } from '../../components/use-zod-form';
import { friendlyMessage } from '../../components/zod-messages';
import { ActionsEditor, parseRows, toRows, type ActionRow } from './actions-editor';
import { actionsOf, DECIDE_ROLE, type ApproveBody, decisionKeys, decisionsApi, type Decision } from './api';

type Mode = 'buttons' | 'edit' | 'reject';

/** After a decision changes: its lists, the record, the shell's approvals badge and the run. */
export function useDecisionRefresh() {
  const queryClient = useQueryClient();
  return (d?: Decision) => {
    if (d) queryClient.setQueryData(decisionKeys.detail(d.id), d);
    return Promise.all([
      queryClient.invalidateQueries({ queryKey: decisionKeys.all }),
      queryClient.invalidateQueries({ queryKey: ['approvals'] }),
      queryClient.invalidateQueries({ queryKey: ['runs'] }),
    ]);
  };
}

/**
 * Approve, Edit & approve (the actions editor, then approve with the changed actions), Reject
 * (with an optional comment), for a decision waiting for a person. Members and above; others see
 * nothing here. The server's 400 about a changed action shows on that action's field.
 */
export function DecideControls({ decision, what }: { decision: Decision; what: string }) {
  const { can } = useSession();
  const refresh = useDecisionRefresh();
  const [mode, setMode] = useState<Mode>('buttons');
  const [rows, setRows] = useState<ActionRow[]>([]);
  const [comment, setComment] = useState('');
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});

  const approve = useMutation({ mutationFn: (body: ApproveBody) => decisionsApi.approve(decision.id, body), onSuccess: refresh });
  const reject = useMutation({ mutationFn: () => decisionsApi.reject(decision.id, comment.trim() || undefined), onSuccess: refresh });
  if (decision.status !== 'awaiting_approval' || !can(DECIDE_ROLE)) return null;
  // Decided: the engine takes it from here (the record says so a moment later); no second decision.
  if (approve.isSuccess || reject.isSuccess) {
    return (
      <p role="status" className="decisions-decide small">
        {approve.isSuccess ? 'Approved: its actions run now.' : 'Rejected: nothing it proposed happens.'}
      </p>
    );
  }

  const busy = approve.isPending || reject.isPending;
  const serverErrors = isApiError(approve.error) ? approve.error.fieldErrors() : {};
  const errors = { ...serverErrors, ...clientErrors };
  const errorShownOnField = Object.keys(serverErrors).some((k) => k.startsWith('actions') || k === 'comment');
  const formError = (approve.error && !errorShownOnField ? errorMessage(approve.error) : undefined) ?? (reject.error ? errorMessage(reject.error) : undefined);

  const startEdit = () => {
    setRows(toRows(actionsOf(decision.proposedActions)));
    setClientErrors({});
    approve.reset();
    setMode('edit');
  };
  const submitEdit = () => {
    const parsed = parseRows(rows);
    const body = { actions: parsed.actions, comment: comment.trim() || undefined };
    const checked = approveDecisionBody.safeParse(body, { error: friendlyMessage });
    const problems = { ...(checked.success ? {} : zodFieldErrors(checked.error)), ...parsed.errors };
    setClientErrors(problems);
    approve.reset();
    if (Object.keys(problems).length === 0) approve.mutate(body);
  };

  if (mode === 'edit') {
    return (
      <form
        className="decisions-decide stack"
        aria-label={`Edit the actions of ${what}`}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          submitEdit();
        }}
      >
        <ActionsEditor
          idPrefix={`d-${decision.id}`}
          rows={rows}
          onChange={(next) => {
            setRows(next);
            setClientErrors({});
          }}
          errors={errors}
          legend="Actions to run instead"
        />
        <CommentField id={`d-${decision.id}-edit-comment`} value={comment} onChange={setComment} error={errors.comment} />
        <FormError message={formError} />
        <div className="form-actions">
          <Button onClick={() => setMode('buttons')} disabled={busy}>
            Cancel
          </Button>
          <Button type="submit" variant="primary" busy={approve.isPending}>
            Approve with these actions
          </Button>
        </div>
      </form>
    );
  }
  if (mode === 'reject') {
    return (
      <form
        className="decisions-decide stack"
        aria-label={`Reject ${what}`}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          reject.mutate();
        }}
      >
        <CommentField id={`d-${decision.id}-reject-comment`} value={comment} onChange={setComment} error={isApiError(reject.error) ? reject.error.fieldError('comment') : undefined} />
        <FormError message={formError} />
        <div className="form-actions">
          <Button onClick={() => setMode('buttons')} disabled={busy}>
            Cancel
          </Button>
          <Button type="submit" variant="danger" busy={reject.isPending}>
            Reject decision
          </Button>
        </div>
      </form>
    );
  }
  return (
    <div className="decisions-decide">
      <FormError message={formError} />
      <div className="form-actions">
        <Button variant="danger" disabled={busy} onClick={() => setMode('reject')} aria-label={`Reject ${what}`}>
          Reject
        </Button>
        <Button disabled={busy} onClick={startEdit} aria-label={`Edit & approve ${what}`}>
          Edit &amp; approve
        </Button>
        <Button variant="primary" busy={approve.isPending} disabled={busy} onClick={() => approve.mutate({})} aria-label={`Approve ${what}`}>
          Approve
        </Button>
      </div>
    </div>
  );
}

function CommentField({ id, value, onChange, error }: { id: string; value: string; onChange: (v: string) => void; error: string | undefined }) {
  return <TextAreaField id={id} name="comment" label="Comment (optional)" rows={2} maxLength={2000} value={value} onChange={(e) => onChange(e.target.value)} error={error} />;
}

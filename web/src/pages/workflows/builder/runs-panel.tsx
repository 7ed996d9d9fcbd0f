import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { errorMessage } from '../../../api/errors';
import { Button } from '../../../components/button';
import { Dialog } from '../../../components/dialog';
import { FormError } from '../../../components/fields';
import { ErrorState, Loading } from '../../../components/states';
import { dateTime, money, relative, runDuration, shortId } from '../../runs/format';
import { StatusBadge } from '../../runs/status-badge';
import { workflowKeys, workflowsApi, type Workflow, type WorkflowRun } from '../api';
import { formOf, type JsonSchema } from './form-spec';
import { inputErrors } from './run-state';
import { SchemaForm } from './schema-form';

/**
 * The Runs side panel: start a run with an input form (drawn from the workflow's input schema,
 * JSON when the schema is more than flat fields), and the workflow's run history, each run one
 * press away from the canvas, where its nodes take their states.
 */
export function RunsPanel({
  workflow,
  canRun,
  dirty,
  shownRunId,
  onShow,
}: {
  workflow: Workflow;
  canRun: boolean;
  dirty: boolean;
  shownRunId: string | null;
  onShow: (runId: string | null) => void;
}) {
  const [open, setOpen] = useState(false);
  const runs = useQuery({ queryKey: workflowKeys.runs(workflow.id), queryFn: ({ signal }) => workflowsApi.runs(workflow.id, signal), refetchInterval: 5000 });
  return (
    <section aria-labelledby="wf-runs-title">
      <h2 id="wf-runs-title" className="wf-panel-title">
        Runs
      </h2>
      {canRun && (
        <>
          <Button variant="primary" onClick={() => setOpen(true)} disabled={workflow.archivedAt !== null}>
            Run workflow
          </Button>
          {dirty && <p className="muted small">Runs the saved version (v{workflow.currentVersion}); save to run your changes.</p>}
          <RunDialog open={open} workflow={workflow} onClose={() => setOpen(false)} onStarted={(run) => onShow(run.id)} />
        </>
      )}
      <h3 className="wf-subtitle">History</h3>
      {runs.isPending ? (
        <Loading label="Loading runs…" />
      ) : runs.isError ? (
        <ErrorState error={runs.error} title="Could not load the runs" onRetry={() => void runs.refetch()} />
      ) : runs.data.items.length === 0 ? (
        <p className="muted">No runs yet.</p>
      ) : (
        <ol className="wf-run-list" aria-label="Runs of this workflow">
          {runs.data.items.map((r) => (
            <li key={r.id} className={r.id === shownRunId ? 'wf-run-shown' : undefined}>
              <div className="wf-run-row">
                <StatusBadge status={r.status} />
                <Link to={`/runs/${r.id}`}>Run {shortId(r.id)}</Link>
                {r.workflowVersion != null && <span className="muted small">v{r.workflowVersion}</span>}
              </div>
              <div className="muted small" title={dateTime(r.createdAt)}>
                {relative(r.createdAt)} · {runDuration(r)} · {money(r.costMicros)}
              </div>
              <Button className="btn-small" aria-pressed={r.id === shownRunId} onClick={() => onShow(r.id === shownRunId ? null : r.id)}>
                {r.id === shownRunId ? 'Shown on the canvas' : 'Show on canvas'}
              </Button>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/** The input form from the input schema: flat fields when it has them, else a JSON text. */
function RunDialog({ open, workflow, onClose, onStarted }: { open: boolean; workflow: Workflow; onClose: () => void; onStarted: (run: WorkflowRun) => void }) {
  const queryClient = useQueryClient();
  const schema = (workflow.definition.inputSchema ?? { type: 'object' }) as JsonSchema;
  const form = formOf(schema);
  const flat = form.kind === 'object' && form.fields.length > 0 && form.fields.every((f) => f.spec.kind !== 'json');
  const [values, setValues] = useState<Record<string, unknown>>({});
  const [text, setText] = useState('{}');
  const [jsonError, setJsonError] = useState<string | null>(null);
  const start = useMutation({
    mutationFn: (input: unknown) => workflowsApi.run(workflow.id, input),
    onSuccess: (run) => {
      void queryClient.invalidateQueries({ queryKey: workflowKeys.runs(workflow.id) });
      onStarted(run);
      onClose();
    },
  });
  const submit = () => {
    if (flat) return start.mutate(values);
    try {
      setJsonError(null);
      start.mutate(JSON.parse(text || '{}'));
    } catch (err) {
      setJsonError(`Not valid JSON: ${(err as Error).message}`);
    }
  };
  const errors = inputErrors(start.error);
  // Named fields show on the flat form; the JSON text lists them under the message.
  const listed = flat ? [...errors].filter(([path]) => path === '') : [...errors];
  return (
    <Dialog open={open} onClose={onClose} title={`Run ${workflow.name}`}>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        {flat ? (
          <SchemaForm
            spec={form}
            value={values}
            path=""
            onChange={(v) => setValues(v)}
            env={{ idPrefix: 'wf-run-input', errors, suggestions: [], pickers: {}, disabled: false, reportInvalid: () => {} }}
          />
        ) : (
          <div className={`field${jsonError ? ' field-invalid' : ''}`}>
            <label htmlFor="wf-run-input-json">Input (JSON)</label>
            <textarea
              id="wf-run-input-json"
              className="wf-code"
              rows={8}
              spellCheck={false}
              value={text}
              aria-invalid={jsonError ? true : undefined}
              aria-describedby={jsonError ? 'wf-run-input-json-error' : undefined}
              onChange={(e) => setText(e.target.value)}
            />
            {jsonError && (
              <p id="wf-run-input-json-error" className="field-error">
                {jsonError}
              </p>
            )}
          </div>
        )}
        <FormError message={start.isError ? errorMessage(start.error) : undefined} />
        {listed.length > 0 && (
          <ul className="form-error small" data-testid="input-errors">
            {listed.map(([path, message]) => (
              <li key={path}>
                {path && <code>{path}</code>} {message}
              </li>
            ))}
          </ul>
        )}
        <div className="form-actions">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={start.isPending}>
            Start run
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

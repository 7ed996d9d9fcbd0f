import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useSession } from '../../auth/session';
import { Button } from '../../components/button';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { PageHeader } from '../../components/page-header';
import { EmptyState, ErrorState, Loading, QueryView } from '../../components/states';
import { ApprovalCard } from '../approvals/approval-card';
import { agentsQuery, isActive, runsApi, type Run, type Step } from './api';
import { dateTime, duration, json, label, money, runDuration, shortId, tokens } from './format';
import { CodeBlock } from './code-block';
import { IdChip } from './id-chip';
import { StatusBadge } from './status-badge';
import './runs.css';

/** One run: what it was asked, its answer, cost, approvals waiting, and every step; live while it runs. */
export function RunPage() {
  const { id = '' } = useParams();
  const run = useQuery({
    queryKey: ['runs', 'detail', id],
    queryFn: ({ signal }) => runsApi.get(id, signal),
    refetchInterval: (q) => (q.state.data && !isActive(q.state.data.status) ? false : 1000),
  });
  const active = !run.data || isActive(run.data.status);
  const steps = useQuery({
    queryKey: ['runs', 'steps', id],
    queryFn: ({ signal }) => runsApi.steps(id, signal),
    refetchInterval: active ? 1000 : false,
  });
  const approvals = useQuery({
    queryKey: ['approvals', 'run', id],
    queryFn: ({ signal }) => runsApi.approvals({ runId: id, limit: 100 }, signal),
    refetchInterval: active ? 1500 : false,
  });
  const agents = useQuery(agentsQuery);

  if (run.isPending) return <Loading label="Loading the run…" />;
  if (run.isError)
    return (
      <>
        <PageHeader title="Run" />
        <ErrorState error={run.error} onRetry={() => void run.refetch()} title="Could not load this run" />
      </>
    );
  const r = run.data;
  const agentName = agents.data?.items.find((a) => a.id === r.agentId)?.name;
  const pending = approvals.data?.items.filter((a) => a.status === 'pending') ?? [];
  const decided = approvals.data?.items.filter((a) => a.status !== 'pending') ?? [];

  return (
    <>
      <PageHeader
        title={`Run ${shortId(r.id)}`}
        description={
          <span className="row-actions" style={{ alignItems: 'center' }}>
            <StatusBadge status={r.status} />
            <span>
              {agentName ?? 'Agent'} · {r.source}
              {r.taskId && (
                <>
                  {' · '}
                  <Link to={`/tasks/${r.taskId}`}>its task</Link>
                </>
              )}
            </span>
          </span>
        }
        actions={
          <>
            <Link className="btn btn-secondary" to="/runs">
              All runs
            </Link>
            {isActive(r.status) && <CancelRun run={r} />}
          </>
        }
      />

      {pending.length > 0 && (
        <section className="card" aria-labelledby="run-approvals">
          <h2 id="run-approvals">Waiting for your approval</h2>
          {pending.map((a) => (
            <ApprovalCard key={a.id} approval={a} showRun={false} />
          ))}
        </section>
      )}

      <div className="grid-2">
        <section className="card" aria-labelledby="run-summary">
          <h2 id="run-summary">Summary</h2>
          <dl className="facts">
            <dt>Status</dt>
            <dd>
              {label(r.status)}
              {r.stopReason && r.stopReason !== 'completed' && r.stopReason !== r.status ? ` (${label(r.stopReason)})` : ''}
            </dd>
            {r.agentId ? (
              <>
                <dt>Agent</dt>
                <dd>
                  {agentName ? <Link to={`/agents/${r.agentId}`}>{agentName}</Link> : <IdChip id={r.agentId} what="agent" />} (version {r.agentVersion})
                </dd>
              </>
            ) : (
              <>
                <dt>Workflow</dt>
                <dd>
                  <Link to={`/workflows/${r.workflowId}`}>Open the workflow</Link> (version {r.workflowVersion})
                </dd>
              </>
            )}
            <dt>Run id</dt>
            <dd>
              <IdChip id={r.id} what="run" />
            </dd>
            <dt>Model calls</dt>
            <dd>{r.stepCount}</dd>
            <dt>Tokens</dt>
            <dd>
              {tokens(r.inputTokens)} in · {tokens(r.outputTokens)} out{r.cachedInputTokens ? ` · ${tokens(r.cachedInputTokens)} cached` : ''}
            </dd>
            <dt>Cost</dt>
            <dd data-testid="run-cost">
              {money(r.billedMicros)}
              {r.billedMicros !== r.costMicros && <span className="muted small"> (base {money(r.costMicros)})</span>}
            </dd>
            <dt>Created</dt>
            <dd>{dateTime(r.createdAt)}</dd>
            <dt>Duration</dt>
            <dd>{runDuration(r)}</dd>
          </dl>
        </section>
        <section className="card" aria-labelledby="run-io">
          <h2 id="run-io">Input and output</h2>
          <h3 className="small muted">Task</h3>
          <p className="prose-text">{r.input.task}</p>
          {r.input.context && Object.keys(r.input.context).length > 0 && (
            <>
              <h3 className="small muted">Context</h3>
              <CodeBlock label="Context of the run">{json(r.input.context)}</CodeBlock>
            </>
          )}
          <h3 className="small muted">Answer</h3>
          {r.output ? <p className="prose-text" data-testid="run-output">{r.output}</p> : <p className="muted">{isActive(r.status) ? 'Not yet.' : 'No answer.'}</p>}
          {r.error && (
            <div className="form-error" role="alert">
              {r.error.message} <span className="small">({r.error.code})</span>
            </div>
          )}
        </section>
      </div>

      <section className="card" aria-labelledby="run-timeline">
        <div className="card-header">
          <h2 id="run-timeline">Steps</h2>
          {isActive(r.status) && <Loading label="Live" />}
        </div>
        <QueryView
          query={steps}
          loadingLabel="Loading steps…"
          isEmpty={(d) => d.items.length === 0}
          empty={<EmptyState title={r.status === 'queued' ? 'Waiting to start' : 'No steps'} />}
        >
          {(d) => (
            <ol className="timeline" aria-label="Steps of the run">
              {d.items.map((s) => (
                <StepItem key={s.id} step={s} />
              ))}
            </ol>
          )}
        </QueryView>
      </section>

      {decided.length > 0 && (
        <section className="card" aria-labelledby="run-decided">
          <h2 id="run-decided">Decided approvals</h2>
          {decided.map((a) => (
            <ApprovalCard key={a.id} approval={a} showRun={false} />
          ))}
        </section>
      )}
    </>
  );
}

interface ModelOutput {
  text?: string;
  toolCalls?: { toolCallId: string; toolName: string; input: unknown }[];
  finishReason?: string;
}
type ToolOutput = { ok: true; output: unknown } | { ok: false; error?: { code: string; message: string }; denied?: boolean; reason?: string };

function StepItem({ step }: { step: Step }) {
  const model = step.kind === 'model_call';
  const out = step.output as (ModelOutput & ToolOutput) | null | undefined;
  const title = model ? `Model call · ${step.model ?? ''}` : `Tool call · ${step.toolName ?? ''}`;
  return (
    <li className={`timeline-step kind-${step.kind}`} data-kind={step.kind}>
      <details>
        <summary>
          <span className="step-title">{title}</span>
          <StatusBadge status={step.status} />
          <span className="step-metrics">
            {model && (
              <>
                <span>
                  {tokens(step.inputTokens)} in / {tokens(step.outputTokens)} out tokens
                </span>
                <span>{money(step.billedMicros)}</span>
              </>
            )}
            <span>{duration(step.latencyMs)}</span>
            {step.attempts > 1 && <span>{step.attempts} attempts</span>}
          </span>
        </summary>
        <div className="step-body">
          {model ? (
            <>
              {out?.text ? (
                <>
                  <h3>Text</h3>
                  <p className="prose-text">{out.text}</p>
                </>
              ) : null}
              {out?.toolCalls && out.toolCalls.length > 0 && (
                <>
                  <h3>Tool calls requested</h3>
                  <CodeBlock label={`Tool calls requested in step ${step.seq}`}>{json(out.toolCalls.map((c) => ({ tool: c.toolName, arguments: c.input })))}</CodeBlock>
                </>
              )}
              <dl className="facts small" style={{ marginTop: 'var(--space-3)' }}>
                <dt>Cached input tokens</dt>
                <dd>{tokens(step.cachedInputTokens)}</dd>
                <dt>Base cost</dt>
                <dd>{money(step.costMicros)}</dd>
                {out?.finishReason && (
                  <>
                    <dt>Finish reason</dt>
                    <dd>{out.finishReason}</dd>
                  </>
                )}
                <dt>Started</dt>
                <dd>{dateTime(step.startedAt)}</dd>
              </dl>
            </>
          ) : (
            <>
              <h3>Arguments</h3>
              <CodeBlock label={`Arguments of ${step.toolName ?? 'the tool'}, step ${step.seq}`}>{json(step.input)}</CodeBlock>
              <h3>Result</h3>
              {step.status === 'waiting_approval' ? (
                <p className="muted">Waiting for approval.</p>
              ) : out ? (
                <CodeBlock label={`Result of ${step.toolName ?? 'the tool'}, step ${step.seq}`}>{json(out.ok ? out.output : out.denied ? { denied: true, reason: out.reason } : { error: out.error })}</CodeBlock>
              ) : (
                <p className="muted">Not yet.</p>
              )}
            </>
          )}
          {step.error && (
            <p className="form-error">
              {step.error.message} ({step.error.code})
            </p>
          )}
        </div>
      </details>
    </li>
  );
}

function CancelRun({ run }: { run: Run }) {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const cancel = useMutation({
    mutationFn: () => runsApi.cancel(run.id),
    onSuccess: (updated) => {
      queryClient.setQueryData(['runs', 'detail', run.id], updated);
      setOpen(false);
      return Promise.all([queryClient.invalidateQueries({ queryKey: ['runs'] }), queryClient.invalidateQueries({ queryKey: ['approvals'] }), queryClient.invalidateQueries({ queryKey: ['tasks'] })]);
    },
  });
  if (!can('member')) return null;
  return (
    <>
      <Button variant="danger" onClick={() => setOpen(true)}>
        Cancel run
      </Button>
      <ConfirmDialog
        open={open}
        onClose={() => setOpen(false)}
        title="Cancel this run?"
        cancelLabel="Keep running"
        confirmLabel="Cancel run"
        onConfirm={() => cancel.mutateAsync()}
      >
        <p>The run stops{run.status === 'running' ? ' (its current call is aborted)' : ''} and ends as canceled. This cannot be undone.</p>
      </ConfirmDialog>
    </>
  );
}

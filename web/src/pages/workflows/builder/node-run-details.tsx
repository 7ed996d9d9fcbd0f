import { Link } from 'react-router';
import { dateTime, duration, json, money, shortId } from '../../runs/format';
import { StatusBadge } from '../../runs/status-badge';
import type { NodeRun } from '../api';
import { nodeDuration, outputText } from './model';
import { useChildRun } from './run-state';

/**
 * What a node did in the run on show: each execution (one, or one per item inside a map body)
 * with its state, attempt, duration, the edge it took, what it waits for, what it received, its
 * output or error, and, for an agent or sub-workflow node, its child run (the task it was given)
 * and the cost of its child runs.
 */
export function NodeRunDetails({ nodeId, runs }: { nodeId: string; runs: readonly NodeRun[] }) {
  return (
    <section className="wf-node-run-details" aria-labelledby="wf-node-run-title">
      <h3 id="wf-node-run-title" className="wf-subtitle">
        In this run
      </h3>
      {runs.length === 0 ? (
        <p className="muted small">{nodeId} has not run (yet) in this run.</p>
      ) : (
        runs.map((r) => <Execution key={r.key} run={r} many={runs.length > 1} />)
      )}
    </section>
  );
}

/** When a waiting execution goes on: a timer's time, a child run's end, a person's decision. */
function waitText(on: NonNullable<NodeRun['waitingOn']>): string {
  if (on.kind === 'run') return 'its run to finish';
  if (on.kind === 'approval') return on.until ? `a decision (until ${dateTime(new Date(on.until).toISOString())})` : 'a decision';
  if (on.until) return dateTime(new Date(on.until).toISOString());
  return on.kind;
}

function Execution({ run: r, many }: { run: NodeRun; many: boolean }) {
  return (
    <article className="wf-execution" aria-label={`Execution ${r.key}`} data-testid="node-execution">
      <div className="wf-run-row">
        <StatusBadge status={r.status} />
        {many && <code>{r.key}</code>}
      </div>
      <dl className="wf-facts">
        <dt>Duration</dt>
        <dd>{duration(nodeDuration(r))}</dd>
        {r.attempt > 1 && (
          <>
            <dt>Attempt</dt>
            <dd>{r.attempt}</dd>
          </>
        )}
        <dt>Started</dt>
        <dd>{dateTime(r.startedAt)}</dd>
        {r.handle && (
          <>
            <dt>Took</dt>
            <dd>
              <code>{r.handle}</code>
            </dd>
          </>
        )}
        {r.waitingOn && (
          <>
            <dt>Waits for</dt>
            <dd>{waitText(r.waitingOn)}</dd>
          </>
        )}
      </dl>
      {r.childRunId && <ChildRun runId={r.childRunId} costMicros={r.costMicros} />}
      {r.input !== null && r.input !== undefined && (
        <details>
          <summary>Received</summary>
          <pre className="wf-pre" tabIndex={0} data-testid="node-received">
            {outputText(r.input)}
          </pre>
        </details>
      )}
      {r.error && (
        <p className="form-error" role="note">
          <code>{r.error.code}</code> {r.error.message}
        </p>
      )}
      {r.status === 'succeeded' && (
        <details open>
          <summary>Output</summary>
          <pre className="wf-pre" tabIndex={0} data-testid="node-output">
            {outputText(r.output)}
          </pre>
        </details>
      )}
    </article>
  );
}

/** The child run of an agent or sub-workflow node: a link, the node's cost (all its child runs), and what it was given. */
function ChildRun({ runId, costMicros }: { runId: string; costMicros: number }) {
  const child = useChildRun(runId);
  const c = child.data;
  const input = c ? (c.agentId ? c.input.task : c.input) : undefined;
  return (
    <>
      <dl className="wf-facts">
        <dt>{c && !c.agentId ? 'Workflow run' : 'Agent run'}</dt>
        <dd>
          <Link to={`/runs/${runId}`}>Run {shortId(runId)}</Link> {c && <StatusBadge status={c.status} />}
        </dd>
        <dt>Cost</dt>
        <dd data-testid="node-cost">{money(costMicros)}</dd>
      </dl>
      {input !== undefined && (
        <details>
          <summary>{c?.agentId ? 'Task given' : 'Input'}</summary>
          <pre className="wf-pre" tabIndex={0} data-testid="node-input">
            {typeof input === 'string' ? input : json(input)}
          </pre>
        </details>
      )}
    </>
  );
}

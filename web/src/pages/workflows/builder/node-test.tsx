import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '../../../api/errors';
import { Button } from '../../../components/button';
import { FormError, TextAreaField } from '../../../components/fields';
import { Link } from 'react-router';
import { duration, shortId } from '../../runs/format';
import { StatusBadge } from '../../runs/status-badge';
import { workflowsApi, type EditorDefinition, type NodeRun } from '../api';
import { outputText } from './model';

/**
 * Runs one node alone, as the canvas has it (unsaved changes included), with a run input and
 * the upstream nodes' outputs pinned (n8n's pinned data): taken from the run on show when there
 * is one, editable as JSON. An agent node runs its agent for real (a run in /runs, linked).
 */
export function NodeTest({ workflowId, definition, nodeId, upstream, runs }: { workflowId: string; definition: EditorDefinition; nodeId: string; upstream: string[]; runs: ReadonlyMap<string, NodeRun[]> | null }) {
  const pinned = () => {
    const out: Record<string, { output: unknown }> = {};
    for (const id of upstream) {
      const last = runs?.get(id)?.at(-1);
      out[id] = { output: last?.output ?? null };
    }
    return JSON.stringify(out, null, 2);
  };
  const [input, setInput] = useState('{}');
  const [nodes, setNodes] = useState(pinned);
  const [parseError, setParseError] = useState<string | null>(null);
  const test = useMutation({
    mutationFn: (body: { input: unknown; nodes: Record<string, { output: unknown }> }) => workflowsApi.testNode(workflowId, nodeId, { definition, ...body }),
  });
  const submit = () => {
    try {
      const body = { input: JSON.parse(input || '{}') as unknown, nodes: JSON.parse(nodes || '{}') as Record<string, { output: unknown }> };
      setParseError(null);
      test.mutate(body);
    } catch (err) {
      setParseError(`Not valid JSON: ${(err as Error).message}`);
    }
  };
  const result = test.data;
  return (
    <details className="wf-node-test">
      <summary>Test this node</summary>
      <TextAreaField id="wf-test-input" label="Run input (JSON)" className="wf-code" rows={3} spellCheck={false} value={input} onChange={(e) => setInput(e.target.value)} />
      <TextAreaField
        id="wf-test-nodes"
        label="Upstream outputs (JSON)"
        hint={runs ? 'From the run on show' : 'Show a run to take its outputs'}
        className="wf-code"
        rows={4}
        spellCheck={false}
        value={nodes}
        onChange={(e) => setNodes(e.target.value)}
      />
      <FormError message={parseError ?? (test.isError ? errorMessage(test.error) : undefined)} />
      <Button busy={test.isPending} onClick={submit}>
        Run this node
      </Button>
      {result && (
        <div className="wf-execution" data-testid="node-test-result">
          <div className="wf-run-row">
            <StatusBadge status={result.status} />
            <span className="muted small">{duration(result.durationMs)}</span>
            {result.handle && (
              <span className="small">
                takes <code>{result.handle}</code>
              </span>
            )}
            {result.runId && <Link to={`/runs/${result.runId}`}>Run {shortId(result.runId)}</Link>}
          </div>
          {result.error && (
            <p className="form-error" role="note">
              <code>{result.error.code}</code> {result.error.message}
            </p>
          )}
          {result.status === 'succeeded' && (
            <pre className="wf-pre" tabIndex={0}>
              {outputText(result.output)}
            </pre>
          )}
        </div>
      )}
    </details>
  );
}

import { Handle, Position, useUpdateNodeInternals, type Node, type NodeProps } from '@xyflow/react';
import { useEffect } from 'react';
import { duration } from '../../runs/format';
import type { EditorNode, NodeRun, NodeRunStatus, Problem } from '../api';
import { nodeDuration, outputPreview, outputText } from './model';
import { TYPE_LABELS } from './node-kinds';
import './node-run.css';

/**
 * A node on the canvas: its type, name and id, a one-line summary of its config, its problems
 * (a red badge and the first message), its state in the run on show (the node's colour, and its
 * output or error in one line; the whole is a click away in the side panel), and one labelled
 * source handle per way out (handlesOf: true/false, a switch's cases and default,
 * approved/rejected, error under `continue`). Every node but a trigger has one target handle.
 */

export interface WorkflowNodeData extends Record<string, unknown> {
  node: EditorNode;
  handles: string[];
  problems: Problem[];
  /** Problems of the nodes inside a map's body. */
  innerProblems: number;
  runStatus?: NodeRunStatus;
  runs: NodeRun[];
  onOpenBody?: (id: string) => void;
}
export type WorkflowFlowNode = Node<WorkflowNodeData, 'workflow'>;

const STATUS_LABEL: Record<NodeRunStatus, string> = { running: 'running', waiting: 'waiting', succeeded: 'succeeded', failed: 'failed', skipped: 'skipped' };

/** What the node does, in a few words, from its config. */
function summary(node: EditorNode): string {
  const c = node.config;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  switch (node.type) {
    case 'trigger':
      return c.kind === 'schedule' ? `schedule ${text(c.cron)}` : c.kind === 'event' ? `on ${text(c.eventType)}` : 'manual or API';
    case 'agent':
      return text(c.task);
    case 'tool':
      return text(c.tool) || 'no tool chosen';
    case 'condition':
      return text(c.expression);
    case 'map':
      return `each of ${text(c.items)}`;
    case 'approval':
      return text(c.title);
    case 'delay':
      return typeof c.seconds === 'number' ? `${c.seconds} s` : '';
    case 'wait_until':
      return text(c.until);
    case 'join':
      return text(c.mode) || 'all';
    default:
      return '';
  }
}

export function WorkflowNodeView({ id, data, selected }: NodeProps<WorkflowFlowNode>) {
  const { node, handles, problems, innerProblems, runStatus, runs, onOpenBody } = data;
  const updateInternals = useUpdateNodeInternals();
  const handleKey = handles.join('|');
  // The canvas measures handles once; a switch's new case is a new handle to measure.
  useEffect(() => updateInternals(id), [id, handleKey, updateInternals]);

  const problemCount = problems.length + innerProblems;
  const run = runs.length === 1 ? runs[0] : undefined;
  const text = summary(node);
  const labelled = handles.length > 1 || handles[0] !== 'out';
  return (
    <div
      className={['wf-node', `wf-node-${node.type}`, runStatus ? `wf-run-${runStatus}` : '', problemCount ? 'wf-node-invalid' : '', selected ? 'wf-node-selected' : ''].filter(Boolean).join(' ')}
      data-node-id={node.id}
      data-run-status={runStatus}
    >
      {node.type !== 'trigger' && <Handle type="target" position={Position.Left} id="in" className="wf-handle" />}
      <div className="wf-node-head">
        <span className="wf-node-type">{TYPE_LABELS[node.type]}</span>
        {problemCount > 0 && (
          <span className="wf-node-badge" data-testid="node-problem-badge" title={problems.map((p) => p.message).join('\n')}>
            <span aria-hidden="true">!</span> {problemCount}
            <span className="visually-hidden"> problem{problemCount === 1 ? '' : 's'}</span>
          </span>
        )}
        {runStatus && <span className={`wf-node-state wf-state-${runStatus}`}>{STATUS_LABEL[runStatus]}</span>}
      </div>
      <div className="wf-node-title">{node.name || node.id}</div>
      {node.name && <code className="wf-node-id">{node.id}</code>}
      {text && <div className="wf-node-summary">{text}</div>}
      {problems[0] && (
        <p className="wf-node-problem" data-testid="node-problem">
          {problems[0].path ? `${problems[0].path}: ` : ''}
          {problems[0].message}
        </p>
      )}
      {innerProblems > 0 && !problems[0] && <p className="wf-node-problem">The body has {innerProblems} problem{innerProblems === 1 ? '' : 's'}</p>}
      {run?.status === 'succeeded' && run.output !== null && (
        <div className="wf-node-output" data-testid="node-output-preview" title={outputText(run.output)}>
          <span className="visually-hidden">Output: </span>
          {outputPreview(run.output)}
        </div>
      )}
      {run?.error && (
        <div className="wf-node-output wf-node-output-error" data-testid="node-output-preview" title={run.error.message}>
          <span className="visually-hidden">Error: </span>
          {run.error.code}
        </div>
      )}
      {run && nodeDuration(run) !== null && <div className="wf-node-run small">{duration(nodeDuration(run))}</div>}
      {runs.length > 1 && <div className="wf-node-run small">{runs.length} executions</div>}
      {node.type === 'map' && onOpenBody && (
        <button type="button" className="btn btn-secondary btn-small nodrag wf-node-body" onClick={() => onOpenBody(node.id)}>
          Edit body<span className="visually-hidden"> of {node.id}</span>
        </button>
      )}
      <div className="wf-node-outs">
        {handles.map((h) => (
          <div key={h} className={`wf-out${h === 'error' ? ' wf-out-error' : ''}`}>
            {labelled && <span className="wf-out-label">{h}</span>}
            <Handle type="source" position={Position.Right} id={h} className="wf-handle" />
          </div>
        ))}
      </div>
    </div>
  );
}

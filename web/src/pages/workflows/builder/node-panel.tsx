import { useState } from 'react';
import { Button } from '../../../components/button';
import { SelectField, TextField } from '../../../components/fields';
import type { EditorNode, Problem } from '../api';
import { nodeConfigForm, normalizePath } from './form-spec';
import { ProblemList } from './workflow-panel';
import { TYPE_LABELS } from './node-kinds';
import { SchemaForm, type FormEnv } from './schema-form';

/**
 * The side panel's form for one node: its id (renaming rewrites the edges and `nodes.<id>`
 * references), name, error policy and timeout, then its config, generated from the type's schema.
 * Problems validation found are shown on the fields they name, the others above the form.
 */

export interface NodePanelProps {
  node: EditorNode;
  problems: Problem[];
  env: Omit<FormEnv, 'errors' | 'idPrefix'>;
  /** A change to the node; `key` names the field (typing in one field is one undo step). */
  onChange: (node: EditorNode, key: string) => void;
  onRename: (to: string) => string | null;
  onDelete: () => void;
  onOpenBody?: () => void;
}

export function NodePanel({ node, problems, env, onChange, onRename, onDelete, onOpenBody }: NodePanelProps) {
  const errors = new Map<string, string>();
  for (const p of problems) {
    const path = normalizePath(p.path);
    if (path && !errors.has(path)) errors.set(path, p.message);
  }
  const formEnv: FormEnv = { ...env, errors, idPrefix: `wf-node-${node.id}` };
  const policy = node.onError?.policy ?? '';
  const setBase = (patch: Partial<EditorNode>, key: string) => {
    const next = { ...node, ...patch };
    for (const k of Object.keys(patch) as (keyof EditorNode)[]) if (patch[k] === undefined) delete next[k];
    onChange(next, key);
  };

  return (
    <section className="wf-node-panel" aria-labelledby="wf-node-panel-title">
      <h2 id="wf-node-panel-title" className="wf-panel-title">
        {TYPE_LABELS[node.type]} node <code>{node.id}</code>
      </h2>
      <ProblemList problems={problems} testId="panel-problems" counted />
      <fieldset className="wf-fieldset-plain" disabled={env.disabled}>
        <IdField key={node.id} id={node.id} error={errors.get('id')} onRename={onRename} />
        <TextField id="wf-node-name" label="Name (optional)" hint="Shown on the canvas" value={node.name ?? ''} onChange={(e) => setBase({ name: e.target.value || undefined }, 'name')} />
        <SelectField
          id="wf-node-policy"
          label="On error"
          value={policy}
          error={errors.get('onError.policy') ?? errors.get('onError')}
          hint={policy === 'continue' ? 'The error becomes the output and takes the node’s error edge, when there is one' : undefined}
          options={[
            { value: '', label: 'The workflow’s default' },
            { value: 'fail', label: 'Fail the run' },
            { value: 'continue', label: 'Continue with the error' },
            { value: 'retry', label: 'Retry, then fail' },
          ]}
          onChange={(e) =>
            setBase({ onError: e.target.value ? { ...(e.target.value === 'retry' ? { attempts: 3, backoffMs: 1000 } : {}), policy: e.target.value as 'fail' | 'continue' | 'retry' } : undefined }, 'onError')
          }
        />
        {node.onError?.policy === 'retry' && (
          <div className="grid-2">
            <TextField
              id="wf-node-attempts"
              label="Attempts"
              type="number"
              min={1}
              max={10}
              value={String(node.onError.attempts ?? '')}
              error={errors.get('onError.attempts')}
              onChange={(e) => setBase({ onError: { ...node.onError!, attempts: e.target.value ? Number(e.target.value) : undefined } }, 'onError.attempts')}
            />
            <TextField
              id="wf-node-backoff"
              label="Backoff (ms)"
              type="number"
              min={0}
              value={String(node.onError.backoffMs ?? '')}
              error={errors.get('onError.backoffMs')}
              onChange={(e) => setBase({ onError: { ...node.onError!, backoffMs: e.target.value ? Number(e.target.value) : undefined } }, 'onError.backoffMs')}
            />
          </div>
        )}
        <TextField
          id="wf-node-timeout"
          label="Timeout in seconds (optional)"
          type="number"
          min={1}
          value={node.timeoutSeconds === undefined ? '' : String(node.timeoutSeconds)}
          error={errors.get('timeoutSeconds')}
          onChange={(e) => setBase({ timeoutSeconds: e.target.value ? Number(e.target.value) : undefined }, 'timeoutSeconds')}
        />
      </fieldset>
      <fieldset className="wf-fieldset-plain" disabled={env.disabled}>
        <legend className="wf-legend">Configuration</legend>
        <SchemaForm spec={nodeConfigForm(node.type)} value={node.config} path="config" env={formEnv} onChange={(config, key) => onChange({ ...node, config }, key)} />
      </fieldset>
      <div className="form-actions">
        {onOpenBody && (
          <Button onClick={onOpenBody}>
            Edit body<span className="visually-hidden"> of {node.id}</span>
          </Button>
        )}
        {!env.disabled && (
          <Button variant="danger" onClick={onDelete}>
            Delete node
          </Button>
        )}
      </div>
    </section>
  );
}

/** The node's id: renamed when the field is left or Enter is pressed, if the new id is free and well-formed. */
function IdField({ id, error, onRename }: { id: string; error?: string; onRename: (to: string) => string | null }) {
  const [draft, setDraft] = useState(id);
  const [problem, setProblem] = useState<string | null>(null);
  const commit = () => {
    if (draft === id) return setProblem(null);
    setProblem(onRename(draft));
  };
  return (
    <TextField
      id="wf-node-id"
      label="Id"
      hint="Expressions read this node's output as nodes.<id>.output"
      value={draft}
      error={problem ?? error}
      spellCheck={false}
      onChange={(e) => setDraft(e.target.value)}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === 'Enter') {
          e.preventDefault();
          commit();
        }
      }}
    />
  );
}

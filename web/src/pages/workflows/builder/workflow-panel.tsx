import { useState } from 'react';
import { TextAreaField, TextField } from '../../../components/fields';
import type { EditorDefinition, Problem } from '../api';
import { normalizePath, settingsFormSpec, type FieldSpec } from './form-spec';
import { SchemaForm, type FormEnv } from './schema-form';

/** The JSON input schema's field, as the form renderer draws JSON values. */
const INPUT_SCHEMA_FORM: FieldSpec = {
  kind: 'object',
  fields: [{ name: 'inputSchema', label: 'Input schema (JSON Schema)', required: false, description: 'A run’s input is checked against it; the Run form is drawn from it', spec: { kind: 'json' } }],
};

/**
 * The side panel when no node is selected: the workflow's name, description, tags, input schema
 * and settings (timeout, concurrency, default error policy, error workflow), and the problems of
 * the definition as a whole.
 */
export function WorkflowPanel({
  definition,
  problems,
  env,
  onChange,
}: {
  definition: EditorDefinition;
  problems: Problem[];
  env: Omit<FormEnv, 'errors' | 'idPrefix' | 'suggestions'>;
  onChange: (next: EditorDefinition, key: string) => void;
}) {
  const errors = new Map(problems.map((p) => [normalizePath(p.path), p.message]));
  const formEnv: FormEnv = { ...env, errors, idPrefix: 'wf-settings', suggestions: [] };
  return (
    <section aria-labelledby="wf-workflow-panel-title">
      <h2 id="wf-workflow-panel-title" className="wf-panel-title">
        Workflow
      </h2>
      <p className="muted small">Select a node to edit it.</p>
      <ProblemList problems={problems} testId="workflow-problems" />
      <fieldset className="wf-fieldset-plain" disabled={env.disabled}>
        <TextField id="wf-name" label="Name" value={definition.name} error={errors.get('name')} onChange={(e) => onChange({ ...definition, name: e.target.value }, 'name')} />
        <TextAreaField
          id="wf-description"
          label="Description (optional)"
          rows={2}
          value={definition.description ?? ''}
          error={errors.get('description')}
          onChange={(e) => onChange({ ...definition, description: e.target.value }, 'description')}
        />
        <TagsField tags={definition.tags ?? []} error={errors.get('tags')} onTags={(tags) => onChange({ ...definition, tags }, 'tags')} />
        <SchemaForm
          spec={INPUT_SCHEMA_FORM}
          value={{ inputSchema: definition.inputSchema }}
          path=""
          env={formEnv}
          onChange={(v, key) => onChange({ ...definition, inputSchema: v.inputSchema as Record<string, unknown> | undefined }, key)}
        />
      </fieldset>
      <fieldset className="wf-fieldset-plain" disabled={env.disabled}>
        <legend className="wf-legend">Settings</legend>
        <SchemaForm spec={settingsFormSpec()} value={definition.settings ?? {}} path="settings" env={formEnv} onChange={(settings, key) => onChange({ ...definition, settings }, key)} />
      </fieldset>
    </section>
  );
}

/** Tags as text separated by commas; the text stays as typed (a trailing comma too) while the tags follow it. */
function TagsField({ tags, error, onTags }: { tags: string[]; error?: string; onTags: (tags: string[]) => void }) {
  const [draft, setDraft] = useState({ text: tags.join(', '), from: tags });
  const current = draft.from === tags ? draft : { text: tags.join(', '), from: tags };
  if (current !== draft) setDraft(current);
  return (
    <TextField
      id="wf-tags"
      label="Tags (optional)"
      hint="Separated by commas"
      value={current.text}
      error={error}
      onChange={(e) => {
        const next = e.target.value
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean);
        const same = next.length === tags.length && next.every((t, i) => t === tags[i]);
        setDraft({ text: e.target.value, from: same ? tags : next });
        if (!same) onTags(next);
      }}
    />
  );
}

/** Validation problems of a node or of the workflow, each with its field path; nothing when there are none. */
export function ProblemList({ problems, testId, counted = false }: { problems: readonly Problem[]; testId: string; counted?: boolean }) {
  if (problems.length === 0) return null;
  return (
    <div className="wf-problems" role="status">
      {counted && (
        <p>
          <strong>
            {problems.length} problem{problems.length === 1 ? '' : 's'}
          </strong>
        </p>
      )}
      <ul data-testid={testId}>
        {problems.map((p, i) => (
          <li key={i}>
            {p.path && <code>{p.path}</code>} {p.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

import { Button } from '../../components/button';
import { SelectField, TextAreaField } from '../../components/fields';
import { ACTION_LABELS, ACTION_TYPES, type Action, type ActionType } from './api';

/** One action as the editor holds it: its type and its params as JSON text. */
export interface ActionRow {
  /** Stable React key (rows are added and removed). */
  key: number;
  type: ActionType;
  params: string;
}

let nextKey = 1;
export const toRows = (actions: Action[]): ActionRow[] => actions.map((a) => ({ key: nextKey++, type: a.type, params: JSON.stringify(a.params, null, 2) }));
export const newRow = (): ActionRow => ({ key: nextKey++, type: 'NO_ACTION', params: '{}' });

/**
 * The rows as actions: each params text parsed as a JSON object. Problems come back keyed as the
 * API names them (`actions.0.params`), so they show where the server's would.
 */
export function parseRows(rows: ActionRow[], prefix = 'actions'): { actions: Action[]; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const actions = rows.map((r, i) => {
    let params: unknown = {};
    try {
      params = r.params.trim() ? JSON.parse(r.params) : {};
      if (!params || typeof params !== 'object' || Array.isArray(params)) errors[`${prefix}.${i}.params`] = 'Must be a JSON object, e.g. {"subject": "…"}';
    } catch (err) {
      errors[`${prefix}.${i}.params`] = `Not valid JSON: ${(err as Error).message}`;
    }
    return { type: r.type, params: (params ?? {}) as Record<string, unknown> };
  });
  return { actions, errors };
}

/**
 * The errors about one action's params (`actions.0.params.to`, `actions.0.params`) as one message
 * for its params field: "to: Enter an email address".
 */
export function paramsError(errors: Record<string, string>, base: string): string | undefined {
  const lines: string[] = [];
  for (const [path, message] of Object.entries(errors)) {
    if (path === base) lines.push(message);
    else if (path.startsWith(`${base}.`)) lines.push(`${path.slice(base.length + 1)}: ${message}`);
  }
  return lines.length ? lines.join('; ') : undefined;
}

/**
 * Edits a list of actions: per action its type and its params as JSON, add and remove. `errors`
 * are keyed as the API names fields (`actions.0.type`, `actions.0.params.to`), under `prefix`.
 */
export function ActionsEditor({ idPrefix, rows, onChange, errors, prefix = 'actions', legend = 'Actions', disabled = false }: {
  idPrefix: string;
  rows: ActionRow[];
  onChange: (rows: ActionRow[]) => void;
  errors: Record<string, string>;
  prefix?: string;
  legend?: string;
  disabled?: boolean;
}) {
  const update = (i: number, change: Partial<ActionRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...change } : r)));
  return (
    <fieldset className="decisions-editor" disabled={disabled}>
      <legend>{legend}</legend>
      {rows.length === 0 && <p className="muted small">No actions: approving runs nothing.</p>}
      <ol className="decisions-editor-list">
        {rows.map((r, i) => (
          <li key={r.key} className="decisions-editor-row" data-testid="action-row">
            <SelectField
              id={`${idPrefix}-${prefix}-${i}-type`}
              name={`${prefix}.${i}.type`}
              label={`Type of action ${i + 1}`}
              value={r.type}
              onChange={(e) => update(i, { type: e.target.value as ActionType })}
              options={ACTION_TYPES.map((t) => ({ value: t, label: `${t} (${ACTION_LABELS[t]})` }))}
              error={errors[`${prefix}.${i}.type`]}
            />
            <TextAreaField
              id={`${idPrefix}-${prefix}-${i}-params`}
              name={`${prefix}.${i}.params`}
              label={`Params of action ${i + 1} (JSON)`}
              className="mono"
              rows={Math.min(10, Math.max(3, r.params.split('\n').length))}
              spellCheck={false}
              value={r.params}
              onChange={(e) => update(i, { params: e.target.value })}
              error={paramsError(errors, `${prefix}.${i}.params`)}
            />
            <Button className="btn-small" onClick={() => onChange(rows.filter((_, j) => j !== i))} aria-label={`Remove action ${i + 1}`}>
              Remove
            </Button>
          </li>
        ))}
      </ol>
      {errors[prefix] && <p className="field-error">{errors[prefix]}</p>}
      <Button className="btn-small" onClick={() => onChange([...rows, newRow()])} disabled={rows.length >= 20}>
        Add action
      </Button>
    </fieldset>
  );
}

import { createContext, useContext, useEffect, useState } from 'react';
import { Button } from '../../../components/button';
import { CheckboxField, SelectField, TextAreaField, TextField } from '../../../components/fields';
import type { FieldDef, FieldSpec } from './form-spec';

/**
 * Renders a FieldSpec (form-spec.ts) as labelled fields that edit a plain JSON value. Every
 * change hands the whole new value up with a key naming the field, so the builder records typing
 * in one field as one undo step. Problems arrive keyed by field path (`config.cases.0.when`).
 */

export interface PickerOption {
  value: string;
  label: string;
}

export interface FormEnv {
  /** Prefix of the fields' DOM ids (unique on the page). */
  idPrefix: string;
  /** Problems by field path. */
  errors: ReadonlyMap<string, string>;
  /** What expression and template fields offer to insert: `input`, `nodes.<id>.output`… (none: no chips). */
  suggestions: readonly string[];
  /** Fields with a fixed set of choices, by field name (agentId: the organization's agents…). */
  pickers: Readonly<Record<string, readonly PickerOption[]>>;
  disabled: boolean;
  /** A JSON textarea whose text does not parse (true) or parses again (false): Save waits for it. */
  reportInvalid: (fieldId: string, invalid: boolean) => void;
}

const EnvContext = createContext<FormEnv | null>(null);
const useEnv = () => {
  const env = useContext(EnvContext);
  if (!env) throw new Error('schema-form fields outside <SchemaForm>');
  return env;
};

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function SchemaForm({ spec, value, onChange, path, env }: { spec: FieldSpec; value: Json; onChange: (next: Json, key: string) => void; path: string; env: FormEnv }) {
  return (
    <EnvContext.Provider value={env}>
      <ObjectFields spec={spec} value={value} onChange={onChange} path={path} />
    </EnvContext.Provider>
  );
}

/** The fields of an object or of a variant (a select for the discriminator, then that variant's fields). */
function ObjectFields({ spec, value, onChange, path }: { spec: FieldSpec; value: Json; onChange: (next: Json, key: string) => void; path: string }) {
  const env = useEnv();
  if (spec.kind === 'variant') {
    const current = String(value[spec.discriminator] ?? spec.variants[0]?.value ?? '');
    const variant = spec.variants.find((v) => v.value === current) ?? spec.variants[0];
    const id = fieldId(env, path, spec.discriminator);
    return (
      <>
        <SelectField
          id={id}
          label={spec.discriminator === 'kind' ? 'Kind' : spec.discriminator}
          value={current}
          disabled={env.disabled}
          hint={variant?.description}
          error={env.errors.get(join(path, spec.discriminator))}
          options={spec.variants.map((v) => ({ value: v.value, label: v.value }))}
          onChange={(e) => {
            const next = spec.variants.find((v) => v.value === e.target.value);
            // Keep what the new variant also has; drop the rest.
            const kept = Object.fromEntries(Object.entries(value).filter(([k]) => next?.fields.some((f) => f.name === k)));
            onChange({ ...kept, [spec.discriminator]: e.target.value }, join(path, spec.discriminator));
          }}
        />
        {variant?.fields.map((f) => (
          <Field key={`${variant.value}.${f.name}`} def={f} value={value[f.name]} path={join(path, f.name)} onChange={(v, key) => onChange(setKey(value, f.name, v), key)} />
        ))}
      </>
    );
  }
  if (spec.kind !== 'object') return null;
  return (
    <>
      {spec.fields.map((f) => (
        <Field key={f.name} def={f} value={value[f.name]} path={join(path, f.name)} onChange={(v, key) => onChange(setKey(value, f.name, v), key)} />
      ))}
    </>
  );
}

const join = (path: string, name: string | number) => (path ? `${path}.${name}` : String(name));
const fieldId = (env: FormEnv, path: string, name: string) => `${env.idPrefix}-${join(path, name)}`.replace(/[^A-Za-z0-9_.-]/g, '_');
/** The object with `key` set, or removed when the value is undefined. */
function setKey(obj: Json, key: string, value: unknown): Json {
  if (value === undefined) {
    const { [key]: _removed, ...rest } = obj;
    return rest;
  }
  return { ...obj, [key]: value };
}

function Field({ def, value, path, onChange }: { def: FieldDef; value: unknown; path: string; onChange: (v: unknown, key: string) => void }) {
  const env = useEnv();
  const id = `${env.idPrefix}-${path}`.replace(/[^A-Za-z0-9_.-]/g, '_');
  const error = env.errors.get(path);
  const label = def.required ? def.label : `${def.label} (optional)`;
  const hint = def.description && def.default !== undefined ? `${def.description} (default ${JSON.stringify(def.default)})` : def.default !== undefined ? `Default ${JSON.stringify(def.default)}` : def.description;
  const common = { id, label, hint, error, disabled: env.disabled, name: path };
  const set = (v: unknown) => onChange(v, path);
  const spec = def.spec;

  switch (spec.kind) {
    case 'text': {
      const picker = env.pickers[def.name];
      const text = typeof value === 'string' ? value : '';
      if (picker) {
        const known = picker.some((o) => o.value === text);
        const options = [{ value: '', label: def.required ? 'Choose…' : 'None' }, ...(known || !text ? [] : [{ value: text, label: `${text} (unknown)` }]), ...picker];
        return <SelectField {...common} value={text} options={options} onChange={(e) => set(e.target.value === '' && !def.required ? undefined : e.target.value)} />;
      }
      if (spec.role === 'plain') return <TextField {...common} value={text} onChange={(e) => set(e.target.value === '' && !def.required ? undefined : e.target.value)} />;
      return <ExpressionField common={common} role={spec.role} text={text} onText={(t) => set(t === '' && !def.required ? undefined : t)} />;
    }
    case 'number':
      return (
        <TextField
          {...common}
          type="number"
          inputMode="numeric"
          min={spec.minimum}
          max={spec.maximum !== undefined && spec.maximum < Number.MAX_SAFE_INTEGER ? spec.maximum : undefined}
          step={spec.integer ? 1 : 'any'}
          value={typeof value === 'number' ? String(value) : ''}
          onChange={(e) => set(e.target.value === '' ? undefined : Number(e.target.value))}
        />
      );
    case 'boolean':
      return <CheckboxField id={id} label={def.label} hint={hint} error={error} disabled={env.disabled} checked={value === true || (value === undefined && def.default === true)} onChange={(e) => set(e.target.checked)} />;
    case 'enum': {
      const options = [...(def.required ? [] : [{ value: '', label: def.default !== undefined ? `Default (${String(def.default)})` : 'None' }]), ...spec.options.map((o) => ({ value: o, label: o.replace(/_/g, ' ') }))];
      return <SelectField {...common} value={typeof value === 'string' ? value : ''} options={options} onChange={(e) => set(e.target.value === '' ? undefined : e.target.value)} />;
    }
    case 'object':
    case 'variant':
      return (
        <fieldset className="wf-fieldset" disabled={env.disabled}>
          <legend>{label}</legend>
          {hint && <p className="field-hint">{hint}</p>}
          <ObjectFields spec={spec} value={isObject(value) ? value : {}} path={path} onChange={(v, key) => onChange(v, key)} />
        </fieldset>
      );
    case 'objectList':
      return <ObjectList def={def} items={Array.isArray(value) ? value : []} path={path} label={label} hint={hint} error={error} onChange={onChange} />;
    case 'stringList':
      return (
        <TextAreaField
          {...common}
          hint={[hint, 'One per line'].filter(Boolean).join('. ')}
          rows={3}
          value={Array.isArray(value) ? value.join('\n') : ''}
          onChange={(e) => set(e.target.value === '' ? undefined : e.target.value.split('\n'))}
        />
      );
    case 'json':
      return <JsonField common={common} value={value} required={def.required} templated={def.name !== 'outputSchema' && env.suggestions.length > 0} onValue={set} />;
  }
}

interface Common {
  id: string;
  label: string;
  hint: string | undefined;
  error: string | undefined;
  disabled: boolean;
  name: string;
}

/** A list of objects (a switch's cases, an approval's form fields): each a group with Remove, then Add. */
function ObjectList({ def, items, path, label, hint, error, onChange }: { def: FieldDef; items: unknown[]; path: string; label: string; hint?: string; error?: string; onChange: (v: unknown, key: string) => void }) {
  const env = useEnv();
  if (def.spec.kind !== 'objectList') return null;
  const item = def.spec.item;
  const singular = def.label.replace(/s$/, '').toLowerCase();
  return (
    <fieldset className="wf-fieldset" disabled={env.disabled}>
      <legend>{label}</legend>
      {hint && <p className="field-hint">{hint}</p>}
      {error && <p className="field-error">{error}</p>}
      {items.map((it, i) => (
        <fieldset key={i} className="wf-fieldset wf-list-item">
          <legend>
            {def.label.replace(/s$/, '')} {i + 1}
          </legend>
          <ObjectFields
            spec={{ kind: 'object', fields: item }}
            value={isObject(it) ? it : {}}
            path={join(path, i)}
            onChange={(v, key) => onChange(items.map((x, j) => (j === i ? v : x)), key)}
          />
          <Button className="btn-small" onClick={() => onChange(items.filter((_, j) => j !== i), `${path}.remove`)}>
            Remove {singular} {i + 1}
          </Button>
        </fieldset>
      ))}
      <Button className="btn-small" onClick={() => onChange([...items, newItem(item, items.length)], `${path}.add`)}>
        Add {singular}
      </Button>
    </fieldset>
  );
}

/** A new list entry: required text fields filled enough to tell entries apart (`case_2`). */
function newItem(fields: FieldDef[], index: number): Json {
  const out: Json = {};
  for (const f of fields) {
    if (!f.required) continue;
    if (f.spec.kind === 'enum') out[f.name] = f.spec.options[0];
    else if (f.spec.kind === 'text') out[f.name] = f.name === 'id' || f.name === 'name' ? `${f.name === 'id' ? 'case' : 'field'}_${index + 1}` : f.spec.role === 'expression' ? 'true' : '';
  }
  return out;
}

/** Inserts `text` at the textarea's caret (or over its selection) and puts the caret after it. */
function insertAtCaret(id: string, current: string, text: string, apply: (next: string) => void) {
  const el = document.getElementById(id) as HTMLTextAreaElement | null;
  const start = el?.selectionStart ?? current.length;
  const end = el?.selectionEnd ?? current.length;
  apply(current.slice(0, start) + text + current.slice(end));
  requestAnimationFrame(() => {
    if (!el) return;
    el.focus();
    el.setSelectionRange(start + text.length, start + text.length);
  });
}

/** Buttons that insert an upstream value's path into a field. */
function Suggestions({ id, label, wrap, onInsert }: { id: string; label: string; wrap: boolean; onInsert: (text: string) => void }) {
  const env = useEnv();
  if (env.suggestions.length === 0 || env.disabled) return null;
  return (
    <div className="wf-suggest" role="group" aria-label={`Insert into ${label}`} data-for={id}>
      <span className="muted small" aria-hidden="true">
        Insert:
      </span>
      {env.suggestions.map((s) => (
        <button key={s} type="button" className="wf-chip" onClick={() => onInsert(wrap ? `{{ ${s} }}` : s)}>
          {s}
        </button>
      ))}
    </div>
  );
}

/** A JSONata expression or a text with `{{ }}` templates, with the upstream values to insert. */
function ExpressionField({ common, role, text, onText }: { common: Common; role: 'expression' | 'template'; text: string; onText: (t: string) => void }) {
  const hint = [common.hint, role === 'expression' ? 'A JSONata expression' : 'Text; {{ expression }} inserts a value'].filter(Boolean).join('. ');
  return (
    <div className="wf-expression">
      <TextAreaField {...common} hint={hint} className="wf-code" rows={role === 'expression' ? 2 : 4} spellCheck={false} value={text} onChange={(e) => onText(e.target.value)} />
      <Suggestions id={common.id} label={common.label} wrap={role === 'template'} onInsert={(s) => insertAtCaret(common.id, text, s, onText)} />
    </div>
  );
}

const show = (v: unknown) => (v === undefined ? '' : JSON.stringify(v, null, 2));

/**
 * Free-form JSON as text. The text is the person's until it parses: then the value changes; while
 * it does not, the field says so and Save waits. A value changed from outside (undo) replaces the text.
 */
function JsonField({ common, value, required, templated, onValue }: { common: Common; value: unknown; required: boolean; templated: boolean; onValue: (v: unknown) => void }) {
  const env = useEnv();
  const [draft, setDraft] = useState<{ text: string; from: unknown; error?: string }>({ text: show(value), from: value });
  // A value that changed from outside (undo, a paste, another version) replaces the draft.
  const current = draft.from === value ? draft : { text: show(value), from: value };
  if (current !== draft) setDraft(current);

  const invalid = current.error !== undefined;
  const { reportInvalid } = env;
  useEffect(() => {
    reportInvalid(common.id, invalid);
    return () => reportInvalid(common.id, false);
  }, [reportInvalid, common.id, invalid]);

  const edit = (text: string) => {
    if (text.trim() === '') {
      setDraft({ text, from: required ? value : undefined, error: required ? 'Required' : undefined });
      if (!required) onValue(undefined);
      return;
    }
    try {
      const parsed: unknown = JSON.parse(text);
      setDraft({ text, from: parsed });
      onValue(parsed);
    } catch (err) {
      setDraft({ text, from: value, error: `Not valid JSON: ${(err as Error).message}` });
    }
  };
  return (
    <div className="wf-expression">
      <TextAreaField
        {...common}
        hint={[common.hint, 'JSON'].filter(Boolean).join('. ')}
        error={current.error ?? common.error}
        className="wf-code"
        rows={Math.min(12, Math.max(3, current.text.split('\n').length))}
        spellCheck={false}
        value={current.text}
        onChange={(e) => edit(e.target.value)}
      />
      {templated && <Suggestions id={common.id} label={common.label} wrap onInsert={(s) => insertAtCaret(common.id, current.text, s, edit)} />}
    </div>
  );
}

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { Link } from 'react-router';
import type { z } from 'zod';
import { MAX_LIST_ITEMS, type createAgentSchema, type UpdateAgentInput } from '@server/agents/dto';
import { PROVIDERS, type ProviderId } from '@server/models/providers';
import { useSession } from '../../auth/session';
import { errorMessage } from '../../api/errors';
import { Badge } from '../../components/badge';
import { Button } from '../../components/button';
import { Dialog } from '../../components/dialog';
import { FormError, TextAreaField, TextField } from '../../components/fields';
import { useZodForm } from '../../components/use-zod-form';
import { blankToUndefined, friendlyMessage } from '../../components/zod-messages';
import { agentKeys, agentsApi, type Agent, type CatalogModel, type ToolInfo } from './api';
import { formatPerMtok, formatTokens } from './format';
import { createFormSchema, draftFormSchema, formValuesOf, updateFormSchema, withFieldErrors, type AgentFormValues } from './form-values';

/** Create (no `agent`) or edit an agent; validated with the server's own schemas before sending. */
export function AgentForm({ agent, onSaved, cancelTo }: { agent: Agent | null; onSaved: (agent: Agent) => void; cancelTo: string }) {
  const queryClient = useQueryClient();
  // The values and the version the form started from: saving over a change made meanwhile is a 409.
  const [initial] = useState(() => formValuesOf(agent));
  const [startVersion] = useState(agent?.version);
  const form = useZodForm({
    schema: agent ? updateFormSchema(startVersion ?? agent.version) : createFormSchema,
    initial,
    idPrefix: 'agent',
    submit: (body) => withFieldErrors(agent ? agentsApi.update(agent.id, body as UpdateAgentInput) : agentsApi.create(body as z.output<typeof createAgentSchema>)),
    onSuccess: (saved) => {
      void queryClient.invalidateQueries({ queryKey: agentKeys.all });
      onSaved(saved);
    },
  });
  const values = form.values as AgentFormValues;
  /** The error of a list field: on the list, or on one of its items (`tools.3`). */
  const listError = (name: string) => {
    for (let i = -1; i < MAX_LIST_ITEMS; i++) {
      const e = form.errorFor(i < 0 ? name : `${name}.${i}`);
      if (e) return e;
    }
    return undefined;
  };

  return (
    <form onSubmit={form.handleSubmit} noValidate className="agent-form">
      <fieldset className="card form-section">
        <legend>Basics</legend>
        <div className="form-grid">
          <TextField label="Name" required autoFocus={!agent} {...form.field('name')} />
          <TextField label="Role" hint={'Reads after "You are <name>, ", e.g. "a support specialist for Acme".'} {...form.field('role')} />
        </div>
        <TextAreaField label="Description" rows={2} hint="For people: what this agent is for." {...form.field('description')} />
        <TextField label="Tags" hint="Comma-separated, e.g. support, front desk." {...form.field('tags')} error={listError('tags')} />
      </fieldset>

      <fieldset className="card form-section">
        <legend>Model</legend>
        <ModelPicker value={values.model} onChange={(m) => form.setValue('model', m)} error={form.errorFor('model')} />
        <TextField
          label="Fallback models"
          hint="Comma-separated provider:model ids, tried in order when the model fails. When all fail, the run fails; end with rules:default for the offline rules model's fixed reply instead."
          {...form.field('fallbackModels')}
          error={listError('fallbackModels')}
        />
        <div className="form-grid form-grid-3">
          <TextField label="Temperature" inputMode="decimal" hint="0–2; blank: provider default." {...form.field('temperature')} />
          <TextField label="Top P" inputMode="decimal" hint="0–1; blank: provider default." {...form.field('topP')} />
          <TextField label="Max output tokens" inputMode="numeric" hint="Per model call; blank: provider default." {...form.field('maxOutputTokens')} />
        </div>
      </fieldset>

      <fieldset className="card form-section">
        <legend>Instructions and personality</legend>
        <TextAreaField label="Instructions" rows={8} hint="What the agent does and how; part of its system prompt." {...form.field('instructions')} />
        <DraftPromptPreview values={values} />
        <TextField label="Personality traits" hint="Comma-separated, e.g. warm, concise." {...form.field('personality.traits')} error={listError('personality.traits')} />
        <div className="form-grid form-grid-3">
          <TextField label="Tone" hint="e.g. friendly but professional" {...form.field('personality.tone')} />
          <TextField label="Behavior" hint="e.g. asks before assuming" {...form.field('personality.behavior')} />
          <TextField label="Language style" hint="e.g. plain English, short sentences" {...form.field('personality.languageStyle')} />
        </div>
      </fieldset>

      <fieldset className="card form-section">
        <legend>Tools</legend>
        <ToolPicker
          value={values.tools}
          onChange={(t) => form.setValue('tools', t)}
          approval={values.approvalTools}
          onApprovalChange={(t) => form.setValue('approvalTools', t)}
          error={listError('tools') ?? listError('approvalTools')}
        />
      </fieldset>

      <fieldset className="card form-section">
        <legend>Limits and budget</legend>
        <div className="form-grid form-grid-4">
          <TextField label="Max steps" inputMode="numeric" hint="Model calls per run, 1–200." {...form.field('limits.maxSteps')} />
          <TextField label="Timeout (seconds)" inputMode="numeric" hint="Per run, up to 86400." {...form.field('limits.timeoutSeconds')} />
          <TextField label="Runs per minute" inputMode="numeric" hint="Runs started (chats, tasks); more wait, queued. Blank: unlimited." {...form.field('limits.actionsPerMinute')} />
          <TextField label="Runs per hour" inputMode="numeric" hint="Runs started (chats, tasks); more wait, queued. Blank: unlimited." {...form.field('limits.actionsPerHour')} />
        </div>
        <div className="form-grid form-grid-fill">
          <TextField
            label="Monthly budget (USD)"
            inputMode="decimal"
            hint="Billed cost per calendar month, in dollars (e.g. 25 or 12.50); blank: no budget. Runs stop when it is spent."
            {...form.field('limits.monthlyBudgetMicros')}
          />
        </div>
      </fieldset>

      <fieldset className="card form-section">
        <legend>Memory</legend>
        <div className="form-grid">
          <TextField label="History length" inputMode="numeric" hint="Past messages sent to the model, 0–1000." {...form.field('memory.historyLength')} />
          <TextField
            label="Context budget (tokens)"
            inputMode="numeric"
            hint="Tokens for history; blank: the model's window minus the reply."
            {...form.field('memory.contextBudget')}
          />
        </div>
      </fieldset>

      {agent && (
        <fieldset className="card form-section">
          <legend>Version</legend>
          <TextField label="Change note" hint={`Saved with version ${(startVersion ?? agent.version) + 1} in the history.`} {...form.field('changeNote')} />
        </fieldset>
      )}

      <FormError message={form.formError} />
      <div className="form-actions agent-form-actions">
        <Link className="btn btn-secondary" to={cancelTo}>
          Cancel
        </Link>
        <Button type="submit" variant="primary" busy={form.submitting}>
          {agent ? 'Save changes' : 'Create agent'}
        </Button>
      </div>
    </form>
  );
}

const CUSTOM = '__custom__';

/** The model: a catalog model (grouped by provider, with context size and prices) or any `provider:model` id. */
function ModelPicker({ value, onChange, error }: { value: string; onChange: (model: string) => void; error: string | undefined }) {
  const id = 'agent-model';
  const models = useQuery({ queryKey: agentKeys.models, queryFn: ({ signal }) => agentsApi.models(signal), staleTime: 5 * 60_000 });
  const catalog = models.data ?? [];
  const selected = catalog.find((m) => m.id === value);
  const [customChosen, setCustomChosen] = useState(false);
  const custom = customChosen || (value !== '' && models.isSuccess && !selected);
  const byProvider = new Map<string, CatalogModel[]>();
  for (const m of catalog) byProvider.set(m.provider, [...(byProvider.get(m.provider) ?? []), m]);
  const describedBy = [error ? `${id}-error` : null, `${id}-hint`].filter(Boolean).join(' ');

  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={custom ? `${id}-select` : id}>Model</label>
      <select
        id={custom ? `${id}-select` : id}
        name={custom ? undefined : 'model'}
        value={custom ? CUSTOM : value}
        aria-invalid={error && !custom ? true : undefined}
        aria-describedby={describedBy}
        aria-required
        onChange={(e) => {
          if (e.target.value === CUSTOM) {
            setCustomChosen(true);
            return;
          }
          setCustomChosen(false);
          onChange(e.target.value);
        }}
      >
        <option value="">{models.isPending ? 'Loading models…' : 'Choose a model'}</option>
        {[...byProvider].map(([provider, list]) => (
          <optgroup key={provider} label={PROVIDERS[provider as ProviderId]?.label ?? provider}>
            {list.map((m) => (
              <option key={m.id} value={m.id}>
                {m.displayName} — {formatTokens(m.contextWindow)} context, {formatPerMtok(m.pricing.inputPerMtokMicros)} / {formatPerMtok(m.pricing.outputPerMtokMicros)} per 1M tokens
              </option>
            ))}
          </optgroup>
        ))}
        <option value={CUSTOM}>Another model (type its id)…</option>
      </select>
      {custom && (
        <>
          <label htmlFor={id} className="visually-hidden">
            Model id
          </label>
          <input
            id={id}
            name="model"
            value={value}
            placeholder="provider:model, e.g. ollama:llama3.2"
            aria-invalid={error ? true : undefined}
            aria-describedby={describedBy}
            onChange={(e) => onChange(e.target.value)}
          />
        </>
      )}
      <div id={`${id}-hint`} className="field-hint">
        {selected ? <ModelDetails model={selected} /> : custom ? 'Any provider:model id: openai, anthropic, groq, google, openrouter, ollama, openai-compatible, rules.' : 'Prices are per million tokens (input / output).'}
      </div>
      {models.isError && <p className="field-hint">The model catalog could not be loaded; choose “Another model” and type an id.</p>}
      {error && (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}

function ModelDetails({ model }: { model: CatalogModel }) {
  return (
    <span className="model-details">
      <span>
        <strong>{PROVIDERS[model.provider].label}</strong> · <code>{model.id}</code>
      </span>
      <span>{formatTokens(model.contextWindow)} tokens context</span>
      <span>{formatTokens(model.maxOutputTokens)} max output</span>
      <span>
        {formatPerMtok(model.pricing.inputPerMtokMicros)} input / {formatPerMtok(model.pricing.outputPerMtokMicros)} output per 1M tokens
      </span>
      {model.configured ? <Badge tone="success">ready to call</Badge> : <Badge tone="warning">no credential for this provider</Badge>}
    </span>
  );
}

/** Tools as checkboxes, each with its description; tools your role may not grant are disabled. */
function ToolPicker({
  value,
  onChange,
  approval,
  onApprovalChange,
  error,
}: {
  value: string[];
  onChange: (tools: string[]) => void;
  /** Tools of this agent that wait for a person before each call (the agent's `approvalTools`). */
  approval: string[];
  onApprovalChange: (tools: string[]) => void;
  error: string | undefined;
}) {
  const { role } = useSession();
  const tools = useQuery({ queryKey: agentKeys.tools, queryFn: ({ signal }) => agentsApi.tools(signal), staleTime: 5 * 60_000 });
  const groupId = useId();
  if (tools.isPending) return <p className="muted">Loading tools…</p>;
  if (tools.isError) return <p className="field-error">The tool catalog could not be loaded.</p>;
  const known = new Set(tools.data.map((t) => t.name));
  const unknown = value.filter((t) => !known.has(t));
  const toggle = (name: string, on: boolean) => onChange(on ? [...value, name] : value.filter((t) => t !== name));
  return (
    <div role="group" aria-labelledby={`${groupId}-label`} aria-describedby={error ? 'agent-tools-error' : undefined} className={error ? 'field-invalid' : undefined}>
      <p id={`${groupId}-label`} className="field-hint">
        {value.length} selected. Tools marked “approval” always wait for a person before each call; for the others, you choose.
      </p>
      <ul className="tool-list">
        {tools.data.map((t: ToolInfo) => {
          const grantable = !role || t.grantRoles.includes(role);
          const id = `agent-tool-${t.name}`;
          return (
            <li key={t.name} className="tool-option">
              <input
                id={id}
                type="checkbox"
                name="tools"
                checked={value.includes(t.name)}
                disabled={!grantable && !value.includes(t.name)}
                aria-describedby={`${id}-desc`}
                onChange={(e) => toggle(t.name, e.target.checked)}
              />
              <label htmlFor={id}>
                <code>{t.name}</code> <Badge>{t.category}</Badge>
                {t.requiresApproval && <Badge tone="warning">approval</Badge>}
              </label>
              <p id={`${id}-desc`} className="tool-description">
                {t.description}
                {!grantable && ` (Only ${t.grantRoles.join(' or ')} may give agents this tool.)`}
              </p>
              {value.includes(t.name) && !t.requiresApproval && (
                <div className="tool-approval">
                  <input
                    id={`agent-approval-${t.name}`}
                    type="checkbox"
                    checked={approval.includes(t.name)}
                    onChange={(e) => onApprovalChange(e.target.checked ? [...approval, t.name] : approval.filter((n) => n !== t.name))}
                  />
                  <label htmlFor={`agent-approval-${t.name}`}>Ask a person before each {t.name} call</label>
                </div>
              )}
            </li>
          );
        })}
        {unknown.map((name) => (
          <li key={name} className="tool-option">
            <input id={`agent-tool-${name}`} type="checkbox" name="tools" checked onChange={() => toggle(name, false)} />
            <label htmlFor={`agent-tool-${name}`}>
              <code>{name}</code> <Badge tone="danger">unknown tool</Badge>
            </label>
          </li>
        ))}
      </ul>
      {error && (
        <p id="agent-tools-error" className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}

/** The system prompt the form's current values would give (`POST /agents/prompt-preview`; nothing is saved). */
function DraftPromptPreview({ values }: { values: AgentFormValues }) {
  const [open, setOpen] = useState(false);
  const preview = useMutation({
    mutationFn: async (v: AgentFormValues) => {
      const draft = draftFormSchema.safeParse(blankToUndefined(v), { error: friendlyMessage });
      if (!draft.success) {
        const issue = draft.error.issues[0]!;
        throw new Error(`Fix ${issue.path.join('.') || 'the form'} first: ${issue.message}`);
      }
      return agentsApi.previewPrompt(draft.data);
    },
  });
  return (
    <div>
      <Button
        onClick={() => {
          setOpen(true);
          preview.mutate(values);
        }}
      >
        Preview system prompt
      </Button>
      <Dialog open={open} onClose={() => setOpen(false)} title="System prompt preview">
        <div className="stack">
          {preview.isPending && <p className="muted">Composing…</p>}
          {preview.isError && (
            <p role="alert" className="form-error">
              {errorMessage(preview.error)}
            </p>
          )}
          {preview.data && (
            <pre className="prompt-text" data-testid="draft-prompt">
              {preview.data.systemPrompt}
            </pre>
          )}
          <div className="form-actions">
            <Button onClick={() => setOpen(false)}>Close</Button>
          </div>
        </div>
      </Dialog>
    </div>
  );
}

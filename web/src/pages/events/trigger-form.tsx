import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Link } from 'react-router';
import { z } from 'zod';
import { ApiError } from '../../api/errors';
import { Button } from '../../components/button';
import { CheckboxField, FormError, SelectField, TextAreaField, TextField } from '../../components/fields';
import { useZodForm } from '../../components/use-zod-form';
import { agentsQuery } from '../runs/api';
import { EVENT_PATTERN_HINT, EVENT_PATTERN_RE, eventKeys, eventsApi, workflowsQuery, type Trigger } from './api';

interface TriggerValues {
  name: string;
  eventType: string;
  filter: string;
  /** Form only: which of the two targets the trigger starts. */
  target: 'agent' | 'workflow';
  agentId: string;
  task: string;
  workflowId: string;
  /** JSON text of the workflow's templated input (blank: the event's payload). */
  input: string;
  /** Form only: at most one fire per key in a window (throttle), or one run after a burst (debounce). */
  pacing: 'none' | 'throttle' | 'debounce';
  throttleKey: string;
  throttleSeconds: string;
  debounceKey: string;
  debounceSeconds: string;
  maxConcurrentRuns: string;
  enabled: boolean;
}

/**
 * dto.ts `createTriggerBody` as this form fills it: the target not chosen is sent as null (so an
 * edit that switches target clears the other), the input is parsed from JSON text, blanks are null.
 * What only the server can judge (a JSONata filter, a template, whose agent it is) it answers on
 * the field with a 400.
 */
const formSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    eventType: z.string().trim().min(1).max(200).regex(EVENT_PATTERN_RE, EVENT_PATTERN_HINT),
    filter: z.string().max(10_000).optional(),
    target: z.enum(['agent', 'workflow']),
    agentId: z.string().optional(),
    task: z.string().max(50_000).optional(),
    workflowId: z.string().optional(),
    input: z.string().optional(),
    pacing: z.enum(['none', 'throttle', 'debounce']),
    throttleKey: z.string().max(50_000).optional(),
    throttleSeconds: z.coerce.number().int().min(1).max(30 * 86_400).optional(),
    debounceKey: z.string().max(50_000).optional(),
    debounceSeconds: z.coerce.number().int().min(1).max(86_400).optional(),
    maxConcurrentRuns: z.coerce.number().int().min(1).max(10_000).optional(),
    enabled: z.boolean(),
  })
  .superRefine((v, ctx) => {
    if (v.target === 'workflow' && v.input?.trim()) {
      try {
        JSON.parse(v.input);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['input'], message: `Not valid JSON: ${(err as Error).message}` });
      }
    }
    if (v.pacing === 'debounce') {
      if (!v.debounceKey?.trim()) ctx.addIssue({ code: 'custom', path: ['debounceKey'], message: 'A debounce needs a key' });
      if (!v.debounceSeconds) ctx.addIssue({ code: 'custom', path: ['debounceSeconds'], message: 'A debounce needs its seconds' });
    }
  })
  .transform(({ target, pacing, ...v }) => ({
    name: v.name,
    eventType: v.eventType,
    filter: v.filter ?? null,
    agentId: target === 'agent' ? (v.agentId ?? null) : null,
    task: target === 'agent' ? (v.task ?? null) : null,
    workflowId: target === 'workflow' ? (v.workflowId ?? null) : null,
    input: target === 'workflow' && v.input?.trim() ? (JSON.parse(v.input) as unknown) : null,
    throttleKey: pacing === 'throttle' ? (v.throttleKey ?? null) : null,
    throttleSeconds: pacing === 'throttle' ? (v.throttleSeconds ?? null) : null,
    debounce: pacing === 'debounce' && v.debounceKey && v.debounceSeconds ? { key: v.debounceKey, seconds: v.debounceSeconds } : null,
    maxConcurrentRuns: v.maxConcurrentRuns ?? null,
    enabled: v.enabled,
  }));

const toValues = (t: Trigger | undefined): TriggerValues => ({
  name: t?.name ?? '',
  eventType: t?.eventType ?? '',
  filter: t?.filter ?? '',
  target: t?.workflowId ? 'workflow' : 'agent',
  agentId: t?.agentId ?? '',
  task: t?.task ?? '',
  workflowId: t?.workflowId ?? '',
  input: t?.input === null || t?.input === undefined ? '' : JSON.stringify(t.input, null, 2),
  pacing: t?.debounce ? 'debounce' : t?.throttleKey || t?.throttleSeconds ? 'throttle' : 'none',
  throttleKey: t?.throttleKey ?? '',
  throttleSeconds: t?.throttleSeconds ? String(t.throttleSeconds) : '',
  debounceKey: t?.debounce?.key ?? '',
  debounceSeconds: t?.debounce ? String(t.debounce.seconds) : '',
  maxConcurrentRuns: t?.maxConcurrentRuns ? String(t.maxConcurrentRuns) : '',
  enabled: t?.enabled ?? true,
});

/**
 * The server names a template problem inside the input (`body.input.n`): shown on the input field,
 * with the path; the debounce's parts (`body.debounce.key`) on their own fields.
 */
function foldInputPaths(err: unknown): unknown {
  if (!(err instanceof ApiError) || !err.errors.some((e) => e.path.startsWith('body.input.') || e.path.startsWith('body.debounce'))) return err;
  const fold = (path: string) => (path === 'body.debounce.seconds' ? 'body.debounceSeconds' : path.startsWith('body.debounce') ? 'body.debounceKey' : path);
  const errors = err.errors.map((e) => (e.path.startsWith('body.input.') ? { path: 'body.input', message: `${e.path.slice('body.'.length)}: ${e.message}` } : { ...e, path: fold(e.path) }));
  return new ApiError({ status: err.status, code: err.code, detail: err.detail, errors, requestId: err.requestId });
}

/** Create a trigger, or edit one that is not a workflow's; validated here, then by the server, whose 400s show on their fields. */
export function TriggerForm({ trigger, onSaved }: { trigger?: Trigger; onSaved: (saved: Trigger) => void }) {
  const queryClient = useQueryClient();
  const agents = useQuery(agentsQuery);
  const workflows = useQuery(workflowsQuery);
  const form = useZodForm({
    schema: formSchema,
    initial: toValues(trigger),
    idPrefix: 'trigger',
    submit: async (body) => {
      // An edit leaves `enabled` to the page's switch (a save must not undo a flip made meanwhile).
      const { enabled: _enabled, ...edits } = body;
      try {
        return trigger ? await eventsApi.updateTrigger(trigger.id, edits) : await eventsApi.createTrigger(body);
      } catch (err) {
        throw foldInputPaths(err);
      }
    },
    onSuccess: (saved) => {
      queryClient.setQueryData(eventKeys.trigger(saved.id), saved);
      void queryClient.invalidateQueries({ queryKey: eventKeys.triggers, exact: true });
      onSaved(saved);
    },
  });
  const values = form.values as TriggerValues;
  // A new trigger starts with the first agent and the first active workflow picked.
  const { setValue } = form;
  const firstAgent = agents.data?.items[0]?.id;
  const firstWorkflow = workflows.data?.items.find((w) => !w.archivedAt)?.id;
  useEffect(() => {
    if (!values.agentId && firstAgent) setValue('agentId', firstAgent);
  }, [values.agentId, firstAgent, setValue]);
  useEffect(() => {
    if (!values.workflowId && firstWorkflow) setValue('workflowId', firstWorkflow);
  }, [values.workflowId, firstWorkflow, setValue]);
  const options = (items: { id: string; name: string }[] | undefined, pending: boolean, none: string) =>
    pending ? [{ value: '', label: 'Loading…' }] : items?.length ? items.map((x) => ({ value: x.id, label: x.name })) : [{ value: '', label: none }];

  return (
    <form onSubmit={form.handleSubmit} noValidate className="card stack" aria-label={trigger ? 'Edit trigger' : 'New trigger'}>
      <div className="work-form-grid">
        <TextField label="Name" required autoComplete="off" {...form.field('name')} />
        <TextField label="Event type" required autoComplete="off" spellCheck={false} placeholder="form.submitted or form.*" hint={EVENT_PATTERN_HINT} {...form.field('eventType')} />
      </div>
      <TextAreaField
        label="Filter (JSONata, optional)"
        rows={2}
        spellCheck={false}
        className="mono"
        placeholder='event.payload.email != null and event.payload.plan = "pro"'
        hint="Over {event, env}: the trigger fires only when it is true. Blank: every event of the type."
        {...form.field('filter')}
      />
      <fieldset className="segmented">
        <legend>Starts</legend>
        {(['agent', 'workflow'] as const).map((k) => (
          <label key={k}>
            <input type="radio" name="target" value={k} checked={values.target === k} onChange={() => form.setValue('target', k)} />
            {k === 'agent' ? 'An agent run' : 'A workflow run'}
          </label>
        ))}
      </fieldset>
      {values.target === 'agent' ? (
        <>
          <SelectField label="Agent" required options={options(agents.data?.items, agents.isPending, 'No agents yet')} {...form.field('agentId')} />
          <TextAreaField
            label="Task"
            required
            rows={3}
            placeholder="Welcome {{ event.payload.name }} <{{ event.payload.email }}>"
            hint="What the agent is asked to do; {{ … }} is replaced by a JSONata value over {event, env}."
            {...form.field('task')}
          />
        </>
      ) : (
        <>
          <SelectField label="Workflow" required options={options(workflows.data?.items.filter((w) => !w.archivedAt || w.id === values.workflowId), workflows.isPending, 'No workflows yet')} {...form.field('workflowId')} />
          <TextAreaField
            label="Input (JSON, optional)"
            rows={4}
            spellCheck={false}
            className="mono"
            placeholder='{"email": "{{ event.payload.email }}"}'
            hint="The run's input; strings may hold {{ … }} templates. Blank: the event's payload."
            {...form.field('input')}
          />
        </>
      )}
      <fieldset className="segmented">
        <legend>Per key</legend>
        {(
          [
            ['none', 'Every event'],
            ['throttle', 'Throttle'],
            ['debounce', 'Debounce'],
          ] as const
        ).map(([k, text]) => (
          <label key={k}>
            <input type="radio" name="pacing" value={k} checked={values.pacing === k} onChange={() => form.setValue('pacing', k)} />
            {text}
          </label>
        ))}
      </fieldset>
      {values.pacing === 'throttle' && (
        <div className="work-form-grid">
          <TextField label="Throttle key" autoComplete="off" spellCheck={false} placeholder="{{ event.payload.email }}" hint="At most one fire per key…" {...form.field('throttleKey')} />
          <TextField label="Throttle seconds" type="number" min={1} max={30 * 86_400} inputMode="numeric" hint="…in this many seconds (3600: an hour)." {...form.field('throttleSeconds')} />
        </div>
      )}
      {values.pacing === 'debounce' && (
        <div className="work-form-grid">
          <TextField label="Debounce key" required autoComplete="off" spellCheck={false} placeholder="{{ event.payload.contact }}" hint="Events with the same key that come close together make one run…" {...form.field('debounceKey')} />
          <TextField
            label="Debounce seconds"
            required
            type="number"
            min={1}
            max={86_400}
            inputMode="numeric"
            hint="…this long after the last of them, with the last event ({{ debounce.count }}: how many)."
            {...form.field('debounceSeconds')}
          />
        </div>
      )}
      <TextField
        label="Concurrent runs at most (optional)"
        type="number"
        min={1}
        max={10_000}
        inputMode="numeric"
        hint="Runs of this trigger active at once (queued, running or waiting); further fires wait their turn. Blank: no limit."
        {...form.field('maxConcurrentRuns')}
      />
      {!trigger && <CheckboxField id="trigger-enabled" name="enabled" label="Enabled" checked={values.enabled} onChange={(e) => form.setValue('enabled', e.target.checked)} />}
      <FormError message={form.formError} />
      <div className="form-actions">
        {trigger && form.succeeded && (
          <span role="status" className="success">
            Saved.
          </span>
        )}
        <Link className="btn btn-secondary" to="/events/triggers">
          {trigger ? 'Back to triggers' : 'Cancel'}
        </Link>
        <Button type="submit" variant="primary" busy={form.submitting}>
          {trigger ? 'Save trigger' : 'Create trigger'}
        </Button>
      </div>
    </form>
  );
}

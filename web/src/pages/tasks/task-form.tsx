import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { z } from 'zod';
import { Link, useNavigate } from 'react-router';
import { createTaskBody } from '@server/tasks/dto';
import { TASK_KINDS, TASK_PRIORITIES } from '@server/tasks/enums';
import { Button } from '../../components/button';
import { FormError, SelectField, TextAreaField, TextField } from '../../components/fields';
import { useZodForm } from '../../components/use-zod-form';
import { agentsQuery } from '../runs/api';
import { tasksApi, type Task, type TaskKind, type TaskPriority } from './api';
import { browserTimeZone, CronBuilder } from './cron-builder';
import { DEFAULT_PRESET, toCron } from './schedule-presets';

interface TaskFormValues {
  agentId: string;
  title: string;
  instructions: string;
  /** JSON text of an object. */
  context: string;
  priority: TaskPriority;
  kind: TaskKind;
  schedule: {
    /** Form only: a cron schedule or one time. */
    repeat: 'cron' | 'once';
    cron: string;
    timezone: string;
    /** `datetime-local` text, in the browser's time zone. */
    onceAt: string;
    misfire: 'skip' | 'run_once';
  };
}

/** `datetime-local` text (the browser's zone) to an ISO instant; text that is no date stays as it is, for the schema to name. */
const localToIso = (local: string) => {
  const at = new Date(local);
  return Number.isNaN(at.getTime()) ? local : at.toISOString();
};
const pad = (n: number) => String(n).padStart(2, '0');
/** An ISO instant as `datetime-local` text in the browser's zone. */
const isoToLocal = (iso: string | null | undefined) => {
  if (!iso) return '';
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};

/** The form's schedule as the server takes it: a cron expression in a zone, or one time. */
function scheduleOf(s: Partial<TaskFormValues['schedule']>) {
  // An empty time is not left to the server schema's "give exactly one of cron or onceAt" (on the
  // hidden cron field): as text that is no date, it fails on the time field itself.
  if (s.repeat === 'once') return { onceAt: s.onceAt ? localToIso(s.onceAt) : 'not a time', misfire: s.misfire };
  return { cron: s.cron, timezone: s.timezone, misfire: s.misfire };
}

/** JSON text → an object (blank → none), with a message next to the field when it is not one. */
const contextJson = z
  .string()
  .optional()
  .transform((text, ctx) => {
    if (!text?.trim()) return undefined;
    try {
      const value: unknown = JSON.parse(text);
      if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
      ctx.addIssue({ code: 'custom', message: 'Must be a JSON object, e.g. {"customerId": 42}' });
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `Not valid JSON: ${(err as Error).message}` });
    }
    return z.NEVER;
  });

/** The server's create schema, with the context typed as JSON text and the schedule only for scheduled tasks. */
const formSchema = z.preprocess(
  (v) => {
    if (!v || typeof v !== 'object') return v;
    const f = v as { kind?: string; schedule?: Partial<TaskFormValues['schedule']> };
    return { ...f, schedule: f.kind === 'scheduled' ? scheduleOf(f.schedule ?? {}) : undefined };
  },
  createTaskBody.extend({ context: contextJson, kind: z.enum(TASK_KINDS) }),
);

const toValues = (task: Task | undefined, agentId: string): TaskFormValues => ({
  agentId: task?.agentId ?? agentId,
  title: task?.title ?? '',
  instructions: task?.instructions ?? '',
  context: task && Object.keys(task.context).length ? JSON.stringify(task.context, null, 2) : '',
  priority: task?.priority ?? 'normal',
  kind: task?.kind ?? 'adhoc',
  schedule: {
    repeat: task?.schedule?.onceAt ? 'once' : 'cron',
    // A new schedule (or a one-off turned repeating) starts as every day at 09:00, in the browser's zone.
    cron: task?.schedule?.cron ?? toCron(DEFAULT_PRESET),
    timezone: task?.schedule?.timezone ?? browserTimeZone(),
    onceAt: isoToLocal(task?.schedule?.onceAt),
    misfire: task?.schedule?.misfire ?? 'run_once',
  },
});

const PRIORITY_LABELS: Record<TaskPriority, string> = { low: 'Low', normal: 'Normal', high: 'High', urgent: 'Urgent' };

/** Create a task (ad-hoc or scheduled) or edit one; validated with the server's schema, then by the server. */
export function TaskForm({ task, initialKind }: { task?: Task; initialKind?: TaskKind }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const agents = useQuery(agentsQuery);
  const firstAgent = agents.data?.items[0]?.id ?? '';
  const initial = toValues(task, '');
  if (!task && initialKind) initial.kind = initialKind;

  const form = useZodForm({
    schema: formSchema,
    initial,
    idPrefix: 'task',
    submit: async (data) => {
      const { kind: _kind, ...body } = data;
      if (!task) return tasksApi.create(body);
      return tasksApi.update(task.id, {
        ...body,
        context: body.context ?? {},
        schedule: body.schedule ? { ...body.schedule, paused: task.schedule?.paused ?? false } : null,
      });
    },
    onSuccess: async (saved) => {
      queryClient.setQueryData(['tasks', 'detail', saved.id], saved);
      await queryClient.invalidateQueries({ queryKey: ['tasks'] });
      void navigate(`/tasks/${saved.id}`);
    },
  });
  const values = form.values as TaskFormValues;
  // The first agent is picked once the list arrives (a new task, nobody chose yet).
  const { setValue } = form;
  const noAgentYet = !task && !values.agentId;
  useEffect(() => {
    if (noAgentYet && firstAgent) setValue('agentId', firstAgent);
  }, [noAgentYet, firstAgent, setValue]);
  const agentField = form.field('agentId');

  return (
    <form onSubmit={form.handleSubmit} noValidate className="card stack" aria-label={task ? 'Edit task' : 'New task'}>
      <fieldset className="segmented">
        <legend>Kind</legend>
        {(['adhoc', 'scheduled'] as const).map((k) => (
          <label key={k}>
            <input type="radio" name="kind" value={k} checked={values.kind === k} onChange={() => form.setValue('kind', k)} />
            {k === 'adhoc' ? 'Ad-hoc (run when asked)' : 'Scheduled'}
          </label>
        ))}
      </fieldset>
      <div className="work-form-grid">
        <SelectField
          {...agentField}
          label="Agent"
          required
          disabled={agents.isPending}
          hint={agents.data && agents.data.items.length === 0 ? 'Create an agent first.' : undefined}
          options={[
            ...(agents.isPending ? [{ value: '', label: 'Loading agents…' }] : agents.data?.items.length ? [] : [{ value: '', label: 'No agents yet' }]),
            ...(agents.data?.items ?? []).map((a) => ({ value: a.id, label: a.name })),
          ]}
        />
        <SelectField {...form.field('priority')} label="Priority" options={TASK_PRIORITIES.map((p) => ({ value: p, label: PRIORITY_LABELS[p] }))} />
      </div>
      <TextField {...form.field('title')} label="Title" required maxLength={200} placeholder="Weekly membership report" />
      <TextAreaField {...form.field('instructions')} label="Instructions" required rows={5} hint="What the agent should do each time the task runs." />
      <TextAreaField
        {...form.field('context')}
        label="Context (JSON, optional)"
        rows={3}
        spellCheck={false}
        placeholder='{"location": "Downtown"}'
        hint="Data the agent gets with the task: a JSON object."
        className="mono"
      />
      {values.kind === 'scheduled' && (
        <>
          <fieldset className="segmented">
            <legend>Runs</legend>
            {(['cron', 'once'] as const).map((r) => (
              <label key={r}>
                <input type="radio" name="repeat" value={r} checked={values.schedule.repeat === r} onChange={() => form.setValue('schedule.repeat', r)} />
                {r === 'cron' ? 'Repeatedly' : 'Once, at a set time'}
              </label>
            ))}
          </fieldset>
          {values.schedule.repeat === 'once' ? (
            <TextField {...form.field('schedule.onceAt')} type="datetime-local" label="Run at" required hint={`In your time zone (${browserTimeZone()}).`} />
          ) : (
            <CronBuilder cron={form.field('schedule.cron')} timezone={form.field('schedule.timezone')} misfire={form.field('schedule.misfire')} setValue={form.setValue} />
          )}
        </>
      )}
      <FormError message={form.formError} />
      <div className="form-actions">
        <Link className="btn btn-secondary" to={task ? `/tasks/${task.id}` : '/tasks'}>
          Cancel
        </Link>
        <Button type="submit" variant="primary" busy={form.submitting}>
          {task ? 'Save task' : 'Create task'}
        </Button>
      </div>
    </form>
  );
}

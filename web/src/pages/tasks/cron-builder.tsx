import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { MISFIRE_POLICIES } from '@server/schedules/enums';
import { errorMessage, isApiError } from '../../api/errors';
import { SelectField, TextField } from '../../components/fields';
import type { FieldProps } from '../../components/use-zod-form';
import { tasksApi } from './api';
import { fromCron, MINUTE_STEPS, PRESET_LABELS, switchKind, toCron, WEEKDAYS, type PresetKind, type SchedulePreset } from './schedule-presets';
import { useDebounced } from './use-debounced';

export const browserTimeZone = () => {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
};

function timeZones(current: string): string[] {
  let zones: string[] = [];
  try {
    zones = Intl.supportedValuesOf('timeZone');
  } catch {
    zones = [];
  }
  return [...new Set(['UTC', browserTimeZone(), current, ...zones])].filter(Boolean);
}

const MISFIRE_LABELS: Record<(typeof MISFIRE_POLICIES)[number], string> = {
  run_once: 'Run once for the missed fires',
  skip: 'Skip missed fires',
};

/**
 * A schedule picked without cron (every N minutes, hourly, daily, weekly on chosen days, monthly, at
 * a time), or a cron expression typed by hand ("custom"). The form holds only the expression: a
 * preset writes it, and an existing one opens the preset it matches. The server checks it as it
 * changes (debounced): the expression in words and its next fire times in the chosen zone, or the
 * server's error next to the field it names.
 */
export function CronBuilder({
  cron,
  timezone,
  misfire,
  setValue,
}: {
  cron: FieldProps;
  timezone: FieldProps;
  misfire: FieldProps;
  setValue: (name: string, value: unknown) => void;
}) {
  const [preset, setPreset] = useState<SchedulePreset>(() => fromCron(cron.value));
  const choose = (next: SchedulePreset) => {
    setPreset(next);
    if (next.kind !== 'custom') setValue(cron.name, toCron(next));
  };
  const typed = useMemo(() => ({ cron: cron.value.trim(), timezone: timezone.value || 'UTC' }), [cron.value, timezone.value]);
  const settled = useDebounced(typed, 350);
  const check = useQuery({
    queryKey: ['tasks', 'cron-check', settled.cron, settled.timezone],
    queryFn: ({ signal }) => tasksApi.validateCron(settled.cron, settled.timezone, signal),
    enabled: settled.cron !== '',
    retry: false,
    staleTime: 30_000,
    placeholderData: keepPreviousData,
  });
  const typing = typed.cron !== settled.cron || typed.timezone !== settled.timezone;
  const fields = isApiError(check.error) ? check.error.fieldErrors() : {};
  const liveCronError = !typing && check.isError ? (fields.cron ?? (fields.timezone ? undefined : errorMessage(check.error))) : undefined;
  const liveZoneError = !typing && check.isError ? fields.timezone : undefined;
  const zones = useMemo(() => timeZones(timezone.value), [timezone.value]);
  const previewId = `${cron.id}-preview`;

  return (
    <fieldset className="cron-builder">
      <legend>Schedule</legend>
      <div className="work-form-grid">
        <SelectField
          id={`${cron.id}-repeat`}
          label="Repeats"
          value={preset.kind}
          onChange={(e) => choose(switchKind(preset, e.target.value as PresetKind, cron.value))}
          options={(Object.keys(PRESET_LABELS) as PresetKind[]).map((k) => ({ value: k, label: PRESET_LABELS[k] }))}
        />
        <PresetFields id={cron.id} preset={preset} onChange={choose} />
      </div>
      {preset.kind !== 'custom' && cron.error && (
        <p id={`${cron.id}-error`} className="field-error">
          {preset.kind === 'weekly' && preset.days.length === 0 ? 'Pick at least one day' : cron.error}
        </p>
      )}
      <div className="work-form-grid">
        {preset.kind === 'custom' && (
          <TextField
            {...cron}
            error={cron.error ?? liveCronError}
            label="Cron expression"
            hint="5 fields (minute hour day month weekday), 6 with seconds first, or @daily, @hourly…"
            placeholder="*/5 * * * *"
            autoComplete="off"
            spellCheck={false}
            aria-controls={previewId}
            required
          />
        )}
        <SelectField {...timezone} error={timezone.error ?? liveZoneError} label="Time zone" options={zones.map((z) => ({ value: z, label: z }))} />
        <SelectField {...misfire} label="After downtime" hint="What happens to fires missed while the server was down" options={MISFIRE_POLICIES.map((m) => ({ value: m, label: MISFIRE_LABELS[m] }))} />
      </div>
      <div className="cron-preview" id={previewId} aria-live="polite" data-testid="cron-preview">
        {typed.cron === '' ? (
          <p className="muted">{preset.kind === 'custom' ? 'Type an expression to see when it runs.' : 'Complete the schedule to see when it runs.'}</p>
        ) : typing || (check.isFetching && !check.data) ? (
          <p className="muted">Checking…</p>
        ) : check.isError ? (
          <p className="muted">This schedule does not run; see the error above.</p>
        ) : check.data ? (
          <>
            <p className="cron-description">{check.data.description}</p>
            <p className="small muted">
              Cron: <code data-testid="cron-expression">{settled.cron}</code>
            </p>
            <p className="small muted">Next runs ({check.data.timezone}):</p>
            <ol aria-label="Next fire times">
              {check.data.next.map((t) => (
                <li key={t}>
                  <time dateTime={t}>{new Date(t).toLocaleString(undefined, { timeZone: check.data.timezone, dateStyle: 'medium', timeStyle: 'medium' })}</time>
                </li>
              ))}
            </ol>
          </>
        ) : null}
      </div>
    </fieldset>
  );
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The fields of one preset: the step, the minute, the time, the weekdays or the day of the month. */
function PresetFields({ id, preset, onChange }: { id: string; preset: SchedulePreset; onChange: (p: SchedulePreset) => void }) {
  const time = 'time' in preset && (
    <TextField id={`${id}-time`} type="time" label="At" required value={preset.time} onChange={(e) => onChange({ ...preset, time: e.target.value })} />
  );
  switch (preset.kind) {
    case 'minutes':
      return (
        <SelectField
          id={`${id}-every`}
          label="Every"
          value={String(preset.every)}
          onChange={(e) => onChange({ ...preset, every: Number(e.target.value) })}
          options={MINUTE_STEPS.map((n) => ({ value: String(n), label: n === 1 ? '1 minute' : `${n} minutes` }))}
        />
      );
    case 'hourly':
      return (
        <SelectField
          id={`${id}-minute`}
          label="At minute"
          value={String(preset.minute)}
          onChange={(e) => onChange({ ...preset, minute: Number(e.target.value) })}
          options={Array.from({ length: 60 }, (_, m) => ({ value: String(m), label: `:${pad(m)}` }))}
        />
      );
    case 'daily':
      return time;
    case 'weekly':
      return (
        <>
          {time}
          <fieldset className="weekday-picker">
            <legend>On</legend>
            {WEEKDAYS.map((d) => (
              <label key={d.day} title={d.name}>
                <input
                  type="checkbox"
                  aria-label={d.name}
                  checked={preset.days.includes(d.day)}
                  onChange={(e) => onChange({ ...preset, days: e.target.checked ? [...preset.days, d.day] : preset.days.filter((x) => x !== d.day) })}
                />
                <span aria-hidden="true">{d.short}</span>
              </label>
            ))}
          </fieldset>
        </>
      );
    case 'monthly':
      return (
        <>
          <SelectField
            id={`${id}-day`}
            label="On day"
            value={String(preset.day)}
            hint={preset.day > 28 ? 'Months without this day are skipped.' : undefined}
            onChange={(e) => onChange({ ...preset, day: Number(e.target.value) })}
            options={Array.from({ length: 31 }, (_, i) => ({ value: String(i + 1), label: String(i + 1) }))}
          />
          {time}
        </>
      );
    case 'custom':
      return null;
  }
}

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { MISFIRE_POLICIES } from '@server/schedules/enums';
import { errorMessage, isApiError } from '../../api/errors';
import { Button } from '../../components/button';
import { SelectField, TextField } from '../../components/fields';
import type { FieldProps } from '../../components/use-zod-form';
import { tasksApi } from './api';
import { useDebounced } from './use-debounced';

export const PRESETS: { label: string; cron: string }[] = [
  { label: 'Every 10 seconds', cron: '*/10 * * * * *' },
  { label: 'Every minute', cron: '* * * * *' },
  { label: 'Every 15 minutes', cron: '*/15 * * * *' },
  { label: 'Hourly', cron: '0 * * * *' },
  { label: 'Daily at 09:00', cron: '0 9 * * *' },
  { label: 'Weekdays at 09:00', cron: '0 9 * * 1-5' },
  { label: 'Mondays at 08:00', cron: '0 8 * * 1' },
  { label: 'Monthly on the 1st', cron: '0 9 1 * *' },
];

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
 * A cron expression with presets, checked by the server as you type (debounced): the expression in
 * words and its next fire times in the chosen zone, or the server's error next to the field it names.
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
      <div className="cron-presets" role="group" aria-label="Common schedules">
        {PRESETS.map((p) => (
          <Button key={p.cron} className="btn-small" aria-pressed={typed.cron === p.cron} onClick={() => setValue(cron.name, p.cron)}>
            {p.label}
          </Button>
        ))}
      </div>
      <div className="work-form-grid">
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
        <SelectField {...timezone} error={timezone.error ?? liveZoneError} label="Time zone" options={zones.map((z) => ({ value: z, label: z }))} />
        <SelectField {...misfire} label="After downtime" hint="What happens to fires missed while the server was down" options={MISFIRE_POLICIES.map((m) => ({ value: m, label: MISFIRE_LABELS[m] }))} />
      </div>
      <div className="cron-preview" id={previewId} aria-live="polite" data-testid="cron-preview">
        {typed.cron === '' ? (
          <p className="muted">Type an expression or pick a preset to see when it runs.</p>
        ) : typing || (check.isFetching && !check.data) ? (
          <p className="muted">Checking…</p>
        ) : check.isError ? (
          <p className="muted">This expression does not run; see the error above.</p>
        ) : check.data ? (
          <>
            <p className="cron-description">{check.data.description}</p>
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

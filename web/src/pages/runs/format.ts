import { displayUsd } from '@server/billing/money';
import type { BadgeTone } from '../../components/badge';

/** Micro-dollars as dollars, by the one display rule (src/billing/money.ts): "$1.23", "$0.00425". */
export const money = (micros: number) => displayUsd(micros);

export const tokens = (n: number) => n.toLocaleString('en-US');

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** "3 s", "1 min 20 s", "250 ms". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s % 60)} s`;
}

export function runDuration(run: { startedAt: string | null; finishedAt: string | null }): string {
  if (!run.startedAt) return '—';
  const end = run.finishedAt ? Date.parse(run.finishedAt) : Date.now();
  return duration(end - Date.parse(run.startedAt));
}

/** "in 5 s", "3 min ago". */
export function relative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const diff = Date.parse(iso) - now;
  const abs = Math.abs(diff);
  const fmt = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  if (abs < 60_000) return fmt.format(Math.round(diff / 1000), 'second');
  if (abs < 3_600_000) return fmt.format(Math.round(diff / 60_000), 'minute');
  if (abs < 86_400_000) return fmt.format(Math.round(diff / 3_600_000), 'hour');
  return fmt.format(Math.round(diff / 86_400_000), 'day');
}

/** Badge colour of a run, task, step or approval status. */
export function statusTone(status: string): BadgeTone {
  switch (status) {
    case 'succeeded':
    case 'completed':
    case 'approved':
      return 'success';
    case 'failed':
    case 'rejected':
      return 'danger';
    case 'waiting_approval':
    case 'waiting':
    case 'pending':
      return 'warning';
    case 'queued':
    case 'running':
    case 'started':
      return 'info';
    default:
      return 'neutral';
  }
}

export const label = (value: string) => value.replace(/_/g, ' ');

export const shortId = (id: string) => id.slice(0, 8);

/** Pretty JSON for a <pre>. */
export function json(value: unknown): string {
  if (value === undefined) return '';
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}

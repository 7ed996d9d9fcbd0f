import { displayUsd, formatUsd } from '@server/billing/money';
import type { BadgeTone } from '../../components/badge';

/** Money from the API's integer micro-units: dollars by the one display rule (src/billing/money.ts), other currencies with their code. */
export function money(micros: number, currency = 'USD'): string {
  return currency === 'USD' ? displayUsd(micros) : `${formatUsd(micros, 2)} ${currency}`;
}

/** A rate from the analytics (a fraction, 4 decimals) as a percentage: 0.0532 → "5.32%"; null → "—". */
export function percent(rate: number | null | undefined, digits = 1): string {
  if (rate === null || rate === undefined) return '—';
  return `${(rate * 100).toFixed(digits).replace(/\.0+$/, '')}%`;
}

export const count = (n: number) => n.toLocaleString('en-US');

export const fullName = (c: { firstName: string; lastName: string }) => `${c.firstName} ${c.lastName}`.trim();

/** Two letters for an avatar: "Jane Doe" → "JD". */
export const initials = (c: { firstName: string; lastName: string }) => `${c.firstName.charAt(0)}${c.lastName.charAt(0)}`.toUpperCase();

export function day(iso: string | null | undefined): string {
  if (!iso) return '—';
  // A bare date (YYYY-MM-DD) is a calendar day, not a UTC midnight to move into the local zone.
  const d = /^\d{4}-\d\d-\d\d$/.test(iso) ? new Date(`${iso}T12:00:00`) : new Date(iso);
  return d.toLocaleDateString(undefined, { dateStyle: 'medium' });
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function clock(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
}

export const label = (value: string) => value.replace(/_/g, ' ');

/** Badge colour of a contact, subscription, payment or booking status. */
export function tone(status: string): BadgeTone {
  switch (status) {
    case 'active':
    case 'succeeded':
    case 'attended':
    case 'sent':
    case 'delivered':
    case 'achieved':
    case 'published':
      return 'success';
    case 'lead':
    case 'trial':
    case 'booked':
    case 'queued':
    case 'scheduled':
    case 'kept':
      return 'info';
    case 'frozen':
    case 'paused':
    case 'past_due':
    case 'partially_refunded':
      return 'warning';
    case 'cancelled':
    case 'failed':
    case 'no_show':
    case 'refunded':
      return 'danger';
    default:
      return 'neutral';
  }
}

import { displayUsd, parseUsd, plainUsd } from '@server/billing/money';

/** Display helpers of the Agents pages. Money is integer micro-dollars, shown by the one rule of src/billing/money.ts. */

/** Micro-dollars as dollars for a person: `$12.50`, `$0.00425`; null → "—". */
export const formatMicros = displayUsd;

/** Micro-dollars per million tokens → "$0.15", "$2.50". */
export const formatPerMtok = (micros: number) => displayUsd(micros);

/** 128000 → "128K", 1048576 → "1M". */
export function formatTokens(n: number): string {
  if (n >= 1_000_000) return `${+(n / 1_000_000).toFixed(n % 1_000_000 === 0 ? 0 : 2)}M`;
  if (n >= 1000) return `${Math.round(n / 1000)}K`;
  return String(n);
}

export const formatCount = (n: number) => n.toLocaleString('en-US');

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** Dollars typed in a field → micro-dollars, exactly; NaN for what is not an amount (the schema then says so). */
export const dollarsToMicros = parseUsd;

/** Micro-dollars → what the dollars field shows ("12.5"). */
export const microsToDollars = plainUsd;

/** Start of the current calendar month in UTC (usage months are UTC). */
export function monthStartUtc(now = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

/** Local midnight today. */
export function todayStart(now = new Date()): Date {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate());
}

/** The provider part of `provider:model`. */
export const providerOf = (model: string) => model.slice(0, Math.max(0, model.indexOf(':'))) || model;

/** Display helpers of the Agents pages. Money is integer micro-dollars (1 USD = 1,000,000). */

export const MICROS_PER_DOLLAR = 1_000_000;

/** `$1.23`; amounts under a cent keep more digits (`$0.0042`) so small costs do not show as zero. */
export function formatMicros(micros: number | null | undefined): string {
  if (micros === null || micros === undefined) return '—';
  const dollars = micros / MICROS_PER_DOLLAR;
  const digits = dollars !== 0 && Math.abs(dollars) < 0.01 ? 4 : 2;
  return `$${dollars.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

/** Micro-dollars per million tokens → "$0.15". */
export const formatPerMtok = (micros: number) => `$${(micros / MICROS_PER_DOLLAR).toLocaleString('en-US', { maximumFractionDigits: 4 })}`;

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

/** Dollars typed in a field → micro-dollars; NaN for what is not a number (the schema then says so). */
export function dollarsToMicros(text: string): number {
  const cleaned = text.trim().replace(/^\$/, '').replace(/,/g, '');
  if (!/^-?\d*(\.\d*)?$/.test(cleaned) || cleaned === '' || cleaned === '.') return Number.NaN;
  return Math.round(Number(cleaned) * MICROS_PER_DOLLAR);
}

/** Micro-dollars → what the dollars field shows ("12.5"). */
export const microsToDollars = (micros: number) => String(micros / MICROS_PER_DOLLAR);

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

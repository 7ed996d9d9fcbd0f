import { exactUsd, parseUsd, plainUsd } from '@server/billing/money';

/**
 * Micro-dollars (the API's integer money) as dollars, exact (usage must add up with the CSV
 * export): no rounding, trailing zeros dropped down to cents. 1 234 567 → "$1.234567",
 * 1 500 000 → "$1.50", 252 → "$0.000252", 12 345 000 000 → "$12,345.00".
 */
export const usd = (micros: number) => exactUsd(micros);

/** Micro-dollars as a plain decimal for an input ("12.5"); '' for null. */
export function microsToDollarText(micros: number | null | undefined): string {
  return micros === null || micros === undefined ? '' : plainUsd(micros);
}

/**
 * What a person typed in a dollar field, as micro-dollars: '' → undefined (not given), "12.50" →
 * 12 500 000. Anything else (letters, more than six decimals) → NaN, which a number schema refuses.
 */
export function dollarTextToMicros(value: unknown): unknown {
  if (value === undefined || value === null || value === '') return value === '' ? undefined : value;
  if (typeof value === 'number') return value;
  return parseUsd(String(value));
}

/** Percent text "20" → 20; '' → undefined; junk → NaN. */
export function numberText(value: unknown): unknown {
  if (value === '' || value === undefined || value === null) return undefined;
  if (typeof value === 'number') return value;
  const text = String(value).trim();
  return text === '' ? undefined : Number(text);
}

/** Tokens and counts with thousands separators. */
export const count = (n: number) => n.toLocaleString('en-US');

import { z } from 'zod';
import { displayUsd, formatUsd } from '../../../billing/money.js';

/*
 * How the analytics write numbers, shared by the reports and their ground truth: money as integer
 * micro-units with a display string, rates as fractions rounded to 4 places, averages rounded
 * half up. The figures themselves (sums, counts) are computed apart: SQL in the reports, loops in
 * the demo's truth.
 */

export interface Money {
  /** Integer micro-units of the currency (micro-dollars for USD). */
  micros: number;
  /** For people: "$1,234.56" (USD), "1,234.56 EUR" otherwise; cents from 1 up. */
  display: string;
}

export const moneySchema = z.object({
  micros: z.number().int().describe('Integer micro-units (1 USD = 1,000,000)'),
  display: z.string().describe('Formatted for people, e.g. "$1,234.56"'),
});

export function money(micros: number, currency = 'USD'): Money {
  if (currency === 'USD') return { micros, display: displayUsd(micros) };
  const [whole = '0', fraction = '00'] = formatUsd(micros, 2).replace('-', '').split('.');
  return { micros, display: `${micros < 0 ? '-' : ''}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${fraction} ${currency}` };
}

/** numerator / denominator as a fraction rounded to 4 decimal places (0.0532 = 5.32%); null when the denominator is 0. */
export function rate(numerator: number, denominator: number): number | null {
  if (denominator === 0) return null;
  return Math.round((numerator * 10_000) / denominator) / 10_000;
}

export const rateSchema = z.number().nullable().describe('A fraction (0.0532 = 5.32%), 4 decimals; null when there is nothing to divide by');

/** sum / count rounded half up to an integer (money averages, LTV); 0 when count is 0. */
export function divideRounded(sum: number, count: number): number {
  if (count === 0) return 0;
  const s = BigInt(sum);
  const c = BigInt(count);
  const q = (2n * (s < 0n ? -s : s) + c) / (2n * c);
  return Number(s < 0n ? -q : q);
}

/** sum / count with 2 decimals (average scores and visits); null when count is 0. */
export function average2(sum: number, count: number): number | null {
  if (count === 0) return null;
  return divideRounded(sum * 100, count) / 100;
}

/** Text order by code points, as the reports sort names (independent of the database's collation). */
export const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * A subscription's price as an amount per month, rounded half up to the micro-unit:
 * price per `intervalCount` weeks × 52 / 12, per months ÷ intervalCount, per years ÷ (12 × intervalCount).
 * (Also written in SQL: monthlyAmountSql in mrr.ts.)
 */
export function monthlyAmount(priceMicros: number, interval: 'week' | 'month' | 'year', intervalCount: number): number {
  const [numerator, denominator] = interval === 'week' ? [priceMicros * 52, 12 * intervalCount] : interval === 'month' ? [priceMicros, intervalCount] : [priceMicros, 12 * intervalCount];
  return divideRounded(numerator, denominator);
}

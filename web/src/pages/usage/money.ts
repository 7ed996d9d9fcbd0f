import { formatUsd } from '@server/billing/money';

/**
 * Micro-dollars (the API's integer money) as dollars, exact: no rounding, trailing zeros dropped
 * down to cents. 1 234 567 → "$1.234567", 1 500 000 → "$1.50", 252 → "$0.000252",
 * 12 345 000 000 → "$12,345.00".
 */
export function usd(micros: number): string {
  const text = formatUsd(micros);
  const negative = text.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? text.slice(1) : text).split('.');
  const cents = fraction.replace(/0+$/, '').padEnd(2, '0');
  return `${negative ? '-' : ''}$${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${cents}`;
}

/** Micro-dollars as a plain decimal for an input ("12.5"); '' for null. */
export function microsToDollarText(micros: number | null | undefined): string {
  if (micros === null || micros === undefined) return '';
  const [whole = '0', fraction = ''] = formatUsd(micros).split('.');
  const f = fraction.replace(/0+$/, '');
  return f ? `${whole}.${f}` : whole;
}

/**
 * What a person typed in a dollar field, as micro-dollars: '' → undefined (not given), "12.50" →
 * 12 500 000. Anything else (letters, more than six decimals) → NaN, which a number schema refuses.
 */
export function dollarTextToMicros(value: unknown): unknown {
  if (value === undefined || value === null || value === '') return value === '' ? undefined : value;
  if (typeof value === 'number') return value;
  const text = String(value).trim().replace(/^\$/, '').replace(/,/g, '');
  const m = /^(-?)(\d*)(?:\.(\d{0,6}))?$/.exec(text);
  if (!m || (m[2] === '' && !m[3])) return Number.NaN;
  const micros = Number(m[2] || '0') * 1_000_000 + Number((m[3] ?? '').padEnd(6, '0'));
  return m[1] ? -micros : micros;
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

/**
 * Integer money arithmetic for the ledger. Every amount is a whole number of micro-dollars (µ$);
 * products go through BigInt, so nothing is ever a float on its way into a ledger row.
 */

const BPS = 10_000n;

function safe(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`${what} exceeds the safe integer range`);
  }
  return Number(value);
}

/**
 * The markup on a base cost: base × markupBps / 10 000, rounded half up to a whole micro-dollar.
 * Example: 1 234 µ$ at 1 234 bps (12.34%) = 152.2756 µ$ → 152.
 */
export function markupMicros(baseMicros: number, markupBps: number): number {
  if (!Number.isSafeInteger(baseMicros) || baseMicros < 0) throw new RangeError(`base cost must be a non-negative integer, got ${baseMicros}`);
  if (!Number.isSafeInteger(markupBps) || markupBps < 0) throw new RangeError(`markup must be non-negative basis points, got ${markupBps}`);
  return safe((BigInt(baseMicros) * BigInt(markupBps) + BPS / 2n) / BPS, 'markup');
}

/** What the organization pays for a call: base + markupMicros(base, bps). */
export const billedMicros = (baseMicros: number, markupBps: number): number => baseMicros + markupMicros(baseMicros, markupBps);

/**
 * Micro-dollars as a dollar string with `decimals` places (default 6: exact), from integers only.
 * With fewer places the value is rounded half up (away from zero). 1 234 567 → "1.234567";
 * with 2 places → "1.23".
 */
export function formatUsd(micros: number | bigint, decimals = 6): string {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 6) throw new RangeError('decimals must be 0–6');
  const value = BigInt(micros);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const unit = 10n ** BigInt(6 - decimals);
  const scaled = (abs + unit / 2n) / unit; // unit / 2n is 0 when decimals = 6: no rounding
  const scale = 10n ** BigInt(decimals);
  const whole = (scaled / scale).toString();
  const fraction = decimals ? `.${(scaled % scale).toString().padStart(decimals, '0')}` : '';
  return `${negative && scaled !== 0n ? '-' : ''}${whole}${fraction}`;
}

const grouped = (whole: string) => whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** "1234.5600" → "$1,234.56": thousands grouped, trailing zeros dropped down to cents, the sign before the "$". */
function dollars(text: string): string {
  const negative = text.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? text.slice(1) : text).split('.');
  return `${negative ? '-' : ''}$${grouped(whole)}.${fraction.replace(/0+$/, '').padEnd(2, '0')}`;
}

/**
 * The one rule for showing money to a person (dashboard and server messages alike): from $1 up,
 * dollars and cents ("$12.50", "$1,234.57"); under $1, up to 4 significant digits ("$0.00425",
 * "$0.1235", "$0.50"), so a cheap model call is never "$0.00"; no trailing zeros past the cents.
 * Rounded half up, from integers only. `null`/`undefined` → "—".
 */
export function displayUsd(micros: number | bigint | null | undefined): string {
  if (micros === null || micros === undefined) return '—';
  const value = BigInt(micros);
  const abs = value < 0n ? -value : value;
  if (abs === 0n) return '$0.00';
  // Micro-dollars under $1 have at most 6 digits; keeping 4 of them needs 10 − digits decimals.
  let decimals = abs >= 1_000_000n ? 2 : Math.min(6, Math.max(2, 10 - abs.toString().length));
  // $0.999995 rounds up to $1.0000: from $1 up, cents.
  if (decimals > 2 && formatUsd(abs, decimals).startsWith('1.')) decimals = 2;
  return dollars(formatUsd(value, decimals));
}

/**
 * Money exactly, to the micro-dollar (usage totals and budgets, which must add up with the CSV
 * export): "$1.234567", "$1.50", "$0.000252", "$12,345.00". `null`/`undefined` → "—".
 */
export function exactUsd(micros: number | bigint | null | undefined): string {
  if (micros === null || micros === undefined) return '—';
  return dollars(formatUsd(micros));
}

/** Micro-dollars as the plain decimal a dollar field shows: 12 500 000 → "12.5", 1 → "0.000001". */
export function plainUsd(micros: number | bigint): string {
  const [whole = '0', fraction = ''] = formatUsd(micros).split('.');
  const f = fraction.replace(/0+$/, '');
  return f ? `${whole}.${f}` : whole;
}

/**
 * Dollars typed by a person as micro-dollars, exactly: "12.50", "$1,000", "-0.5", "0.000001".
 * NaN for anything else (letters, more than six decimals, blank), which a number schema refuses.
 */
export function parseUsd(text: string): number {
  const m = /^(-?)\$?(\d[\d,]*|)(?:\.(\d{0,6}))?$/.exec(text.trim());
  if (!m || (m[2] === '' && !m[3])) return Number.NaN;
  const micros = Number(m[2]!.replace(/,/g, '') || '0') * 1_000_000 + Number((m[3] ?? '').padEnd(6, '0'));
  if (!Number.isSafeInteger(micros)) return Number.NaN;
  return m[1] && micros ? -micros : micros;
}

/**
 * How much of a budget is spent, in percent with two decimals, rounded down (so 79.999% shows as
 * 79.99, never as a misleading 80). A budget of 0 allows nothing, so it reads as 100% used.
 */
export function percentUsed(spentMicros: number, budgetMicros: number): number {
  if (budgetMicros <= 0) return 100;
  return Number((BigInt(spentMicros) * BPS) / BigInt(budgetMicros)) / 100;
}

/** Whether `spent` has reached `percent`% of `budget`, compared exactly in integers. */
export const reached = (spentMicros: number, budgetMicros: number, percent: number): boolean =>
  BigInt(spentMicros) * 100n >= BigInt(budgetMicros) * BigInt(percent);

/** A sum that Postgres returned as text (bigint/numeric) → a safe JS integer. */
export function sumOf(value: unknown): number {
  if (value === null || value === undefined) return 0;
  return safe(BigInt(String(value)), 'sum');
}

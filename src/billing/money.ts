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

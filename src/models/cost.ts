/** The three per-million-token prices of a model_prices row, in integer micro-dollars. */
export interface TokenPrices {
  inputPerMtokMicros: number;
  outputPerMtokMicros: number;
  /** null: the provider has no cached-input price, so cached tokens cost the full input price. */
  cachedInputPerMtokMicros: number | null;
}

/**
 * Token counts of one model call, as the AI SDK reports them (`usage` / `totalUsage`):
 * `inputTokens` counts every prompt token, cached ones included; `cachedInputTokens` is the part
 * of those read from the provider's cache. Reasoning tokens are part of `outputTokens`.
 */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  /** Default 0. Must not exceed inputTokens. */
  cachedInputTokens?: number;
}

export interface CostBreakdown {
  /** Uncached input tokens (inputTokens − cachedInputTokens) at the input price. */
  inputMicros: number;
  cachedInputMicros: number;
  outputMicros: number;
  /** Sum of the three rounded components. */
  totalMicros: number;
}

const PER_MTOK = 1_000_000n;
const HALF = PER_MTOK / 2n;

/** tokens × µ$/Mtok ÷ 1e6, rounded half up, in BigInt so huge counts cannot lose precision. */
function component(tokens: number, perMtokMicros: number): number {
  const micros = (BigInt(tokens) * BigInt(perMtokMicros) + HALF) / PER_MTOK;
  if (micros > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('cost exceeds the safe integer range');
  return Number(micros);
}

function count(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  return value;
}

/**
 * Cost of one model call in micro-dollars, each component (uncached input, cached input, output)
 * rounded half up to a whole micro-dollar on its own, then summed. Rounding per component makes
 * every part of a ledger row an integer that a statement can re-add exactly; the error is at most
 * 1.5 µ$ per call. Example: 1234 input tokens at 150 000 µ$/Mtok = 185.1 µ$ → 185.
 *
 * Cached tokens use the cached price, or the full input price when the row has none.
 * Throws RangeError on negative, fractional or inconsistent counts (cached > input).
 */
export function costBreakdown(price: TokenPrices, usage: TokenUsage): CostBreakdown {
  const input = count('inputTokens', usage.inputTokens);
  const output = count('outputTokens', usage.outputTokens);
  const cached = count('cachedInputTokens', usage.cachedInputTokens ?? 0);
  if (cached > input) throw new RangeError(`cachedInputTokens (${cached}) exceeds inputTokens (${input})`);
  const inputMicros = component(input - cached, price.inputPerMtokMicros);
  const cachedInputMicros = component(cached, price.cachedInputPerMtokMicros ?? price.inputPerMtokMicros);
  const outputMicros = component(output, price.outputPerMtokMicros);
  return { inputMicros, cachedInputMicros, outputMicros, totalMicros: inputMicros + cachedInputMicros + outputMicros };
}

/** Total of costBreakdown(): the base cost of one call in integer micro-dollars. */
export const costMicros = (price: TokenPrices, usage: TokenUsage): number => costBreakdown(price, usage).totalMicros;

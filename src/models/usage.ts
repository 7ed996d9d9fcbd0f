/** Token counts of one model call as the ledger records them: non-negative integers, cached ≤ input. */
export interface CallUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
}

/**
 * More tokens than this in one call is not a real count: ten times the largest context window
 * offered today (10 M). It also keeps every figure far inside the ledger's integer columns.
 */
export const MAX_CALL_TOKENS = 100_000_000;

/**
 * A provider's usage figures made recordable, with what had to be changed. The call was made
 * (and paid), so an impossible report must not lose its ledger row: a missing figure is 0; NaN,
 * infinite or negative becomes 0; a fraction is rounded; more than MAX_CALL_TOKENS is cut to it;
 * cached input tokens are at most the input tokens they are part of. Each change is one warning.
 */
export function checkUsage(reported: { inputTokens?: number | null; outputTokens?: number | null; cachedInputTokens?: number | null }): {
  usage: CallUsage;
  warnings: string[];
} {
  const warnings: string[] = [];
  const figure = (name: string, value: number | null | undefined): number => {
    if (value == null) return 0;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      warnings.push(`${name} was ${String(value)}; recorded as 0`);
      return 0;
    }
    let n = value;
    if (!Number.isInteger(n)) {
      n = Math.round(n);
      warnings.push(`${name} was ${value}; rounded to ${n}`);
    }
    if (n > MAX_CALL_TOKENS) {
      warnings.push(`${name} was ${value}, more than any call can use; recorded as ${MAX_CALL_TOKENS}`);
      n = MAX_CALL_TOKENS;
    }
    return n;
  };
  const inputTokens = figure('inputTokens', reported.inputTokens);
  const outputTokens = figure('outputTokens', reported.outputTokens);
  let cachedInputTokens = figure('cachedInputTokens', reported.cachedInputTokens);
  if (cachedInputTokens > inputTokens) {
    warnings.push(`cachedInputTokens (${cachedInputTokens}) exceeded inputTokens (${inputTokens}); recorded as ${inputTokens}`);
    cachedInputTokens = inputTokens;
  }
  return { usage: { inputTokens, outputTokens, cachedInputTokens }, warnings };
}

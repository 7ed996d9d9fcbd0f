import { describe, expect, it } from 'vitest';
import { costBreakdown, costMicros, type TokenPrices } from './cost.js';

// gpt-4o-mini list price: $0.15 in, $0.60 out, $0.075 cached per million tokens.
const mini: TokenPrices = { inputPerMtokMicros: 150_000, outputPerMtokMicros: 600_000, cachedInputPerMtokMicros: 75_000 };

describe('costMicros', () => {
  it('multiplies tokens by the per-million price with integer arithmetic', () => {
    // 1234 × 150 000 / 1e6 = 185.1 → 185
    expect(costMicros(mini, { inputTokens: 1234, outputTokens: 0 })).toBe(185);
    // 1234 × 2 500 000 / 1e6 = 3085 exactly
    expect(costMicros({ ...mini, inputPerMtokMicros: 2_500_000 }, { inputTokens: 1234, outputTokens: 0 })).toBe(3085);
    // one million tokens cost exactly the list price
    expect(costMicros(mini, { inputTokens: 1_000_000, outputTokens: 1_000_000 })).toBe(750_000);
  });

  it('rounds each component half up on its own, then adds', () => {
    // 5 in × 150 000 = 0.75 → 1; 3 out × 600 000 = 1.8 → 2; 7 cached × 75 000 = 0.525 → 1
    expect(costBreakdown(mini, { inputTokens: 12, cachedInputTokens: 7, outputTokens: 3 })).toEqual({
      inputMicros: 1,
      cachedInputMicros: 1,
      outputMicros: 2,
      totalMicros: 4,
    });
    // exactly half rounds up: 1 token at 500 000 µ$/Mtok = 0.5 µ$ → 1
    expect(costMicros({ ...mini, inputPerMtokMicros: 500_000 }, { inputTokens: 1, outputTokens: 0 })).toBe(1);
    // just under half rounds down: 3 tokens at 150 000 = 0.45 → 0
    expect(costMicros(mini, { inputTokens: 3, outputTokens: 0 })).toBe(0);
    // rounding the sum would give 1 (0.45 + 0.225 = 0.675); per component it is 0 + 0
    expect(costMicros(mini, { inputTokens: 6, cachedInputTokens: 3, outputTokens: 0 })).toBe(0);
  });

  it('charges cached tokens at the cached price and the rest of the input at the input price', () => {
    // 10 000 input of which 4 000 cached: 6 000 × 0.15 + 4 000 × 0.075 = 900 + 300; 500 out × 0.6 = 300
    expect(costBreakdown(mini, { inputTokens: 10_000, cachedInputTokens: 4_000, outputTokens: 500 })).toEqual({
      inputMicros: 900,
      cachedInputMicros: 300,
      outputMicros: 300,
      totalMicros: 1500,
    });
  });

  it('charges cached tokens at the input price when the model has no cached price', () => {
    const groq = { inputPerMtokMicros: 590_000, outputPerMtokMicros: 790_000, cachedInputPerMtokMicros: null };
    expect(costMicros(groq, { inputTokens: 10_000, cachedInputTokens: 4_000, outputTokens: 0 })).toBe(5900);
  });

  it('stays exact far beyond 2^53 intermediate products', () => {
    // 10^9 tokens × $75 (Opus output) = $75 000 = 75e9 µ$; the product 7.5e16 overflows doubles' exact range
    const opus = { inputPerMtokMicros: 15_000_000, outputPerMtokMicros: 75_000_000, cachedInputPerMtokMicros: 1_500_000 };
    expect(costMicros(opus, { inputTokens: 0, outputTokens: 1_000_000_001 })).toBe(75_000_000_075);
  });

  it('is zero for a free model and for no tokens', () => {
    expect(costMicros({ inputPerMtokMicros: 0, outputPerMtokMicros: 0, cachedInputPerMtokMicros: 0 }, { inputTokens: 999, outputTokens: 999 })).toBe(0);
    expect(costMicros(mini, { inputTokens: 0, outputTokens: 0 })).toBe(0);
  });

  it('refuses negative, fractional and inconsistent counts', () => {
    expect(() => costMicros(mini, { inputTokens: -1, outputTokens: 0 })).toThrow(RangeError);
    expect(() => costMicros(mini, { inputTokens: 1.5, outputTokens: 0 })).toThrow(/inputTokens/);
    expect(() => costMicros(mini, { inputTokens: 1, outputTokens: Number.NaN })).toThrow(/outputTokens/);
    expect(() => costMicros(mini, { inputTokens: 1, cachedInputTokens: 2, outputTokens: 0 })).toThrow(/exceeds/);
  });
});

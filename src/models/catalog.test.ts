import { describe, expect, it } from 'vitest';
import { BUILTIN_CATALOG } from './catalog.js';
import { isProvider } from './providers.js';

const find = (provider: string, modelId: string) =>
  BUILTIN_CATALOG.filter((e) => e.provider === provider && e.modelId === modelId).sort((a, b) => a.effectiveFrom.localeCompare(b.effectiveFrom));

describe('built-in catalog', () => {
  it('has one row per (provider, model, effectiveFrom), the table’s primary key', () => {
    const keys = BUILTIN_CATALOG.map((e) => `${e.provider}|${e.modelId}|${e.effectiveFrom}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('holds only known providers, real dates and non-negative integer prices and limits', () => {
    for (const e of BUILTIN_CATALOG) {
      const where = `${e.provider}:${e.modelId}@${e.effectiveFrom}`;
      expect(isProvider(e.provider), where).toBe(true);
      expect(new Date(`${e.effectiveFrom}T00:00:00Z`).toISOString().slice(0, 10), where).toBe(e.effectiveFrom);
      for (const n of [e.inputPerMtokMicros, e.outputPerMtokMicros, e.cachedInputPerMtokMicros ?? 0]) {
        expect(Number.isSafeInteger(n) && n >= 0, where).toBe(true);
      }
      expect(e.contextWindow > 0 && e.maxOutputTokens > 0 && e.maxOutputTokens <= e.contextWindow, where).toBe(true);
    }
  });

  it('converts list prices to micro-dollars exactly', () => {
    expect(find('openai', 'gpt-4o-mini')[0]).toMatchObject({
      effectiveFrom: '2024-07-18',
      inputPerMtokMicros: 150_000,
      outputPerMtokMicros: 600_000,
      cachedInputPerMtokMicros: 75_000,
    });
    expect(find('openai', 'gpt-4o')[0]).toMatchObject({ inputPerMtokMicros: 2_500_000, outputPerMtokMicros: 10_000_000 });
    expect(find('openai', 'o4-mini')[0]).toMatchObject({ inputPerMtokMicros: 1_100_000, cachedInputPerMtokMicros: 275_000 });
    expect(find('google', 'gemini-2.0-flash-lite')[0]).toMatchObject({ inputPerMtokMicros: 75_000, cachedInputPerMtokMicros: null });
    expect(find('anthropic', 'claude-opus-4-0')[0]).toMatchObject({ inputPerMtokMicros: 15_000_000, outputPerMtokMicros: 75_000_000 });
  });

  it('keeps a price change as a second row (o3 was cut on 2025-06-10)', () => {
    expect(find('openai', 'o3').map((e) => [e.effectiveFrom, e.inputPerMtokMicros])).toEqual([
      ['2025-04-16', 10_000_000],
      ['2025-06-10', 2_000_000],
    ]);
  });

  it('covers the models agents are expected to name', () => {
    const required = [
      'openai:gpt-4o',
      'openai:gpt-4o-mini',
      'openai:gpt-4.1',
      'openai:gpt-4.1-mini',
      'openai:gpt-4.1-nano',
      'openai:o3',
      'openai:o4-mini',
      'anthropic:claude-3-5-haiku-latest',
      'anthropic:claude-3-5-sonnet-latest',
      'anthropic:claude-3-7-sonnet-latest',
      'anthropic:claude-sonnet-4-0',
      'anthropic:claude-sonnet-4-20250514',
      'anthropic:claude-opus-4-0',
      'groq:llama-3.3-70b-versatile',
      'groq:llama-3.1-8b-instant',
      'google:gemini-2.0-flash',
      'google:gemini-2.0-flash-lite',
      'google:gemini-2.5-flash',
      'google:gemini-2.5-pro',
      'rules:default',
    ];
    const have = new Set(BUILTIN_CATALOG.map((e) => `${e.provider}:${e.modelId}`));
    expect(required.filter((id) => !have.has(id))).toEqual([]);
    expect(find('rules', 'default')[0]).toMatchObject({ contextWindow: 8192, inputPerMtokMicros: 0, outputPerMtokMicros: 0 });
  });
});

import type { ProviderId } from './providers.js';

/**
 * One row of the built-in price list. Prices are integer micro-dollars (µ$) per million tokens,
 * so "$0.15 / 1M tokens" is 150_000 and "$2.50 / 1M tokens" is 2_500_000.
 */
export interface CatalogEntry {
  provider: ProviderId;
  modelId: string;
  /** UTC day (YYYY-MM-DD) from which this price applies. */
  effectiveFrom: string;
  displayName: string;
  contextWindow: number;
  maxOutputTokens: number;
  inputPerMtokMicros: number;
  outputPerMtokMicros: number;
  /** Price of prompt tokens read from the provider's cache; null when the provider publishes none. */
  cachedInputPerMtokMicros: number | null;
}

/** Dollars per million tokens → µ$ per million tokens, exact for list prices (≤ 6 decimals). */
const usd = (dollars: number) => Math.round(dollars * 1_000_000);

type Row = [modelId: string, effectiveFrom: string, displayName: string, context: number, maxOut: number, input: number, output: number, cached: number | null];

const rows = (provider: ProviderId, list: Row[]): CatalogEntry[] =>
  list.map(([modelId, effectiveFrom, displayName, contextWindow, maxOutputTokens, input, output, cached]) => ({
    provider,
    modelId,
    effectiveFrom,
    displayName,
    contextWindow,
    maxOutputTokens,
    inputPerMtokMicros: usd(input),
    outputPerMtokMicros: usd(output),
    cachedInputPerMtokMicros: cached === null ? null : usd(cached),
  }));

// OpenAI: list prices from https://openai.com/api/pricing/ and the model pages on
// platform.openai.com/docs/models (standard tier, not Batch/Flex/Priority). Cached input is
// OpenAI's published "cached input" price. Effective dates are the model release dates, except
// o3's 80% cut (announced 2025-06-10), which is its own row so older calls keep their price.
const openai = rows('openai', [
  // gpt-4o: the $2.50/$10 price came with gpt-4o-2024-08-06, which the alias has pointed to since.
  ['gpt-4o', '2024-08-06', 'GPT-4o', 128_000, 16_384, 2.5, 10, 1.25],
  ['gpt-4o-mini', '2024-07-18', 'GPT-4o mini', 128_000, 16_384, 0.15, 0.6, 0.075],
  ['gpt-4.1', '2025-04-14', 'GPT-4.1', 1_047_576, 32_768, 2, 8, 0.5],
  ['gpt-4.1-mini', '2025-04-14', 'GPT-4.1 mini', 1_047_576, 32_768, 0.4, 1.6, 0.1],
  ['gpt-4.1-nano', '2025-04-14', 'GPT-4.1 nano', 1_047_576, 32_768, 0.1, 0.4, 0.025],
  ['o3', '2025-04-16', 'o3', 200_000, 100_000, 10, 40, 2.5],
  ['o3', '2025-06-10', 'o3', 200_000, 100_000, 2, 8, 0.5],
  ['o4-mini', '2025-04-16', 'o4-mini', 200_000, 100_000, 1.1, 4.4, 0.275],
  ['gpt-5', '2025-08-07', 'GPT-5', 400_000, 128_000, 1.25, 10, 0.125],
  ['gpt-5-mini', '2025-08-07', 'GPT-5 mini', 400_000, 128_000, 0.25, 2, 0.025],
  ['gpt-5-nano', '2025-08-07', 'GPT-5 nano', 400_000, 128_000, 0.05, 0.4, 0.005],
]);

// Anthropic: https://www.anthropic.com/pricing and docs.anthropic.com "Models overview". Cached
// input is the "cache hits & refreshes" price (0.1× input). Cache *writes* cost 1.25× input;
// the ledger has no column for them, so they are charged as ordinary input (slightly under cost).
// Aliases (`-latest`, `-4-0`) are listed beside the dated id the SDK reports, with the same price.
const anthropic = rows('anthropic', [
  // Unsure of the exact day the $0.80/$4 price took effect (released 2024-11-04): 2025-01-01.
  ['claude-3-5-haiku-latest', '2025-01-01', 'Claude Haiku 3.5', 200_000, 8_192, 0.8, 4, 0.08],
  ['claude-3-5-sonnet-latest', '2024-10-22', 'Claude Sonnet 3.5', 200_000, 8_192, 3, 15, 0.3],
  ['claude-3-7-sonnet-latest', '2025-02-24', 'Claude Sonnet 3.7', 200_000, 64_000, 3, 15, 0.3],
  ['claude-sonnet-4-0', '2025-05-22', 'Claude Sonnet 4', 200_000, 64_000, 3, 15, 0.3],
  ['claude-sonnet-4-20250514', '2025-05-22', 'Claude Sonnet 4 (2025-05-14)', 200_000, 64_000, 3, 15, 0.3],
  ['claude-opus-4-0', '2025-05-22', 'Claude Opus 4', 200_000, 32_000, 15, 75, 1.5],
  ['claude-opus-4-20250514', '2025-05-22', 'Claude Opus 4 (2025-05-14)', 200_000, 32_000, 15, 75, 1.5],
  ['claude-opus-4-1', '2025-08-05', 'Claude Opus 4.1', 200_000, 32_000, 15, 75, 1.5],
  // Sonnet 4.5 charges more above 200k prompt tokens ($6/$22.50); that tier is not modelled.
  ['claude-sonnet-4-5', '2025-09-29', 'Claude Sonnet 4.5', 200_000, 64_000, 3, 15, 0.3],
  ['claude-haiku-4-5', '2025-10-15', 'Claude Haiku 4.5', 200_000, 64_000, 1, 5, 0.1],
]);

// Groq: https://groq.com/pricing and console.groq.com/docs/models. Groq publishes no cached-input
// price for these models, hence null. Llama 4 dates are the day Groq launched them (2025-04-05).
const groq = rows('groq', [
  ['llama-3.3-70b-versatile', '2024-12-06', 'Llama 3.3 70B Versatile', 131_072, 32_768, 0.59, 0.79, null],
  ['llama-3.1-8b-instant', '2024-07-23', 'Llama 3.1 8B Instant', 131_072, 131_072, 0.05, 0.08, null],
  ['meta-llama/llama-4-scout-17b-16e-instruct', '2025-04-05', 'Llama 4 Scout 17B', 131_072, 8_192, 0.11, 0.34, null],
  ['meta-llama/llama-4-maverick-17b-128e-instruct', '2025-04-05', 'Llama 4 Maverick 17B', 131_072, 8_192, 0.2, 0.6, null],
]);

// Google: https://ai.google.dev/gemini-api/docs/pricing (paid tier, text input) and the model
// pages for limits. Dates are general availability. Gemini 2.5 Pro costs more above 200k prompt
// tokens ($2.50/$15); only the ≤200k tier is modelled. Cached input is the "context caching"
// price at GA; Google has since announced lower cache prices for 2.5 models, not yet recorded
// here because the day they took effect is not confirmed — add a new row when it is.
const google = rows('google', [
  ['gemini-2.0-flash', '2025-02-05', 'Gemini 2.0 Flash', 1_048_576, 8_192, 0.1, 0.4, 0.025],
  ['gemini-2.0-flash-lite', '2025-02-25', 'Gemini 2.0 Flash-Lite', 1_048_576, 8_192, 0.075, 0.3, null],
  ['gemini-2.5-flash', '2025-06-17', 'Gemini 2.5 Flash', 1_048_576, 65_536, 0.3, 2.5, 0.075],
  ['gemini-2.5-flash-lite', '2025-07-22', 'Gemini 2.5 Flash-Lite', 1_048_576, 65_536, 0.1, 0.4, 0.025],
  ['gemini-2.5-pro', '2025-06-17', 'Gemini 2.5 Pro', 1_048_576, 65_536, 1.25, 10, 0.31],
]);

// The offline rules model runs in-process: free, and its "context" is what it bothers to read.
const rules = rows('rules', [['default', '2025-01-01', 'Offline rules model', 8_192, 2_048, 0, 0, 0]]);

/**
 * The built-in price list, written to model_prices at every start (ModelService.syncCatalog).
 *
 * To record a price change, ADD an entry with the new effectiveFrom; never edit the numbers of
 * an existing one except to correct a mistake (that rewrites the price of that period).
 *
 * Not listed, on purpose: Ollama and other OpenAI-compatible servers run models the operator
 * hosts, with no list price — priceAt() finds no row for them and the ledger books them at 0.
 * OpenRouter passes through hundreds of models whose prices change often; they are left to a
 * later sync from its API rather than copied here.
 */
export const BUILTIN_CATALOG: readonly CatalogEntry[] = [...openai, ...anthropic, ...groq, ...google, ...rules];

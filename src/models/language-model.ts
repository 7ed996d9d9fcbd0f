import { createHash } from 'node:crypto';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createGroq } from '@ai-sdk/groq';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { AppError, badRequest } from '../shared/errors.js';
import type { ClassificationRule } from './classify.js';
import { httpFetch } from './http-fetch.js';
import type { ResolvedCredential } from './provider-status.js';
import { parseModelRef, PROVIDERS, type ModelRef, type ProviderId } from './providers.js';
import { RulesModel, type RulesModelOptions } from './rules-model.js';

/** A model ready to hand to `generateText`/`streamText`. */
export interface ResolvedModel {
  /** The priced model: provider and model id as the catalog knows them (`responses/` removed). */
  ref: ModelRef;
  /** The reference as configured, `provider:model`, e.g. `openai:responses/gpt-4o`; record this on the run. */
  id: string;
  model: LanguageModelV3;
}

/**
 * `openai:gpt-4o` calls Chat Completions (what every OpenAI-compatible proxy speaks);
 * `openai:responses/gpt-4o` calls the Responses API. The prefix only chooses the API.
 */
export const RESPONSES_PREFIX = 'responses/';

// Explicit defaults: left undefined, the OpenAI and Anthropic clients would read OPENAI_BASE_URL /
// ANTHROPIC_BASE_URL from process.env themselves, sending an organization's own key to a proxy
// configured for the server's key (see environmentCredential).
const DEFAULT_BASE_URLS: Partial<Record<ProviderId, string>> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com/v1',
  groq: 'https://api.groq.com/openai/v1',
  google: 'https://generativelanguage.googleapis.com/v1beta',
  openrouter: 'https://openrouter.ai/api/v1',
  ollama: 'http://localhost:11434/v1',
};

/** The 422 for a provider that cannot be called: it names what to set. */
export function missingCredential(provider: ProviderId): AppError {
  const envKey = PROVIDERS[provider].envKey;
  const message = envKey
    ? `No API key for ${provider}: set ${envKey} or store one with PUT /api/v1/credentials/${provider}`
    : `No base URL for ${provider}: store one with PUT /api/v1/credentials/${provider}, e.g. {"baseUrl": "http://localhost:8000/v1"}`;
  return new AppError(422, 'missing_credential', message);
}

/**
 * Ollama's OpenAI-compatible API lives under /v1, but OLLAMA_BASE_URL is commonly set to the
 * bare server (http://localhost:11434, as Ollama's own tools use it): add /v1 when there is no path.
 */
function ollamaUrl(url: string): string {
  const u = new URL(url);
  return u.pathname === '/' || u.pathname === '' ? `${url.replace(/\/+$/, '')}/v1` : url;
}

type Factory = (modelId: string) => LanguageModelV3;

/** Builds the AI SDK provider for one credential. Cheap (closures, no I/O), but cached anyway. */
function createFactory(provider: Exclude<ProviderId, 'rules'>, cred: ResolvedCredential): Factory {
  const apiKey = cred.apiKey ?? undefined;
  const baseURL = cred.baseUrl ?? DEFAULT_BASE_URLS[provider];
  switch (provider) {
    case 'openai': {
      const p = createOpenAI({ apiKey, baseURL, fetch: httpFetch });
      return (id) => (id.startsWith(RESPONSES_PREFIX) ? p.responses(id.slice(RESPONSES_PREFIX.length)) : p.chat(id));
    }
    case 'anthropic':
      return createAnthropic({ apiKey, baseURL, fetch: httpFetch });
    case 'groq':
      return createGroq({ apiKey, baseURL, fetch: httpFetch });
    case 'google':
      return createGoogleGenerativeAI({ apiKey, baseURL, fetch: httpFetch });
    case 'openrouter':
    case 'ollama':
    case 'openai-compatible': {
      const url = provider === 'ollama' ? ollamaUrl(baseURL!) : baseURL!;
      // includeUsage: streamed answers carry token counts only when asked for; the ledger needs them.
      const p = createOpenAICompatible({ name: provider, baseURL: url, apiKey, includeUsage: true, fetch: httpFetch });
      return (id) => p.chatModel(id);
    }
  }
}

export interface LanguageModelSource {
  resolveCredential(orgId: string, provider: ProviderId): Promise<ResolvedCredential>;
  loadRules(orgId: string): Promise<ClassificationRule[]>;
}

const MAX_CACHED = 500;

/**
 * Turns `provider:model` into a LanguageModelV3 for one organization. The credential is resolved
 * on every call (so a changed or removed key takes effect at once); only the provider instance
 * is cached, keyed by a hash of the credential, so a new key simply misses the cache.
 */
export class LanguageModels {
  private readonly factories = new Map<string, Factory>();

  constructor(private readonly source: LanguageModelSource) {}

  /** The offline rules model with this organization's classification rules (read lazily). */
  rules(orgId: string, modelId = 'default', options: Omit<RulesModelOptions, 'modelId' | 'loadRules'> = {}): ResolvedModel {
    const model = new RulesModel({ ...options, modelId, loadRules: () => this.source.loadRules(orgId) });
    return { ref: { provider: 'rules', modelId }, id: `rules:${modelId}`, model };
  }

  /**
   * Resolves `ref` (400 `validation_failed` when malformed). Throws 422 `missing_credential`
   * naming the environment variable when the provider has no credential, and
   * `credential_unreadable` when a stored key no longer decrypts.
   */
  async resolve(orgId: string, ref: string): Promise<ResolvedModel> {
    const parsed = parseModelRef(ref);
    const { provider, modelId } = parsed;
    if (provider === 'rules') return this.rules(orgId, modelId);
    if (modelId === RESPONSES_PREFIX) throw badRequest('model: "responses/" must be followed by a model id', [{ path: 'model', message: 'no model id after responses/' }]);
    const cred = await this.source.resolveCredential(orgId, provider);
    if (cred.source === 'none' || (PROVIDERS[provider].needsKey && !cred.apiKey)) throw missingCredential(provider);

    const hash = createHash('sha256').update(`${cred.apiKey ?? ''}\0${cred.baseUrl ?? ''}`).digest('base64url');
    const key = `${orgId}\0${provider}\0${hash}`;
    let factory = this.factories.get(key);
    if (!factory) {
      if (this.factories.size >= MAX_CACHED) this.factories.clear();
      factory = createFactory(provider, cred);
      this.factories.set(key, factory);
    }
    const priced = provider === 'openai' && modelId.startsWith(RESPONSES_PREFIX) ? modelId.slice(RESPONSES_PREFIX.length) : modelId;
    return { ref: { provider, modelId: priced }, id: `${provider}:${modelId}`, model: factory(modelId) };
  }
}

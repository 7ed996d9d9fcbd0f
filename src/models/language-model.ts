import { createHash } from 'node:crypto';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createGroq } from '@ai-sdk/groq';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { AppError, badRequest } from '../shared/errors.js';
import { EMPTY_ALLOWLIST, type Allowlist } from '../tools/net/allowlist.js';
import type { ClassificationRule } from './classify.js';
import { guardedHttpFetch, httpFetch } from './http-fetch.js';
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
  /**
   * Set when the calls go to a base URL the organization stored (its origin): they pass the
   * egress guard, and every failure of theirs is reported as one generic error (errors.ts,
   * endpointFailure), so the error codes cannot tell what answers at an address.
   */
  tenantEndpoint?: string;
}

/**
 * `openai:gpt-4o` calls Chat Completions (what every OpenAI-compatible proxy speaks);
 * `openai:responses/gpt-4o` calls the Responses API. The prefix only chooses the API.
 */
export const RESPONSES_PREFIX = 'responses/';

// Explicit defaults: left undefined, the OpenAI and Anthropic clients would read OPENAI_BASE_URL /
// ANTHROPIC_BASE_URL from process.env themselves, sending an organization's own key to a proxy
// configured for the server's key (see environmentCredential).
export const DEFAULT_BASE_URLS: Partial<Record<ProviderId, string>> = {
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
    : `No base URL for ${provider}: store one with PUT /api/v1/credentials/${provider}, e.g. {"baseUrl": "https://vllm.example.com/v1"}`;
  return new AppError(422, 'missing_credential', message);
}

/**
 * Ollama's OpenAI-compatible API lives under /v1, but OLLAMA_BASE_URL is commonly set to the
 * bare server (http://localhost:11434, as Ollama's own tools use it): add /v1 when there is no path.
 */
export function ollamaUrl(url: string): string {
  const u = new URL(url);
  return u.pathname === '/' || u.pathname === '' ? `${url.replace(/\/+$/, '')}/v1` : url;
}

type Factory = (modelId: string) => LanguageModelV3;

/**
 * Builds the AI SDK provider for one credential. Cheap (closures, no I/O), but cached anyway.
 * `fetch` is the guarded one for a base URL the organization stored.
 */
function createFactory(provider: Exclude<ProviderId, 'rules'>, cred: ResolvedCredential, fetch: typeof httpFetch): Factory {
  const apiKey = cred.apiKey ?? undefined;
  const baseURL = cred.baseUrl ?? DEFAULT_BASE_URLS[provider];
  switch (provider) {
    case 'openai': {
      const p = createOpenAI({ apiKey, baseURL, fetch });
      return (id) => (id.startsWith(RESPONSES_PREFIX) ? p.responses(id.slice(RESPONSES_PREFIX.length)) : p.chat(id));
    }
    case 'anthropic':
      return createAnthropic({ apiKey, baseURL, fetch });
    case 'groq':
      return createGroq({ apiKey, baseURL, fetch });
    case 'google':
      return createGoogleGenerativeAI({ apiKey, baseURL, fetch });
    case 'openrouter':
    case 'ollama':
    case 'openai-compatible': {
      const url = provider === 'ollama' ? ollamaUrl(baseURL!) : baseURL!;
      // includeUsage: streamed answers carry token counts only when asked for; the ledger needs them.
      const p = createOpenAICompatible({ name: provider, baseURL: url, apiKey, includeUsage: true, fetch });
      return (id) => p.chatModel(id);
    }
  }
}

export interface LanguageModelSource {
  resolveCredential(orgId: string, provider: ProviderId): Promise<ResolvedCredential>;
  loadRules(orgId: string): Promise<ClassificationRule[]>;
  /**
   * Whether any provider is configured for the organization (a stored credential, or a key or
   * base URL in the server's environment). When none is, the offline rules model answers in place
   * of models that cannot be called: the zero-config trial.
   */
  anyProviderConfigured(orgId: string): Promise<boolean>;
}

const MAX_CACHED = 500;

/**
 * Turns `provider:model` into a LanguageModelV3 for one organization. The credential is resolved
 * on every call (so a changed or removed key takes effect at once); only the provider instance
 * is cached, keyed by a hash of the credential, so a new key simply misses the cache.
 */
export class LanguageModels {
  private readonly factories = new Map<string, Factory>();
  private readonly guardedFetch: typeof fetch;

  /** `privateHosts`: TROUPE_PRIVATE_MODEL_HOSTS, the private hosts a stored base URL may reach. */
  constructor(
    private readonly source: LanguageModelSource,
    privateHosts: Allowlist = EMPTY_ALLOWLIST,
  ) {
    this.guardedFetch = guardedHttpFetch(privateHosts);
  }

  /** See LanguageModelSource.anyProviderConfigured. */
  anyProviderConfigured(orgId: string): Promise<boolean> {
    return this.source.anyProviderConfigured(orgId);
  }

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

    // Only a URL the organization stored is the tenant's; the environment's and the built-in
    // defaults are the operator's (a local Ollama or vLLM named in OLLAMA_BASE_URL is allowed).
    const tenantEndpoint = cred.source === 'organization' && cred.baseUrl ? new URL(cred.baseUrl).origin : undefined;
    const hash = createHash('sha256').update(`${cred.source}\0${cred.apiKey ?? ''}\0${cred.baseUrl ?? ''}`).digest('base64url');
    const key = `${orgId}\0${provider}\0${hash}`;
    let factory = this.factories.get(key);
    if (!factory) {
      if (this.factories.size >= MAX_CACHED) this.factories.clear();
      factory = createFactory(provider, cred, tenantEndpoint ? this.guardedFetch : httpFetch);
      this.factories.set(key, factory);
    }
    const priced = provider === 'openai' && modelId.startsWith(RESPONSES_PREFIX) ? modelId.slice(RESPONSES_PREFIX.length) : modelId;
    return { ref: { provider, modelId: priced }, id: `${provider}:${modelId}`, model: factory(modelId), ...(tenantEndpoint ? { tenantEndpoint } : {}) };
  }
}

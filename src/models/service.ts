import type { Actor } from '../shared/roles.js';
import type { Config } from '../config/load.js';
import type { Database } from '../db/client.js';
import type { SecretBox } from '../shared/crypto.js';
import { notFound } from '../shared/errors.js';
import { BUILTIN_CATALOG } from './catalog.js';
import { ClassificationRuleStore, type ClassificationRuleRow, type RuleInput } from './classification-rules.js';
import { classifyText, type Classification } from './classify.js';
import { checkCredential, type CredentialBody } from './credential-input.js';
import { CredentialStore, type CredentialSummary } from './credentials.js';
import { testConnection, type ConnectionTest } from './credential-test.js';
import { guardedHttpFetch, httpFetch } from './http-fetch.js';
import { callWithFallback, type FallbackDeps, type FallbackOptions, type FallbackResult } from './fallback.js';
import { LanguageModels, type ResolvedModel } from './language-model.js';
import {
  currentPrices,
  priceHistory,
  priceRowAt,
  upsertPrices,
  type CatalogModel,
  type ModelFilter,
  type PriceRow,
} from './prices.js';
import { displayUrl, environmentCredential, type CredentialSource, type ResolvedCredential } from './provider-status.js';
import { PROVIDER_IDS, PROVIDERS, type ProviderId } from './providers.js';
import { TtlCache } from '../shared/ttl-cache.js';
import type { Logger } from '../shared/logger.js';
import { compileAllowlist, type Allowlist } from '../tools/net/allowlist.js';

export interface ProviderStatus {
  id: ProviderId;
  label: string;
  needsKey: boolean;
  /** Environment variable read when the organization stored no key. */
  envKey: string | null;
  source: CredentialSource;
  /** Base URL that calls will use (user info removed); null = the provider's default endpoint. */
  baseUrl: string | null;
}

/** Test hooks: retry timing (sleep, jitter, delays) for callWithFallback; the logger for failures at organizations' own base URLs. */
export interface ModelServiceOptions {
  retry?: FallbackDeps['retry'];
  logger?: Logger;
}

/**
 * The model catalog (global prices), each organization's provider credentials and keyword
 * rules, and the model calls themselves (resolution, retries, fallbacks).
 * Prices are read without a tenant scope (model_prices is readable by every role); credentials
 * are read and written only inside `withOrg`, so row-level security backs the service's filters.
 */
/** How long a resolved credential is reused by this process (another process's change shows within this). */
export const CREDENTIAL_TTL_MS = 5000;

export class ModelService {
  private readonly credentials: CredentialStore;
  private readonly rules: ClassificationRuleStore;
  private readonly models: LanguageModels;
  private readonly credentialCache = new TtlCache<string, ResolvedCredential>(CREDENTIAL_TTL_MS);
  /** TROUPE_PRIVATE_MODEL_HOSTS: private hosts a stored base URL may point at. */
  private readonly privateHosts: Allowlist;
  /** The model clients' fetch behind the egress guard, for connection tests of an organization's base URL. */
  private readonly guardedFetch: typeof fetch;

  constructor(
    private readonly database: Database,
    secrets: SecretBox,
    private readonly config: Config,
    private readonly options: ModelServiceOptions = {},
  ) {
    this.credentials = new CredentialStore(database, secrets);
    this.rules = new ClassificationRuleStore(database);
    this.privateHosts = compileAllowlist(config.TROUPE_PRIVATE_MODEL_HOSTS);
    this.guardedFetch = guardedHttpFetch(this.privateHosts);
    this.models = new LanguageModels(
      {
        resolveCredential: (orgId, provider) => this.resolveCredential(orgId, provider),
        loadRules: (orgId) => this.rules.list(orgId),
        anyProviderConfigured: (orgId) => this.anyProviderConfigured(orgId),
      },
      this.privateHosts,
    );
  }

  /**
   * The AI SDK model for `ref` (`provider:model`; `openai:responses/<id>` for OpenAI's Responses
   * API, plain `openai:<id>` for Chat Completions) with this organization's credential, else the
   * environment's. Throws 422 `missing_credential` naming the variable to set. See language-model.ts.
   */
  languageModel(orgId: string, ref: string): Promise<ResolvedModel> {
    return this.models.resolve(orgId, ref);
  }

  /**
   * Runs `call` on `refs[0]`, retrying retryable errors up to TROUPE_MODEL_MAX_RETRIES times
   * (backoff with jitter, Retry-After honoured), then on each fallback ref; when all fail, throws
   * AllModelsFailedError, unless no provider is configured at all (then the rules model answers).
   * `call` must pass `maxRetries: 0` to the AI SDK. See fallback.ts.
   */
  callWithFallback<T>(
    orgId: string,
    refs: string[],
    call: (m: ResolvedModel, attempt: number) => Promise<T>,
    opts: FallbackOptions = {},
  ): Promise<FallbackResult<T>> {
    const deps = { models: this.models, maxRetries: this.config.TROUPE_MODEL_MAX_RETRIES, retry: this.options.retry, logger: this.options.logger };
    return callWithFallback(deps, orgId, refs, call, opts);
  }

  /** The organization's classification rules, in evaluation order (priority, then label). */
  listClassificationRules(orgId: string): Promise<ClassificationRuleRow[]> {
    return this.rules.list(orgId);
  }

  /** 409 `duplicate_label` when the label is taken. */
  createClassificationRule(orgId: string, input: RuleInput): Promise<ClassificationRuleRow> {
    return this.rules.create(orgId, input);
  }

  /** 404 for another organization's rule; 409 `duplicate_label`. */
  updateClassificationRule(orgId: string, id: string, patch: Partial<RuleInput>): Promise<ClassificationRuleRow> {
    return this.rules.update(orgId, id, patch);
  }

  deleteClassificationRule(orgId: string, id: string): Promise<void> {
    return this.rules.delete(orgId, id);
  }

  /** `text` classified by the organization's rules, as the rules model would; null when none matches. */
  async classify(orgId: string, text: string): Promise<Classification | null> {
    return classifyText(text, await this.rules.list(orgId));
  }

  /** Writes the built-in catalog (catalog.ts) to model_prices; idempotent, one statement, run at every start. */
  syncCatalog(): Promise<void> {
    return upsertPrices(this.database, BUILTIN_CATALOG);
  }

  /** Models with a price in force on `filter.at` (default now), ordered by provider then model id. */
  listModels(filter: ModelFilter = {}): Promise<CatalogModel[]> {
    return currentPrices(this.database, filter);
  }

  /** One model's current row and its whole price history (oldest first); null when it has no price in force today. */
  async getModel(provider: ProviderId, modelId: string, at = new Date()): Promise<{ model: CatalogModel; history: PriceRow[] } | null> {
    const model = await priceRowAt(this.database.db, provider, modelId, at);
    if (!model) return null;
    return { model: { ...model, provider }, history: await priceHistory(this.database, provider, modelId) };
  }

  /**
   * The price in force at `at` (latest effective_from ≤ that UTC day), for the cost ledger.
   * Null for models without a list price (Ollama, OpenAI-compatible servers): book them at 0.
   */
  priceAt(provider: string, modelId: string, at: Date): Promise<PriceRow | null> {
    return priceRowAt(this.database.db, provider, modelId, at);
  }

  /** The organization's stored credentials, without their keys. */
  listCredentials(orgId: string): Promise<CredentialSummary[]> {
    return this.credentials.list(orgId);
  }

  /**
   * Validates, encrypts and stores (creates or replaces) the organization's credential for
   * `provider`. A base URL naming a private or loopback address (not in TROUPE_PRIVATE_MODEL_HOSTS)
   * is refused here; one whose name resolves to such an address is refused at each call.
   */
  putCredential(actor: Actor, provider: ProviderId, body: CredentialBody): Promise<CredentialSummary> {
    const input = checkCredential(provider, body, this.privateHosts);
    return this.credentials.put(actor.orgId, provider, { ...input, createdBy: actor.userId }).finally(() => this.credentialCache.delete(`${actor.orgId}:${provider}`));
  }

  /**
   * Tests a credential with one minimal real call (credential-test.ts): `candidate` as the form
   * holds it (checked as PUT checks it: 400 on a bad or private base URL; not saved), else the
   * stored one (404 when there is none; the server's environment key is never tested for a tenant).
   * Calls to a base URL the organization gave pass the egress guard, as a run's would.
   */
  async testCredential(orgId: string, provider: ProviderId, candidate?: CredentialBody): Promise<ConnectionTest> {
    const cred = candidate ? checkCredential(provider, candidate, this.privateHosts) : await this.credentials.reveal(orgId, provider);
    if (!cred || provider === 'rules') throw notFound(`Credential for ${provider}`);
    const tenantOrigin = cred.baseUrl ? new URL(cred.baseUrl).origin : undefined;
    return testConnection(provider, cred, tenantOrigin ? this.guardedFetch : httpFetch, tenantOrigin);
  }

  /** Deletes the organization's credential; 404 when it has none for this provider. */
  async deleteCredential(orgId: string, provider: ProviderId): Promise<void> {
    const deleted = await this.credentials.delete(orgId, provider);
    this.credentialCache.delete(`${orgId}:${provider}`);
    if (!deleted) throw notFound(`Credential for ${provider}`);
  }

  /**
   * The key and base URL to call `provider` with for this organization: its own credential
   * (decrypted) first, else the environment. `source: 'none'` means the provider cannot be called.
   * Throws `credential_unreadable` when a stored key no longer decrypts.
   */
  async resolveCredential(orgId: string, provider: ProviderId): Promise<ResolvedCredential> {
    // Every model call resolves its credential: cached briefly (a decrypting transaction per call
    // was a third of a model step's database time). Changes here clear it at once; changes made
    // by another process take effect within CREDENTIAL_TTL_MS.
    return this.credentialCache.get(`${orgId}:${provider}`, () => this.readCredential(orgId, provider));
  }

  private async readCredential(orgId: string, provider: ProviderId): Promise<ResolvedCredential> {
    const stored = await this.credentials.reveal(orgId, provider);
    if (stored) return { ...stored, source: 'organization' };
    return environmentCredential(this.config, provider);
  }

  /**
   * Whether the organization can call any provider: a credential it stored, or a key or base URL
   * in the server's environment (a provider that needs none, such as Ollama at its default
   * address, does not count). Read only after every model of a call failed.
   */
  async anyProviderConfigured(orgId: string): Promise<boolean> {
    if (PROVIDER_IDS.some((id) => environmentCredential(this.config, id).source === 'environment')) return true;
    return (await this.credentials.list(orgId)).length > 0;
  }

  /** Every provider with where this organization's credential for it comes from. Reads no secret. */
  async providerStatuses(orgId: string): Promise<ProviderStatus[]> {
    const stored = new Map((await this.credentials.list(orgId)).map((c) => [c.provider, c]));
    return PROVIDER_IDS.map((id) => {
      const entry = PROVIDERS[id];
      const own = stored.get(id);
      const env = environmentCredential(this.config, id);
      return {
        id,
        label: entry.label,
        needsKey: entry.needsKey,
        envKey: entry.envKey,
        source: own ? 'organization' : env.source,
        baseUrl: displayUrl(own ? own.baseUrl : env.baseUrl),
      };
    });
  }
}

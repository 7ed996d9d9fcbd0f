import type { Actor } from '../auth/roles.js';
import type { Config } from '../config/load.js';
import type { Database } from '../db/client.js';
import type { SecretBox } from '../shared/crypto.js';
import { notFound } from '../shared/errors.js';
import { BUILTIN_CATALOG } from './catalog.js';
import { checkCredential, type CredentialBody } from './credential-input.js';
import { CredentialStore, type CredentialSummary } from './credentials.js';
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

/**
 * The model catalog (global prices) and each organization's provider credentials.
 * Prices are read without a tenant scope (model_prices is readable by every role); credentials
 * are read and written only inside `withOrg`, so row-level security backs the service's filters.
 */
export class ModelService {
  private readonly credentials: CredentialStore;

  constructor(
    private readonly database: Database,
    secrets: SecretBox,
    private readonly config: Config,
  ) {
    this.credentials = new CredentialStore(database, secrets);
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
    const model = await priceRowAt(this.database, provider, modelId, at);
    if (!model) return null;
    return { model: { ...model, provider }, history: await priceHistory(this.database, provider, modelId) };
  }

  /**
   * The price in force at `at` (latest effective_from ≤ that UTC day), for the cost ledger.
   * Null for models without a list price (Ollama, OpenAI-compatible servers): book them at 0.
   */
  priceAt(provider: string, modelId: string, at: Date): Promise<PriceRow | null> {
    return priceRowAt(this.database, provider, modelId, at);
  }

  /** The organization's stored credentials, without their keys. */
  listCredentials(orgId: string): Promise<CredentialSummary[]> {
    return this.credentials.list(orgId);
  }

  /** Validates, encrypts and stores (creates or replaces) the organization's credential for `provider`. */
  putCredential(actor: Actor, provider: ProviderId, body: CredentialBody): Promise<CredentialSummary> {
    const input = checkCredential(provider, body);
    return this.credentials.put(actor.orgId, provider, { ...input, createdBy: actor.userId });
  }

  /** Deletes the organization's credential; 404 when it has none for this provider. */
  async deleteCredential(orgId: string, provider: ProviderId): Promise<void> {
    if (!(await this.credentials.delete(orgId, provider))) throw notFound(`Credential for ${provider}`);
  }

  /**
   * The key and base URL to call `provider` with for this organization: its own credential
   * (decrypted) first, else the environment. `source: 'none'` means the provider cannot be called.
   * Throws `credential_unreadable` when a stored key no longer decrypts.
   */
  async resolveCredential(orgId: string, provider: ProviderId): Promise<ResolvedCredential> {
    const stored = await this.credentials.reveal(orgId, provider);
    if (stored) return { ...stored, source: 'organization' };
    return environmentCredential(this.config, provider);
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

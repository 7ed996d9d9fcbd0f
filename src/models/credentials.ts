import { and, asc, eq } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import type { SecretBox } from '../shared/crypto.js';
import { AppError } from '../shared/errors.js';
import type { ProviderId } from './providers.js';
import { providerCredentials } from './schema.js';

/**
 * What may be shown about a stored credential: whether it holds a key, never the key or any part
 * of it (not even the last four characters — a hint narrows a leaked key down to its owner).
 */
export interface CredentialSummary {
  provider: ProviderId;
  hasApiKey: boolean;
  baseUrl: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface CredentialInput {
  apiKey: string | null;
  baseUrl: string | null;
  /** The user who first saved it; null for API keys. */
  createdBy: string | null;
}

/**
 * Associated data bound into every ciphertext: a value copied to another organization's row, or
 * to another provider's, fails authentication instead of decrypting.
 */
export const credentialAad = (orgId: string, provider: string) => `${orgId}:${provider}`;

type Row = typeof providerCredentials.$inferSelect;

const summarize = (row: Row): CredentialSummary => ({
  provider: row.provider as ProviderId,
  hasApiKey: row.encryptedApiKey !== null,
  baseUrl: row.baseUrl,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

/** Encrypted storage of one organization's provider credentials; every query runs in withOrg. */
export class CredentialStore {
  constructor(
    private readonly database: Database,
    private readonly secrets: SecretBox,
  ) {}

  /** The organization's credentials, by provider name. */
  async list(orgId: string): Promise<CredentialSummary[]> {
    const rows = await this.database.withOrg(orgId, (tx) =>
      tx.select().from(providerCredentials).where(eq(providerCredentials.orgId, orgId)).orderBy(asc(providerCredentials.provider)),
    );
    return rows.map(summarize);
  }

  /**
   * Creates or replaces the organization's credential for `provider` (replace, not merge: a key
   * left out is removed). The key is encrypted before it reaches the database.
   */
  async put(orgId: string, provider: ProviderId, input: CredentialInput): Promise<CredentialSummary> {
    const encryptedApiKey = input.apiKey === null ? null : this.secrets.encrypt(input.apiKey, credentialAad(orgId, provider));
    const t = providerCredentials;
    const [row] = await this.database.withOrg(orgId, (tx) =>
      tx
        .insert(t)
        .values({ orgId, provider, encryptedApiKey, baseUrl: input.baseUrl, createdBy: input.createdBy })
        .onConflictDoUpdate({
          target: [t.orgId, t.provider],
          // createdAt/createdBy keep the first save; who replaced it is the audit log's business.
          set: { encryptedApiKey, baseUrl: input.baseUrl, updatedAt: new Date() },
        })
        .returning(),
    );
    return summarize(row!);
  }

  /** Removes the credential; false when the organization had none for this provider. */
  async delete(orgId: string, provider: ProviderId): Promise<boolean> {
    const t = providerCredentials;
    const rows = await this.database.withOrg(orgId, (tx) =>
      tx
        .delete(t)
        .where(and(eq(t.orgId, orgId), eq(t.provider, provider)))
        .returning({ id: t.id }),
    );
    return rows.length > 0;
  }

  /**
   * The decrypted credential, or null when none is stored. Throws `credential_unreadable` when
   * the ciphertext does not authenticate: TROUPE_SECRET_KEY changed, or the row was tampered with.
   */
  async reveal(orgId: string, provider: ProviderId): Promise<{ apiKey: string | null; baseUrl: string | null } | null> {
    const t = providerCredentials;
    const [row] = await this.database.withOrg(orgId, (tx) =>
      tx
        .select({ encryptedApiKey: t.encryptedApiKey, baseUrl: t.baseUrl })
        .from(t)
        .where(and(eq(t.orgId, orgId), eq(t.provider, provider))),
    );
    if (!row) return null;
    if (row.encryptedApiKey === null) return { apiKey: null, baseUrl: row.baseUrl };
    try {
      return { apiKey: this.secrets.decrypt(row.encryptedApiKey, credentialAad(orgId, provider)), baseUrl: row.baseUrl };
    } catch {
      throw new AppError(
        409,
        'credential_unreadable',
        `The stored ${provider} API key of this organization cannot be decrypted (was TROUPE_SECRET_KEY changed?). ` +
          `Save it again with PUT /api/v1/credentials/${provider}.`,
      );
    }
  }
}

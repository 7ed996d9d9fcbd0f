import { eq } from 'drizzle-orm';
import type { Actor } from '../shared/roles.js';
import type { Database } from '../db/client.js';
import { AppError } from '../shared/errors.js';
import type { SecretBox } from '../shared/crypto.js';
import type { InterruptedRetrySetting } from './define.js';
import { compileAllowlist, type Allowlist } from './net/allowlist.js';
import { toolSettings } from './schema.js';

export interface ToolSettingsView {
  httpAllowlist: string[];
  /** Whether send_webhook signs its deliveries (the secret itself is never shown). */
  webhookSecretSet: boolean;
  /** An interrupted send_webhook call is sent again, same delivery id, instead of asking a person (default false). */
  webhookRetryOnCrash: boolean;
  /** Null until an administrator first saves the settings. */
  updatedAt: Date | null;
}

/** The webhook secret's associated data: a ciphertext copied to another organization's row does not decrypt. */
const webhookAad = (orgId: string) => `tool-settings:webhook-secret:${orgId}`;

type Row = typeof toolSettings.$inferSelect;
const view = (row: Row | undefined): ToolSettingsView =>
  row
    ? { httpAllowlist: row.httpAllowlist, webhookSecretSet: row.webhookSecret !== null, webhookRetryOnCrash: row.webhookRetryOnCrash, updatedAt: row.updatedAt }
    : { httpAllowlist: [], webhookSecretSet: false, webhookRetryOnCrash: false, updatedAt: null };

/**
 * Per-organization tool settings: the http allowlist, the key send_webhook signs with and whether
 * an interrupted send_webhook is sent again. No row means the defaults. The key is stored
 * encrypted and only the tool reads it back.
 */
export class ToolSettings {
  constructor(
    private readonly database: Database,
    /** Encrypts the webhook secret; without it (tool unit tests) no secret can be set or read. */
    private readonly secrets?: SecretBox,
  ) {}

  async get(orgId: string): Promise<ToolSettingsView> {
    return view(await this.row(orgId));
  }

  /** Replaces the settings given (allowlist entries arrive normalized by `allowlistSchema`); the others keep their value. */
  async update(actor: Actor, input: { httpAllowlist?: string[]; webhookRetryOnCrash?: boolean }): Promise<ToolSettingsView> {
    const set: Partial<Pick<Row, 'httpAllowlist' | 'webhookRetryOnCrash'>> = {};
    if (input.httpAllowlist !== undefined) set.httpAllowlist = input.httpAllowlist;
    if (input.webhookRetryOnCrash !== undefined) set.webhookRetryOnCrash = input.webhookRetryOnCrash;
    return this.upsert(actor.orgId, set);
  }

  /** A boolean setting (a tool's `retryInterruptedSetting`), read fresh: asked only when a run resumes an interrupted call. */
  async flag(orgId: string, name: InterruptedRetrySetting): Promise<boolean> {
    return (await this.get(orgId))[name];
  }

  /** Sets (or, with null, removes) the key send_webhook signs every delivery with. */
  async setWebhookSecret(actor: Actor, secret: string | null): Promise<ToolSettingsView> {
    return this.upsert(actor.orgId, { webhookSecret: secret === null ? null : this.box().encrypt(secret, webhookAad(actor.orgId)) });
  }

  /** The organization's allowlist, read fresh for each tool call so a change applies at once. */
  async allowlist(orgId: string): Promise<Allowlist> {
    return compileAllowlist((await this.get(orgId)).httpAllowlist);
  }

  /**
   * What send_webhook needs, in one read: the allowlist and the signing key (null: unsigned).
   * A key this process cannot decrypt (another TROUPE_SECRET_KEY) fails with `secret_unreadable`.
   */
  async forWebhook(orgId: string): Promise<{ allowlist: Allowlist; secret: string | null }> {
    const row = await this.row(orgId);
    let secret: string | null = null;
    if (row?.webhookSecret) {
      try {
        secret = this.box().decrypt(row.webhookSecret, webhookAad(orgId));
      } catch {
        throw new AppError(500, 'secret_unreadable', "The organization's webhook secret cannot be read with this server's key");
      }
    }
    return { allowlist: compileAllowlist(row?.httpAllowlist ?? []), secret };
  }

  private async row(orgId: string): Promise<Row | undefined> {
    const [row] = await this.database.withOrg(orgId, (tx) => tx.select().from(toolSettings).where(eq(toolSettings.orgId, orgId)));
    return row;
  }

  private async upsert(orgId: string, set: Partial<Pick<Row, 'httpAllowlist' | 'webhookSecret' | 'webhookRetryOnCrash'>>): Promise<ToolSettingsView> {
    const now = new Date();
    const [row] = await this.database.withOrg(orgId, (tx) =>
      tx
        .insert(toolSettings)
        .values({ orgId, ...set, updatedAt: now })
        .onConflictDoUpdate({ target: toolSettings.orgId, set: { ...set, updatedAt: now } })
        .returning(),
    );
    return view(row);
  }

  private box(): SecretBox {
    if (!this.secrets) throw new AppError(500, 'secrets_unavailable', 'This process has no key to encrypt or read secrets with');
    return this.secrets;
  }
}

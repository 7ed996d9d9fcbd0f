import { eq } from 'drizzle-orm';
import type { Actor } from '../auth/roles.js';
import type { Database } from '../db/client.js';
import { compileAllowlist, type Allowlist } from './net/allowlist.js';
import { toolSettings } from './schema.js';

export interface ToolSettingsView {
  httpAllowlist: string[];
  /** Null until an administrator first saves the settings. */
  updatedAt: Date | null;
}

/** Per-organization tool settings (today: the http allowlist). No row means the defaults. */
export class ToolSettings {
  constructor(private readonly database: Database) {}

  async get(orgId: string): Promise<ToolSettingsView> {
    const [row] = await this.database.withOrg(orgId, (tx) => tx.select().from(toolSettings).where(eq(toolSettings.orgId, orgId)));
    return row ? { httpAllowlist: row.httpAllowlist, updatedAt: row.updatedAt } : { httpAllowlist: [], updatedAt: null };
  }

  /** Replaces the allowlist; entries arrive normalized by `allowlistSchema`. */
  async update(actor: Actor, input: { httpAllowlist: string[] }): Promise<ToolSettingsView> {
    const now = new Date();
    const [row] = await this.database.withOrg(actor.orgId, (tx) =>
      tx
        .insert(toolSettings)
        .values({ orgId: actor.orgId, httpAllowlist: input.httpAllowlist, updatedAt: now })
        .onConflictDoUpdate({ target: toolSettings.orgId, set: { httpAllowlist: input.httpAllowlist, updatedAt: now } })
        .returning(),
    );
    return { httpAllowlist: row!.httpAllowlist, updatedAt: row!.updatedAt };
  }

  /** The organization's allowlist, read fresh for each tool call so a change applies at once. */
  async allowlist(orgId: string): Promise<Allowlist> {
    return compileAllowlist((await this.get(orgId)).httpAllowlist);
  }
}

import { randomUUID } from 'node:crypto';
import { and, desc, eq } from 'drizzle-orm';
import type pg from 'pg';
import type { Database } from '../db/client.js';
import type { SecretBox } from '../shared/crypto.js';
import { AppError, badRequest, notFound } from '../shared/errors.js';
import { UUID_RE } from '../shared/ids.js';
import type { Actor } from '../shared/roles.js';
import type { Allowlist } from '../tools/net/allowlist.js';
import { EgressRefused, parseConnectionString, pinnedConfig, viewOf, type ConnectionSpec } from './connection.js';
import type { CreateDbSourceInput, UpdateDbSourceInput } from './dto.js';
import { parseTableName, type QualifiedTable } from './identifiers.js';
import { dbSources } from './schema.js';
import { dropTrigger, installTrigger, listTables, openSourceClient, pollStart, type SourceTable } from './source-sql.js';

export type DbSourceRow = typeof dbSources.$inferSelect;

const secretAad = (id: string) => `db-source:${id}`;
/** Errors from the source database, as stored and shown: one line, bounded. */
export const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').slice(0, 1000);

/**
 * Database sources (issue 16; docs/db-sources.md): an organization's PostgreSQL database whose
 * table's changes become events. This is the configuration side (CRUD, the connection test, the
 * table list, installing and dropping the trigger when a source is switched on and off); the
 * processes that follow sources are runner.ts.
 *
 * The connection string is write-only: encrypted (SecretBox, bound to the source) and shown as
 * host, port, database and user. Its host passes the egress guard at every connect (connection.ts).
 */
export class DbSourceService {
  /** Called after a source changed in this process (the runner looks at once instead of at its next tick). */
  onChanged: (() => void) | null = null;

  constructor(
    private readonly database: Database,
    private readonly secrets: SecretBox,
    private readonly privateHosts: Allowlist,
  ) {}

  async list(actor: Actor): Promise<DbSourceRow[]> {
    return this.database.readOrg(actor.orgId, (tx) => tx.select().from(dbSources).where(eq(dbSources.orgId, actor.orgId)).orderBy(desc(dbSources.createdAt)).limit(1000));
  }

  async get(actor: Actor, id: string): Promise<DbSourceRow> {
    if (!UUID_RE.test(id)) throw notFound('Database source');
    const [row] = await this.database.readOrg(actor.orgId, (tx) => tx.select().from(dbSources).where(and(eq(dbSources.orgId, actor.orgId), eq(dbSources.id, id))));
    if (!row) throw notFound('Database source');
    return row;
  }

  /** A new source; switched on (`enabled`), its trigger is installed now (trigger mode) or its cursor set (poll mode). */
  async create(actor: Actor, input: CreateDbSourceInput): Promise<DbSourceRow> {
    const spec = await this.checkConnection(input.connectionString);
    const table = input.tableName ? parseTableName(input.tableName)! : null;
    if (input.enabled && !table) throw badRequest('body.tableName: choose the table before switching the source on', [{ path: 'body.tableName', message: 'required to enable the source' }]);
    const id = randomUUID();
    const [row] = await this.database.withOrg(actor.orgId, (tx) =>
      tx
        .insert(dbSources)
        .values({
          id,
          orgId: actor.orgId,
          name: input.name,
          connectionEnc: this.secrets.encrypt(input.connectionString, secretAad(id)),
          connectionView: { ...viewOf(spec), hasPassword: spec.password !== null },
          mode: input.mode,
          tableName: table ? `${table.schema}.${table.table}` : null,
          operations: input.operations,
          cursorColumn: input.cursorColumn,
          keyColumn: input.keyColumn,
          pollSeconds: input.pollSeconds,
          enabled: false,
          status: 'disabled',
          createdBy: actor.userId,
        })
        .returning(),
    );
    if (!input.enabled) return row!;
    return (await this.switchOn(row!)).row;
  }

  /**
   * Changes a source. A change of what it follows (connection, table, mode, operations) while it is
   * on drops the old trigger and installs the new one; switching it off drops the trigger (best
   * effort: `warning` says when the database could not be reached).
   */
  async update(actor: Actor, id: string, patch: UpdateDbSourceInput): Promise<{ row: DbSourceRow; warning: string | null }> {
    const before = await this.get(actor, id);
    const spec = patch.connectionString !== undefined ? await this.checkConnection(patch.connectionString) : null;
    const table = patch.tableName === undefined ? undefined : patch.tableName === null ? null : parseTableName(patch.tableName)!;
    const set: Partial<typeof dbSources.$inferInsert> = {};
    for (const k of ['name', 'mode', 'operations', 'cursorColumn', 'keyColumn', 'pollSeconds'] as const) if (patch[k] !== undefined) (set as Record<string, unknown>)[k] = patch[k];
    if (table !== undefined) set.tableName = table ? `${table.schema}.${table.table}` : null;
    if (spec) {
      set.connectionEnc = this.secrets.encrypt(patch.connectionString!, secretAad(id));
      set.connectionView = { ...viewOf(spec), hasPassword: spec.password !== null };
    }
    const followsOther =
      (spec !== null && patch.connectionString !== this.connectionString(before)) ||
      (set.tableName !== undefined && set.tableName !== before.tableName) ||
      (set.mode !== undefined && set.mode !== before.mode) ||
      (set.cursorColumn !== undefined && set.cursorColumn !== before.cursorColumn) ||
      (set.keyColumn !== undefined && set.keyColumn !== before.keyColumn);
    const opsChanged = set.operations !== undefined && set.operations.join() !== before.operations.join();
    const wantOn = patch.enabled ?? before.enabled;
    const nextTable = set.tableName !== undefined ? set.tableName : before.tableName;
    if (wantOn && !nextTable) throw badRequest('body.tableName: choose the table before switching the source on', [{ path: 'body.tableName', message: 'required to enable the source' }]);
    // What it followed: its trigger goes when it stops, or follows another table or database.
    let warning: string | null = null;
    if (before.enabled && before.mode === 'trigger' && (!wantOn || followsOther)) warning = await this.dropBestEffort(before);
    if (followsOther) Object.assign(set, { lastLogId: null, pollCursor: null, pollKey: null });
    if (!wantOn) Object.assign(set, { enabled: false, status: 'disabled', lastError: null, leaseOwner: null, leaseUntil: null });
    const [row] = await this.database.withOrg(actor.orgId, (tx) =>
      tx
        .update(dbSources)
        .set({ ...set, updatedAt: new Date() })
        .where(and(eq(dbSources.orgId, actor.orgId), eq(dbSources.id, id)))
        .returning(),
    );
    this.onChanged?.();
    if (!wantOn) return { row: row!, warning };
    if (before.enabled && !followsOther && !opsChanged) return { row: row!, warning };
    const on = await this.switchOn(row!);
    return { row: on.row, warning };
  }

  /** Deletes a source, dropping its trigger first (best effort: the answer says when it could not). */
  async remove(actor: Actor, id: string): Promise<{ triggerDropped: boolean; warning: string | null }> {
    const row = await this.get(actor, id);
    const warning = row.mode === 'trigger' && row.tableName ? await this.dropBestEffort(row) : null;
    await this.database.withOrg(actor.orgId, (tx) => tx.delete(dbSources).where(and(eq(dbSources.orgId, actor.orgId), eq(dbSources.id, id))));
    this.onChanged?.();
    return { triggerDropped: row.mode === 'trigger' && row.tableName !== null && warning === null, warning };
  }

  /** Connects and lists the tables it may follow; a failure is the answer's `error`, not an HTTP error. */
  async test(actor: Actor, id: string): Promise<{ ok: boolean; error: string | null; tables: SourceTable[] }> {
    const row = await this.get(actor, id);
    try {
      return { ok: true, error: null, tables: await this.withClient(row, listTables) };
    } catch (err) {
      return { ok: false, error: errorText(err), tables: [] };
    }
  }

  /** The tables of the source's database (a 502 problem when it cannot be reached). */
  async tables(actor: Actor, id: string): Promise<SourceTable[]> {
    const row = await this.get(actor, id);
    try {
      return await this.withClient(row, listTables);
    } catch (err) {
      throw new AppError(502, 'source_unreachable', `Could not reach the database: ${errorText(err)}`);
    }
  }

  // ---- for the runner (runner.ts) and the followers ----

  /** The connection string in plain text (only to connect). */
  connectionString(row: DbSourceRow): string {
    return this.secrets.decrypt(row.connectionEnc, secretAad(row.id));
  }

  spec(row: DbSourceRow): ConnectionSpec {
    return parseConnectionString(this.connectionString(row));
  }

  /** A client on the source's database, pinned past the egress guard; `onError` hears it drop. */
  async connect(row: DbSourceRow, applicationName: string, onError?: (err: Error) => void): Promise<pg.Client> {
    return openSourceClient(await pinnedConfig(this.spec(row), this.privateHosts, { applicationName }), onError);
  }

  private async withClient<T>(row: DbSourceRow, fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = await this.connect(row, `troupe-db-source-api:${row.id}`);
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => {});
    }
  }

  /** Parses the connection string and checks its host with the egress guard now (and again at every connect). */
  private async checkConnection(text: string): Promise<ConnectionSpec> {
    const spec = parseConnectionString(text);
    try {
      await pinnedConfig(spec, this.privateHosts, { applicationName: 'troupe-check' });
    } catch (err) {
      if (err instanceof EgressRefused) throw badRequest(`body.connectionString: ${err.message}`, [{ path: 'body.connectionString', message: err.message }], err.reason === 'not_allowed' ? 'host_not_allowed' : 'host_unresolved');
      throw err;
    }
    return spec;
  }

  /**
   * Switches a source on: trigger mode installs its trigger, poll mode sets its cursor after the
   * newest row (changes from now on). Either way the source is then on; a failure is its status
   * `error` with the reason, and the runner keeps trying (with backoff) until it works.
   */
  private async switchOn(row: DbSourceRow): Promise<{ row: DbSourceRow }> {
    const table = parseTableName(row.tableName!)!;
    let status: 'active' | 'error' = 'active';
    let lastError: string | null = null;
    const set: Partial<typeof dbSources.$inferInsert> = {};
    try {
      await this.withClient(row, async (client) => {
        if (row.mode === 'trigger') await installTrigger(client, row.id, table, row.operations);
        else if (row.pollCursor === null) {
          const start = await pollStart(client, table, row.cursorColumn, row.keyColumn);
          set.pollCursor = start?.cursor ?? null;
          set.pollKey = start?.key ?? null;
        }
      });
    } catch (err) {
      status = 'error';
      lastError = errorText(err);
    }
    const [on] = await this.database.withOrg(row.orgId, (tx) =>
      tx
        .update(dbSources)
        .set({ ...set, enabled: true, status, lastError, updatedAt: new Date() })
        .where(and(eq(dbSources.orgId, row.orgId), eq(dbSources.id, row.id)))
        .returning(),
    );
    this.onChanged?.();
    return { row: on! };
  }

  /** Drops the source's trigger; the reason when the database could not be reached (null: dropped). */
  private async dropBestEffort(row: DbSourceRow): Promise<string | null> {
    const table: QualifiedTable | null = row.tableName ? parseTableName(row.tableName) : null;
    if (!table) return null;
    try {
      await this.withClient(row, (client) => dropTrigger(client, row.id, table));
      return null;
    } catch (err) {
      return `The trigger could not be dropped from ${row.tableName} (${errorText(err)}); drop it by hand: DROP TRIGGER IF EXISTS troupe_src_${row.id.replace(/-/g, '')} ON ${row.tableName}`;
    }
  }
}

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql, type ExtractTablesWithRelations } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { migrate, type SqlSession } from './migrate.js';
import * as schema from './schema.js';
import { UUID_RE } from '../shared/ids.js';

export type Schema = typeof schema;
/** Both drivers (node-postgres and PGlite) answer raw `execute()` with at least `{ rows }`. */
export interface RowsResultHKT extends PgQueryResultHKT {
  type: { rows: Record<string, unknown>[] };
}
export type Db = PgDatabase<RowsResultHKT, Schema>;
export type Tx = PgTransaction<RowsResultHKT, Schema, ExtractTablesWithRelations<Schema>>;


/**
 * The one way the application reaches its data. Every connection's default role is troupe_app,
 * which sees no tenant rows, so a query that forgot its scope finds nothing rather than
 * everything (row-level security is the second wall behind the services' own filters).
 */
export interface Database {
  readonly kind: 'pglite' | 'postgres';
  /** Tags of the migrations applied while opening (empty when it was up to date or not asked to migrate). */
  readonly migrated: string[];
  /** Drizzle handle with no scope: sees global price rows, no tenant rows. */
  readonly db: Db;
  /** Runs fn in one transaction scoped to one organization (`SET LOCAL app.org_id`). */
  withOrg<T>(orgId: string, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Runs fn in one transaction as the login role, past row-level security. Only for work that is
   * by nature cross-tenant: sign-in, token and API-key lookup, org creation, schedulers.
   */
  system<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Calls one of Troupe's SQL functions (`troupe_*`, migrations/0003) as a single statement: one
   * round trip, prepared once per connection. The functions scope themselves to the organization
   * they are given, so row-level security applies inside them. With `tx`, inside that transaction.
   */
  call<T>(fn: string, args: unknown[], tx?: Tx): Promise<T>;
  /**
   * VACUUMs tables (names already quoted identifiers) outside any transaction, with the right to:
   * on PostgreSQL as the login role on a connection of its own, on PGlite as troupe_app, which
   * holds MAINTAIN (PostgreSQL 17+, granted by migrate()).
   */
  vacuum(tables: string[]): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

const SQL_FUNCTION = /^troupe_[a-z_]+$/;
const callText = (fn: string, n: number) => {
  if (!SQL_FUNCTION.test(fn)) throw new Error(`call: not a Troupe SQL function: ${fn}`);
  return `select ${fn}(${Array.from({ length: n }, (_, i) => `$${i + 1}`).join(', ')}) as r`;
};

/** The call inside a Drizzle transaction (either driver). */
async function callInTx<T>(tx: Tx, fn: string, args: unknown[]): Promise<T> {
  callText(fn, args.length);
  const { rows } = await tx.execute(sql`select ${sql.raw(fn)}(${sql.join(args.map((a) => sql`${a}`), sql`, `)}) as r`);
  return rows[0]!.r as T;
}

function makeScopes(db: Db): Pick<Database, 'withOrg' | 'system'> {
  return {
    withOrg(orgId, fn) {
      if (!UUID_RE.test(orgId)) throw new Error(`withOrg: not an organization id: ${orgId}`);
      return db.transaction(async (tx) => {
        await tx.execute(sql`select set_config('app.org_id', ${orgId}, true)`);
        return fn(tx);
      });
    },
    system(fn) {
      return db.transaction(async (tx) => {
        await tx.execute(sql`select set_config('role', 'none', true)`);
        return fn(tx);
      });
    },
  };
}

export interface OpenOptions {
  /** Apply pending migrations first (default true). */
  migrate?: boolean;
}

/** Opens PostgreSQL through a node-postgres pool whose connections start as troupe_app. */
export async function openPostgres(url: string, poolSize = 10, options: OpenOptions = {}): Promise<Database> {
  let migrated: string[] = [];
  if (options.migrate !== false) {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => {});
    await client.connect();
    try {
      migrated = await migrate(pgSession(client));
    } finally {
      await client.end();
    }
  }
  const pool = new pg.Pool({ connectionString: url, max: poolSize, options: '-c role=troupe_app' });
  // A connection that loses its server (restart, failover, pg_terminate_backend) must not crash
  // the process. pg-pool listens for errors only on idle clients (its listener comes off while a
  // client is checked out, e.g. inside a transaction), and an 'error' event nobody listens to is
  // thrown; so every client also gets its own listener for life. A query in flight fails with the
  // error (its caller retries or reports it) and the pool discards the dead client on release.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = drizzlePg(pool, { schema }) as unknown as Db;
  return {
    kind: 'postgres',
    migrated,
    db,
    ...makeScopes(db),
    async call<T>(fn: string, args: unknown[], tx?: Tx) {
      if (tx) return callInTx<T>(tx, fn, args);
      const { rows } = await pool.query({ name: `${fn}/${args.length}`, text: callText(fn, args.length), values: args });
      return rows[0].r as T;
    },
    async vacuum(tables) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('set role none');
        for (const table of tables) await client.query(`vacuum ${table}`);
      } finally {
        // Back to troupe_app before the connection returns to the pool; if that fails, it is closed.
        await client.query('set role troupe_app').catch((err: Error) => (broken = err));
        client.release(broken);
      }
    },
    async ping() {
      await pool.query('select 1');
    },
    async close() {
      await pool.end();
    },
  };
}

export function pgSession(client: pg.Client | pg.PoolClient): SqlSession {
  return {
    async exec(text) {
      await client.query(text);
    },
    async rows<T>(text: string, params?: unknown[]) {
      return (await client.query(text, params)).rows as T[];
    },
  };
}

export function pgliteSession(client: PGlite): SqlSession {
  return {
    async exec(text) {
      await client.exec(text);
    },
    async rows<T>(text: string, params?: unknown[]) {
      return (await client.query<T>(text, params)).rows;
    },
  };
}

/**
 * Opens the embedded database in `<dataDir>/pgdata` (or in memory for `memory://`). PGlite is one
 * session in this process, so a lock file keeps a second Troupe process off the same folder.
 */
export async function openPglite(dataDir: string, options: OpenOptions = {}): Promise<Database> {
  const inMemory = dataDir === 'memory://';
  const release = inMemory ? () => {} : lockDataDir(dataDir);
  let client: PGlite;
  let migrated: string[] = [];
  try {
    client = inMemory ? new PGlite() : new PGlite(path.join(dataDir, 'pgdata'));
    await client.waitReady;
    if (options.migrate !== false) migrated = await migrate(pgliteSession(client));
    await client.exec('set role troupe_app');
  } catch (err) {
    release();
    throw err;
  }
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    kind: 'pglite',
    migrated,
    db,
    ...makeScopes(db),
    async call<T>(fn: string, args: unknown[], tx?: Tx) {
      if (tx) return callInTx<T>(tx, fn, args);
      const { rows } = await client.query<{ r: T }>(callText(fn, args.length), args);
      return rows[0]!.r;
    },
    async vacuum(tables) {
      for (const table of tables) await client.exec(`vacuum ${table}`);
    },
    async ping() {
      await client.query('select 1');
    },
    async close() {
      await client.close();
      release();
    },
  };
}

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
}

function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'troupe.lock');
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (pid && pid !== process.pid && isAlive(pid)) {
      throw new DataDirLockedError(
        `The embedded database in ${dataDir} is in use by another Troupe process (pid ${pid}). ` +
          'Stop it first, or use the HTTP API / CLI against the running server.',
      );
    }
  }
  writeFileSync(file, String(process.pid));
  return () => rmSync(file, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql, type ExtractTablesWithRelations } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg, NodePgSession, NodePgTransaction } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { migrate, type SqlSession } from './migrate.js';
import { lockDataDir } from './data-dir-lock.js';
// Types only: Drizzle is built without the relational schema (no `db.query.*` is used), so the
// database layer loads no module's tables and stands below every module (test/structure).
import type * as schema from '../schema.js';
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
  /**
   * The embedded database (no DATABASE_URL: PGlite, or the PostgreSQL this process started): this
   * process is its only user, which the data folder's lock guarantees (dead leases, scheduler).
   */
  readonly embedded: boolean;
  /** What this process asked of the database so far (the `troupe_db_round_trips_total` metric; bench/api-loop). */
  readonly stats: DbStats;
  /** Tags of the migrations applied while opening (empty when it was up to date or not asked to migrate). */
  readonly migrated: string[];
  /** Drizzle handle with no scope: sees global price rows, no tenant rows. */
  readonly db: Db;
  /** Runs fn in one transaction scoped to one organization (`SET LOCAL app.org_id`). */
  withOrg<T>(orgId: string, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * A read scoped to one organization in one round trip: `begin`, the scope, fn's statements and
   * `commit` go out in one write (PostgreSQL). fn must send every statement before it awaits an
   * answer (one query, or several in one Promise.all): a statement sent later finds the
   * transaction committed and fails. On PGlite, the same as withOrg.
   */
  readOrg<T>(orgId: string, fn: (tx: Tx) => Promise<T>): Promise<T>;
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
  /**
   * Hears the notices of `channel` (LISTEN), sent by any process, after their transaction
   * committed. `onState(true)` once listening, `onState(false)` when the listening connection is
   * lost (notices sent meanwhile are missed) and true again when it is back: PostgreSQL reconnects
   * by itself. Returns the function that stops listening.
   */
  watch(channel: string, onNotice: (payload: string) => void, onState: (live: boolean) => void): () => Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Counters of the database client. A round trip is a wait for the server: statements written
 * while others are still in flight on the same connection (pipelined) share one. On PGlite,
 * which has no network, every statement counts as one (each is a call into the engine).
 */
export interface DbStats {
  roundTrips: number;
  statements: number;
}

/**
 * The statement that opens a scoped transaction. The organization id is checked against UUID_RE
 * first, so it can be written into the text: a simple query of two statements, one message, where
 * a parameter would need a statement of its own (and PGlite 5 protocol calls more).
 */
const orgScope = (orgId: string) => {
  if (!UUID_RE.test(orgId)) throw new Error(`withOrg: not an organization id: ${orgId}`);
  return `select set_config('app.org_id', '${orgId}', true)`;
};
const SYSTEM_SCOPE = `select set_config('role', 'none', true)`;

/** Work to do once a scoped transaction committed (withOrg, system), by transaction. */
const commitHooks = new WeakMap<object, (() => void)[]>();

/**
 * Runs `fn` once `tx` has committed, or at once when tx is not a transaction withOrg or system
 * opened (a savepoint's). Nothing runs if it rolls back. For caches of what the transaction
 * changed: forgetting only before the commit would let a read in between cache the old row.
 */
export function afterCommit(tx: Tx, fn: () => void): void {
  const hooks = commitHooks.get(tx);
  if (hooks) hooks.push(fn);
  else fn();
}

async function withHooks<T>(tx: Tx, run: () => Promise<T>): Promise<{ result: T; hooks: (() => void)[] }> {
  const hooks: (() => void)[] = [];
  commitHooks.set(tx, hooks);
  try {
    return { result: await run(), hooks };
  } finally {
    // Registered by fn only (the transaction object may be reused for the connection's next one).
    commitHooks.delete(tx);
  }
}

function runHooks(hooks: (() => void)[]): void {
  for (const h of hooks) h();
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

/** Scoped transactions on PGlite: its own BEGIN, then the scope as one simple statement. */
function pgliteScopes(db: Db): Pick<Database, 'withOrg' | 'readOrg' | 'system'> {
  return {
    withOrg(orgId, fn) {
      return scoped(orgScope(orgId), fn);
    },
    readOrg(orgId, fn) {
      return scoped(orgScope(orgId), fn);
    },
    system(fn) {
      return scoped(SYSTEM_SCOPE, fn);
    },
  };
  async function scoped<T>(opening: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    const { result, hooks } = await db.transaction(async (tx) => {
      await tx.execute(sql.raw(opening));
      return withHooks(tx, () => fn(tx));
    });
    runHooks(hooks);
    return result;
  }
}

/**
 * Scoped transactions on PostgreSQL with fewer waits (decision 54): the pool's connections
 * pipeline (node-postgres `pipeline: true`), so `begin; set_config(…)` is written together with
 * the transaction's first statement and the three cost one round trip where Drizzle's own
 * transaction() waits for each. A read is then two round trips (that, and COMMIT).
 */
function pgScopes(db: Db, pool: pg.Pool): Pick<Database, 'withOrg' | 'readOrg' | 'system'> {
  // Drizzle's session of the pool, for its dialect, relational schema and options.
  const base = (db as unknown as { session: { dialect: never; schema: never; options: never } }).session;
  // One transaction object per connection, reused: Drizzle's constructor builds a query helper
  // for every table of the schema (about 0.2 ms), and the object holds no state of its own.
  const txOf = new WeakMap<pg.PoolClient, Tx>();
  // Connections whose read transaction's commit is already written (readOrg): a statement sent
  // now would run after it, outside the scope, so it fails instead.
  const sealed = new WeakSet<pg.PoolClient>();
  function txFor(client: pg.PoolClient): Tx {
    let tx = txOf.get(client);
    if (!tx) {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        if (sealed.has(client)) throw new Error('readOrg: a statement was sent after the read transaction was committed; send every statement before awaiting one');
        return query(...args);
      };
      const session = new NodePgSession(client, base.dialect, base.schema, base.options);
      txOf.set(client, (tx = new NodePgTransaction(base.dialect, session, base.schema) as unknown as Tx));
    }
    return tx;
  }
  async function scoped<T>(opening: string, fn: (tx: Tx) => Promise<T>, read = false): Promise<T> {
    const client = await pool.connect();
    const tx = txFor(client);
    // Not awaited here: the first statements of fn go out behind it, without waiting, and in
    // one write: the socket is corked until this turn of the event loop is over (a write to a
    // loopback socket is a system call that wakes the server, costlier here than the statement).
    // A read's commit joins that write: fn's statements were all sent by then (Promise.all sends
    // from microtasks, which run before setImmediate).
    const stream = (client as unknown as { connection?: { stream?: { cork?(): void; uncork?(): void } } }).connection?.stream;
    const corked = Boolean(stream?.cork && stream.uncork);
    if (corked) stream!.cork!();
    let committed: Promise<unknown> | undefined;
    let finished = false;
    const closeRead = () => {
      if (!read || committed || finished) return;
      committed = client.query('commit');
      committed.catch(() => {});
      sealed.add(client);
    };
    setImmediate(() => {
      closeRead();
      if (corked) stream!.uncork!();
    });
    const begun = client.query(`begin; ${opening}`);
    begun.catch(() => {});
    let broken: Error | undefined;
    try {
      const { result, hooks } = await withHooks(tx, () => fn(tx));
      await begun;
      closeRead();
      await (committed ?? client.query('commit'));
      runHooks(hooks);
      return result;
    } catch (err) {
      if (committed) await committed.catch((e: Error) => (broken = e));
      else await client.query('rollback').catch((e: Error) => (broken = e));
      throw err;
    } finally {
      finished = true;
      sealed.delete(client);
      client.release(broken);
    }
  }
  return {
    withOrg(orgId, fn) {
      return scoped(orgScope(orgId), fn);
    },
    readOrg(orgId, fn) {
      return scoped(orgScope(orgId), fn, true);
    },
    system(fn) {
      return scoped(SYSTEM_SCOPE, fn);
    },
  };
}

/**
 * Counts round trips on a node-postgres client: a statement sent while nothing is in flight on
 * the connection starts one; statements pipelined behind it share it.
 */
function countRoundTrips(client: pg.PoolClient | pg.Client, stats: DbStats) {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  let inFlight = 0;
  const done = () => void inFlight--;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    if (inFlight === 0) stats.roundTrips++;
    stats.statements++;
    inFlight++;
    const last = args.length - 1;
    const cb = args[last];
    if (typeof cb === 'function') {
      args[last] = (...r: unknown[]) => {
        done();
        return (cb as (...a: unknown[]) => unknown)(...r);
      };
      return query(...args);
    }
    const out = query(...args);
    if (out && typeof (out as Promise<unknown>).then === 'function') (out as Promise<unknown>).then(done, done);
    else done();
    return out;
  };
}

/** Counts PGlite's statements (each a call into the engine); a transaction adds its BEGIN and COMMIT. */
function countPgliteCalls(client: PGlite, stats: DbStats) {
  const count = (n = 1) => {
    stats.roundTrips += n;
    stats.statements += n;
  };
  const query = client.query.bind(client);
  const exec = client.exec.bind(client);
  const transaction = client.transaction.bind(client);
  client.query = ((...args: Parameters<PGlite['query']>) => (count(), query(...args))) as PGlite['query'];
  client.exec = ((...args: Parameters<PGlite['exec']>) => (count(), exec(...args))) as PGlite['exec'];
  client.transaction = (<T>(fn: (tx: Parameters<Parameters<PGlite['transaction']>[0]>[0]) => Promise<T>) => {
    count(2);
    return transaction((tx) => {
      const txQuery = tx.query.bind(tx);
      const txExec = tx.exec.bind(tx);
      tx.query = ((...a: Parameters<typeof tx.query>) => (count(), txQuery(...a))) as typeof tx.query;
      tx.exec = ((...a: Parameters<typeof tx.exec>) => (count(), txExec(...a))) as typeof tx.exec;
      return fn(tx);
    });
  }) as PGlite['transaction'];
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
  const stats: DbStats = { roundTrips: 0, statements: 0 };
  // pipeline: statements written back to back without waiting for each answer (pgScopes).
  const pool = new pg.Pool({ connectionString: url, max: poolSize, options: '-c role=troupe_app', pipeline: true } as pg.PoolConfig);
  // A connection that loses its server (restart, failover, pg_terminate_backend) must not crash
  // the process. pg-pool listens for errors only on idle clients (its listener comes off while a
  // client is checked out, e.g. inside a transaction), and an 'error' event nobody listens to is
  // thrown; so every client also gets its own listener for life. A query in flight fails with the
  // error (its caller retries or reports it) and the pool discards the dead client on release.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    client.on('error', () => {});
    countRoundTrips(client, stats);
  });
  const db = drizzlePg(pool) as unknown as Db;
  return {
    kind: 'postgres',
    embedded: false,
    stats,
    migrated,
    db,
    ...pgScopes(db, pool),
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
    watch(channel, onNotice, onState) {
      return watchPostgres(url, channel, onNotice, onState);
    },
    async ping() {
      await pool.query('select 1');
    },
    async close() {
      await pool.end();
    },
  };
}

const CHANNEL = /^[a-z_]+$/;

/**
 * LISTEN on a connection of its own, outside the pool, for as long as the database is open: when
 * it drops (a restart, failover, a killed backend) the listener says so and connects again after
 * a pause that grows from 0.25 to 5 s.
 */
function watchPostgres(url: string, channel: string, onNotice: (payload: string) => void, onState: (live: boolean) => void): () => Promise<void> {
  if (!CHANNEL.test(channel)) throw new Error(`watch: not a channel name: ${channel}`);
  let stopped = false;
  let client: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  let pause = 250;
  const connect = async () => {
    timer = undefined;
    if (stopped) return;
    const c = new pg.Client({ connectionString: url, options: '-c role=troupe_app' });
    client = c;
    let lost = false;
    const lose = () => {
      if (lost) return;
      lost = true;
      onState(false);
      c.end().catch(() => {});
      if (!stopped) timer = setTimeout(() => void connect(), pause);
      pause = Math.min(pause * 2, 5000);
    };
    c.on('error', lose);
    c.on('end', lose);
    c.on('notification', (n) => {
      if (n.channel === channel && n.payload !== undefined) onNotice(n.payload);
    });
    try {
      await c.connect();
      await c.query(`listen ${channel}`);
      if (stopped || lost) return;
      pause = 250;
      onState(true);
    } catch {
      lose();
    }
  };
  void connect();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    const c = client;
    client = undefined;
    c?.removeAllListeners('end');
    c?.removeAllListeners('error');
    c?.on('error', () => {});
    await c?.end().catch(() => {});
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
  const stats: DbStats = { roundTrips: 0, statements: 0 };
  countPgliteCalls(client, stats);
  const db = drizzlePglite(client) as unknown as Db;
  return {
    kind: 'pglite',
    embedded: true,
    stats,
    migrated,
    db,
    ...pgliteScopes(db),
    async call<T>(fn: string, args: unknown[], tx?: Tx) {
      if (tx) return callInTx<T>(tx, fn, args);
      const { rows } = await client.query<{ r: T }>(callText(fn, args.length), args);
      return rows[0]!.r;
    },
    async vacuum(tables) {
      for (const table of tables) await client.exec(`vacuum ${table}`);
    },
    watch(channel, onNotice, onState) {
      // One session in this process: nothing to lose but the process itself.
      const listening = client.listen(channel, onNotice);
      void listening.then(() => onState(true), () => onState(false));
      return async () => {
        const stop = await listening.catch(() => null);
        await stop?.().catch(() => {});
      };
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

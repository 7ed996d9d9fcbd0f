import type { Config } from '../../config/load.js';
import { openPglite, openPostgres, type Database } from '../../db/client.js';
import { cannotOpen } from './context.js';

/**
 * Applies the pending migrations to the configured database (opening it migrates, exactly as the
 * server does at start-up) and returns the tags applied, in order (empty when it was up to date).
 */
export async function applyMigrations(config: Config): Promise<string[]> {
  let database: Database;
  try {
    database = config.DATABASE_URL ? await openPostgres(config.DATABASE_URL, 1) : await openPglite(config.dataDir);
  } catch (err) {
    if ((err as Error).name === 'DataDirLockedError') throw err;
    throw cannotOpen(config, err);
  }
  try {
    return database.migrated;
  } finally {
    await database.close();
  }
}

import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { describeDatabase } from '../admin/context.js';
import { applyMigrations } from '../admin/migrations.js';
import { printJson, printLine } from '../output.js';

/** `troupe migrate`: applies pending migrations to DATABASE_URL or the embedded data folder. */
export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('Apply pending database migrations (DATABASE_URL, else the embedded data folder; stop the embedded server first)')
    .option('--json', 'print {applied, database} as JSON')
    .action(async (opts: { json?: boolean }) => {
      const config = loadConfig(process.env);
      const applied = await applyMigrations(config);
      const database = describeDatabase(config);
      if (opts.json) return printJson({ applied, upToDate: applied.length === 0, database: config.databaseKind });
      printLine(applied.length ? `Applied ${applied.join(', ')} to ${database}` : `Database is up to date (${database})`);
    });
}

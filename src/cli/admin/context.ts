import { pino } from 'pino';
import { createContext, type AppContext } from '../../app.js';
import { ConfigError, loadConfig, type Config } from '../../config/load.js';
import { DataDirLockedError } from '../../db/data-dir-lock.js';
import { EmbeddedDatabaseError } from '../../db/embedded-postgres.js';
import { createLogger, type Logger } from '../../shared/logger.js';
import { reportingAppErrors } from '../errors.js';
import { CliError } from '../run.js';

/**
 * The admin commands' logger: to stderr (stdout carries the result), quiet unless LOG_LEVEL is
 * set, so a command prints its answer and nothing else.
 */
export function cliLogger(env = process.env): Logger {
  return createLogger(env.LOG_LEVEL || 'warn', pino.destination(2));
}

/** DATABASE_URL without its password, for messages. */
export function describeDatabase(config: Config): string {
  if (!config.DATABASE_URL) return `the embedded database in ${config.dataDir}`;
  try {
    const url = new URL(config.DATABASE_URL);
    return `PostgreSQL at ${url.host}${url.pathname}`;
  } catch {
    return 'PostgreSQL (DATABASE_URL)';
  }
}

/** A failure to open the database, in words (connection refused, unknown database, bad password…). */
export function cannotOpen(config: Config, err: unknown): CliError {
  // A refused connection to `localhost` is an AggregateError (IPv6 and IPv4) with no message, only a code.
  const e = err as Error & { code?: string };
  return new CliError(`cannot open ${describeDatabase(config)}: ${e.message || e.code || String(err)}`, 1);
}

/**
 * Opens the configured database directly (DATABASE_URL or the embedded data folder, migrating it
 * like the server does), runs fn with the services and always closes it. Service errors become
 * CliErrors with their field paths; config errors and a locked data folder pass through to runCli.
 */
export async function withContext<T>(fn: (ctx: AppContext) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env);
  let ctx: AppContext;
  try {
    ctx = await createContext(config, { logger: cliLogger() });
  } catch (err) {
    if (err instanceof ConfigError || err instanceof DataDirLockedError || err instanceof EmbeddedDatabaseError) throw err;
    throw cannotOpen(config, err);
  }
  try {
    return await reportingAppErrors(() => fn(ctx));
  } finally {
    await ctx.close();
  }
}

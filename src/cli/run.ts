import { CommanderError, type Command } from 'commander';
import { ConfigError } from '../config/load.js';
import { DataDirLockedError } from '../db/data-dir-lock.js';
import { EmbeddedDatabaseError } from '../db/embedded-postgres.js';

/** An error meant for the person at the terminal: printed without a stack, with this exit code. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Runs the program; known errors print one clear line and exit non-zero. */
export async function runCli(program: Command, argv: string[]): Promise<void> {
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof CliError || err instanceof ConfigError || err instanceof DataDirLockedError || err instanceof EmbeddedDatabaseError) {
      process.stderr.write(`troupe: ${err.message}\n`);
      process.exitCode = err instanceof CliError ? err.exitCode : 2;
      return;
    }
    process.stderr.write(`troupe: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}

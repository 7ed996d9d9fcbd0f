import type { Command } from 'commander';
import { registerApiKeyCommands } from './apikey.js';
import { registerDemoCommand } from './demo.js';
import { registerMigrateCommand } from './migrate.js';
import { registerOrgCommands } from './org.js';
import { registerUserCommands } from './user.js';

/**
 * The commands that open the database directly (DATABASE_URL or the embedded data folder):
 * `migrate`, `org create`, `user create`, `apikey create`, `demo`. The embedded folder is locked by a
 * running server, so against it they work only while the server is stopped.
 */
export function registerAdminCommands(program: Command): void {
  registerMigrateCommand(program);
  registerOrgCommands(program);
  registerUserCommands(program);
  registerApiKeyCommands(program);
  registerDemoCommand(program);
}

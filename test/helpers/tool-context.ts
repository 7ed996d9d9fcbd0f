import { randomUUID } from 'node:crypto';
import type { AppContext } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config/load.js';
import type { Database } from '../../src/db/client.js';
import { createLogger } from '../../src/shared/logger.js';
import type { ToolContext } from '../../src/tools/define.js';

/** For tools that touch no database: any use of it fails the test, naming the mistake. */
const noDatabase = new Proxy({} as Database, {
  get(_target, prop) {
    throw new Error(`This tool test gave the tool no database, but it used database.${String(prop)}; pass { app }`);
  },
});

/**
 * A ToolContext for tool tests: random org, agent, run and call ids unless given; the app's
 * database, config and logger with `app` (config fields can be overridden), else a default
 * config, a silent logger and no database.
 */
export function toolContext(
  options: Partial<Omit<ToolContext, 'config'>> & { app?: AppContext; config?: Partial<Config> } = {},
): ToolContext {
  const { app, config, ...rest } = options;
  return {
    orgId: randomUUID(),
    agentId: randomUUID(),
    runId: randomUUID(),
    toolCallId: randomUUID(),
    signal: new AbortController().signal,
    database: app?.database ?? noDatabase,
    logger: app?.logger ?? createLogger('silent'),
    ...rest,
    config: { ...(app?.config ?? loadConfig({ TROUPE_SECRET_KEY: 'a'.repeat(64) })), ...config },
  };
}

import type { Command } from 'commander';
import { ApiClient, DEFAULT_URL } from './http-client.js';
import { CliError } from './run.js';

/** The options every command that talks to a running server takes. */
export interface RemoteOptions {
  url?: string;
  apiKey?: string;
  org?: string;
  json?: boolean;
}

/** Adds --url, --api-key, --org and --json to a command that calls the HTTP API. */
export function withRemoteOptions(command: Command): Command {
  return command
    .option('--url <url>', `server URL (default: TROUPE_URL, else ${DEFAULT_URL})`)
    .option('--api-key <key>', 'API key (default: TROUPE_API_KEY)')
    .option('--org <orgId>', 'organization id, sent as X-Org-Id (API keys already belong to one)')
    .option('--json', 'print the raw JSON response');
}

/** The API client for these options: flags first, then TROUPE_URL / TROUPE_API_KEY. */
export function clientFor(opts: RemoteOptions, env = process.env): ApiClient {
  const apiKey = (opts.apiKey || env.TROUPE_API_KEY)?.trim();
  if (!apiKey) {
    throw new CliError('no API key: pass --api-key <key> or set TROUPE_API_KEY (create one with `troupe apikey create`)', 2);
  }
  if (/[^\x21-\x7e]/.test(apiKey)) {
    throw new CliError(`the API key (${opts.apiKey ? '--api-key' : 'TROUPE_API_KEY'}) contains spaces or characters a key cannot have`, 2);
  }
  if (opts.org !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(opts.org)) {
    throw new CliError(`--org: must be an organization id (UUID), got "${opts.org}"`);
  }
  return new ApiClient({ url: opts.url || env.TROUPE_URL || DEFAULT_URL, apiKey, orgId: opts.org });
}

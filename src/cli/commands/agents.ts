import type { Command } from 'commander';
import type { Agent } from '../../agents/dto.js';
import { listAgentsQuery } from '../../agents/list-query.js';
import type { Page } from '../../shared/pagination.js';
import { agentBody, withAgentInputOptions, type AgentInputOptions } from '../agent-input.js';
import { formatAgent, formatAgentPage } from '../agent-view.js';
import { flagName, invalidInput } from '../errors.js';
import { printJson, printLine } from '../output.js';
import { clientFor, withRemoteOptions, type RemoteOptions } from '../remote.js';

interface ListOptions extends RemoteOptions {
  status?: string;
  provider?: string;
  search?: string;
  tag?: string;
  limit?: string;
  offset?: string;
  cursor?: string;
  sortBy?: string;
  sortOrder?: string;
  includeDeleted?: boolean;
}

const agentPath = (id: string) => `/agents/${encodeURIComponent(id)}`;

/** Prints an agent: raw JSON with --json, else `key: value` lines. */
function showAgent(agent: Agent, opts: RemoteOptions): void {
  if (opts.json) printJson(agent);
  else printLine(formatAgent(agent));
}

/**
 * `troupe agents list|get|create|update|delete|enable|disable|restore`: the agents API of a
 * running server (URL from --url / TROUPE_URL, key from --api-key / TROUPE_API_KEY).
 */
export function registerAgentCommands(program: Command): void {
  const agents = program
    .command('agents')
    .description('Manage the agents of a running server (--url/TROUPE_URL, --api-key/TROUPE_API_KEY)');

  withRemoteOptions(agents.command('list').description('List agents'))
    .option('--status <status>', 'active or paused')
    .option('--provider <provider>', 'model provider, e.g. openai')
    .option('--search <text>', 'in name, description, role and tags')
    .option('--tag <tag>', 'agents with this tag')
    .option('--limit <n>', '1–100 (default 20)')
    .option('--offset <n>', 'skip this many')
    .option('--cursor <cursor>', 'the next page, from the previous list')
    .option('--sort-by <field>', 'createdAt (default), updatedAt, name or executionCount')
    .option('--sort-order <order>', 'asc or desc (default)')
    .option('--include-deleted', 'also list soft-deleted agents')
    .action(async (opts: ListOptions) => {
      const query = {
        status: opts.status,
        provider: opts.provider,
        search: opts.search,
        tag: opts.tag,
        limit: opts.limit,
        offset: opts.offset,
        cursor: opts.cursor,
        sortBy: opts.sortBy,
        sortOrder: opts.sortOrder,
        includeDeleted: opts.includeDeleted ? 'true' : undefined,
      };
      const parsed = listAgentsQuery.safeParse(query);
      if (!parsed.success) throw invalidInput('list options', parsed.error, flagName);
      const page = await clientFor(opts).request<Page<Agent>>('GET', '/agents', { query });
      if (opts.json) printJson(page);
      else printLine(formatAgentPage(page));
    });

  withRemoteOptions(agents.command('get').description('Show an agent').argument('<id>', 'agent id'))
    .option('--include-deleted', 'also find a soft-deleted agent')
    .action(async (id: string, opts: RemoteOptions & { includeDeleted?: boolean }) => {
      const query = { includeDeleted: opts.includeDeleted ? 'true' : undefined };
      showAgent(await clientFor(opts).request<Agent>('GET', agentPath(id), { query }), opts);
    });

  withRemoteOptions(withAgentInputOptions(agents.command('create').description('Create an agent from a file and/or flags (--name and --model at least)')))
    .action(async (opts: AgentInputOptions & RemoteOptions) => {
      const body = await agentBody(opts, 'create');
      showAgent(await clientFor(opts).request<Agent>('POST', '/agents', { body }), opts);
    });

  withRemoteOptions(withAgentInputOptions(agents.command('update').description('Change an agent: only the fields given change').argument('<id>', 'agent id')))
    .action(async (id: string, opts: AgentInputOptions & RemoteOptions) => {
      const body = await agentBody(opts, 'update');
      showAgent(await clientFor(opts).request<Agent>('PATCH', agentPath(id), { body }), opts);
    });

  withRemoteOptions(agents.command('delete').description('Delete an agent (soft: `agents restore` brings it back)').argument('<id>', 'agent id'))
    .action(async (id: string, opts: RemoteOptions) => {
      await clientFor(opts).request<null>('DELETE', agentPath(id));
      if (opts.json) printJson({ id, deleted: true });
      else printLine(`Deleted agent ${id} (undo with \`troupe agents restore ${id}\`)`);
    });

  const actions = [
    ['enable', 'Set an agent active'],
    ['disable', 'Pause an agent'],
    ['restore', 'Bring back a deleted agent'],
  ] as const;
  for (const [action, description] of actions) {
    withRemoteOptions(agents.command(action).description(description).argument('<id>', 'agent id')).action(
      async (id: string, opts: RemoteOptions) => {
        showAgent(await clientFor(opts).request<Agent>('POST', `${agentPath(id)}/${action}`), opts);
      },
    );
  }
}

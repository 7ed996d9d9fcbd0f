import type { Command } from 'commander';
import { z } from 'zod';
import { roleSchema } from '../../auth/dto.js';
import type { Actor } from '../../shared/roles.js';
import { withContext } from '../admin/context.js';
import { CliError } from '../run.js';
import { flagName, invalidInput } from '../errors.js';
import { printJson, printLine, printNote } from '../output.js';

/** A calendar date (`2026-01-31`, end of that day UTC) or a date-time with offset (`2026-01-31T12:00:00Z`). */
const expiresSchema = z
  .string()
  .trim()
  .regex(/^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d))?$/, 'must be an ISO date (2026-01-31) or date-time with offset (2026-01-31T12:00:00Z)')
  .transform((v, ctx) => {
    const date = new Date(v.length === 10 ? `${v}T23:59:59.999Z` : v);
    if (Number.isNaN(date.getTime())) {
      ctx.addIssue({ code: 'custom', message: 'is not a real date' });
      return z.NEVER;
    }
    if (date <= new Date()) {
      ctx.addIssue({ code: 'custom', message: 'must be in the future' });
      return z.NEVER;
    }
    return date;
  });

const apiKeyFlags = z.object({
  org: z.uuid('must be an organization id (UUID)'),
  name: z.string().trim().min(1).max(100),
  role: roleSchema,
  expires: expiresSchema.optional(),
});

/** `troupe apikey create`: an organization API key, printed once (direct database access). */
export function registerApiKeyCommands(program: Command): void {
  const apikey = program.command('apikey').description('Manage API keys (direct database access)');
  apikey
    .command('create')
    .description('Create an API key for an organization; the key is printed once')
    .requiredOption('--org <orgId>', 'organization id')
    .requiredOption('--name <name>', 'what the key is for, e.g. "ci"')
    .option('--role <role>', 'owner, admin, member or viewer', 'member')
    .option('--expires <date>', 'expiry: ISO date (end of that day, UTC) or date-time; default never')
    .option('--json', 'print {apiKey, key} as JSON')
    .action(async (opts: { org: string; name: string; role: string; expires?: string; json?: boolean }) => {
      const parsed = apiKeyFlags.safeParse(opts);
      if (!parsed.success) throw invalidInput('API key', parsed.error, flagName);
      const { org, name, role, expires } = parsed.data;
      // The operator at the machine acts with the owner's power, for this one organization.
      const actor: Actor = { orgId: org, role: 'owner', userId: null, apiKeyId: null };
      const created = await withContext(async (ctx) => {
        if (!(await ctx.services.orgs.exists(org))) throw new CliError(`--org: no organization with the id ${org}`);
        return ctx.services.auth.apiKeys.create(actor, { name, role, expiresAt: expires });
      });
      if (opts.json) return printJson(created);
      printLine(created.key);
      printNote(
        `This key is shown only once; store it now. (API key "${created.apiKey.name}", id ${created.apiKey.id}, role ${created.apiKey.role}` +
          `${created.apiKey.expiresAt ? `, expires ${created.apiKey.expiresAt.toISOString()}` : ''})`,
      );
    });
}

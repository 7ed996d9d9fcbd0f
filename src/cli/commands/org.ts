import type { Command } from 'commander';
import { z } from 'zod';
import { emailSchema, orgNameSchema } from '../../auth/dto.js';
import { withContext } from '../admin/context.js';
import { CliError } from '../run.js';
import { invalidInput } from '../errors.js';
import { printJson, printLine, printNote } from '../output.js';

const orgCreateFlags = z.object({ name: orgNameSchema, ownerEmail: emailSchema });

/** `troupe org create`: a new organization owned by an existing user (direct database access). */
export function registerOrgCommands(program: Command): void {
  const org = program.command('org').description('Manage organizations (direct database access)');
  org
    .command('create')
    .description('Create an organization owned by an existing user; prints its id')
    .requiredOption('--name <name>', 'organization name')
    .requiredOption('--owner-email <email>', 'email of the existing user who will own it')
    .option('--json', 'print the organization as JSON')
    .action(async (opts: { name: string; ownerEmail: string; json?: boolean }) => {
      const parsed = orgCreateFlags.safeParse(opts);
      if (!parsed.success) throw invalidInput('organization', parsed.error, (p) => (p === 'ownerEmail' ? '--owner-email' : `--${p}`));
      const { name, ownerEmail } = parsed.data;
      const organization = await withContext(async (ctx) => {
        const owner = await ctx.services.auth.findUserByEmail(ownerEmail);
        if (!owner) throw new CliError(`no user with the email ${ownerEmail}; create it first with \`troupe user create\``);
        return ctx.services.orgs.create(owner.id, name);
      });
      if (opts.json) return printJson(organization);
      printLine(organization.id);
      printNote(`Created organization "${organization.name}" owned by ${ownerEmail}`);
    });
}

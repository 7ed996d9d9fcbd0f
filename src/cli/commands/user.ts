import type { Command } from 'commander';
import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import { emailSchema, passwordSchema, personNameSchema, roleSchema } from '../../auth/dto.js';
import { setOperator } from '../../auth/operators.js';
import { passwordProblem } from '../../auth/password-policy.js';
import { withContext } from '../admin/context.js';
import { resolvePassword } from '../admin/password.js';
import { flagName, invalidInput } from '../errors.js';
import { printJson, printLine, printNote } from '../output.js';
import { CliError } from '../run.js';

const userCreateFlags = z.object({
  email: emailSchema,
  name: personNameSchema,
  password: passwordSchema,
  org: z.uuid('must be an organization id (UUID)').optional(),
  role: roleSchema.optional(),
});

interface UserCreateOptions {
  email: string;
  name: string;
  password?: string;
  passwordStdin?: boolean;
  org?: string;
  role?: string;
  json?: boolean;
}

/**
 * `troupe user create`: a user (optionally a member of an organization), straight in the database;
 * `troupe user operator <email> [--revoke]`: grants or revokes the instance operator flag.
 */
export function registerUserCommands(program: Command): void {
  const user = program.command('user').description('Manage users (direct database access)');
  user
    .command('create')
    .description('Create a user; prints its id. Without --password the password is read from stdin.')
    .requiredOption('--email <email>', 'email address (sign-in name)')
    .requiredOption('--name <name>', 'display name')
    .option('--password <password>', 'at least 10 characters (visible in the process list: prefer --password-stdin)')
    .option('--password-stdin', 'read the password from stdin')
    .option('--org <orgId>', 'also make the user a member of this organization')
    .option('--role <role>', 'role in --org: owner, admin, member (default) or viewer')
    .option('--json', 'print the user as JSON')
    .action(async (opts: UserCreateOptions) => {
      if (opts.role !== undefined && opts.org === undefined) throw new CliError('--role needs --org (the organization the role is in)');
      const parsed = userCreateFlags.safeParse({ ...opts, password: await resolvePassword(opts) });
      if (!parsed.success) throw invalidInput('user', parsed.error, flagName);
      const { email, name, password, org } = parsed.data;
      const role = parsed.data.role ?? 'member';
      // The API's rule (common passwords, the email), named by the flag the password came from.
      const weak = passwordProblem(password, email);
      if (weak) throw new CliError(`${opts.passwordStdin || opts.password === undefined ? 'password (stdin)' : '--password'}: ${weak}`);
      const created = await withContext(async (ctx) => {
        // Checked before the transaction: PGlite is one session, so a second transaction opened
        // inside this one would wait for it forever.
        if (org && !(await ctx.services.orgs.exists(org))) throw new CliError(`--org: no organization with the id ${org}`);
        return ctx.database.system(async (tx) => {
          const view = await ctx.services.auth.createUser(email, name, password, tx).catch((err: unknown) => {
            if (err instanceof AppError && err.code === 'email_taken') throw new CliError(`a user with the email ${email} already exists (email_taken)`);
            throw err;
          });
          if (org) await ctx.services.orgs.addMember(org, view.id, role, tx);
          return view;
        });
      });
      const membership = org ? { orgId: org, role } : null;
      if (opts.json) return printJson({ ...created, membership });
      printLine(created.id);
      printNote(`Created user ${created.email}${membership ? ` (${role} of organization ${org})` : ''}`);
    });

  user
    .command('operator')
    .description('Make a user an instance operator (pauses the run queue, reads install-wide figures), or with --revoke no longer one')
    .argument('<email>', 'email of the existing user')
    .option('--revoke', 'take the operator flag away instead')
    .option('--json', 'print the result as JSON')
    .action(async (rawEmail: string, opts: { revoke?: boolean; json?: boolean }) => {
      const parsed = emailSchema.safeParse(rawEmail);
      if (!parsed.success) throw new CliError(`<email>: ${parsed.error.issues[0]?.message ?? 'not an email address'}`);
      const email = parsed.data;
      const on = !opts.revoke;
      const result = await withContext((ctx) => setOperator(ctx.database, email, on));
      if (!result) throw new CliError(`no user with the email ${email}; create it first with \`troupe user create\``);
      if (opts.json) return printJson({ ...result, isOperator: on });
      printLine(result.userId);
      printNote(`${result.email} is ${on ? 'now' : 'no longer'} an instance operator`);
      // Operators can always be made again here (direct database access), so this only warns.
      if (result.operators === 0) printNote('This install has no instance operator now: nobody can pause the run queue until one is made with `troupe user operator <email>`');
    });
}

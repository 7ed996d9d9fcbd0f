import { eq, sql } from 'drizzle-orm';
import type { AppContext } from '../../app.js';
import { memberships, organizations, users } from '../../auth/schema.js';
import type { Role } from '../../auth/roles.js';
import type { Tx } from '../../db/client.js';
import { CliError } from '../run.js';

/*
 * Operator look-ups the auth services do not offer yet (find a user by email, check that an
 * organization exists, add a member without an invitation). They run in the system scope, as the
 * CLI acts for the machine's operator, not for a member. TODO(auth): move into AuthService/OrgService.
 */

/** The user with this email (case-insensitive); a CliError naming the email when there is none. */
export async function userIdByEmail(ctx: AppContext, email: string): Promise<string> {
  const [user] = await ctx.database.system((tx) =>
    tx.select({ id: users.id }).from(users).where(sql`lower(${users.email}) = ${email.trim().toLowerCase()}`),
  );
  if (!user) throw new CliError(`no user with the email ${email}; create it first with \`troupe user create\``);
  return user.id;
}

/** Fails with a CliError unless the organization exists. */
export async function assertOrgExists(tx: Tx, orgId: string): Promise<void> {
  const [org] = await tx.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, orgId));
  if (!org) throw new CliError(`--org: no organization with the id ${orgId}`);
}

/** Makes the user a member of the organization with this role. */
export async function addMembership(tx: Tx, orgId: string, userId: string, role: Role): Promise<void> {
  await tx.insert(memberships).values({ orgId, userId, role });
}

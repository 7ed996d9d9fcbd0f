import { count, eq, sql } from 'drizzle-orm';
import type { Database, Tx } from '../db/client.js';
import { users } from './schema.js';

/*
 * Instance operators (decision 32): the people who run the install rather than an organization.
 * Only they may pause the run queue, read its install-wide figures and run a scheduler pass for
 * everyone. The setup owner (POST /setup, or TROUPE_OWNER_EMAIL) is one; `troupe user operator`
 * grants and revokes it. Users are global rows, so every query here is a system one.
 */

export async function isOperator(database: Database, userId: string): Promise<boolean> {
  const [row] = await database.system((tx) => tx.select({ isOperator: users.isOperator }).from(users).where(eq(users.id, userId)));
  return row?.isOperator ?? false;
}

/** Makes the user an operator, in the caller's (system) transaction: setup and the owner bootstrap. */
export async function markOperator(tx: Tx, userId: string): Promise<void> {
  await tx.update(users).set({ isOperator: true, updatedAt: new Date() }).where(eq(users.id, userId));
}

/**
 * Grants (or with `on` false revokes) the operator flag of the user with this email (any case).
 * Null when there is no such user; otherwise their id and how many operators the install now has.
 */
export async function setOperator(database: Database, email: string, on: boolean): Promise<{ userId: string; email: string; operators: number } | null> {
  return database.system(async (tx) => {
    const [user] = await tx
      .update(users)
      .set({ isOperator: on, updatedAt: new Date() })
      .where(sql`lower(${users.email}) = ${email.trim().toLowerCase()}`)
      .returning({ id: users.id, email: users.email });
    if (!user) return null;
    const [{ n } = { n: 0 }] = await tx.select({ n: count() }).from(users).where(eq(users.isOperator, true));
    return { userId: user.id, email: user.email, operators: Number(n) };
  });
}

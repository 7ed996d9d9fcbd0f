import { and, eq, lt, or, isNull, sql } from 'drizzle-orm';
import type { Config } from '../config/load.js';
import type { Database, Tx } from '../db/client.js';
import { lockoutAddress } from './client-address.js';
import { signInFailures, users } from './schema.js';

/** Why a sign-in is refused before its password is checked. */
export type LockScope = 'address' | 'account';

/**
 * Sign-in lockout per account AND client address (decision 35):
 * - TROUPE_LOCKOUT_THRESHOLD consecutive failures from one address lock that (account, address)
 *   pair for TROUPE_LOCKOUT_MINUTES; the owner signing in from elsewhere is not affected, so a
 *   stranger cannot lock someone out;
 * - TROUPE_LOCKOUT_ACCOUNT_THRESHOLD failures from all addresses within one TROUPE_LOCKOUT_MINUTES
 *   window lock the account for everyone for TROUPE_LOCKOUT_MINUTES: a guesser spread over many
 *   addresses is still slowed. One address is locked after THRESHOLD failures, so it alone can
 *   never reach the ceiling (5 < 50 by default); it takes ceiling / threshold addresses at once.
 * Attempts refused because of a lock are not counted (their password is not checked).
 */
export class SignInLockout {
  constructor(
    private readonly database: Database,
    private readonly config: Pick<Config, 'TROUPE_LOCKOUT_THRESHOLD' | 'TROUPE_LOCKOUT_MINUTES' | 'TROUPE_LOCKOUT_ACCOUNT_THRESHOLD'>,
  ) {}

  /** Whether the account, or this address's attempts at it, are locked now; null when neither. */
  async lockedScope(user: { id: string; lockedUntil: Date | null }, ip: string): Promise<LockScope | null> {
    const now = new Date();
    if (user.lockedUntil && user.lockedUntil > now) return 'account';
    const [pair] = await this.database.system((tx) =>
      tx
        .select({ lockedUntil: signInFailures.lockedUntil })
        .from(signInFailures)
        .where(and(eq(signInFailures.userId, user.id), eq(signInFailures.address, lockoutAddress(ip)))),
    );
    return pair?.lockedUntil && pair.lockedUntil > now ? 'address' : null;
  }

  /** Counts a wrong password from `ip`, locking the pair and/or the account past their limits. */
  async recordFailure(tx: Tx, userId: string, ip: string): Promise<void> {
    const { TROUPE_LOCKOUT_THRESHOLD: threshold, TROUPE_LOCKOUT_MINUTES: minutes, TROUPE_LOCKOUT_ACCOUNT_THRESHOLD: ceiling } = this.config;
    const lockUntil = sql`now() + make_interval(mins => ${minutes})`;
    await tx
      .insert(signInFailures)
      .values({ userId, address: lockoutAddress(ip), failures: 1, lockedUntil: threshold <= 1 ? lockUntil : null })
      .onConflictDoUpdate({
        target: [signInFailures.userId, signInFailures.address],
        set: {
          failures: sql`${signInFailures.failures} + 1`,
          lockedUntil: sql`case when ${signInFailures.failures} + 1 >= ${threshold} then ${lockUntil} else null end`,
          updatedAt: sql`now()`,
        },
      });
    // A fixed window per account: it starts at the first failure after the previous one ended.
    const windowOver = sql`(${users.failuresSince} is null or ${users.failuresSince} < now() - make_interval(mins => ${minutes}))`;
    const count = sql`case when ${windowOver} then 1 else ${users.failedLogins} + 1 end`;
    await tx
      .update(users)
      .set({
        failedLogins: count,
        failuresSince: sql`case when ${windowOver} then now() else ${users.failuresSince} end`,
        lockedUntil: sql`case when ${count} >= ${ceiling} then ${lockUntil} else ${users.lockedUntil} end`,
      })
      .where(eq(users.id, userId));
  }

  /** A correct password from `ip`: that address starts again from zero. */
  async recordSuccess(userId: string, ip: string): Promise<void> {
    await this.database.system((tx) =>
      tx.delete(signInFailures).where(and(eq(signInFailures.userId, userId), eq(signInFailures.address, lockoutAddress(ip)))),
    );
  }

  /** Forgets every failure and lock of an account (its password was just changed). */
  async clear(tx: Tx, userId: string): Promise<void> {
    await tx.delete(signInFailures).where(eq(signInFailures.userId, userId));
    await tx.update(users).set({ failedLogins: 0, failuresSince: null, lockedUntil: null }).where(eq(users.id, userId));
  }

  /**
   * Deletes pairs untouched for a day whose lock (if any) is over: "consecutive" failures
   * are those within a day of each other. Returns how many.
   */
  async prune(): Promise<number> {
    const gone = await this.database.system((tx) =>
      tx
        .delete(signInFailures)
        .where(
          and(
            lt(signInFailures.updatedAt, sql`now() - interval '1 day'`),
            or(isNull(signInFailures.lockedUntil), lt(signInFailures.lockedUntil, sql`now()`)),
          ),
        )
        .returning({ userId: signInFailures.userId }),
    );
    return gone.length;
  }
}

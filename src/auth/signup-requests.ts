import { eq, lt, sql } from 'drizzle-orm';
import type { Config } from '../config/load.js';
import type { Database, Tx } from '../db/client.js';
import { randomToken, sha256 } from '../shared/crypto.js';
import { AppError } from '../shared/errors.js';
import type { AccountMail } from './account-mail.js';
import { signupRequests, users } from './schema.js';

const SIGNUP_PREFIX = 'trv_';
/** How long a sign-up link works. */
export const SIGNUP_LINK_TTL_MS = 24 * 3_600_000;
/**
 * At most this many sign-up mails per address per hour (per process): sign-up is public, so
 * without it anyone could have this server mail someone over and over (20 a minute per client).
 */
const MAILS_PER_ADDRESS_PER_HOUR = 3;

export interface SignupInput {
  email: string;
  name: string;
  organizationName?: string;
}

/**
 * Sign-up by mailed link, used when SMTP_URL is set (decision 35). Asking to sign up answers the
 * same whether or not the address has an account: a new address gets a link that creates the
 * account, an address with an account gets a notice ("someone tried to sign up with your
 * address"). Both take the same steps (the password is hashed either way, by the caller) and the
 * mail leaves after the answer, so neither the answer nor its timing tells them apart.
 */
export class SignupRequests {
  /** When sign-up mail went to each address in the last hour (the throttle above). */
  private readonly mailed = new Map<string, number[]>();

  constructor(
    private readonly database: Database,
    private readonly config: Config,
    private readonly mail: AccountMail,
  ) {}

  async request(input: SignupInput, passwordHash: string): Promise<void> {
    const email = input.email.trim().toLowerCase();
    // Over the throttle nothing is sent or stored, and the answer is still the same.
    if (!this.mayMail(email)) return;
    const token = randomToken(SIGNUP_PREFIX);
    const existing = await this.database.system(async (tx) => {
      const [user] = await tx.select({ id: users.id }).from(users).where(sql`lower(${users.email}) = ${email}`);
      if (user) return user;
      await tx.insert(signupRequests).values({
        email,
        name: input.name,
        passwordHash,
        organizationName: input.organizationName ?? null,
        tokenHash: sha256(token),
        expiresAt: new Date(Date.now() + SIGNUP_LINK_TTL_MS),
      });
      return null;
    });
    const site = this.config.publicUrl;
    if (existing) {
      this.mail.sendLater(
        'signup_existing_account',
        {
          to: email,
          subject: 'Someone tried to sign up to Troupe with your address',
          text: [
            `Someone, perhaps you, asked to create a Troupe account at ${site} with this address, which already has an account.`,
            '',
            `If it was you, sign in instead: ${site}/signin`,
            'If it was not, ignore this mail: nothing was changed and no new account was made.',
          ].join('\n'),
        },
        { userId: existing.id },
      );
      return;
    }
    this.mail.sendLater('signup_link', {
      to: email,
      subject: 'Finish creating your Troupe account',
      text: [
        `Open this link to finish creating your Troupe account at ${site}; it works once, for 24 hours:`,
        `${site}/signup/confirm?token=${token}`,
        '',
        'If you did not ask for an account, ignore this mail: none is made without the link.',
      ].join('\n'),
    });
  }

  private mayMail(email: string): boolean {
    const now = Date.now();
    for (const [address, times] of this.mailed) {
      const recent = times.filter((t) => now - t < 3_600_000);
      if (recent.length) this.mailed.set(address, recent);
      else this.mailed.delete(address);
    }
    const times = this.mailed.get(email) ?? [];
    if (times.length >= MAILS_PER_ADDRESS_PER_HOUR) return false;
    this.mailed.set(email, [...times, now]);
    return true;
  }

  /** Takes (deletes) the pending sign-up a link's token belongs to, in `tx`; 404 when unknown or expired. */
  async take(tx: Tx, token: string): Promise<typeof signupRequests.$inferSelect> {
    const [row] = token.startsWith(SIGNUP_PREFIX)
      ? await tx.delete(signupRequests).where(eq(signupRequests.tokenHash, sha256(token))).returning()
      : [];
    if (!row || row.expiresAt <= new Date()) {
      throw new AppError(404, 'signup_link_invalid', 'This sign-up link is not valid, was already used, or has expired; sign up again');
    }
    return row;
  }

  /** Deletes expired sign-up requests; returns how many. */
  async prune(): Promise<number> {
    const gone = await this.database.system((tx) => tx.delete(signupRequests).where(lt(signupRequests.expiresAt, new Date())).returning({ id: signupRequests.id }));
    return gone.length;
  }
}

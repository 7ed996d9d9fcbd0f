import { and, asc, count, eq, sql } from 'drizzle-orm';
import type { Authenticator } from '../http/access.js';
import type { AuditService } from '../audit/service.js';
import { ConfigError, type Config } from '../config/load.js';
import type { Database, Tx } from '../db/client.js';
import { randomToken, safeEqual, sha256 } from '../shared/crypto.js';
import { AppError, badRequest, conflict, forbidden, isUniqueViolation, notFound, unauthorized } from '../shared/errors.js';
import { API_KEY_PREFIX, ApiKeys } from './api-keys.js';
import type { OrganizationView, OrgService } from './org-service.js';
import { isOperator, markOperator } from './operators.js';
import { SignInLockout } from './lockout.js';
import { assertPasswordAllowed, passwordProblem } from './password-policy.js';
import { burnPasswordCheck, hashPassword, verifyPassword } from './passwords.js';
import type { Role } from '../shared/roles.js';
import { instanceState, memberships, users } from './schema.js';
import { Sessions, type TokenPair } from './sessions.js';
import { SignupRequests } from './signup-requests.js';
import type { AccessTokens } from './tokens.js';

export interface UserView {
  id: string;
  email: string;
  name: string;
  /** An instance operator (decision 32): may pause the run queue and read install-wide figures. */
  isOperator: boolean;
  createdAt: Date;
}

const userView = (u: typeof users.$inferSelect): UserView => ({ id: u.id, email: u.email, name: u.name, isOperator: u.isOperator, createdAt: u.createdAt });

const SETUP_KEY = 'setup_token_hash';

export interface Session {
  user: UserView;
  organization: OrganizationView;
  tokens: TokenPair;
}

/** A sign-up's outcome: an account and its session, or (with SMTP_URL) a mail to the address. */
export type SignUpResult = { kind: 'session'; session: Session } | { kind: 'mailed' };

/** The one message for every failed sign-in, so it never tells which part was wrong or that an account is locked. */
const BAD_CREDENTIALS = () => unauthorized('Invalid email or password', 'invalid_credentials');

/**
 * People and their sessions: sign-up, sign-in (with lockout), refresh, sign-out, profile,
 * password change, the first-run setup, and API keys. Also the API's Authenticator.
 */
export class AuthService implements Authenticator {
  readonly sessions: Sessions;
  readonly apiKeys: ApiKeys;
  readonly lockout: SignInLockout;
  readonly signupRequests: SignupRequests;
  /** Records sign-ins and key use; null until setAudit (then nothing is audited). */
  private audit: Pick<AuditService, 'record'> | null = null;

  constructor(
    private readonly database: Database,
    private readonly tokens: AccessTokens,
    private readonly config: Config,
    private readonly orgs: OrgService,
  ) {
    this.sessions = new Sessions(database, tokens, config.TROUPE_REFRESH_TOKEN_TTL);
    this.apiKeys = new ApiKeys(database);
    this.lockout = new SignInLockout(database, config);
    this.signupRequests = new SignupRequests(database, config, orgs.mail);
  }

  /**
   * Audits sign-ins (`auth.signin`, `auth.signin_failed` for an existing account, in every
   * organization of the user) and API key use (`api_key.used`, once a minute per key).
   * A setter because the audit service is created after this one.
   */
  setAudit(audit: Pick<AuditService, 'record'>): void {
    this.audit = audit;
    this.apiKeys.setAudit(audit);
    this.orgs.setAudit(audit);
  }

  /** One audit entry per organization the user belongs to, in `tx` (a system transaction). */
  private async auditSignIn(tx: Tx, userId: string, action: 'auth.signin' | 'auth.signin_failed', details: Record<string, unknown> = {}) {
    if (!this.audit) return;
    const orgs = await tx.select({ orgId: memberships.orgId }).from(memberships).where(eq(memberships.userId, userId));
    for (const { orgId } of orgs) {
      await this.audit.record({ orgId, actor: { type: 'user', userId }, action, targetType: 'user', targetId: userId, details }, tx);
    }
  }

  async authenticate(token: string) {
    if (token.startsWith(API_KEY_PREFIX)) {
      const key = await this.apiKeys.authenticate(token);
      return key ? ({ kind: 'apiKey', ...key } as const) : null;
    }
    const userId = await this.tokens.verify(token);
    return userId ? ({ kind: 'user', userId } as const) : null;
  }

  async isOperator(userId: string): Promise<boolean> {
    return isOperator(this.database, userId);
  }

  async membership(userId: string, orgId: string | null): Promise<{ orgId: string; role: Role } | null> {
    const [m] = await this.database.system((tx) =>
      tx
        .select({ orgId: memberships.orgId, role: memberships.role })
        .from(memberships)
        .where(and(eq(memberships.userId, userId), orgId ? eq(memberships.orgId, orgId) : undefined))
        .orderBy(asc(memberships.createdAt))
        .limit(1),
    );
    return m ?? null;
  }

  /**
   * Creates an account. With an invitation token the user joins that organization; otherwise a new
   * organization (named `organizationName`, default "<name>'s organization") is created with them as owner.
   *
   * Whether the address already has an account is not told (decision 35): with an invitation, the
   * invitation is checked first, so only its holder can learn it; without one and with SMTP_URL
   * set, every request answers "mailed" (a link for a new address, a notice for an existing one).
   * Without mail an account can only be made at once, and an existing address answers 409.
   */
  async signUp(input: {
    email: string;
    password: string;
    name: string;
    organizationName?: string;
    invitationToken?: string;
  }): Promise<SignUpResult> {
    const { invitationToken } = input;
    if (!this.config.TROUPE_ALLOW_SIGNUP && !invitationToken) {
      throw forbidden('Sign-up is closed on this server; ask an administrator for an invitation', 'signup_closed');
    }
    assertPasswordAllowed(input.password, input.email);
    const passwordHash = await hashPassword(input.password);
    if (!invitationToken && this.orgs.mail.enabled) {
      await this.signupRequests.request(input, passwordHash);
      return { kind: 'mailed' };
    }
    return this.database.system(async (tx) => {
      if (invitationToken) await this.orgs.checkInvitation(invitationToken, input.email, tx);
      const user = await this.insertUser(tx, input.email, input.name, passwordHash);
      const organization = invitationToken
        ? await this.orgs.accept(user.id, invitationToken, tx)
        : await this.orgs.create(user.id, input.organizationName ?? `${input.name}'s organization`, tx);
      const tokens = await this.sessions.issue(user.id, tx);
      return { kind: 'session' as const, session: { user: userView(user), organization, tokens } };
    });
  }

  /** Creates the account of a mailed sign-up link (SMTP_URL): the link proves the address. */
  async confirmSignUp(token: string): Promise<Session> {
    if (!this.config.TROUPE_ALLOW_SIGNUP) throw forbidden('Sign-up is closed on this server; ask an administrator for an invitation', 'signup_closed');
    return this.database.system(async (tx) => {
      const request = await this.signupRequests.take(tx, token);
      const user = await this.insertUser(tx, request.email, request.name, request.passwordHash);
      const organization = await this.orgs.create(user.id, request.organizationName ?? `${request.name}'s organization`, tx);
      const tokens = await this.sessions.issue(user.id, tx);
      return { user: userView(user), organization, tokens };
    });
  }

  /** Creates a user without a session (CLI, setup). Duplicate email → 409; a refused password → 400 weak_password. */
  async createUser(email: string, name: string, password: string, tx?: Tx): Promise<UserView> {
    assertPasswordAllowed(password, email);
    const passwordHash = await hashPassword(password);
    const run = async (t: Tx) => userView(await this.insertUser(t, email, name, passwordHash));
    return tx ? run(tx) : this.database.system(run);
  }

  private async insertUser(tx: Tx, email: string, name: string, passwordHash: string) {
    try {
      // A savepoint, so a duplicate does not poison the caller's transaction.
      const [user] = await tx.transaction((t) => t.insert(users).values({ email: email.trim().toLowerCase(), name, passwordHash }).returning());
      return user!;
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('An account with this email already exists', 'email_taken');
      throw err;
    }
  }

  /**
   * Verifies email and password from the client address `ip`. Failures lock that address's
   * attempts at the account, and many failures from everywhere lock the account (SignInLockout,
   * decision 35); a locked sign-in answers exactly like a wrong password.
   */
  async signIn(email: string, password: string, ip: string): Promise<{ user: UserView; tokens: TokenPair }> {
    const [user] = await this.database.system((tx) => tx.select().from(users).where(sql`lower(${users.email}) = ${email.trim().toLowerCase()}`));
    if (!user) {
      await burnPasswordCheck(password);
      throw BAD_CREDENTIALS();
    }
    const locked = await this.lockout.lockedScope(user, ip);
    if (locked) {
      await burnPasswordCheck(password);
      await this.database.system((tx) => this.auditSignIn(tx, user.id, 'auth.signin_failed', { reason: 'locked', scope: locked }));
      throw BAD_CREDENTIALS();
    }
    if (!(await verifyPassword(user.passwordHash, password))) {
      await this.database.system(async (tx) => {
        await this.lockout.recordFailure(tx, user.id, ip);
        await this.auditSignIn(tx, user.id, 'auth.signin_failed', { reason: 'wrong_password' });
      });
      throw BAD_CREDENTIALS();
    }
    await this.lockout.recordSuccess(user.id, ip);
    return this.database.system(async (tx) => {
      const tokens = await this.sessions.issue(user.id, tx);
      await this.auditSignIn(tx, user.id, 'auth.signin');
      return { user: userView(user), tokens };
    });
  }

  /** The user with this email (any case), or null. For operators (CLI); the API never looks people up by email. */
  async findUserByEmail(email: string): Promise<UserView | null> {
    const [user] = await this.database.system((tx) => tx.select().from(users).where(sql`lower(${users.email}) = ${email.trim().toLowerCase()}`));
    return user ? userView(user) : null;
  }

  async me(userId: string): Promise<{ user: UserView; organizations: OrganizationView[] }> {
    const [user] = await this.database.system((tx) => tx.select().from(users).where(eq(users.id, userId)));
    if (!user) throw unauthorized('This account no longer exists', 'invalid_token');
    return { user: userView(user), organizations: await this.orgs.listForUser(userId) };
  }

  async updateProfile(userId: string, patch: { name?: string }): Promise<UserView> {
    const [user] = await this.database.system((tx) =>
      tx.update(users).set({ ...patch, updatedAt: new Date() }).where(eq(users.id, userId)).returning(),
    );
    if (!user) throw notFound('User');
    return userView(user);
  }

  /** Changes the password, signs the user out everywhere else, and returns a fresh session. */
  async changePassword(userId: string, currentPassword: string, newPassword: string): Promise<TokenPair> {
    const [user] = await this.database.system((tx) => tx.select().from(users).where(eq(users.id, userId)));
    if (!user || !(await verifyPassword(user.passwordHash, currentPassword))) {
      throw new AppError(400, 'wrong_password', 'The current password is not correct', [
        { path: 'body.currentPassword', message: 'is not correct' },
      ]);
    }
    if (currentPassword === newPassword) {
      throw badRequest('The new password must differ from the current one', [{ path: 'body.newPassword', message: 'same as current' }]);
    }
    assertPasswordAllowed(newPassword, user.email, 'body.newPassword');
    const passwordHash = await hashPassword(newPassword);
    return this.database.system(async (tx) => {
      await tx.update(users).set({ passwordHash, updatedAt: new Date() }).where(eq(users.id, userId));
      await this.lockout.clear(tx, userId);
      await this.sessions.revokeAllFor(userId, tx);
      return this.sessions.issue(userId, tx);
    });
  }

  /** Housekeeping: expired and long-revoked sessions, expired sign-up links, stale lockout counts. */
  async prune(): Promise<{ sessions: number; signupRequests: number; signInFailures: number }> {
    return {
      sessions: await this.sessions.prune(),
      signupRequests: await this.signupRequests.prune(),
      signInFailures: await this.lockout.prune(),
    };
  }

  async userCount(): Promise<number> {
    const [row] = await this.database.system((tx) => tx.select({ n: count() }).from(users));
    return Number(row?.n ?? 0);
  }

  /**
   * First start: with no users yet, either creates the owner (an instance operator) and organization from
   * TROUPE_OWNER_EMAIL/TROUPE_OWNER_PASSWORD, or issues a one-time setup token for POST /api/v1/setup.
   * A new token replaces the previous one at every start until setup is done.
   */
  async bootstrap(): Promise<{ kind: 'ready' } | { kind: 'owner_created'; email: string } | { kind: 'setup_token'; token: string }> {
    if ((await this.userCount()) > 0) return { kind: 'ready' };
    const { TROUPE_OWNER_EMAIL: email, TROUPE_OWNER_PASSWORD: password } = this.config;
    if (email && password) {
      // Named by its setting: a refused password here stops the start, like any bad setting.
      const problem = passwordProblem(password, email);
      if (problem) throw new ConfigError(`TROUPE_OWNER_PASSWORD ${problem}`);
      await this.database.system(async (tx) => {
        const user = await this.createUser(email, this.config.TROUPE_OWNER_NAME, password, tx);
        await this.orgs.create(user.id, this.config.TROUPE_ORG_NAME, tx);
        await markOperator(tx, user.id);
      });
      return { kind: 'owner_created', email };
    }
    const token = randomToken('trs_', 24);
    await this.database.system((tx) =>
      tx
        .insert(instanceState)
        .values({ key: SETUP_KEY, value: sha256(token) })
        .onConflictDoUpdate({ target: instanceState.key, set: { value: sha256(token), updatedAt: new Date() } }),
    );
    return { kind: 'setup_token', token };
  }

  async setupRequired(): Promise<boolean> {
    return (await this.userCount()) === 0;
  }

  /** Creates the first owner and organization with the setup token printed at start-up. */
  async completeSetup(input: { token: string; email: string; password: string; name: string; organizationName: string }) {
    assertPasswordAllowed(input.password, input.email);
    const passwordHash = await hashPassword(input.password);
    return this.database.system(async (tx) => {
      // Serialises concurrent attempts: only the first can see zero users.
      await tx.execute(sql`select pg_advisory_xact_lock(7267261002)`);
      const [state] = await tx.select().from(instanceState).where(eq(instanceState.key, SETUP_KEY));
      const [{ n } = { n: 0 }] = await tx.select({ n: count() }).from(users);
      if (Number(n) > 0) throw conflict('This server is already set up; sign in instead', 'already_set_up');
      if (!state || !safeEqual(state.value, sha256(input.token))) {
        throw unauthorized('The setup token is not valid; use the one printed at the last start', 'invalid_setup_token');
      }
      const user = await this.insertUser(tx, input.email, input.name, passwordHash);
      const organization = await this.orgs.create(user.id, input.organizationName, tx);
      // The person who sets the server up runs it (decision 32).
      await markOperator(tx, user.id);
      await tx.delete(instanceState).where(eq(instanceState.key, SETUP_KEY));
      const tokens = await this.sessions.issue(user.id, tx);
      return { user: { ...userView(user), isOperator: true }, organization, tokens };
    });
  }
}

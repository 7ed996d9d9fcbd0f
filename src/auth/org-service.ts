import { and, asc, count, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Config } from '../config/load.js';
import type { Database, Tx } from '../db/client.js';
import { randomToken, sha256 } from '../shared/crypto.js';
import { keysetAfter, keysetOrder, keysetPage, timestampSort, toPage } from '../shared/keyset.js';
import { assertOneOfOffsetCursor, likePattern, type Page, type PageQuery } from '../shared/pagination.js';
import { AppError, conflict, forbidden, isUniqueViolation, notFound } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { AuditService } from '../audit/service.js';
import { AccountMail } from './account-mail.js';
import { lowerKeysCreatedBy, revokeKeysCreatedBy, type KeyChange } from './api-keys.js';
import { roleAtLeast, roleRank, type Actor, type Role } from '../shared/roles.js';
import { invitations, memberships, organizations, users } from './schema.js';

export interface OrganizationView {
  id: string;
  name: string;
  role: Role;
  markupPercent: number;
  monthlyBudgetMicros: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface MemberView {
  userId: string;
  email: string;
  name: string;
  role: Role;
  joinedAt: Date;
}

export interface InvitationView {
  id: string;
  email: string;
  role: Role;
  invitedBy: string | null;
  expiresAt: Date;
  createdAt: Date;
}

const INVITATION_TTL_MS = 7 * 86_400_000;
const INVITE_PREFIX = 'tri_';

const orgView = (o: typeof organizations.$inferSelect, role: Role): OrganizationView => ({
  id: o.id,
  name: o.name,
  role,
  markupPercent: o.markupBps / 100,
  monthlyBudgetMicros: o.monthlyBudgetMicros,
  createdAt: o.createdAt,
  updatedAt: o.updatedAt,
});

const invitationView = (i: typeof invitations.$inferSelect): InvitationView => ({
  id: i.id,
  email: i.email,
  role: i.role,
  invitedBy: i.invitedBy,
  expiresAt: i.expiresAt,
  createdAt: i.createdAt,
});

/**
 * Organizations, their members and invitations. Rules: admins manage members and invitations;
 * only an owner may grant the owner role or change or remove an owner; an organization always
 * keeps at least one owner; anyone may leave (unless they are its last owner).
 */
export class OrgService {
  /** Told when an organization's billing settings change (billing forgets its cached markup). */
  onBillingSettingsChanged: (orgId: string) => void = () => {};
  /** Invitation and sign-up mail (SMTP_URL); the auth service sends through it too. */
  readonly mail: AccountMail;
  /** Records what a member's removal or demotion did to their API keys; set by setAudit. */
  private audit: Pick<AuditService, 'record'> | null = null;

  constructor(
    private readonly database: Database,
    private readonly config: Config,
    private readonly logger: Logger,
  ) {
    this.mail = new AccountMail(config, logger);
  }

  /** A setter because the audit service is created after this one (AuthService.setAudit calls it). */
  setAudit(audit: Pick<AuditService, 'record'>): void {
    this.audit = audit;
  }

  /** One `api_key.revoked` / `api_key.role_lowered` entry per key a member's change touched. */
  private async auditKeys(tx: Tx, actor: Actor, keys: KeyChange[], action: 'api_key.revoked' | 'api_key.role_lowered', details: Record<string, unknown>) {
    if (!this.audit) return;
    for (const k of keys) {
      await this.audit.record({ orgId: actor.orgId, actor, action, targetType: 'api_key', targetId: k.id, details: { name: k.name, role: k.role, ...details } }, tx);
    }
  }

  /** Creates an organization with `userId` as its owner. Runs in the caller's transaction when given. */
  async create(userId: string, name: string, tx?: Tx): Promise<OrganizationView> {
    const run = async (t: Tx) => {
      const [org] = await t.insert(organizations).values({ name }).returning();
      await t.insert(memberships).values({ orgId: org!.id, userId, role: 'owner' });
      return orgView(org!, 'owner');
    };
    return tx ? run(tx) : this.database.system(run);
  }

  /** Whether an organization exists (operators: CLI). */
  async exists(orgId: string): Promise<boolean> {
    const [org] = await this.database.system((tx) => tx.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, orgId)));
    return Boolean(org);
  }

  /**
   * Adds a member directly, without an invitation: for operators at the machine (CLI). 409
   * already_member when they are one. Runs in the caller's transaction when given one.
   */
  async addMember(orgId: string, userId: string, role: Role, tx?: Tx): Promise<void> {
    const run = async (t: Tx) => {
      try {
        await t.transaction((sp) => sp.insert(memberships).values({ orgId, userId, role }));
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict('The user is already a member of this organization', 'already_member');
        throw err;
      }
    };
    return tx ? run(tx) : this.database.system(run);
  }

  /** The organizations a user belongs to, oldest membership first (the first is their default). */
  async listForUser(userId: string): Promise<OrganizationView[]> {
    const rows = await this.database.system((tx) =>
      tx
        .select({ org: organizations, role: memberships.role })
        .from(memberships)
        .innerJoin(organizations, eq(organizations.id, memberships.orgId))
        .where(eq(memberships.userId, userId))
        .orderBy(asc(memberships.createdAt), asc(organizations.id)),
    );
    return rows.map((r) => orgView(r.org, r.role));
  }

  async get(actor: Actor): Promise<OrganizationView> {
    const [org] = await this.database.withOrg(actor.orgId, (tx) => tx.select().from(organizations).where(eq(organizations.id, actor.orgId)));
    if (!org) throw notFound('Organization');
    return orgView(org, actor.role);
  }

  /** Admins may rename; billing settings (markup, budget) need the owner. */
  async update(
    actor: Actor,
    patch: { name?: string; markupPercent?: number; monthlyBudgetMicros?: number | null },
  ): Promise<OrganizationView> {
    const billing = patch.markupPercent !== undefined || patch.monthlyBudgetMicros !== undefined;
    if (billing && actor.role !== 'owner') throw forbidden('Only an owner can change billing settings (markup, budget)', 'insufficient_role');
    const set: Partial<typeof organizations.$inferInsert> = { updatedAt: new Date() };
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.markupPercent !== undefined) set.markupBps = Math.round(patch.markupPercent * 100);
    if (patch.monthlyBudgetMicros !== undefined) set.monthlyBudgetMicros = patch.monthlyBudgetMicros;
    const [org] = await this.database.withOrg(actor.orgId, (tx) =>
      tx.update(organizations).set(set).where(eq(organizations.id, actor.orgId)).returning(),
    );
    if (!org) throw notFound('Organization');
    if (billing) this.onBillingSettingsChanged(actor.orgId);
    return orgView(org, actor.role);
  }

  /** Deletes the organization and, by cascade, every row it owns. Owner only (checked by the route). */
  async delete(actor: Actor): Promise<void> {
    await this.database.system((tx) => tx.delete(organizations).where(eq(organizations.id, actor.orgId)));
  }

  /** Members, newest first by default; filters: role, search (name or email, case-insensitive). */
  async members(actor: Actor, q: PageQuery & { role?: Role; search?: string }): Promise<Page<MemberView>> {
    assertOneOfOffsetCursor(q);
    const sort = timestampSort(memberships.createdAt);
    const filters = and(
      eq(memberships.orgId, actor.orgId),
      q.role ? eq(memberships.role, q.role) : undefined,
      q.search ? sql`(${users.name} ilike ${likePattern(q.search)} or ${users.email} ilike ${likePattern(q.search)})` : undefined,
    );
    return this.database.withOrg(actor.orgId, async (tx) => {
      const [{ total } = { total: 0 }] = await tx
        .select({ total: count() })
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .where(filters);
      const rows = await tx
        .select({ id: memberships.id, sortKey: sort.key, userId: users.id, email: users.email, name: users.name, role: memberships.role, joinedAt: memberships.createdAt })
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .where(and(filters, q.cursor ? keysetAfter(sort, memberships.id, q.sortOrder, q.cursor) : undefined))
        .orderBy(...keysetOrder(sort, memberships.id, q.sortOrder))
        .limit(q.limit + 1)
        .offset(q.offset ?? 0);
      return toPage(rows, q, total, ({ userId, email, name, role, joinedAt }) => ({ userId, email, name, role, joinedAt }));
    });
  }

  /**
   * Changes a member's role. A demotion also lowers the API keys they created here to at most
   * the new role (`apiKeysLowered`), so a key never holds more than its creator.
   */
  async changeRole(actor: Actor, userId: string, role: Role): Promise<MemberView & { apiKeysLowered: number }> {
    return this.database.withOrg(actor.orgId, async (tx) => {
      const target = await this.lockMember(tx, actor.orgId, userId);
      if ((role === 'owner' || target.role === 'owner') && actor.role !== 'owner') {
        throw forbidden('Only an owner can grant the owner role or change an owner', 'owner_required');
      }
      if (target.role === 'owner' && role !== 'owner') await this.assertAnotherOwner(tx, actor.orgId, userId);
      await tx.update(memberships).set({ role, updatedAt: new Date() }).where(eq(memberships.id, target.id));
      const lowered = roleRank(role) < roleRank(target.role) ? await lowerKeysCreatedBy(tx, actor.orgId, userId, role) : [];
      await this.auditKeys(tx, actor, lowered, 'api_key.role_lowered', { to: role, reason: 'creator_demoted', memberId: userId });
      const [m] = await tx
        .select({ userId: users.id, email: users.email, name: users.name, role: memberships.role, joinedAt: memberships.createdAt })
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .where(eq(memberships.id, target.id));
      return { ...m!, apiKeysLowered: lowered.length };
    });
  }

  /**
   * Removes a member; people may remove themselves, otherwise it needs an admin (owner for
   * owners). The API keys they created here are revoked with it (`apiKeysRevoked`): a key made by
   * someone who left must not keep their access.
   */
  async removeMember(actor: Actor, userId: string): Promise<{ apiKeysRevoked: number }> {
    return this.database.withOrg(actor.orgId, async (tx) => {
      const target = await this.lockMember(tx, actor.orgId, userId);
      const self = actor.userId === userId;
      if (!self && !roleAtLeast(actor.role, 'admin')) throw forbidden('Removing another member needs the admin role', 'insufficient_role');
      if (!self && target.role === 'owner' && actor.role !== 'owner') throw forbidden('Only an owner can remove an owner', 'owner_required');
      if (target.role === 'owner') await this.assertAnotherOwner(tx, actor.orgId, userId);
      await tx.delete(memberships).where(eq(memberships.id, target.id));
      const revoked = await revokeKeysCreatedBy(tx, actor.orgId, userId);
      await this.auditKeys(tx, actor, revoked, 'api_key.revoked', { reason: 'creator_removed', memberId: userId });
      return { apiKeysRevoked: revoked.length };
    });
  }

  /**
   * Invites someone by email. The link (a single-use bearer token, 7 days) is in the answer, for
   * the inviting admin, and is mailed to the invitee when SMTP_URL is set (`mailed`). The log
   * names the invitation only, never the link.
   */
  async invite(actor: Actor, email: string, role: Role): Promise<{ invitation: InvitationView; inviteUrl: string; mailed: boolean }> {
    if (role === 'owner' && actor.role !== 'owner') throw forbidden('Only an owner can invite an owner', 'owner_required');
    const normalized = email.trim().toLowerCase();
    const token = randomToken(INVITE_PREFIX);
    const invitation = await this.database.withOrg(actor.orgId, async (tx) => {
      const existing = await tx
        .select({ id: memberships.id })
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .where(and(eq(memberships.orgId, actor.orgId), sql`lower(${users.email}) = ${normalized}`));
      if (existing.length) throw conflict(`${normalized} is already a member`, 'already_member');
      // An expired, never-accepted invitation should not block a new one.
      await tx
        .update(invitations)
        .set({ revokedAt: new Date() })
        .where(
          and(
            eq(invitations.orgId, actor.orgId),
            eq(invitations.email, normalized),
            isNull(invitations.acceptedAt),
            isNull(invitations.revokedAt),
            sql`${invitations.expiresAt} <= now()`,
          ),
        );
      try {
        const [row] = await tx
          .insert(invitations)
          .values({
            orgId: actor.orgId,
            email: normalized,
            role,
            tokenHash: sha256(token),
            invitedBy: actor.userId,
            expiresAt: new Date(Date.now() + INVITATION_TTL_MS),
          })
          .returning();
        return invitationView(row!);
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict(`${normalized} already has a pending invitation`, 'invitation_pending');
        throw err;
      }
    });
    const inviteUrl = `${this.config.publicUrl}/invite?token=${token}`;
    const mailed = this.mail.enabled && (await this.mailInvitation(actor, invitation, inviteUrl));
    this.logger.info({ orgId: actor.orgId, invitationId: invitation.id, mailed }, 'invitation created');
    return { invitation, inviteUrl, mailed };
  }

  private async mailInvitation(actor: Actor, invitation: InvitationView, inviteUrl: string): Promise<boolean> {
    const [org] = await this.database.withOrg(actor.orgId, (tx) => tx.select({ name: organizations.name }).from(organizations).where(eq(organizations.id, actor.orgId)));
    const [inviter] = actor.userId
      ? await this.database.withOrg(actor.orgId, (tx) => tx.select({ name: users.name, email: users.email }).from(users).where(eq(users.id, actor.userId!)))
      : [];
    const who = inviter ? `${inviter.name} (${inviter.email})` : 'An administrator';
    const text = [
      `${who} invited you to join ${org?.name ?? 'an organization'} on Troupe as ${invitation.role}.`,
      '',
      `Open this link to accept; it works once, until ${invitation.expiresAt.toUTCString()}:`,
      inviteUrl,
      '',
      'Sign up or sign in with this email address. If you did not expect this invitation, ignore this mail.',
    ].join('\n');
    return this.mail.send('invitation', { to: invitation.email, subject: `You are invited to ${org?.name ?? 'an organization'} on Troupe`.replace(/[\r\n]+/g, ' '), text }, { orgId: actor.orgId, invitationId: invitation.id });
  }

  /** Pending (not accepted, revoked or expired) invitations, newest first by default. */
  async invitations(actor: Actor, q: PageQuery): Promise<Page<InvitationView>> {
    const pending = and(
      eq(invitations.orgId, actor.orgId),
      isNull(invitations.acceptedAt),
      isNull(invitations.revokedAt),
      gt(invitations.expiresAt, new Date()),
    );
    return this.database.withOrg(actor.orgId, (tx) =>
      keysetPage(tx, { table: invitations, id: invitations.id, sort: timestampSort(invitations.createdAt), where: pending }, q, invitationView),
    );
  }

  async revokeInvitation(actor: Actor, id: string): Promise<void> {
    const done = await this.database.withOrg(actor.orgId, (tx) =>
      tx
        .update(invitations)
        .set({ revokedAt: new Date() })
        .where(and(eq(invitations.id, id), eq(invitations.orgId, actor.orgId), isNull(invitations.acceptedAt), isNull(invitations.revokedAt)))
        .returning({ id: invitations.id }),
    );
    if (!done.length) throw notFound('Invitation');
  }

  /**
   * Joins the invitation's organization. The invitation is found by its token (which is why this
   * runs in system scope) and must be addressed to the accepting user's email.
   */
  async accept(userId: string, token: string, tx?: Tx): Promise<OrganizationView> {
    const run = async (t: Tx) => {
      const [user] = await t.select({ email: users.email }).from(users).where(eq(users.id, userId));
      const inv = await this.pendingInvitation(t, token, user?.email ?? '');
      try {
        await t.insert(memberships).values({ orgId: inv.orgId, userId, role: inv.role });
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict('You are already a member of this organization', 'already_member');
        throw err;
      }
      await t.update(invitations).set({ acceptedAt: new Date() }).where(eq(invitations.id, inv.id));
      const [org] = await t.select().from(organizations).where(eq(organizations.id, inv.orgId));
      return orgView(org!, inv.role);
    };
    return tx ? run(tx) : this.database.system(run);
  }

  /**
   * Checks, before an account is created for `email`, that the invitation is pending and
   * addressed to it: sign-up with an invitation answers these before it says whether the address
   * already has an account, so only the holder of a valid invitation for an address learns that.
   */
  async checkInvitation(token: string, email: string, tx: Tx): Promise<void> {
    await this.pendingInvitation(tx, token, email);
  }

  /** The pending invitation with this token, locked, addressed to `email`; 404 or 403 otherwise. */
  private async pendingInvitation(t: Tx, token: string, email: string) {
    const [inv] = await t.select().from(invitations).where(eq(invitations.tokenHash, sha256(token))).for('update');
    if (!inv || inv.acceptedAt || inv.revokedAt || inv.expiresAt <= new Date()) {
      throw new AppError(404, 'invitation_not_found', 'This invitation does not exist, was used or revoked, or has expired');
    }
    if (email.trim().toLowerCase() !== inv.email) {
      throw forbidden('This invitation was sent to another email address', 'invitation_email_mismatch');
    }
    return inv;
  }

  private async lockMember(tx: Tx, orgId: string, userId: string) {
    const [m] = await tx
      .select()
      .from(memberships)
      .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)))
      .for('update');
    if (!m) throw notFound('Member');
    return m;
  }

  private async assertAnotherOwner(tx: Tx, orgId: string, exceptUserId: string) {
    // Lock every owner row so two concurrent demotions cannot both see "another owner".
    const owners = await tx
      .select({ userId: memberships.userId })
      .from(memberships)
      .where(and(eq(memberships.orgId, orgId), eq(memberships.role, 'owner')))
      .for('update');
    if (!owners.some((o) => o.userId !== exceptUserId)) {
      throw conflict('An organization needs at least one owner; make someone else owner first', 'last_owner');
    }
  }
}

import { and, asc, count, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Config } from '../config/load.js';
import type { Database, Tx } from '../db/client.js';
import { randomToken, sha256 } from '../shared/crypto.js';
import { keysetAfter, keysetOrder, keysetPage, timestampSort, toPage } from '../shared/keyset.js';
import { assertOneOfOffsetCursor, likePattern, type Page, type PageQuery } from '../shared/pagination.js';
import { AppError, conflict, forbidden, isUniqueViolation, notFound } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { roleAtLeast, type Actor, type Role } from './roles.js';
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

  constructor(
    private readonly database: Database,
    private readonly config: Config,
    private readonly logger: Logger,
  ) {}

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

  async changeRole(actor: Actor, userId: string, role: Role): Promise<MemberView> {
    return this.database.withOrg(actor.orgId, async (tx) => {
      const target = await this.lockMember(tx, actor.orgId, userId);
      if ((role === 'owner' || target.role === 'owner') && actor.role !== 'owner') {
        throw forbidden('Only an owner can grant the owner role or change an owner', 'owner_required');
      }
      if (target.role === 'owner' && role !== 'owner') await this.assertAnotherOwner(tx, actor.orgId, userId);
      await tx.update(memberships).set({ role, updatedAt: new Date() }).where(eq(memberships.id, target.id));
      const [m] = await tx
        .select({ userId: users.id, email: users.email, name: users.name, role: memberships.role, joinedAt: memberships.createdAt })
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .where(eq(memberships.id, target.id));
      return m!;
    });
  }

  /** Removes a member; people may remove themselves, otherwise it needs an admin (owner for owners). */
  async removeMember(actor: Actor, userId: string): Promise<void> {
    await this.database.withOrg(actor.orgId, async (tx) => {
      const target = await this.lockMember(tx, actor.orgId, userId);
      const self = actor.userId === userId;
      if (!self && !roleAtLeast(actor.role, 'admin')) throw forbidden('Removing another member needs the admin role', 'insufficient_role');
      if (!self && target.role === 'owner' && actor.role !== 'owner') throw forbidden('Only an owner can remove an owner', 'owner_required');
      if (target.role === 'owner') await this.assertAnotherOwner(tx, actor.orgId, userId);
      await tx.delete(memberships).where(eq(memberships.id, target.id));
    });
  }

  async invite(actor: Actor, email: string, role: Role): Promise<{ invitation: InvitationView; inviteUrl: string }> {
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
    // Until outbound mail exists, the log is how an operator without mail gets the link to the
    // invitee. The token is single-use and expires in 7 days.
    this.logger.info({ orgId: actor.orgId, email: normalized, inviteUrl }, 'invitation created');
    return { invitation, inviteUrl };
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
      const [inv] = await t.select().from(invitations).where(eq(invitations.tokenHash, sha256(token))).for('update');
      if (!inv || inv.acceptedAt || inv.revokedAt || inv.expiresAt <= new Date()) {
        throw new AppError(404, 'invitation_not_found', 'This invitation does not exist, was used or revoked, or has expired');
      }
      const [user] = await t.select({ email: users.email }).from(users).where(eq(users.id, userId));
      if (!user || user.email.toLowerCase() !== inv.email) {
        throw forbidden('This invitation was sent to another email address', 'invitation_email_mismatch');
      }
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

import { and, eq, sql, type SQL } from 'drizzle-orm';
import { membersInRoles } from '../auth/lookups.js';
import type { Database, Tx } from '../db/client.js';
import { badRequest, conflict, isUniqueViolation, notFound } from '../shared/errors.js';
import { uuidOr404 } from '../shared/ids.js';
import { keysetPage, timestampSort, type KeysetSort } from '../shared/keyset.js';
import { likePattern, type Page } from '../shared/pagination.js';
import { ROLES, type Actor } from '../shared/roles.js';
import type { CreateStaffInput, ListStaffQuery, UpdateStaffInput } from './dto.js';
import { staffMembers } from './schema.js';

export type StaffRow = typeof staffMembers.$inferSelect;

const nameSort: KeysetSort = {
  expr: sql`lower(${staffMembers.name})`,
  key: sql<string>`lower(${staffMembers.name})`,
  param: (v) => (typeof v === 'string' ? sql`${v}::text` : null),
};

/**
 * The staff directory (docs/pipelines.md "Staff"): the people who receive work, with their job
 * roles, capacity and, when they have one, their dashboard user. Admins write, members read.
 */
export class StaffService {
  constructor(private readonly database: Database) {}

  async list(actor: Actor, q: ListStaffQuery): Promise<Page<StaffRow>> {
    const conditions: (SQL | undefined)[] = [eq(staffMembers.orgId, actor.orgId)];
    if (q.role) conditions.push(sql`${staffMembers.roles} @> array[${q.role}]::text[]`);
    if (q.active !== 'all') conditions.push(eq(staffMembers.active, q.active === 'true'));
    if (q.q) {
      const p = likePattern(q.q);
      conditions.push(sql`(${staffMembers.name} ilike ${p} or ${staffMembers.email} ilike ${p} or ${staffMembers.phone} ilike ${p})`);
    }
    const sort = q.sortBy === 'name' ? nameSort : timestampSort(staffMembers.createdAt);
    return this.database.readOrg(actor.orgId, (tx) => keysetPage(tx, { table: staffMembers, id: staffMembers.id, sort, sortName: `sortBy=${q.sortBy}`, where: and(...conditions) }, q, (r) => r));
  }

  async get(actor: Actor, id: string): Promise<StaffRow> {
    uuidOr404(id, 'Staff member');
    const [row] = await this.database.readOrg(actor.orgId, (tx) => tx.select().from(staffMembers).where(and(eq(staffMembers.orgId, actor.orgId), eq(staffMembers.id, id))));
    if (!row) throw notFound('Staff member');
    return row;
  }

  async create(actor: Actor, input: CreateStaffInput): Promise<StaffRow> {
    return this.write(actor, input, async (tx) => {
      const [row] = await tx
        .insert(staffMembers)
        .values({
          orgId: actor.orgId,
          name: input.name,
          email: input.email ?? null,
          phone: input.phone ?? null,
          roles: input.roles ?? [],
          userId: input.userId ?? null,
          capacity: input.capacity ?? null,
          active: input.active ?? true,
        })
        .returning();
      return row!;
    });
  }

  async update(actor: Actor, id: string, patch: UpdateStaffInput): Promise<StaffRow> {
    uuidOr404(id, 'Staff member');
    return this.write(actor, patch, async (tx) => {
      const [row] = await tx
        .update(staffMembers)
        .set({ ...patch, updatedAt: new Date() })
        .where(and(eq(staffMembers.orgId, actor.orgId), eq(staffMembers.id, id)))
        .returning();
      if (!row) throw notFound('Staff member');
      return row;
    });
  }

  /** Removes a staff member; items assigned to them become unassigned (their history keeps the id). */
  async remove(actor: Actor, id: string): Promise<void> {
    uuidOr404(id, 'Staff member');
    const rows = await this.database.withOrg(actor.orgId, (tx) => tx.delete(staffMembers).where(and(eq(staffMembers.orgId, actor.orgId), eq(staffMembers.id, id))).returning({ id: staffMembers.id }));
    if (rows.length === 0) throw notFound('Staff member');
  }

  /** A write with the checks the schema cannot make: the user is a member, the email is free. */
  private async write(actor: Actor, input: { userId?: string | null; email?: string | null }, fn: (tx: Tx) => Promise<StaffRow>): Promise<StaffRow> {
    try {
      return await this.database.withOrg(actor.orgId, async (tx) => {
        if (input.userId) {
          const members = await membersInRoles(tx, actor.orgId, ROLES);
          if (!members.some((m) => m.userId === input.userId)) {
            throw badRequest('userId is not a member of this organization', [{ path: 'body.userId', message: 'not a member of this organization' }]);
          }
        }
        return fn(tx);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`A staff member with the email ${input.email ?? ''} already exists`, 'email_taken');
      throw err;
    }
  }
}

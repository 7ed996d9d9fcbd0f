import { and, arrayContains, asc, eq, inArray } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import { staffMembers } from './schema.js';

/**
 * What other modules read of the staff directory, inside the caller's transaction (pipelines:
 * assignees and their candidates; decisions: whom to notify).
 */

export interface StaffBrief {
  id: string;
  name: string;
  email: string | null;
  userId: string | null;
  roles: string[];
  capacity: number | null;
  active: boolean;
  createdAt: Date;
}

const brief = {
  id: staffMembers.id,
  name: staffMembers.name,
  email: staffMembers.email,
  userId: staffMembers.userId,
  roles: staffMembers.roles,
  capacity: staffMembers.capacity,
  active: staffMembers.active,
  createdAt: staffMembers.createdAt,
};

/** Staff of the organization by id (inactive ones too); unknown ids are left out. */
export async function staffByIds(tx: Tx, orgId: string, ids: readonly (string | null | undefined)[]): Promise<Map<string, StaffBrief>> {
  const wanted = [...new Set(ids.filter((x): x is string => !!x))];
  if (wanted.length === 0) return new Map();
  const rows = await tx.select(brief).from(staffMembers).where(and(eq(staffMembers.orgId, orgId), inArray(staffMembers.id, wanted)));
  return new Map(rows.map((r) => [r.id, r]));
}

/**
 * The organization's active staff holding `role` (every active one when role is null), oldest
 * first (the order round-robin goes through).
 */
export function activeStaffWithRole(tx: Tx, orgId: string, role: string | null): Promise<StaffBrief[]> {
  return tx
    .select(brief)
    .from(staffMembers)
    .where(and(eq(staffMembers.orgId, orgId), eq(staffMembers.active, true), role ? arrayContains(staffMembers.roles, [role]) : undefined))
    .orderBy(asc(staffMembers.createdAt), asc(staffMembers.id));
}

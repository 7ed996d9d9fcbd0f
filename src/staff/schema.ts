import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { users } from '../auth/schema.js';
import { createdAt, id, orgId, updatedAt } from '../db/columns.js';

/**
 * The people who receive work (issue 16; docs/pipelines.md): a pipeline item's assignee, who a
 * decision notifies. Not the organization's members: a receptionist who never signs in is staff;
 * `user_id` links one to a dashboard user when there is one (decision 69).
 */
export const staffMembers = pgTable(
  'staff_members',
  {
    id: id(),
    orgId: orgId(),
    name: text('name').notNull(),
    /** Unique per organization, case-insensitively (staff_members_org_email). */
    email: text('email'),
    phone: text('phone'),
    /** Job roles: lowercase words (`sales`, `support`); pipelines assign by them. */
    roles: text('roles').array().notNull().default(sql`'{}'::text[]`),
    /** The dashboard user this person is, for in-app notifications. */
    userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
    /** At most this many open items at once; null: no limit. */
    capacity: integer('capacity'),
    active: boolean('active').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('staff_members_org_email').on(t.orgId, sql`lower(${t.email})`).where(sql`${t.email} is not null`),
    index('staff_members_roles_idx').using('gin', t.roles),
    index('staff_members_org_name_idx').on(t.orgId, t.name),
    check('staff_members_capacity', sql`${t.capacity} is null or ${t.capacity} >= 0`),
  ],
);

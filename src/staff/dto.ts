import { z } from 'zod';
import { pageQuery } from '../shared/page-schema.js';
import { MAX_STAFF_ROLES, STAFF_ROLE_HINT, STAFF_ROLE_RE } from './enums.js';

/** The wire shapes of the staff directory (docs/pipelines.md "Staff"). */

const iso = z.date().transform((d) => d.toISOString());

/** A job role: trimmed and lowercased, then checked (`Sales` is `sales`). */
export const staffRole = z
  .string()
  .trim()
  .toLowerCase()
  .regex(STAFF_ROLE_RE, STAFF_ROLE_HINT);

const roles = z
  .array(staffRole)
  .max(MAX_STAFF_ROLES)
  .transform((r) => [...new Set(r)])
  .describe('Job roles (sales, support, admin, operator, pm, …): pipelines assign by them');

const fields = {
  name: z.string().trim().min(1).max(200),
  email: z.email().max(254).nullable().optional().describe('Unique in the organization (case-insensitive)'),
  phone: z.string().trim().min(1).max(50).nullable().optional(),
  roles: roles.optional(),
  userId: z.uuid().nullable().optional().describe('The dashboard user this person is (a member of the organization): in-app notifications reach them'),
  capacity: z.number().int().min(0).max(100_000).nullable().optional().describe('At most this many open items at once; null: no limit'),
  active: z.boolean().optional().describe('Inactive staff receive no new work'),
};
export const createStaffBody = z.strictObject(fields).meta({ id: 'CreateStaffMember' });
export type CreateStaffInput = z.output<typeof createStaffBody>;
export const updateStaffBody = z
  .strictObject({ ...fields, name: fields.name.optional() })
  .meta({ id: 'UpdateStaffMember' });
export type UpdateStaffInput = z.output<typeof updateStaffBody>;

export const staffSchema = z
  .object({
    id: z.uuid(),
    orgId: z.uuid(),
    name: z.string(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    roles: z.array(z.string()),
    userId: z.uuid().nullable(),
    capacity: z.number().int().nullable(),
    active: z.boolean(),
    createdAt: iso,
    updatedAt: iso,
  })
  .meta({ id: 'StaffMember' });

export const listStaffQuery = pageQuery.extend({
  role: staffRole.optional().describe('Only staff holding this role'),
  q: z.string().trim().min(1).max(200).optional().describe('Part of the name, email or phone'),
  active: z.enum(['true', 'false', 'all']).default('all').describe('Only active (true) or inactive (false) staff'),
  sortBy: z.enum(['name', 'createdAt']).default('name'),
  sortOrder: z.enum(['asc', 'desc']).default('asc'),
});
export type ListStaffQuery = z.output<typeof listStaffQuery>;

import { sql } from 'drizzle-orm';
import { timestamp, uuid } from 'drizzle-orm/pg-core';
import { organizations } from './tenancy.js';

/** Shared column builders so every table spells ids and times the same way. */
export const id = () => uuid('id').primaryKey().default(sql`gen_random_uuid()`);
/** Tenant column: every tenant row goes when its organization is deleted. */
export const orgId = () =>
  uuid('org_id')
    .notNull()
    .references(() => organizations.id, { onDelete: 'cascade' });
/**
 * Tenant column of a row that belongs to a run (run_steps, run_events): the run's own foreign key
 * (on delete cascade) takes it when the organization goes, and the engine writes it only from the
 * run it has just fenced. Without a key of its own, an insert checks (and share-locks) no
 * organization row: the engine writes ten or more such rows per run (bench/queue, decision 28).
 */
export const runOrgId = () => uuid('org_id').notNull();
export const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
export const updatedAt = () => timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
export const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

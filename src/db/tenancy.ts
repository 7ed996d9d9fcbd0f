import { sql } from 'drizzle-orm';
import { bigint, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * The tenant: every tenant row references it (see `orgId()` in columns.ts), so deleting an
 * organization deletes everything it owns. Kept apart from the column helpers to avoid an import cycle.
 */
export const organizations = pgTable('organizations', {
  id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
  name: text('name').notNull(),
  /** Billing markup in basis points over base cost: 2000 = 20%. */
  markupBps: integer('markup_bps').notNull().default(2000),
  /** Monthly organization budget in micro-dollars; null = no budget. */
  monthlyBudgetMicros: bigint('monthly_budget_micros', { mode: 'number' }),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

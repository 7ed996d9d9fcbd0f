-- Indexes for the fitness analytics (src/packs/fitness/analytics, decision 60). Hand-written:
-- they are not in crm/schema.ts, so drizzle-kit neither makes nor drops them.
-- The engagement score reads the 30 days before a moment: every check-in of the window (by
-- contact, without visiting the table: the contact id is in the index), and only the no-shows and
-- failed payments of the window (a few percent of their tables).
CREATE INDEX IF NOT EXISTS "fitness_check_ins_org_at_contact_idx" ON "fitness_check_ins" USING btree ("org_id", "at") INCLUDE ("contact_id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "fitness_bookings_org_no_show_idx" ON "fitness_bookings" USING btree ("org_id", "starts_at") INCLUDE ("contact_id") WHERE "status" = 'no_show';--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "fitness_payments_org_failed_idx" ON "fitness_payments" USING btree ("org_id", "paid_at") INCLUDE ("contact_id") WHERE "status" = 'failed';

ALTER TABLE "trigger_fires" ADD COLUMN "debounce_key" text;--> statement-breakpoint
ALTER TABLE "trigger_fires" ADD COLUMN "due_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "trigger_fires" ADD COLUMN "carried_by" uuid;--> statement-breakpoint
ALTER TABLE "trigger_fires" ADD COLUMN "collapsed" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "trigger_fires" ADD COLUMN "holds_place" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "triggers" ADD COLUMN "debounce_key" text;--> statement-breakpoint
ALTER TABLE "triggers" ADD COLUMN "debounce_seconds" integer;--> statement-breakpoint
ALTER TABLE "triggers" ADD COLUMN "max_concurrent_runs" integer;--> statement-breakpoint
CREATE INDEX "trigger_fires_pending_key_idx" ON "trigger_fires" USING btree ("trigger_id","debounce_key") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "trigger_fires_due_idx" ON "trigger_fires" USING btree ("due_at") WHERE status in ('pending', 'firing') and due_at is not null;--> statement-breakpoint
CREATE INDEX "trigger_fires_queued_idx" ON "trigger_fires" USING btree ("trigger_id","created_at") WHERE status = 'queued';--> statement-breakpoint
CREATE INDEX "trigger_fires_places_idx" ON "trigger_fires" USING btree ("trigger_id") WHERE holds_place;--> statement-breakpoint
CREATE INDEX "trigger_fires_carried_idx" ON "trigger_fires" USING btree ("carried_by") WHERE carried_by is not null;
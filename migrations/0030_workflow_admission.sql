ALTER TABLE "runs" ADD COLUMN "admitted_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "runs_workflow_admitted_idx" ON "runs" USING btree ("workflow_id") WHERE admitted_at is not null and finished_at is null;

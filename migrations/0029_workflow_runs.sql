-- Workflow runs (issue 15): a workflow run is a run with no agent, its workflow and pinned version;
-- its node executions are steps (kind `node`); the agent and sub-workflow runs it starts carry
-- `parent_run_id` and the execution key they serve (`parent_key`); a run waiting on timers, child
-- runs or people parks as `waiting`, with `wake_at` for its earliest timer. Ledger rows carry the
-- workflow a run served (usage by workflow). An approval a workflow node asks for names the role
-- that may decide it and keeps the form values of the decision. A schedule fires a task, or a
-- workflow's schedule trigger.
ALTER TABLE "runs" ALTER COLUMN "agent_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ALTER COLUMN "agent_version" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "workflow_id" uuid;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "workflow_version" integer;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "parent_run_id" uuid;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "parent_key" text;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "result" jsonb;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "wake_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "public"."workflows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_parent_run_id_runs_id_fk" FOREIGN KEY ("parent_run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_agent_or_workflow" CHECK ("runs"."agent_id" is not null or "runs"."workflow_id" is not null);--> statement-breakpoint
CREATE INDEX "runs_org_workflow_created_idx" ON "runs" USING btree ("org_id","workflow_id","created_at") WHERE workflow_id is not null;--> statement-breakpoint
CREATE INDEX "runs_parent_idx" ON "runs" USING btree ("parent_run_id") WHERE parent_run_id is not null;--> statement-breakpoint
CREATE INDEX "ledger_entries_org_workflow_idx" ON "ledger_entries" USING btree ("org_id","workflow_id","created_at") WHERE workflow_id is not null;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "approver_role" text;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "response" jsonb;--> statement-breakpoint
ALTER TABLE "schedules" ALTER COLUMN "task_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "schedules" ADD COLUMN "workflow_id" uuid;--> statement-breakpoint
ALTER TABLE "schedules" ADD CONSTRAINT "schedules_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "public"."workflows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "schedules_workflow_key" ON "schedules" USING btree ("workflow_id");--> statement-breakpoint
ALTER TABLE "schedules" ADD CONSTRAINT "schedules_task_or_workflow" CHECK ("schedules"."task_id" is not null or "schedules"."workflow_id" is not null);

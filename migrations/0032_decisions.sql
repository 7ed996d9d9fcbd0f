CREATE TABLE "decision_policies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"agent_id" uuid NOT NULL,
	"decision_type" text,
	"auto_execute_threshold" double precision DEFAULT 0.85 NOT NULL,
	"require_approval_threshold" double precision DEFAULT 0.5 NOT NULL,
	"allowed_actions" jsonb,
	"action_rules" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"max_actions_per_minute" integer,
	"max_actions_per_hour" integer,
	"notify_on_high_priority" boolean DEFAULT true NOT NULL,
	"notify_on_failure" boolean DEFAULT true NOT NULL,
	"escalation_email" text,
	"automation_url" text,
	"approver_role" text DEFAULT 'member' NOT NULL,
	"rules_confidence" double precision DEFAULT 0.6 NOT NULL,
	"fallback_rules" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"instructions" text DEFAULT '' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "decisions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"org_id" uuid NOT NULL,
	"agent_id" uuid NOT NULL,
	"decision_type" text NOT NULL,
	"input" jsonb NOT NULL,
	"event_id" uuid,
	"trigger_id" uuid,
	"status" text DEFAULT 'pending' NOT NULL,
	"source" text,
	"intent" text,
	"urgency" integer,
	"confidence" double precision,
	"reasoning" text,
	"prompt" text,
	"raw_response" text,
	"parsed" jsonb,
	"model_error" text,
	"outcome" text,
	"outcome_reason" text,
	"proposed_actions" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"actions" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"actions_edited" boolean DEFAULT false NOT NULL,
	"action_results" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"decided_by" jsonb,
	"comment" text,
	"approval_id" uuid,
	"error" jsonb,
	"decided_at" timestamp with time zone,
	"resolved_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "runs" DROP CONSTRAINT "runs_agent_or_workflow";--> statement-breakpoint
ALTER TABLE "decision_policies" ADD CONSTRAINT "decision_policies_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "decision_policies" ADD CONSTRAINT "decision_policies_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "decisions" ADD CONSTRAINT "decisions_id_runs_id_fk" FOREIGN KEY ("id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "decisions" ADD CONSTRAINT "decisions_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "decisions" ADD CONSTRAINT "decisions_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "decision_policies_agent_type" ON "decision_policies" USING btree ("org_id","agent_id",coalesce("decision_type", ''));--> statement-breakpoint
CREATE INDEX "decisions_org_created_idx" ON "decisions" USING btree ("org_id","created_at");--> statement-breakpoint
CREATE INDEX "decisions_org_status_created_idx" ON "decisions" USING btree ("org_id","status","created_at");--> statement-breakpoint
CREATE INDEX "decisions_agent_created_idx" ON "decisions" USING btree ("agent_id","created_at");--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_agent_or_workflow" CHECK ("runs"."agent_id" is not null or "runs"."workflow_id" is not null or "runs"."source" = 'decision');
ALTER TABLE "triggers" DROP CONSTRAINT "triggers_agent_or_workflow";--> statement-breakpoint
ALTER TABLE "triggers" ADD COLUMN "decision_agent_id" uuid;--> statement-breakpoint
ALTER TABLE "triggers" ADD COLUMN "decision_type" text;--> statement-breakpoint
ALTER TABLE "triggers" ADD CONSTRAINT "triggers_decision_agent_id_agents_id_fk" FOREIGN KEY ("decision_agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "triggers" ADD CONSTRAINT "triggers_agent_or_workflow" CHECK (num_nonnulls("triggers"."agent_id", "triggers"."workflow_id", "triggers"."decision_agent_id") = 1);
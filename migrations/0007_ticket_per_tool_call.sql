-- create_support_ticket keys its ticket by (run, tool call): a call retried after an interruption
-- finds the ticket it opened instead of opening a second one. Tickets people open have no run.
ALTER TABLE "support_tickets" ADD COLUMN "tool_call_id" text;--> statement-breakpoint
CREATE UNIQUE INDEX "support_tickets_run_call_idx" ON "support_tickets" USING btree ("run_id","tool_call_id");
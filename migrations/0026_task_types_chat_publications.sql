-- Task types and the customer-facing chat (docs/fitness.md "Task types", docs/widget.md, decision 62):
-- task_type_routes maps an organization's task type to the agent that answers it (POST /execute);
-- chat_publications publishes an agent as a website widget and a public chat page under a public
-- key; a visitor's conversation holds the visitor's id and its publication. Row-level security
-- comes from troupe_enforce_tenancy() after migrating, as for every org_id table.
CREATE TABLE "task_type_routes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"task_type" text NOT NULL,
	"agent_id" uuid NOT NULL,
	"instruction" text DEFAULT '' NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "chat_publications" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"agent_id" uuid NOT NULL,
	"public_key" text NOT NULL,
	"allowed_origins" text[] DEFAULT '{}'::text[] NOT NULL,
	"messages_per_minute" integer DEFAULT 10 NOT NULL,
	"messages_per_day" integer DEFAULT 200 NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"title" text NOT NULL,
	"greeting" text DEFAULT '' NOT NULL,
	"theme_color" text DEFAULT '#2563eb' NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "chat_publications_limits_check" CHECK ("chat_publications"."messages_per_minute" >= 1 and "chat_publications"."messages_per_day" >= 1)
);
--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "visitor_id" uuid;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "publication_id" uuid;--> statement-breakpoint
ALTER TABLE "task_type_routes" ADD CONSTRAINT "task_type_routes_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_type_routes" ADD CONSTRAINT "task_type_routes_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chat_publications" ADD CONSTRAINT "chat_publications_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chat_publications" ADD CONSTRAINT "chat_publications_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversations" ADD CONSTRAINT "conversations_publication_id_chat_publications_id_fk" FOREIGN KEY ("publication_id") REFERENCES "public"."chat_publications"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "task_type_routes_org_type_key" ON "task_type_routes" USING btree ("org_id","task_type");--> statement-breakpoint
CREATE INDEX "task_type_routes_agent_idx" ON "task_type_routes" USING btree ("agent_id");--> statement-breakpoint
CREATE UNIQUE INDEX "chat_publications_public_key_key" ON "chat_publications" USING btree ("public_key");--> statement-breakpoint
CREATE INDEX "chat_publications_org_idx" ON "chat_publications" USING btree ("org_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "conversations_visitor_key" ON "conversations" USING btree ("publication_id","visitor_id") WHERE visitor_id is not null;

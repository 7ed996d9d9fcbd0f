CREATE TABLE "db_sources" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"name" text NOT NULL,
	"connection_enc" text NOT NULL,
	"connection_view" jsonb NOT NULL,
	"mode" text DEFAULT 'trigger' NOT NULL,
	"table_name" text,
	"operations" jsonb DEFAULT '["insert","update","delete"]'::jsonb NOT NULL,
	"cursor_column" text DEFAULT 'updated_at' NOT NULL,
	"key_column" text DEFAULT 'id' NOT NULL,
	"poll_seconds" integer DEFAULT 30 NOT NULL,
	"last_log_id" bigint,
	"poll_cursor" text,
	"poll_key" text,
	"enabled" boolean DEFAULT false NOT NULL,
	"status" text DEFAULT 'disabled' NOT NULL,
	"last_error" text,
	"last_event_at" timestamp with time zone,
	"lease_until" timestamp with time zone,
	"lease_owner" text,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "db_sources" ADD CONSTRAINT "db_sources_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "db_sources_org_idx" ON "db_sources" USING btree ("org_id","created_at");--> statement-breakpoint
CREATE INDEX "db_sources_enabled_idx" ON "db_sources" USING btree ("lease_until") WHERE enabled;
-- The fitness pack's tools (src/packs/fitness/tools/schema.ts, docs/fitness.md "Tools", decision 61):
-- the organization's SMS provider (its auth token encrypted), the SMS outbox, retention and bulk
-- campaigns with their recipients (keyed by the tool call, so an interrupted call resumes), social
-- posts kept in an outbox, and attachments on outbox mail (send_report_email, export_data).
-- Row-level security comes from troupe_enforce_tenancy() after migrating, as for every org_id table.
CREATE TABLE "fitness_campaign_recipients" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"campaign_id" uuid NOT NULL,
	"contact_id" uuid NOT NULL,
	"channel" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"communication_id" uuid,
	"error" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fitness_campaigns" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"channel" text NOT NULL,
	"purpose" text NOT NULL,
	"template" text,
	"subject" text,
	"body" text NOT NULL,
	"segment" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"variables" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" text DEFAULT 'sending' NOT NULL,
	"recipients" integer DEFAULT 0 NOT NULL,
	"excluded" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"agent_id" uuid,
	"run_id" uuid,
	"tool_call_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "fitness_sms_outbox" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"contact_id" uuid,
	"communication_id" uuid,
	"to" text NOT NULL,
	"from" text,
	"body" text NOT NULL,
	"status" text NOT NULL,
	"provider_message_id" text,
	"error" text,
	"run_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "fitness_sms_settings" (
	"org_id" uuid PRIMARY KEY NOT NULL,
	"provider" text DEFAULT 'twilio' NOT NULL,
	"base_url" text DEFAULT 'https://api.twilio.com' NOT NULL,
	"account_sid" text NOT NULL,
	"auth_token" text NOT NULL,
	"from_number" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fitness_social_posts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"platform" text NOT NULL,
	"content" text NOT NULL,
	"hashtags" text[] DEFAULT '{}'::text[] NOT NULL,
	"media_urls" text[] DEFAULT '{}'::text[] NOT NULL,
	"scheduled_for" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'scheduled' NOT NULL,
	"agent_id" uuid,
	"run_id" uuid,
	"tool_call_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "outbox_emails" ADD COLUMN "attachments" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "fitness_campaign_recipients" ADD CONSTRAINT "fitness_campaign_recipients_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_campaign_recipients" ADD CONSTRAINT "fitness_campaign_recipients_campaign_id_fitness_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."fitness_campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_campaign_recipients" ADD CONSTRAINT "fitness_campaign_recipients_contact_id_fitness_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."fitness_contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_campaign_recipients" ADD CONSTRAINT "fitness_campaign_recipients_communication_id_fitness_communications_id_fk" FOREIGN KEY ("communication_id") REFERENCES "public"."fitness_communications"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_campaigns" ADD CONSTRAINT "fitness_campaigns_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_sms_outbox" ADD CONSTRAINT "fitness_sms_outbox_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_sms_outbox" ADD CONSTRAINT "fitness_sms_outbox_contact_id_fitness_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."fitness_contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_sms_outbox" ADD CONSTRAINT "fitness_sms_outbox_communication_id_fitness_communications_id_fk" FOREIGN KEY ("communication_id") REFERENCES "public"."fitness_communications"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_sms_settings" ADD CONSTRAINT "fitness_sms_settings_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_social_posts" ADD CONSTRAINT "fitness_social_posts_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "fitness_campaign_recipients_campaign_contact_key" ON "fitness_campaign_recipients" USING btree ("campaign_id","contact_id");--> statement-breakpoint
CREATE INDEX "fitness_campaign_recipients_contact_idx" ON "fitness_campaign_recipients" USING btree ("contact_id");--> statement-breakpoint
CREATE INDEX "fitness_campaigns_org_created_idx" ON "fitness_campaigns" USING btree ("org_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "fitness_campaigns_run_call_key" ON "fitness_campaigns" USING btree ("run_id","tool_call_id");--> statement-breakpoint
CREATE INDEX "fitness_sms_outbox_org_created_idx" ON "fitness_sms_outbox" USING btree ("org_id","created_at");--> statement-breakpoint
CREATE INDEX "fitness_sms_outbox_contact_idx" ON "fitness_sms_outbox" USING btree ("contact_id") WHERE "fitness_sms_outbox"."contact_id" is not null;--> statement-breakpoint
CREATE INDEX "fitness_sms_outbox_communication_idx" ON "fitness_sms_outbox" USING btree ("communication_id") WHERE "fitness_sms_outbox"."communication_id" is not null;--> statement-breakpoint
CREATE INDEX "fitness_social_posts_org_scheduled_idx" ON "fitness_social_posts" USING btree ("org_id","scheduled_for");--> statement-breakpoint
CREATE UNIQUE INDEX "fitness_social_posts_run_call_key" ON "fitness_social_posts" USING btree ("run_id","tool_call_id");
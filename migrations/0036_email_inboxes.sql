CREATE TABLE "email_inboxes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"event_type" text DEFAULT 'email.received' NOT NULL,
	"local_part" text,
	"host" text,
	"port" integer,
	"secure" boolean,
	"username" text,
	"password_enc" text,
	"mailbox" text DEFAULT 'INBOX' NOT NULL,
	"uid_validity" bigint,
	"last_uid" bigint DEFAULT 0 NOT NULL,
	"poll_seconds" integer DEFAULT 60 NOT NULL,
	"last_polled_at" timestamp with time zone,
	"last_error" text,
	"lease_until" timestamp with time zone,
	"lease_owner" text,
	"provider" text,
	"token_hash" text,
	"signing_key_enc" text,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "email_inboxes_kind" CHECK ("email_inboxes"."kind" in ('smtp', 'imap', 'parse'))
);
--> statement-breakpoint
ALTER TABLE "email_inboxes" ADD CONSTRAINT "email_inboxes_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "email_inboxes_local_part" ON "email_inboxes" USING btree ("local_part") WHERE local_part is not null;--> statement-breakpoint
CREATE INDEX "email_inboxes_org_idx" ON "email_inboxes" USING btree ("org_id","created_at");--> statement-breakpoint
CREATE INDEX "email_inboxes_imap_due_idx" ON "email_inboxes" USING btree ("last_polled_at") WHERE kind = 'imap' and enabled;
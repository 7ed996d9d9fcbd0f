-- The fitness pack's CRM (src/packs/fitness/crm/schema.ts, docs/fitness.md, decision 58): contacts
-- (members and leads), staff, lead stages, plans, subscriptions, payments, classes, sessions,
-- bookings, check-ins, goals, measurements, workout plans, notes, communications. Row-level
-- security comes from troupe_enforce_tenancy() after migrating, as for every org_id table.
CREATE TABLE "fitness_bookings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"contact_id" uuid NOT NULL,
	"session_id" uuid,
	"kind" text DEFAULT 'class' NOT NULL,
	"status" text DEFAULT 'booked' NOT NULL,
	"booked_at" timestamp with time zone DEFAULT now() NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"staff_id" uuid,
	"cancelled_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fitness_check_ins" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"contact_id" uuid NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"source" text DEFAULT 'front_desk' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fitness_classes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"category" text DEFAULT '' NOT NULL,
	"default_capacity" integer DEFAULT 20 NOT NULL,
	"duration_minutes" integer DEFAULT 60 NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "fitness_classes_capacity_check" CHECK ("fitness_classes"."default_capacity" >= 1 and "fitness_classes"."duration_minutes" >= 1)
);
--> statement-breakpoint
CREATE TABLE "fitness_communications" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"contact_id" uuid NOT NULL,
	"channel" text NOT NULL,
	"direction" text DEFAULT 'outbound' NOT NULL,
	"subject" text,
	"body" text DEFAULT '' NOT NULL,
	"status" text DEFAULT 'logged' NOT NULL,
	"run_id" uuid,
	"staff_id" uuid,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fitness_contacts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"external_id" text,
	"first_name" text NOT NULL,
	"last_name" text DEFAULT '' NOT NULL,
	"email" text,
	"phone" text,
	"date_of_birth" date,
	"status" text DEFAULT 'lead' NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"source" text,
	"email_consent" boolean DEFAULT false NOT NULL,
	"email_consent_at" timestamp with time zone,
	"sms_consent" boolean DEFAULT false NOT NULL,
	"sms_consent_at" timestamp with time zone,
	"marketing_consent" boolean DEFAULT false NOT NULL,
	"marketing_consent_at" timestamp with time zone,
	"opted_out" boolean DEFAULT false NOT NULL,
	"opted_out_at" timestamp with time zone,
	"joined_at" timestamp with time zone,
	"last_visit_at" timestamp with time zone,
	"visits_30d" integer DEFAULT 0 NOT NULL,
	"visits_refreshed_at" timestamp with time zone,
	"lead_stage_id" uuid,
	"owner_staff_id" uuid,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fitness_goals" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"contact_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"title" text DEFAULT '' NOT NULL,
	"metric" text,
	"unit" text,
	"start_value" double precision,
	"target_value" double precision NOT NULL,
	"target_date" date,
	"status" text DEFAULT 'active' NOT NULL,
	"achieved_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fitness_lead_stages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"name" text NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	"is_won" boolean DEFAULT false NOT NULL,
	"is_lost" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "fitness_lead_stages_won_or_lost" CHECK (not ("fitness_lead_stages"."is_won" and "fitness_lead_stages"."is_lost"))
);
--> statement-breakpoint
CREATE TABLE "fitness_measurements" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"contact_id" uuid NOT NULL,
	"measured_at" timestamp with time zone DEFAULT now() NOT NULL,
	"weight_kg" double precision,
	"body_fat_pct" double precision,
	"metric" text,
	"value" double precision,
	"unit" text,
	"notes" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "fitness_measurements_something_check" CHECK ("fitness_measurements"."weight_kg" is not null or "fitness_measurements"."body_fat_pct" is not null or ("fitness_measurements"."metric" is not null and "fitness_measurements"."value" is not null))
);
--> statement-breakpoint
CREATE TABLE "fitness_notes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"contact_id" uuid NOT NULL,
	"author_staff_id" uuid,
	"created_by" uuid,
	"body" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fitness_payments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"external_id" text,
	"contact_id" uuid NOT NULL,
	"subscription_id" uuid,
	"amount_micros" bigint NOT NULL,
	"currency" text DEFAULT 'USD' NOT NULL,
	"status" text DEFAULT 'succeeded' NOT NULL,
	"refunded_micros" bigint DEFAULT 0 NOT NULL,
	"failure_reason" text,
	"paid_at" timestamp with time zone NOT NULL,
	"method" text DEFAULT 'card' NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "fitness_payments_amount_check" CHECK ("fitness_payments"."amount_micros" >= 0 and "fitness_payments"."refunded_micros" >= 0 and "fitness_payments"."refunded_micros" <= "fitness_payments"."amount_micros")
);
--> statement-breakpoint
CREATE TABLE "fitness_plans" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"price_micros" bigint NOT NULL,
	"currency" text DEFAULT 'USD' NOT NULL,
	"billing_interval" text DEFAULT 'month' NOT NULL,
	"interval_count" integer DEFAULT 1 NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "fitness_plans_price_check" CHECK ("fitness_plans"."price_micros" >= 0),
	CONSTRAINT "fitness_plans_interval_count_check" CHECK ("fitness_plans"."interval_count" >= 1)
);
--> statement-breakpoint
CREATE TABLE "fitness_sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"class_id" uuid NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"room" text DEFAULT '' NOT NULL,
	"instructor_id" uuid,
	"capacity" integer NOT NULL,
	"status" text DEFAULT 'scheduled' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "fitness_sessions_time_check" CHECK ("fitness_sessions"."ends_at" > "fitness_sessions"."starts_at"),
	CONSTRAINT "fitness_sessions_capacity_check" CHECK ("fitness_sessions"."capacity" >= 0)
);
--> statement-breakpoint
CREATE TABLE "fitness_staff" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"name" text NOT NULL,
	"email" text,
	"phone" text,
	"role" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"user_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fitness_subscriptions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"external_id" text,
	"contact_id" uuid NOT NULL,
	"plan_id" uuid NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"cancelled_at" timestamp with time zone,
	"cancel_reason" text,
	"price_micros" bigint NOT NULL,
	"currency" text NOT NULL,
	"billing_interval" text NOT NULL,
	"interval_count" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "fitness_subscriptions_price_check" CHECK ("fitness_subscriptions"."price_micros" >= 0),
	CONSTRAINT "fitness_subscriptions_interval_count_check" CHECK ("fitness_subscriptions"."interval_count" >= 1)
);
--> statement-breakpoint
CREATE TABLE "fitness_workout_plans" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"contact_id" uuid NOT NULL,
	"title" text NOT NULL,
	"plan" jsonb NOT NULL,
	"created_by" text DEFAULT 'staff' NOT NULL,
	"staff_id" uuid,
	"run_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "fitness_bookings" ADD CONSTRAINT "fitness_bookings_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_bookings" ADD CONSTRAINT "fitness_bookings_contact_id_fitness_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."fitness_contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_bookings" ADD CONSTRAINT "fitness_bookings_session_id_fitness_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."fitness_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_bookings" ADD CONSTRAINT "fitness_bookings_staff_id_fitness_staff_id_fk" FOREIGN KEY ("staff_id") REFERENCES "public"."fitness_staff"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_check_ins" ADD CONSTRAINT "fitness_check_ins_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_check_ins" ADD CONSTRAINT "fitness_check_ins_contact_id_fitness_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."fitness_contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_classes" ADD CONSTRAINT "fitness_classes_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_communications" ADD CONSTRAINT "fitness_communications_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_communications" ADD CONSTRAINT "fitness_communications_contact_id_fitness_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."fitness_contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_communications" ADD CONSTRAINT "fitness_communications_staff_id_fitness_staff_id_fk" FOREIGN KEY ("staff_id") REFERENCES "public"."fitness_staff"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_contacts" ADD CONSTRAINT "fitness_contacts_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_contacts" ADD CONSTRAINT "fitness_contacts_lead_stage_id_fitness_lead_stages_id_fk" FOREIGN KEY ("lead_stage_id") REFERENCES "public"."fitness_lead_stages"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_contacts" ADD CONSTRAINT "fitness_contacts_owner_staff_id_fitness_staff_id_fk" FOREIGN KEY ("owner_staff_id") REFERENCES "public"."fitness_staff"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_goals" ADD CONSTRAINT "fitness_goals_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_goals" ADD CONSTRAINT "fitness_goals_contact_id_fitness_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."fitness_contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_lead_stages" ADD CONSTRAINT "fitness_lead_stages_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_measurements" ADD CONSTRAINT "fitness_measurements_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_measurements" ADD CONSTRAINT "fitness_measurements_contact_id_fitness_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."fitness_contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_notes" ADD CONSTRAINT "fitness_notes_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_notes" ADD CONSTRAINT "fitness_notes_contact_id_fitness_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."fitness_contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_notes" ADD CONSTRAINT "fitness_notes_author_staff_id_fitness_staff_id_fk" FOREIGN KEY ("author_staff_id") REFERENCES "public"."fitness_staff"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_payments" ADD CONSTRAINT "fitness_payments_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_payments" ADD CONSTRAINT "fitness_payments_contact_id_fitness_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."fitness_contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_payments" ADD CONSTRAINT "fitness_payments_subscription_id_fitness_subscriptions_id_fk" FOREIGN KEY ("subscription_id") REFERENCES "public"."fitness_subscriptions"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_plans" ADD CONSTRAINT "fitness_plans_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_sessions" ADD CONSTRAINT "fitness_sessions_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_sessions" ADD CONSTRAINT "fitness_sessions_class_id_fitness_classes_id_fk" FOREIGN KEY ("class_id") REFERENCES "public"."fitness_classes"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_sessions" ADD CONSTRAINT "fitness_sessions_instructor_id_fitness_staff_id_fk" FOREIGN KEY ("instructor_id") REFERENCES "public"."fitness_staff"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_staff" ADD CONSTRAINT "fitness_staff_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_subscriptions" ADD CONSTRAINT "fitness_subscriptions_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_subscriptions" ADD CONSTRAINT "fitness_subscriptions_contact_id_fitness_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."fitness_contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_subscriptions" ADD CONSTRAINT "fitness_subscriptions_plan_id_fitness_plans_id_fk" FOREIGN KEY ("plan_id") REFERENCES "public"."fitness_plans"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_workout_plans" ADD CONSTRAINT "fitness_workout_plans_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_workout_plans" ADD CONSTRAINT "fitness_workout_plans_contact_id_fitness_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."fitness_contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_workout_plans" ADD CONSTRAINT "fitness_workout_plans_staff_id_fitness_staff_id_fk" FOREIGN KEY ("staff_id") REFERENCES "public"."fitness_staff"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "fitness_bookings_org_starts_idx" ON "fitness_bookings" USING btree ("org_id","starts_at");--> statement-breakpoint
CREATE INDEX "fitness_bookings_session_idx" ON "fitness_bookings" USING btree ("session_id","status") WHERE "fitness_bookings"."session_id" is not null;--> statement-breakpoint
CREATE INDEX "fitness_bookings_contact_idx" ON "fitness_bookings" USING btree ("contact_id","starts_at");--> statement-breakpoint
CREATE INDEX "fitness_bookings_staff_idx" ON "fitness_bookings" USING btree ("staff_id") WHERE "fitness_bookings"."staff_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "fitness_bookings_session_contact_key" ON "fitness_bookings" USING btree ("session_id","contact_id") WHERE "fitness_bookings"."session_id" is not null and "fitness_bookings"."status" <> 'cancelled';--> statement-breakpoint
CREATE INDEX "fitness_check_ins_contact_idx" ON "fitness_check_ins" USING btree ("contact_id","at");--> statement-breakpoint
CREATE INDEX "fitness_check_ins_org_at_idx" ON "fitness_check_ins" USING btree ("org_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "fitness_classes_org_name_key" ON "fitness_classes" USING btree ("org_id",lower("name"));--> statement-breakpoint
CREATE INDEX "fitness_communications_contact_idx" ON "fitness_communications" USING btree ("contact_id","at");--> statement-breakpoint
CREATE INDEX "fitness_communications_org_at_idx" ON "fitness_communications" USING btree ("org_id","at");--> statement-breakpoint
CREATE INDEX "fitness_communications_run_idx" ON "fitness_communications" USING btree ("run_id") WHERE "fitness_communications"."run_id" is not null;--> statement-breakpoint
CREATE INDEX "fitness_communications_staff_idx" ON "fitness_communications" USING btree ("staff_id") WHERE "fitness_communications"."staff_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "fitness_contacts_org_external_id_key" ON "fitness_contacts" USING btree ("org_id","external_id") WHERE "fitness_contacts"."external_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "fitness_contacts_org_email_key" ON "fitness_contacts" USING btree ("org_id",lower("email")) WHERE "fitness_contacts"."email" is not null;--> statement-breakpoint
CREATE INDEX "fitness_contacts_org_status_idx" ON "fitness_contacts" USING btree ("org_id","status");--> statement-breakpoint
CREATE INDEX "fitness_contacts_org_created_idx" ON "fitness_contacts" USING btree ("org_id","created_at");--> statement-breakpoint
CREATE INDEX "fitness_contacts_org_last_visit_idx" ON "fitness_contacts" USING btree ("org_id","last_visit_at");--> statement-breakpoint
CREATE INDEX "fitness_contacts_tags_idx" ON "fitness_contacts" USING gin ("tags");--> statement-breakpoint
CREATE INDEX "fitness_contacts_search_idx" ON "fitness_contacts" USING gin (to_tsvector('simple'::regconfig, "first_name" || ' ' || "last_name" || ' ' || coalesce("email", '') || ' ' || translate(coalesce("email", ''), '@.', '  ') || ' ' || regexp_replace(coalesce("phone", ''), '[^0-9]', '', 'g') || ' ' || coalesce("external_id", '')));--> statement-breakpoint
CREATE INDEX "fitness_contacts_lead_stage_idx" ON "fitness_contacts" USING btree ("lead_stage_id") WHERE "fitness_contacts"."lead_stage_id" is not null;--> statement-breakpoint
CREATE INDEX "fitness_contacts_owner_staff_idx" ON "fitness_contacts" USING btree ("owner_staff_id") WHERE "fitness_contacts"."owner_staff_id" is not null;--> statement-breakpoint
CREATE INDEX "fitness_goals_contact_idx" ON "fitness_goals" USING btree ("contact_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "fitness_lead_stages_org_name_key" ON "fitness_lead_stages" USING btree ("org_id",lower("name"));--> statement-breakpoint
CREATE INDEX "fitness_lead_stages_org_position_idx" ON "fitness_lead_stages" USING btree ("org_id","position");--> statement-breakpoint
CREATE INDEX "fitness_measurements_contact_idx" ON "fitness_measurements" USING btree ("contact_id","measured_at");--> statement-breakpoint
CREATE INDEX "fitness_notes_contact_idx" ON "fitness_notes" USING btree ("contact_id","created_at");--> statement-breakpoint
CREATE INDEX "fitness_notes_author_idx" ON "fitness_notes" USING btree ("author_staff_id") WHERE "fitness_notes"."author_staff_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "fitness_payments_org_external_id_key" ON "fitness_payments" USING btree ("org_id","external_id") WHERE "fitness_payments"."external_id" is not null;--> statement-breakpoint
CREATE INDEX "fitness_payments_org_paid_idx" ON "fitness_payments" USING btree ("org_id","paid_at");--> statement-breakpoint
CREATE INDEX "fitness_payments_contact_idx" ON "fitness_payments" USING btree ("contact_id","paid_at");--> statement-breakpoint
CREATE INDEX "fitness_payments_subscription_idx" ON "fitness_payments" USING btree ("subscription_id") WHERE "fitness_payments"."subscription_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "fitness_plans_org_name_key" ON "fitness_plans" USING btree ("org_id",lower("name"));--> statement-breakpoint
CREATE INDEX "fitness_sessions_org_starts_idx" ON "fitness_sessions" USING btree ("org_id","starts_at");--> statement-breakpoint
CREATE INDEX "fitness_sessions_class_idx" ON "fitness_sessions" USING btree ("class_id","starts_at");--> statement-breakpoint
CREATE INDEX "fitness_sessions_instructor_idx" ON "fitness_sessions" USING btree ("instructor_id","starts_at") WHERE "fitness_sessions"."instructor_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "fitness_staff_org_email_key" ON "fitness_staff" USING btree ("org_id",lower("email")) WHERE "fitness_staff"."email" is not null;--> statement-breakpoint
CREATE INDEX "fitness_staff_org_created_idx" ON "fitness_staff" USING btree ("org_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "fitness_subscriptions_org_external_id_key" ON "fitness_subscriptions" USING btree ("org_id","external_id") WHERE "fitness_subscriptions"."external_id" is not null;--> statement-breakpoint
CREATE INDEX "fitness_subscriptions_org_status_idx" ON "fitness_subscriptions" USING btree ("org_id","status");--> statement-breakpoint
CREATE INDEX "fitness_subscriptions_org_started_idx" ON "fitness_subscriptions" USING btree ("org_id","started_at");--> statement-breakpoint
CREATE INDEX "fitness_subscriptions_contact_idx" ON "fitness_subscriptions" USING btree ("contact_id","started_at");--> statement-breakpoint
CREATE INDEX "fitness_subscriptions_plan_idx" ON "fitness_subscriptions" USING btree ("plan_id");--> statement-breakpoint
CREATE INDEX "fitness_workout_plans_contact_idx" ON "fitness_workout_plans" USING btree ("contact_id","created_at");--> statement-breakpoint
CREATE INDEX "fitness_workout_plans_staff_idx" ON "fitness_workout_plans" USING btree ("staff_id") WHERE "fitness_workout_plans"."staff_id" is not null;
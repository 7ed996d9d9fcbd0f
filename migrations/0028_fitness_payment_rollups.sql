-- The fitness pack's payment rollups (decision 64): fitness_payment_days holds the payments grouped
-- by UTC day, currency, status, method, failure reason and plan, and fitness_contact_revenue each
-- contact's collected net, kept by statement triggers on fitness_payments, so the revenue,
-- payment-trend and LTV reports read a few thousand (or one per member) rows instead of every payment. A payment's plan_id (its subscription's plan) is kept on the row by a
-- trigger. Row-level security comes from troupe_enforce_tenancy() after migrating.
ALTER TABLE "fitness_payments" ADD COLUMN "plan_id" uuid;--> statement-breakpoint
CREATE TABLE "fitness_payment_days" (
	"org_id" uuid NOT NULL,
	"day" date NOT NULL,
	"currency" text NOT NULL,
	"status" text NOT NULL,
	"method" text NOT NULL,
	"failure_reason" text,
	"plan_id" uuid,
	"payments" integer NOT NULL,
	"amount_micros" bigint NOT NULL,
	"refunded_micros" bigint NOT NULL,
	CONSTRAINT "fitness_payment_days_key" UNIQUE NULLS NOT DISTINCT("org_id","day","currency","status","method","failure_reason","plan_id")
);
--> statement-breakpoint
CREATE TABLE "fitness_contact_revenue" (
	"org_id" uuid NOT NULL,
	"contact_id" uuid NOT NULL,
	"currency" text NOT NULL,
	"net_micros" bigint NOT NULL,
	"payments" integer NOT NULL,
	CONSTRAINT "fitness_contact_revenue_pkey" PRIMARY KEY("contact_id","currency")
);
--> statement-breakpoint
ALTER TABLE "fitness_contact_revenue" ADD CONSTRAINT "fitness_contact_revenue_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_contact_revenue" ADD CONSTRAINT "fitness_contact_revenue_contact_id_fitness_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."fitness_contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fitness_payment_days" ADD CONSTRAINT "fitness_payment_days_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
UPDATE "fitness_payments" p SET "plan_id" = s."plan_id" FROM "fitness_subscriptions" s WHERE s."id" = p."subscription_id";--> statement-breakpoint
INSERT INTO "fitness_payment_days" ("org_id", "day", "currency", "status", "method", "failure_reason", "plan_id", "payments", "amount_micros", "refunded_micros")
  SELECT "org_id", ("paid_at" AT TIME ZONE 'UTC')::date, "currency", "status", "method", "failure_reason", "plan_id", count(*), sum("amount_micros"), sum("refunded_micros")
  FROM "fitness_payments" GROUP BY 1, 2, 3, 4, 5, 6, 7;--> statement-breakpoint
INSERT INTO "fitness_contact_revenue" ("org_id", "contact_id", "currency", "net_micros", "payments")
  SELECT "org_id", "contact_id", "currency", sum("amount_micros" - "refunded_micros"), count(*)
  FROM "fitness_payments" WHERE "status" IN ('succeeded', 'partially_refunded', 'refunded') GROUP BY 1, 2, 3;--> statement-breakpoint
CREATE OR REPLACE FUNCTION public.troupe_fitness_payment_plan()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  IF NEW.subscription_id IS NULL THEN
    NEW.plan_id := NULL;
  ELSE
    NEW.plan_id := (SELECT plan_id FROM fitness_subscriptions WHERE id = NEW.subscription_id);
  END IF;
  RETURN NEW;
END $function$
;--> statement-breakpoint
CREATE OR REPLACE FUNCTION public.troupe_fitness_subscription_plan()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  UPDATE fitness_payments SET plan_id = NEW.plan_id
  WHERE subscription_id = NEW.id AND org_id = NEW.org_id AND plan_id IS DISTINCT FROM NEW.plan_id;
  RETURN NULL;
END $function$
;--> statement-breakpoint
CREATE OR REPLACE FUNCTION public.troupe_fitness_payment_rollups()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
  plus CONSTANT text := 'SELECT org_id, (paid_at AT TIME ZONE ''UTC'')::date AS day, contact_id, currency, status, method, failure_reason, plan_id, 1 AS n, amount_micros AS amount, refunded_micros AS refunded FROM new_rows';
  minus CONSTANT text := 'SELECT org_id, (paid_at AT TIME ZONE ''UTC'')::date AS day, contact_id, currency, status, method, failure_reason, plan_id, -1 AS n, -amount_micros AS amount, -refunded_micros AS refunded FROM old_rows';
  changes text;
BEGIN
  -- The rows this statement added and took away (a transition table exists only for its events).
  changes := CASE TG_OP WHEN 'INSERT' THEN plus WHEN 'DELETE' THEN minus ELSE plus || ' UNION ALL ' || minus END;
  EXECUTE format($q$
    INSERT INTO fitness_payment_days AS d (org_id, day, currency, status, method, failure_reason, plan_id, payments, amount_micros, refunded_micros)
    SELECT org_id, day, currency, status, method, failure_reason, plan_id, sum(n), sum(amount), sum(refunded)
    FROM (%s) c
    WHERE org_id IN (SELECT id FROM organizations)
    GROUP BY 1, 2, 3, 4, 5, 6, 7
    HAVING sum(n) <> 0 OR sum(amount) <> 0 OR sum(refunded) <> 0
    ORDER BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT (org_id, day, currency, status, method, failure_reason, plan_id) DO UPDATE
      SET payments = d.payments + excluded.payments, amount_micros = d.amount_micros + excluded.amount_micros, refunded_micros = d.refunded_micros + excluded.refunded_micros$q$, changes);
  -- Each contact's collected net (succeeded, partially refunded, refunded: amount - refunded).
  EXECUTE format($q$
    INSERT INTO fitness_contact_revenue AS r (org_id, contact_id, currency, net_micros, payments)
    SELECT org_id, contact_id, currency, sum(amount - refunded), sum(n)
    FROM (%s) c
    WHERE status IN ('succeeded', 'partially_refunded', 'refunded') AND contact_id IN (SELECT id FROM fitness_contacts)
    GROUP BY 1, 2, 3
    HAVING sum(amount - refunded) <> 0 OR sum(n) <> 0
    ORDER BY 1, 2, 3
    ON CONFLICT (contact_id, currency) DO UPDATE
      SET net_micros = r.net_micros + excluded.net_micros, payments = r.payments + excluded.payments$q$, changes);
  RETURN NULL;
END $function$
;--> statement-breakpoint
CREATE TRIGGER "fitness_payments_plan" BEFORE INSERT OR UPDATE ON "fitness_payments" FOR EACH ROW EXECUTE FUNCTION troupe_fitness_payment_plan();--> statement-breakpoint
CREATE TRIGGER "fitness_payments_rollups_insert" AFTER INSERT ON "fitness_payments" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION troupe_fitness_payment_rollups();--> statement-breakpoint
CREATE TRIGGER "fitness_payments_rollups_update" AFTER UPDATE ON "fitness_payments" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION troupe_fitness_payment_rollups();--> statement-breakpoint
CREATE TRIGGER "fitness_payments_rollups_delete" AFTER DELETE ON "fitness_payments" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION troupe_fitness_payment_rollups();--> statement-breakpoint
CREATE TRIGGER "fitness_subscriptions_plan" AFTER UPDATE ON "fitness_subscriptions" FOR EACH ROW WHEN (OLD."plan_id" IS DISTINCT FROM NEW."plan_id") EXECUTE FUNCTION troupe_fitness_subscription_plan();

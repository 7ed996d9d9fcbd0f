-- Tenancy: the second wall behind the service layer's organization scoping.
-- Application queries run as the role troupe_app (the connection's default role), which sees a
-- tenant row only when app.org_id (set with SET LOCAL per transaction) names its organization.
-- Migrations and explicitly system-scoped work (sign-in, scheduler) reset to the login role.
DO $$
BEGIN
  -- Checked first: CREATE ROLE needs CREATEROLE even when the role exists already, and a managed
  -- database's administrator may have created it for a login that lacks that privilege.
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'troupe_app') THEN
    CREATE ROLE troupe_app NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
--> statement-breakpoint
DO $$
BEGIN
  -- Lets a non-superuser login role (managed Postgres) switch to troupe_app.
  EXECUTE format('GRANT troupe_app TO %I', current_user);
EXCEPTION WHEN OTHERS THEN NULL;
END $$;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO troupe_app;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION troupe_current_org() RETURNS uuid
  LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('app.org_id', true), '')::uuid $$;
--> statement-breakpoint
-- Puts every table that has an org_id column under the tenant_isolation policy and grants
-- troupe_app ordinary DML on it. Idempotent; the migrator calls it after every migration run,
-- so a table added by a later migration cannot be forgotten.
CREATE OR REPLACE FUNCTION troupe_enforce_tenancy() RETURNS void LANGUAGE plpgsql AS $$
DECLARE t record;
BEGIN
  FOR t IN
    SELECT c.relname FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped
    WHERE c.relkind IN ('r', 'p')
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t.relname);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO troupe_app', t.relname);
    IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = 'public' AND tablename = t.relname AND policyname = 'tenant_isolation') THEN
      EXECUTE format(
        'CREATE POLICY tenant_isolation ON %I USING (org_id = troupe_current_org()) WITH CHECK (org_id = troupe_current_org())',
        t.relname);
    END IF;
  END LOOP;
END $$;
--> statement-breakpoint
-- Global tables. organizations: only the current one. users: only fellow members of the
-- current organization (the memberships subquery is itself tenant-filtered).
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, UPDATE ON organizations TO troupe_app;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON organizations USING (id = troupe_current_org()) WITH CHECK (id = troupe_current_org());
--> statement-breakpoint
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT ON users TO troupe_app;
--> statement-breakpoint
CREATE POLICY fellow_members ON users FOR SELECT USING (EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id));
--> statement-breakpoint
ALTER TABLE model_prices ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT ON model_prices TO troupe_app;
--> statement-breakpoint
CREATE POLICY readable ON model_prices FOR SELECT USING (true);
--> statement-breakpoint
-- refresh_tokens and instance_state: RLS on with no policy for troupe_app = invisible to it.
ALTER TABLE refresh_tokens ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE instance_state ENABLE ROW LEVEL SECURITY;

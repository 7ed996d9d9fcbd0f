-- Current definition of troupe_enforce_tenancy (decision 50): edit it here, the migrator applies it.
-- Earlier texts: migrations 0001_tenancy, 0019_quiet_tenancy.
CREATE OR REPLACE FUNCTION public.troupe_enforce_tenancy()
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE t record;
BEGIN
  FOR t IN
    SELECT c.oid, c.relname, c.relrowsecurity FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped
    WHERE c.relkind IN ('r', 'p')
  LOOP
    IF NOT t.relrowsecurity THEN
      EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t.relname);
    END IF;
    IF NOT (has_table_privilege('troupe_app', t.oid, 'SELECT') AND has_table_privilege('troupe_app', t.oid, 'INSERT')
        AND has_table_privilege('troupe_app', t.oid, 'UPDATE') AND has_table_privilege('troupe_app', t.oid, 'DELETE')) THEN
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO troupe_app', t.relname);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = 'public' AND tablename = t.relname AND policyname = 'tenant_isolation') THEN
      EXECUTE format(
        'CREATE POLICY tenant_isolation ON %I USING (org_id = troupe_current_org()) WITH CHECK (org_id = troupe_current_org())',
        t.relname);
    END IF;
  END LOOP;
END $function$

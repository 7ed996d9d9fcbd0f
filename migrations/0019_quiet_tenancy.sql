-- troupe_enforce_tenancy() runs after every migration pass, so on every process start. It altered
-- and granted on every org_id table each time, and ALTER TABLE ... ENABLE ROW LEVEL SECURITY takes
-- an ACCESS EXCLUSIVE lock: a process starting beside running ones (a second scheduler, a new
-- worker) queued behind their transactions and deadlocked with them ("deadlock detected" in the
-- migrator, the process exited). It now changes only what is missing, so a start against an
-- up-to-date database reads the catalog and locks no table; a table a migration adds still gets
-- its policy, as before.
CREATE OR REPLACE FUNCTION troupe_enforce_tenancy() RETURNS void LANGUAGE plpgsql AS $$
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
END $$;

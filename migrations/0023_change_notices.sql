-- What changed, told to every process (decision 59): a row written to a table whose reads a
-- process caches (today `agents`, for GET /agents) sends NOTIFY troupe_changes '<topic>:<org id>'
-- when its transaction commits, whichever code or SQL function wrote it (the run claims bump
-- execution_count). PostgreSQL folds identical notices of one transaction into one. The function's
-- current definition lives in src/db/sql/troupe_notify_change.sql (decision 50).
CREATE OR REPLACE FUNCTION troupe_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM pg_notify('troupe_changes', TG_ARGV[0] || ':' || OLD.org_id);
  END IF;
  IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.org_id IS DISTINCT FROM OLD.org_id) THEN
    PERFORM pg_notify('troupe_changes', TG_ARGV[0] || ':' || NEW.org_id);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER agents_changed AFTER INSERT OR UPDATE OR DELETE ON agents
  FOR EACH ROW EXECUTE FUNCTION troupe_notify_change('agents');

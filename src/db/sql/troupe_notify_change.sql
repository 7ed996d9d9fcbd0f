-- Current definition of troupe_notify_change (decision 50): edit it here, the migrator applies it.
-- Earlier texts: migrations 0023_change_notices. The trigger on agents sends NOTIFY troupe_changes 'agents:<org id>' (decision 59).
CREATE OR REPLACE FUNCTION public.troupe_notify_change()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM pg_notify('troupe_changes', TG_ARGV[0] || ':' || OLD.org_id);
  END IF;
  IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.org_id IS DISTINCT FROM OLD.org_id) THEN
    PERFORM pg_notify('troupe_changes', TG_ARGV[0] || ':' || NEW.org_id);
  END IF;
  RETURN NULL;
END $function$

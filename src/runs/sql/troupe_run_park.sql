-- Current definition of troupe_run_park (decision 50): edit it here, the migrator applies it.
-- Earlier texts: migrations 0018_approval_wait.
CREATE OR REPLACE FUNCTION public.troupe_run_park(p_org uuid, p_run uuid, p_generation integer, p_lease_ms integer, p_wait jsonb, p_requeue jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
DECLARE v jsonb;
BEGIN
  PERFORM set_config('app.org_id', p_org::text, true);
  PERFORM 1 FROM runs WHERE id = p_run AND org_id = p_org AND generation = p_generation FOR UPDATE;
  IF EXISTS (SELECT 1 FROM approvals WHERE org_id = p_org AND run_id = p_run AND status = 'pending') THEN
    RETURN troupe_run_write(p_org, p_run, p_generation, p_lease_ms, p_wait);
  END IF;
  v := troupe_run_write(p_org, p_run, p_generation, p_lease_ms, p_requeue);
  IF v ? 'fenced' THEN RETURN v; END IF;
  RETURN v || '{"requeued": true}'::jsonb;
END $function$

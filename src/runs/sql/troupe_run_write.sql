-- Current definition of troupe_run_write (decision 50): edit it here, the migrator applies it.
-- Earlier texts: migrations 0003_engine_writes, 0010_engine_lean.
CREATE OR REPLACE FUNCTION public.troupe_run_write(p_org uuid, p_run uuid, p_generation integer, p_lease_ms integer, p_w jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
BEGIN
  IF NOT coalesce((p_w->>'durable')::boolean, false) THEN
    PERFORM set_config('synchronous_commit', 'off', true);
  END IF;
  RETURN troupe_runs_write_org(p_org,
    jsonb_build_array(jsonb_build_object('run', p_run, 'generation', p_generation, 'leaseMs', p_lease_ms, 'w', p_w))) -> (p_run::text);
END $function$

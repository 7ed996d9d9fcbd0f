-- Current definition of troupe_run_claim (decision 50): edit it here, the migrator applies it.
-- Earlier texts: migrations 0003_engine_writes, 0004_write_batches, 0011_engine_plans.
CREATE OR REPLACE FUNCTION public.troupe_run_claim(p_org uuid, p_run uuid, p_owner text, p_lease_ms integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
DECLARE v jsonb;
BEGIN
  v := troupe_run_take(p_org, p_run, p_owner, p_lease_ms);
  -- A run's first claim counts as an execution of its agent. Last, so the agent row (shared by
  -- every run of the agent) stays locked only for the commit.
  IF (v->'run'->>'generation')::integer = 1 THEN
    UPDATE agents SET execution_count = execution_count + 1 WHERE id = (v->'run'->>'agent_id')::uuid AND org_id = p_org;
  END IF;
  RETURN v;
END $function$

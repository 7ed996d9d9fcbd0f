-- Current definition of troupe_runs_claim (decision 50): edit it here, the migrator applies it.
-- Earlier texts: migrations 0004_write_batches, 0011_engine_plans.
CREATE OR REPLACE FUNCTION public.troupe_runs_claim(p_items jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
DECLARE
  v_out jsonb;
  c record;
BEGIN
  -- The items are taken in array order (the function runs once per row as the array is read).
  SELECT jsonb_agg(troupe_run_take((i->>'org')::uuid, (i->>'run')::uuid, i->>'owner', (i->>'leaseMs')::integer) ORDER BY n)
  INTO v_out FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(i, n);
  FOR c IN
    SELECT (e->'run'->>'org_id')::uuid AS org, (e->'run'->>'agent_id')::uuid AS agent, count(*) AS k
    FROM jsonb_array_elements(v_out) AS e
    WHERE jsonb_typeof(e) = 'object' AND (e->'run'->>'generation')::integer = 1
    GROUP BY 1, 2 ORDER BY 1, 2
  LOOP
    PERFORM set_config('app.org_id', c.org::text, true);
    UPDATE agents SET execution_count = execution_count + c.k WHERE id = c.agent AND org_id = c.org;
  END LOOP;
  RETURN v_out;
END $function$

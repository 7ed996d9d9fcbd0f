-- Current definition of troupe_runs_write (decision 50): edit it here, the migrator applies it.
-- Earlier texts: migrations 0004_write_batches, 0010_engine_lean, 0011_engine_plans.
CREATE OR REPLACE FUNCTION public.troupe_runs_write(p_items jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
DECLARE
  v_out jsonb;
  v_done jsonb := '{}'::jsonb;
  v_orgs text[];
  v_twice boolean;
  v_org text;
BEGIN
  SELECT array_agg(DISTINCT i->>'org'), count(DISTINCT i->>'run') <> count(*) INTO v_orgs, v_twice FROM jsonb_array_elements(p_items) AS i;
  IF v_twice THEN
    SELECT jsonb_agg(troupe_run_write((i->>'org')::uuid, (i->>'run')::uuid, (i->>'generation')::integer, (i->>'leaseMs')::integer, i->'w') ORDER BY n)
    INTO v_out FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(i, n);
  ELSE
    IF cardinality(v_orgs) = 1 THEN
      v_done := troupe_runs_write_org(v_orgs[1]::uuid, p_items);
    ELSE
      -- array_agg(DISTINCT) is sorted: organizations in order.
      FOREACH v_org IN ARRAY v_orgs LOOP
        v_done := v_done || troupe_runs_write_org(v_org::uuid,
          (SELECT jsonb_agg(i ORDER BY n) FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(i, n) WHERE i->>'org' = v_org));
      END LOOP;
    END IF;
    SELECT jsonb_agg(v_done->(i->>'run') ORDER BY n) INTO v_out FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(i, n);
  END IF;
  PERFORM set_config('synchronous_commit', CASE WHEN p_items @? '$[*].w.durable ? (@ == true)' THEN 'on' ELSE 'off' END, true);
  RETURN v_out;
END $function$

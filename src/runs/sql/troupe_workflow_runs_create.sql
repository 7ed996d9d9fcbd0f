-- Current definition of troupe_workflow_runs_create (decision 50): edit it here, the migrator applies it.
-- Issue 15. troupe_workflow_run_create for many items in one call (db/call-batcher.ts), answers in order.
CREATE OR REPLACE FUNCTION public.troupe_workflow_runs_create(p_items jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
DECLARE v_out jsonb;
BEGIN
  SELECT jsonb_agg(troupe_workflow_run_create((i->>'org')::uuid, i->'v') ORDER BY n)
  INTO v_out FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(i, n);
  RETURN v_out;
END $function$

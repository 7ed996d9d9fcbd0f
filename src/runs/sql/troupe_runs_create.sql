-- Current definition of troupe_runs_create (decision 50): edit it here, the migrator applies it.
-- Earlier texts: migrations 0004_write_batches.
CREATE OR REPLACE FUNCTION public.troupe_runs_create(p_items jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
DECLARE v_out jsonb;
BEGIN
  SELECT jsonb_agg(troupe_run_create((i->>'org')::uuid, (i->>'agent')::uuid, i->'v') ORDER BY n)
  INTO v_out FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(i, n);
  RETURN v_out;
END $function$

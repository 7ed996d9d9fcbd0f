-- Current definition of troupe_runs_create_audited (decision 50): edit it here, the migrator applies it.
-- troupe_run_create_audited for many items in one call (db/call-batcher.ts), answers in order.
CREATE OR REPLACE FUNCTION public.troupe_runs_create_audited(p_items jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
DECLARE v_out jsonb;
BEGIN
  SELECT jsonb_agg(troupe_run_create_audited((i->>'org')::uuid, (i->>'agent')::uuid, i->'v') ORDER BY n)
  INTO v_out FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(i, n);
  RETURN v_out;
END $function$

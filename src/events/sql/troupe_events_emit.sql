-- Current definition of troupe_events_emit (decision 50): edit it here, the migrator applies it.
-- Issue 16. troupe_event_emit for many items in one call (db/call-batcher.ts): deliveries that
-- arrive together share one statement and one commit. Answers in order.
CREATE OR REPLACE FUNCTION public.troupe_events_emit(p_items jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
DECLARE v_out jsonb;
BEGIN
  SELECT jsonb_agg(troupe_event_emit((i->>'org')::uuid, i->'v') ORDER BY n)
  INTO v_out FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(i, n);
  RETURN v_out;
END $function$

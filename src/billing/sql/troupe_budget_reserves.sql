-- Current definition of troupe_budget_reserves (decision 50): edit it here, the migrator applies it.
-- Earlier texts: migrations 0015_budget_reservations.
CREATE OR REPLACE FUNCTION public.troupe_budget_reserves(p_items jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
DECLARE v_out jsonb;
BEGIN
  SELECT jsonb_agg(troupe_budget_reserve((i->>'org')::uuid, (i->>'run')::uuid, (i->>'generation')::integer, i->>'step', (i->>'agent')::uuid,
    (i->>'agentBudget')::bigint, (i->>'amount')::bigint) ORDER BY n)
  INTO v_out FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(i, n);
  RETURN v_out;
END $function$

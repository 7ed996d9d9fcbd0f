-- Current definition of troupe_count_spend_rows (decision 50): edit it here, the migrator applies it.
-- Earlier texts: migrations 0011_engine_plans.
CREATE OR REPLACE FUNCTION public.troupe_count_spend_rows()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  INSERT INTO monthly_spend AS s (org_id, month, agent_id, shard, billed_micros)
  SELECT org_id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM'), agent_id, pg_backend_pid() % 16, sum(billed_cost_micros)::bigint
  FROM new_rows GROUP BY 1, 2, 3 ORDER BY 1, 3, 2
  ON CONFLICT (org_id, month, agent_id, shard) DO UPDATE SET billed_micros = s.billed_micros + EXCLUDED.billed_micros;
  RETURN NULL;
END $function$

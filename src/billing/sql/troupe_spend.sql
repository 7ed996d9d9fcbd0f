-- Current definition of troupe_spend (decision 50): edit it here, the migrator applies it.
-- Earlier texts: migrations 0003_engine_writes, 0010_engine_lean.
CREATE OR REPLACE FUNCTION public.troupe_spend(p_org uuid, p_agent uuid, p_month text)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE
AS $function$
-- plpgsql, not sql: its statement's plan is cached per session instead of planned per call.
BEGIN
  RETURN (SELECT jsonb_build_object(
    'month', p_month,
    'orgSpent', coalesce(s.org, 0),
    'agentSpent', coalesce(s.agent, 0),
    'orgBudget', (SELECT monthly_budget_micros FROM organizations WHERE id = p_org),
    'raised', (SELECT coalesce(jsonb_agg(scope || ':' || threshold_percent), '[]'::jsonb) FROM budget_alerts WHERE org_id = p_org AND month = p_month))
  FROM (SELECT sum(billed_micros) AS org, sum(billed_micros) FILTER (WHERE agent_id = p_agent) AS agent
        FROM monthly_spend WHERE org_id = p_org AND month = p_month) s);
END $function$

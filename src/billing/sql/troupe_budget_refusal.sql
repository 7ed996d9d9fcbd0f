-- Current definition of troupe_budget_refusal (decision 50): edit it here, the migrator applies it.
-- Earlier texts: migrations 0015_budget_reservations.
CREATE OR REPLACE FUNCTION public.troupe_budget_refusal(p_org uuid, p_agent uuid, p_agent_budget bigint)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
DECLARE v_org_budget bigint; v_spend jsonb;
BEGIN
  PERFORM set_config('app.org_id', p_org::text, true);
  SELECT monthly_budget_micros INTO v_org_budget FROM organizations WHERE id = p_org;
  IF v_org_budget IS NULL AND p_agent_budget IS NULL THEN RETURN NULL; END IF;
  v_spend := troupe_spend(p_org, p_agent, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM'));
  IF v_org_budget IS NOT NULL AND (v_spend->>'orgSpent')::numeric >= v_org_budget THEN
    RETURN jsonb_build_object('scope', 'org', 'spentMicros', (v_spend->>'orgSpent')::numeric, 'budgetMicros', v_org_budget);
  END IF;
  IF p_agent_budget IS NOT NULL AND (v_spend->>'agentSpent')::numeric >= p_agent_budget THEN
    RETURN jsonb_build_object('scope', 'agent', 'spentMicros', (v_spend->>'agentSpent')::numeric, 'budgetMicros', p_agent_budget);
  END IF;
  RETURN NULL;
END $function$

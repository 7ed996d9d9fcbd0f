-- Current definition of troupe_budget_reserve (decision 50): edit it here, the migrator applies it.
-- Earlier texts: migrations 0015_budget_reservations.
CREATE OR REPLACE FUNCTION public.troupe_budget_reserve(p_org uuid, p_run uuid, p_generation integer, p_step text, p_agent uuid, p_agent_budget bigint, p_amount bigint)
 RETURNS jsonb
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
DECLARE
  v_spend jsonb;
  v_org_held numeric;
  v_agent_held numeric;
  v_org_budget bigint;
  v_state text;
BEGIN
  PERFORM set_config('app.org_id', p_org::text, true);
  PERFORM set_config('synchronous_commit', 'off', true);
  PERFORM pg_advisory_xact_lock(72672615, hashtext(p_org::text));
  -- One statement, one snapshot (taken after the lock): the spend and the reservations agree.
  SELECT troupe_spend(p_org, p_agent, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM')), h.org, h.agent INTO v_spend, v_org_held, v_agent_held
  FROM (SELECT coalesce(sum(r.amount_micros), 0) AS org, coalesce(sum(r.amount_micros) FILTER (WHERE r.agent_id = p_agent), 0) AS agent
        FROM budget_reservations r
        WHERE r.org_id = p_org AND NOT (r.run_id = p_run AND r.step_key = p_step) AND troupe_reservation_live(r)) h;
  v_org_budget := (v_spend->>'orgBudget')::bigint;
  IF (v_org_budget IS NOT NULL AND (v_spend->>'orgSpent')::numeric >= v_org_budget)
     OR (p_agent_budget IS NOT NULL AND (v_spend->>'agentSpent')::numeric >= p_agent_budget) THEN
    v_state := 'exceeded';
  ELSIF (v_org_budget IS NOT NULL AND (v_spend->>'orgSpent')::numeric + v_org_held >= v_org_budget)
     OR (p_agent_budget IS NOT NULL AND (v_spend->>'agentSpent')::numeric + v_agent_held >= p_agent_budget) THEN
    v_state := 'wait';
  ELSE
    INSERT INTO budget_reservations AS b (org_id, run_id, step_key, agent_id, generation, amount_micros)
    VALUES (p_org, p_run, p_step, p_agent, p_generation, p_amount)
    ON CONFLICT (run_id, step_key) DO UPDATE SET agent_id = EXCLUDED.agent_id, generation = EXCLUDED.generation,
      amount_micros = EXCLUDED.amount_micros, created_at = now();
    v_state := 'granted';
  END IF;
  DELETE FROM budget_reservations r WHERE r.org_id = p_org AND NOT troupe_reservation_live(r);
  RETURN jsonb_build_object('state', v_state, 'spend', v_spend, 'held', jsonb_build_object('org', v_org_held, 'agent', v_agent_held));
END $function$

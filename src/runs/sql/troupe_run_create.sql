-- Current definition of troupe_run_create (decision 50): edit it here, the migrator applies it.
-- Earlier texts: migrations 0003_engine_writes, 0010_engine_lean, 0015_budget_reservations.
-- Issue 15: an agent node's child run carries its workflow, parent run and execution key, and the
-- agent version the node pins (agentVersion), if any, as its agent_version.
CREATE OR REPLACE FUNCTION public.troupe_run_create(p_org uuid, p_agent uuid, p_v jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
DECLARE a agents; r runs; v_agent uuid := p_agent; v_input jsonb := p_v->'input'; v_priority text;
  v_task uuid; v_instructions text; v_context jsonb; v_refusal jsonb;
BEGIN
  PERFORM set_config('app.org_id', p_org::text, true);
  IF coalesce((p_v->>'fromTask')::boolean, false) THEN
    SELECT id, agent_id, instructions, context, priority INTO v_task, v_agent, v_instructions, v_context, v_priority
    FROM tasks WHERE id = (p_v->>'taskId')::uuid AND org_id = p_org;
    IF v_task IS NULL THEN RETURN jsonb_build_object('task', NULL); END IF;
    v_input := jsonb_build_object('task', v_instructions)
      || CASE WHEN v_context IS NULL OR v_context = '{}'::jsonb THEN '{}'::jsonb ELSE jsonb_build_object('context', v_context) END;
  END IF;
  SELECT * INTO a FROM agents WHERE id = v_agent AND org_id = p_org AND deleted_at IS NULL;
  IF NOT FOUND THEN RETURN jsonb_build_object('agent', NULL); END IF;
  IF a.status <> 'active' THEN RETURN jsonb_build_object('agent', jsonb_build_object('name', a.name, 'status', a.status)); END IF;
  v_refusal := troupe_budget_refusal(p_org, v_agent, (a.limits->>'monthlyBudgetMicros')::bigint);
  IF v_refusal IS NOT NULL AND NOT (p_v->>'idempotencyKey' IS NOT NULL
      AND EXISTS (SELECT 1 FROM runs WHERE org_id = p_org AND idempotency_key = p_v->>'idempotencyKey')) THEN
    RETURN jsonb_build_object('budget', v_refusal);
  END IF;
  INSERT INTO runs (org_id, agent_id, agent_version, source, conversation_id, task_id, input, created_by, api_key_id, idempotency_key,
    workflow_id, parent_run_id, parent_key)
  VALUES (p_org, v_agent, coalesce((p_v->>'agentVersion')::int, a.version), p_v->>'source', (p_v->>'conversationId')::uuid, (p_v->>'taskId')::uuid, v_input,
    (p_v->>'createdBy')::uuid, (p_v->>'apiKeyId')::uuid, p_v->>'idempotencyKey',
    (p_v->>'workflowId')::uuid, (p_v->>'parentRunId')::uuid, p_v->>'parentKey')
  RETURNING * INTO r;
  RETURN jsonb_build_object('run', to_jsonb(r), 'priority', v_priority);
END $function$

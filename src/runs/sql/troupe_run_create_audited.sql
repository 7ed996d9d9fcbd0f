-- Current definition of troupe_run_create_audited (decision 50): edit it here, the migrator applies it.
-- troupe_run_create, and the audit entry of a run started over the API (`run.created`) in the same
-- statement (decision 54): POST /agents/:id/execute is one database round trip. `p_v->'audit'`
-- ({actorType, actorId, requestId}) asks for the entry; it is written only when a run was made (not
-- on a budget refusal, a paused or unknown agent, nor a repeated Idempotency-Key, which raises).
-- troupe_run_create set the organization (local to the transaction), so row-level security admits it.
CREATE OR REPLACE FUNCTION public.troupe_run_create_audited(p_org uuid, p_agent uuid, p_v jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
DECLARE v_out jsonb := troupe_run_create(p_org, p_agent, p_v - 'audit'); v_a jsonb := p_v->'audit';
BEGIN
  IF v_a IS NOT NULL AND v_out ? 'run' THEN
    INSERT INTO audit_log (org_id, actor_type, actor_id, action, target_type, target_id, details, request_id)
    VALUES (p_org, v_a->>'actorType', (v_a->>'actorId')::uuid, 'run.created', 'run', v_out->'run'->>'id',
      jsonb_build_object('agentId', v_out->'run'->>'agent_id'), v_a->>'requestId');
  END IF;
  RETURN v_out;
END $function$

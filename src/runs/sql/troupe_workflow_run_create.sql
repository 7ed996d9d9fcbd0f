-- Current definition of troupe_workflow_run_create (decision 50): edit it here, the migrator applies it.
-- Issue 15. A queued workflow run and its `run.created` audit entry, in one statement (one round
-- trip, as troupe_run_create_audited for agent runs). A reused idempotency key raises
-- unique_violation; the caller then reads the run the key made.
CREATE OR REPLACE FUNCTION public.troupe_workflow_run_create(p_org uuid, p_v jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
DECLARE r runs; v_a jsonb := p_v->'audit';
BEGIN
  PERFORM set_config('app.org_id', p_org::text, true);
  INSERT INTO runs (org_id, source, workflow_id, workflow_version, input, created_by, api_key_id, idempotency_key)
  VALUES (p_org, p_v->>'source', (p_v->>'workflowId')::uuid, (p_v->>'version')::integer, p_v->'input',
    (p_v->>'createdBy')::uuid, (p_v->>'apiKeyId')::uuid, p_v->>'idempotencyKey')
  RETURNING * INTO r;
  INSERT INTO audit_log (org_id, actor_type, actor_id, action, target_type, target_id, details, request_id)
  VALUES (p_org, v_a->>'actorType', (v_a->>'actorId')::uuid, 'run.created', 'run', r.id::text,
    jsonb_build_object('workflowId', r.workflow_id, 'version', r.workflow_version, 'source', r.source), v_a->>'requestId');
  RETURN to_jsonb(r);
END $function$

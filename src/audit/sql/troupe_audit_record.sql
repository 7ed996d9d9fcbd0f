-- Current definition of troupe_audit_record (decision 50): edit it here, the migrator applies it.
-- An audit entry on its own (the audit hook's, after the change it records committed; decision 54):
-- one statement, one round trip, where a transaction of its own took BEGIN, set_config, INSERT, COMMIT.
CREATE OR REPLACE FUNCTION public.troupe_audit_record(p_org uuid, p_e jsonb)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
BEGIN
  PERFORM set_config('app.org_id', p_org::text, true);
  INSERT INTO audit_log (org_id, actor_type, actor_id, action, target_type, target_id, details, request_id)
  VALUES (p_org, p_e->>'actorType', (p_e->>'actorId')::uuid, p_e->>'action', p_e->>'targetType', p_e->>'targetId',
    coalesce(p_e->'details', '{}'::jsonb), p_e->>'requestId');
END $function$

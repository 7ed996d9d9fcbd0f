-- Current definition of troupe_run_take (decision 50): edit it here, the migrator applies it.
-- Earlier texts: migrations 0004_write_batches, 0017_webhook_retry.
-- A `waiting` workflow run is taken once its earliest timer is due (wake_at; issue 15).
CREATE OR REPLACE FUNCTION public.troupe_run_take(p_org uuid, p_run uuid, p_owner text, p_lease_ms integer)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
DECLARE r runs;
BEGIN
  PERFORM set_config('app.org_id', p_org::text, true);
  PERFORM set_config('synchronous_commit', 'off', true);
  UPDATE runs SET
    status = 'running', lease_owner = p_owner, lease_expires_at = now() + p_lease_ms * interval '1 millisecond',
    generation = generation + 1, started_at = coalesce(started_at, now()), updated_at = now()
  WHERE id = p_run AND org_id = p_org
    AND (status = 'queued' OR (status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at < now()))
      OR (status = 'waiting' AND wake_at <= now()))
  RETURNING * INTO r;
  IF NOT FOUND THEN RETURN NULL; END IF;
  RETURN jsonb_build_object(
    'run', to_jsonb(r),
    'lastSeq', (SELECT coalesce(max(seq), 0) FROM run_events WHERE run_id = p_run),
    -- JSON text: see above. A first claim has no steps and pays nothing for it.
    'steps', coalesce((SELECT json_agg(row_to_json(s) ORDER BY s.seq, s.started_at) FROM run_steps s WHERE s.run_id = p_run AND s.org_id = p_org)::text, '[]'),
    'agent', (SELECT to_jsonb(a) FROM agents a WHERE a.id = r.agent_id AND a.org_id = p_org),
    'spend', troupe_spend(p_org, r.agent_id, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM')));
END $function$

-- Current definition of troupe_event_emit (decision 50): edit it here, the migrator applies it.
-- Issue 16. Stores one event in one statement (its own commit: one round trip for a webhook's
-- intake), or, when its dedupe key was seen, answers the stored one. `p_v`: {type, source,
-- endpointId?, occurredAt?, payload, dedupeKey?}. Answers {event, created}. A new event notifies
-- `troupe_events` (processor.ts listens).
CREATE OR REPLACE FUNCTION public.troupe_event_emit(p_org uuid, p_v jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
DECLARE e events; v_created boolean := true;
BEGIN
  PERFORM set_config('app.org_id', p_org::text, true);
  INSERT INTO events (org_id, type, source, endpoint_id, occurred_at, payload, dedupe_key)
  VALUES (p_org, p_v->>'type', p_v->>'source', (p_v->>'endpointId')::uuid,
    coalesce((p_v->>'occurredAt')::timestamptz, now()), coalesce(p_v->'payload', '{}'::jsonb), p_v->>'dedupeKey')
  ON CONFLICT (org_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
  RETURNING * INTO e;
  IF NOT FOUND THEN
    SELECT * INTO e FROM events WHERE org_id = p_org AND dedupe_key = p_v->>'dedupeKey';
    v_created := false;
  ELSE
    -- Wakes the trigger processors of every process once this commits (one notice per
    -- transaction: PostgreSQL folds equal ones, so a batch sends one).
    PERFORM pg_notify('troupe_events', '');
  END IF;
  RETURN jsonb_build_object('event', to_jsonb(e), 'created', v_created);
END $function$

-- Current definition of troupe_runs_write_org (decision 50): edit it here, the migrator applies it.
-- Earlier texts: migrations 0010_engine_lean, 0011_engine_plans, 0017_webhook_retry.
-- Issue 15: a run's `result` and `wake_at`; a child run that finishes adds its totals to its
-- parent workflow run and, when the parent is parked (`waiting`), queues it again, in the same
-- transaction (troupe_workflow_park holds the parent's row while it checks its children).
CREATE OR REPLACE FUNCTION public.troupe_runs_write_org(p_org uuid, p_items jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 SET enable_seqscan TO 'off'
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
DECLARE
  v_runs uuid[] := ARRAY(SELECT (i->>'run')::uuid FROM jsonb_array_elements(p_items) AS i);
  v_written uuid[];
  v_ok jsonb;
  v_spend jsonb;
  v_children_done uuid[];
BEGIN
  PERFORM set_config('app.org_id', p_org::text, true);
  WITH i AS (
    SELECT (i->>'run')::uuid AS run, (i->>'generation')::integer AS gen, (i->>'leaseMs')::integer AS lease_ms,
      coalesce(i->'w'->'patch', '{}'::jsonb) AS patch, coalesce(i->'w'->'add', '{}'::jsonb) AS add
    FROM jsonb_array_elements(p_items) AS i OFFSET 0),
  u AS (
    UPDATE runs SET
      lease_expires_at = CASE WHEN (i.patch->>'release')::boolean THEN NULL ELSE now() + i.lease_ms * interval '1 millisecond' END,
      lease_owner = CASE WHEN (i.patch->>'release')::boolean THEN NULL ELSE lease_owner END,
      updated_at = now(),
      status = coalesce(i.patch->>'status', status),
      stop_reason = CASE WHEN i.patch ? 'stopReason' THEN i.patch->>'stopReason' ELSE stop_reason END,
      error = CASE WHEN i.patch ? 'error' THEN nullif(i.patch->'error', 'null'::jsonb) ELSE error END,
      output = CASE WHEN i.patch ? 'output' THEN i.patch->>'output' ELSE output END,
      result = CASE WHEN i.patch ? 'result' THEN i.patch->'result' ELSE result END,
      wake_at = CASE WHEN i.patch ? 'wakeAt' THEN (i.patch->>'wakeAt')::timestamptz ELSE wake_at END,
      deadline_at = coalesce((i.patch->>'deadlineAt')::timestamptz, deadline_at),
      finished_at = CASE WHEN (i.patch->>'finished')::boolean THEN now() ELSE finished_at END,
      used_rules_model = used_rules_model OR coalesce((i.patch->>'usedRulesModel')::boolean, false),
      step_count = step_count + coalesce((i.add->>'stepCount')::integer, 0),
      input_tokens = input_tokens + coalesce((i.add->>'inputTokens')::bigint, 0),
      output_tokens = output_tokens + coalesce((i.add->>'outputTokens')::bigint, 0),
      cached_input_tokens = cached_input_tokens + coalesce((i.add->>'cachedInputTokens')::bigint, 0),
      cost_micros = cost_micros + coalesce((i.add->>'costMicros')::bigint, 0),
      billed_micros = billed_micros + coalesce((i.add->>'billedMicros')::bigint, 0)
    FROM i
    WHERE runs.id = ANY(v_runs) AND runs.id = i.run AND runs.org_id = p_org AND runs.generation = i.gen
    RETURNING runs.id, runs.cancel_requested_at, runs.parent_run_id IS NOT NULL AND coalesce((i.patch->>'finished')::boolean, false) AS child_done)
  SELECT coalesce(jsonb_object_agg(u.id::text, u.cancel_requested_at IS NOT NULL), '{}'::jsonb), coalesce(array_agg(u.id), '{}'),
    coalesce(array_agg(u.id) FILTER (WHERE u.child_done), '{}')
  INTO v_ok, v_written, v_children_done FROM u;

  IF p_items @? '$[*].w.start' THEN
    INSERT INTO run_steps AS st (org_id, run_id, seq, step_key, kind, status, model, tool_name, tool_call_id, input)
    SELECT p_org, (i->>'run')::uuid, (s->>'seq')::integer, s->>'stepKey', s->>'kind', coalesce(s->>'status', 'started'), s->>'model', s->>'toolName', s->>'toolCallId', (s->>'input')::json
    FROM jsonb_array_elements(p_items) AS i, jsonb_array_elements(i->'w'->'start') AS s
    WHERE v_ok ? (i->>'run')
    ON CONFLICT (run_id, step_key) DO UPDATE SET
      attempts = CASE WHEN st.status = 'started' THEN st.attempts + 1 ELSE st.attempts END,
      started_at = now(), status = EXCLUDED.status;
  END IF;

  IF p_items @? '$[*].w.finish' THEN
    UPDATE run_steps st SET
      status = x.f->>'status',
      output = coalesce((x.f->>'output')::json, st.output),
      error = coalesce(x.f->'error', st.error),
      model = coalesce(x.f->>'model', st.model),
      input_tokens = coalesce((x.f->>'inputTokens')::integer, st.input_tokens),
      output_tokens = coalesce((x.f->>'outputTokens')::integer, st.output_tokens),
      cached_input_tokens = coalesce((x.f->>'cachedInputTokens')::integer, st.cached_input_tokens),
      cost_micros = coalesce((x.f->>'costMicros')::bigint, st.cost_micros),
      billed_micros = coalesce((x.f->>'billedMicros')::bigint, st.billed_micros),
      latency_ms = coalesce((x.f->>'latencyMs')::integer, st.latency_ms),
      finished_at = now()
    FROM (SELECT (i->>'run')::uuid AS run, f->>'stepKey' AS key, f FROM jsonb_array_elements(p_items) AS i, jsonb_array_elements(i->'w'->'finish') AS f
          WHERE v_ok ? (i->>'run') OFFSET 0) x
    WHERE st.run_id = ANY(v_written) AND st.run_id = x.run AND st.org_id = p_org AND st.step_key = x.key;
  END IF;

  IF p_items @? '$[*].w.events' THEN
    INSERT INTO run_events (org_id, run_id, seq, type, data)
    SELECT p_org, (i->>'run')::uuid, (e->>'seq')::integer, e->>'type', e->'data'
    FROM jsonb_array_elements(p_items) AS i, jsonb_array_elements(i->'w'->'events') AS e
    WHERE v_ok ? (i->>'run');
  END IF;

  IF p_items @? '$[*].w.audit' THEN
    INSERT INTO audit_log (org_id, actor_type, action, target_type, target_id, details)
    SELECT p_org, 'system', a->>'action', 'run', i->>'run', coalesce(a->'details', '{}'::jsonb)
    FROM jsonb_array_elements(p_items) AS i, jsonb_array_elements(i->'w'->'audit') AS a
    WHERE v_ok ? (i->>'run');
  END IF;

  IF p_items @? '$[*].w.ledger' THEN
    INSERT INTO ledger_entries (org_id, agent_id, run_id, step_id, conversation_id, task_id, workflow_id, provider, model, input_tokens, output_tokens,
      cached_input_tokens, base_cost_micros, billed_cost_micros, markup_bps, price_effective_from, created_at)
    SELECT p_org, (l->>'agentId')::uuid, x.run, st.id, (l->>'conversationId')::uuid, (l->>'taskId')::uuid, (l->>'workflowId')::uuid, l->>'provider', l->>'model',
      (l->>'inputTokens')::integer, (l->>'outputTokens')::integer, (l->>'cachedInputTokens')::integer, (l->>'baseCostMicros')::bigint,
      (l->>'billedCostMicros')::bigint, (l->>'markupBps')::integer, (l->>'priceEffectiveFrom')::date, (l->>'at')::timestamptz
    FROM (SELECT n, (i->>'run')::uuid AS run, l->>'stepKey' AS key, l, k FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(i, n), jsonb_array_elements(i->'w'->'ledger') WITH ORDINALITY AS m(l, k)
          WHERE v_ok ? (i->>'run') OFFSET 0) x
    JOIN run_steps st ON st.run_id = ANY(v_written) AND st.run_id = x.run AND st.org_id = p_org AND st.step_key = x.key
    ORDER BY x.n, x.k
    ON CONFLICT (step_id) DO NOTHING;
  END IF;

  IF cardinality(v_children_done) > 0 THEN
    UPDATE runs p SET
      status = CASE WHEN p.status = 'waiting' THEN 'queued' ELSE p.status END,
      wake_at = CASE WHEN p.status = 'waiting' THEN NULL ELSE p.wake_at END,
      updated_at = now(),
      input_tokens = p.input_tokens + c.input_tokens, output_tokens = p.output_tokens + c.output_tokens,
      cached_input_tokens = p.cached_input_tokens + c.cached_input_tokens,
      cost_micros = p.cost_micros + c.cost_micros, billed_micros = p.billed_micros + c.billed_micros
    FROM runs c
    WHERE c.id = ANY(v_children_done) AND c.org_id = p_org AND p.id = c.parent_run_id AND p.org_id = p_org AND p.finished_at IS NULL;
  END IF;

  SELECT coalesce(jsonb_object_agg(d.agent, troupe_spend(p_org, d.agent::uuid, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM'))), '{}'::jsonb) INTO v_spend
  FROM (SELECT DISTINCT i->'w'->>'spendAgent' AS agent FROM jsonb_array_elements(p_items) AS i WHERE i->'w' ? 'spendAgent' AND v_ok ? (i->>'run')) d;

  RETURN (SELECT coalesce(jsonb_object_agg(i->>'run',
    CASE WHEN v_ok ? (i->>'run') THEN jsonb_build_object('cancel', (v_ok->>(i->>'run'))::boolean, 'spend', v_spend->(i->'w'->>'spendAgent'))
    ELSE jsonb_build_object('fenced', true) END), '{}'::jsonb)
    FROM jsonb_array_elements(p_items) AS i);
END $function$

CREATE TABLE "monthly_spend" (
	"org_id" uuid NOT NULL,
	"month" text NOT NULL,
	"agent_id" uuid NOT NULL,
	"billed_micros" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "monthly_spend_org_id_month_agent_id_pk" PRIMARY KEY("org_id","month","agent_id")
);
--> statement-breakpoint
ALTER TABLE "monthly_spend" ADD CONSTRAINT "monthly_spend_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Backfill, then keep monthly_spend equal to the sum of the ledger rows by construction.
INSERT INTO monthly_spend (org_id, month, agent_id, billed_micros)
  SELECT org_id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM'), agent_id, sum(billed_cost_micros)
  FROM ledger_entries GROUP BY 1, 2, 3;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION troupe_count_spend() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO monthly_spend AS s (org_id, month, agent_id, billed_micros)
  VALUES (NEW.org_id, to_char(NEW.created_at AT TIME ZONE 'UTC', 'YYYY-MM'), NEW.agent_id, NEW.billed_cost_micros)
  ON CONFLICT (org_id, month, agent_id) DO UPDATE SET billed_micros = s.billed_micros + EXCLUDED.billed_micros;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER ledger_entries_count_spend AFTER INSERT ON ledger_entries FOR EACH ROW EXECUTE FUNCTION troupe_count_spend();
--> statement-breakpoint
-- The run engine's writes: one statement (one round trip) each. They run as the caller
-- (troupe_app) and scope themselves to p_org with set_config(..., true), so row-level security
-- applies to everything inside exactly as in withOrg(). See docs/runs.md "Write path".
--
-- Spend standing of an organization and one agent in a month, for the budget check.
CREATE OR REPLACE FUNCTION troupe_spend(p_org uuid, p_agent uuid, p_month text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
-- plpgsql, not sql: its statements' plans are cached per session instead of planned per call.
DECLARE v_org numeric; v_agent bigint; v_budget bigint; v_raised jsonb;
BEGIN
  SELECT coalesce(sum(billed_micros), 0), coalesce(sum(billed_micros) FILTER (WHERE agent_id = p_agent), 0)
    INTO v_org, v_agent FROM monthly_spend WHERE org_id = p_org AND month = p_month;
  SELECT monthly_budget_micros INTO v_budget FROM organizations WHERE id = p_org;
  SELECT coalesce(jsonb_agg(scope || ':' || threshold_percent), '[]'::jsonb) INTO v_raised FROM budget_alerts WHERE org_id = p_org AND month = p_month;
  RETURN jsonb_build_object('month', p_month, 'orgSpent', v_org, 'agentSpent', v_agent, 'orgBudget', v_budget, 'raised', v_raised);
END $$;
--> statement-breakpoint
-- Claims a run for a worker (queued, or running with an expired lease) and returns everything
-- the engine needs to start: the run, its finished and started steps, the last event seq, the
-- agent and the spend standing. NULL when the run is not claimable.
CREATE OR REPLACE FUNCTION troupe_run_claim(p_org uuid, p_run uuid, p_owner text, p_lease_ms integer) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE r runs; v jsonb;
BEGIN
  PERFORM set_config('app.org_id', p_org::text, true);
  PERFORM set_config('synchronous_commit', 'off', true);
  UPDATE runs SET
    status = 'running', lease_owner = p_owner, lease_expires_at = now() + p_lease_ms * interval '1 millisecond',
    generation = generation + 1, started_at = coalesce(started_at, now()), updated_at = now()
  WHERE id = p_run AND org_id = p_org
    AND (status = 'queued' OR (status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at < now())))
  RETURNING * INTO r;
  IF NOT FOUND THEN RETURN NULL; END IF;
  SELECT jsonb_build_object(
    'run', to_jsonb(r),
    'lastSeq', (SELECT coalesce(max(seq), 0) FROM run_events WHERE run_id = p_run),
    'steps', coalesce((SELECT jsonb_agg(to_jsonb(s) ORDER BY s.seq, s.started_at) FROM run_steps s WHERE s.run_id = p_run AND s.org_id = p_org), '[]'::jsonb),
    'agent', (SELECT to_jsonb(a) FROM agents a WHERE a.id = r.agent_id AND a.org_id = p_org),
    'spend', troupe_spend(p_org, r.agent_id, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM'))) INTO v;
  -- A run's first claim counts as an execution of its agent. Last, so the agent row (shared by
  -- every run of the agent) stays locked only for the commit.
  IF r.generation = 1 THEN
    UPDATE agents SET execution_count = execution_count + 1 WHERE id = r.agent_id AND org_id = p_org;
  END IF;
  RETURN v;
END $$;
--> statement-breakpoint
-- One fenced write of the lease holder (generation p_generation): extends the lease, applies the
-- run patch and counters, writes step starts and finishes, ledger rows, events and audit rows.
-- Returns {fenced: true} and writes nothing when the lease was taken over; else whether a cancel
-- was requested and, when asked (spendAgent), the spend standing after the write. Commits
-- asynchronously unless p_w.durable (see docs/runs.md).
CREATE OR REPLACE FUNCTION troupe_run_write(p_org uuid, p_run uuid, p_generation integer, p_lease_ms integer, p_w jsonb) RETURNS jsonb
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  v_patch jsonb := coalesce(p_w->'patch', '{}'::jsonb);
  v_add jsonb := coalesce(p_w->'add', '{}'::jsonb);
  v_cancel timestamptz;
BEGIN
  PERFORM set_config('app.org_id', p_org::text, true);
  IF NOT coalesce((p_w->>'durable')::boolean, false) THEN
    PERFORM set_config('synchronous_commit', 'off', true);
  END IF;
  UPDATE runs SET
    lease_expires_at = CASE WHEN (v_patch->>'release')::boolean THEN NULL ELSE now() + p_lease_ms * interval '1 millisecond' END,
    lease_owner = CASE WHEN (v_patch->>'release')::boolean THEN NULL ELSE lease_owner END,
    updated_at = now(),
    status = coalesce(v_patch->>'status', status),
    stop_reason = CASE WHEN v_patch ? 'stopReason' THEN v_patch->>'stopReason' ELSE stop_reason END,
    error = CASE WHEN v_patch ? 'error' THEN nullif(v_patch->'error', 'null'::jsonb) ELSE error END,
    output = CASE WHEN v_patch ? 'output' THEN v_patch->>'output' ELSE output END,
    deadline_at = coalesce((v_patch->>'deadlineAt')::timestamptz, deadline_at),
    finished_at = CASE WHEN (v_patch->>'finished')::boolean THEN now() ELSE finished_at END,
    used_rules_model = used_rules_model OR coalesce((v_patch->>'usedRulesModel')::boolean, false),
    step_count = step_count + coalesce((v_add->>'stepCount')::integer, 0),
    input_tokens = input_tokens + coalesce((v_add->>'inputTokens')::bigint, 0),
    output_tokens = output_tokens + coalesce((v_add->>'outputTokens')::bigint, 0),
    cached_input_tokens = cached_input_tokens + coalesce((v_add->>'cachedInputTokens')::bigint, 0),
    cost_micros = cost_micros + coalesce((v_add->>'costMicros')::bigint, 0),
    billed_micros = billed_micros + coalesce((v_add->>'billedMicros')::bigint, 0)
  WHERE id = p_run AND org_id = p_org AND generation = p_generation
  RETURNING cancel_requested_at INTO v_cancel;
  IF NOT FOUND THEN RETURN jsonb_build_object('fenced', true); END IF;

  -- Rows come from jsonb_array_elements with -> (jsonb stays binary), not jsonb_to_recordset,
  -- which would print every jsonb field to text and parse it again.
  IF p_w ? 'start' THEN
    -- A start over a start that never finished is a retry (the process died mid-call).
    INSERT INTO run_steps AS st (org_id, run_id, seq, step_key, kind, status, model, tool_name, tool_call_id, input)
    SELECT p_org, p_run, (s->>'seq')::integer, s->>'stepKey', s->>'kind', coalesce(s->>'status', 'started'), s->>'model', s->>'toolName', s->>'toolCallId', s->'input'
    FROM jsonb_array_elements(p_w->'start') AS s
    ON CONFLICT (run_id, step_key) DO UPDATE SET
      attempts = CASE WHEN st.status = 'started' THEN st.attempts + 1 ELSE st.attempts END,
      started_at = now(), status = EXCLUDED.status;
  END IF;

  IF p_w ? 'finish' THEN
    UPDATE run_steps st SET
      status = f->>'status',
      output = coalesce(f->'output', st.output),
      error = coalesce(f->'error', st.error),
      model = coalesce(f->>'model', st.model),
      input_tokens = coalesce((f->>'inputTokens')::integer, st.input_tokens),
      output_tokens = coalesce((f->>'outputTokens')::integer, st.output_tokens),
      cached_input_tokens = coalesce((f->>'cachedInputTokens')::integer, st.cached_input_tokens),
      cost_micros = coalesce((f->>'costMicros')::bigint, st.cost_micros),
      billed_micros = coalesce((f->>'billedMicros')::bigint, st.billed_micros),
      latency_ms = coalesce((f->>'latencyMs')::integer, st.latency_ms),
      finished_at = now()
    FROM jsonb_array_elements(p_w->'finish') AS f
    WHERE st.run_id = p_run AND st.org_id = p_org AND st.step_key = f->>'stepKey';
  END IF;

  IF p_w ? 'events' THEN
    INSERT INTO run_events (org_id, run_id, seq, type, data)
    SELECT p_org, p_run, (e->>'seq')::integer, e->>'type', e->'data' FROM jsonb_array_elements(p_w->'events') AS e;
  END IF;

  IF p_w ? 'audit' THEN
    INSERT INTO audit_log (org_id, actor_type, action, target_type, target_id, details)
    SELECT p_org, 'system', a->>'action', 'run', p_run::text, coalesce(a->'details', '{}'::jsonb)
    FROM jsonb_array_elements(p_w->'audit') AS a;
  END IF;

  IF p_w ? 'ledger' THEN
    -- step_id is unique: a write repeated after an unknown outcome cannot bill a call twice. Last:
    -- its trigger updates monthly_spend, one row per agent and month that every run of the agent
    -- writes, so it stays locked only for the commit.
    INSERT INTO ledger_entries (org_id, agent_id, run_id, step_id, conversation_id, task_id, provider, model, input_tokens, output_tokens,
      cached_input_tokens, base_cost_micros, billed_cost_micros, markup_bps, price_effective_from, created_at)
    SELECT p_org, (l->>'agentId')::uuid, p_run, st.id, (l->>'conversationId')::uuid, (l->>'taskId')::uuid, l->>'provider', l->>'model',
      (l->>'inputTokens')::integer, (l->>'outputTokens')::integer, (l->>'cachedInputTokens')::integer, (l->>'baseCostMicros')::bigint,
      (l->>'billedCostMicros')::bigint, (l->>'markupBps')::integer, (l->>'priceEffectiveFrom')::date, (l->>'at')::timestamptz
    FROM jsonb_array_elements(p_w->'ledger') AS l
    JOIN run_steps st ON st.run_id = p_run AND st.org_id = p_org AND st.step_key = l->>'stepKey'
    ON CONFLICT (step_id) DO NOTHING;
  END IF;

  RETURN jsonb_build_object(
    'cancel', v_cancel IS NOT NULL,
    'spend', CASE WHEN p_w ? 'spendAgent' THEN troupe_spend(p_org, (p_w->>'spendAgent')::uuid, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM')) END);
END $$;
--> statement-breakpoint
-- Creates a queued run of an active agent. Returns {run} or, when the
-- agent is missing or paused, {agent: null | {name, status}} and writes nothing.
CREATE OR REPLACE FUNCTION troupe_run_create(p_org uuid, p_agent uuid, p_v jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE a agents; r runs;
BEGIN
  PERFORM set_config('app.org_id', p_org::text, true);
  SELECT * INTO a FROM agents WHERE id = p_agent AND org_id = p_org AND deleted_at IS NULL;
  IF NOT FOUND THEN RETURN jsonb_build_object('agent', NULL); END IF;
  IF a.status <> 'active' THEN RETURN jsonb_build_object('agent', jsonb_build_object('name', a.name, 'status', a.status)); END IF;
  INSERT INTO runs (org_id, agent_id, agent_version, source, conversation_id, task_id, input, created_by, api_key_id, idempotency_key)
  VALUES (p_org, p_agent, a.version, p_v->>'source', (p_v->>'conversationId')::uuid, (p_v->>'taskId')::uuid, p_v->'input',
    (p_v->>'createdBy')::uuid, (p_v->>'apiKeyId')::uuid, p_v->>'idempotencyKey')
  RETURNING * INTO r;
  RETURN jsonb_build_object('run', to_jsonb(r));
END $$;

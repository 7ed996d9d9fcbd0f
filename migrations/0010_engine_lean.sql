ALTER TABLE "run_events" DROP CONSTRAINT "run_events_org_id_organizations_id_fk";
--> statement-breakpoint
ALTER TABLE "run_steps" DROP CONSTRAINT "run_steps_org_id_organizations_id_fk";
--> statement-breakpoint
DROP INDEX "tasks_org_status_idx";
--> statement-breakpoint
-- Room in each page for the next version of a row, so that updates which change no indexed
-- column (a run's lease and counters, a step's end, a task following its run) stay on the page
-- (HOT): no new entry in every index. The engine updates a run four times and a step twice.
-- tasks_org_status_idx (dropped above) made every task update a full one; the task list and its
-- stats read an organization's tasks by tasks_org_created_idx.
ALTER TABLE "runs" SET (fillfactor = 70);--> statement-breakpoint
ALTER TABLE "run_steps" SET (fillfactor = 80);--> statement-breakpoint
ALTER TABLE "tasks" SET (fillfactor = 80);
--> statement-breakpoint
-- A task's run reads its task here (p_v.fromTask, p_v.taskId): POST /tasks/:id/execute and every
-- schedule fire become one call instead of a transaction reading the task plus this call. The
-- task's agent, instructions and context make the run; its priority comes back for the dispatch.
-- Returns {run, priority}; {task: null} when the task is not this organization's; {agent: ...}
-- as before when its agent is missing or paused.
CREATE OR REPLACE FUNCTION troupe_run_create(p_org uuid, p_agent uuid, p_v jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE a agents; r runs; v_agent uuid := p_agent; v_input jsonb := p_v->'input'; v_priority text;
  v_task uuid; v_instructions text; v_context jsonb;
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
  INSERT INTO runs (org_id, agent_id, agent_version, source, conversation_id, task_id, input, created_by, api_key_id, idempotency_key)
  VALUES (p_org, v_agent, a.version, p_v->>'source', (p_v->>'conversationId')::uuid, (p_v->>'taskId')::uuid, v_input,
    (p_v->>'createdBy')::uuid, (p_v->>'apiKeyId')::uuid, p_v->>'idempotencyKey')
  RETURNING * INTO r;
  RETURN jsonb_build_object('run', to_jsonb(r), 'priority', v_priority);
END $$;
--> statement-breakpoint
-- The spend standing in one statement instead of three: every write with a ledger row and every
-- claim asks for it (six statements fewer per task in bench/queue).
CREATE OR REPLACE FUNCTION troupe_spend(p_org uuid, p_agent uuid, p_month text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
-- plpgsql, not sql: its statement's plan is cached per session instead of planned per call.
BEGIN
  RETURN (SELECT jsonb_build_object(
    'month', p_month,
    'orgSpent', coalesce(s.org, 0),
    'agentSpent', coalesce(s.agent, 0),
    'orgBudget', (SELECT monthly_budget_micros FROM organizations WHERE id = p_org),
    'raised', (SELECT coalesce(jsonb_agg(scope || ':' || threshold_percent), '[]'::jsonb) FROM budget_alerts WHERE org_id = p_org AND month = p_month))
  FROM (SELECT sum(billed_micros) AS org, sum(billed_micros) FILTER (WHERE agent_id = p_agent) AS agent
        FROM monthly_spend WHERE org_id = p_org AND month = p_month) s);
END $$;
--> statement-breakpoint
-- No planner statistics for the documents nothing filters on: ANALYZE (db/maintenance.ts, or
-- autovacuum) otherwise detoasts and compares 30,000 sampled prompts, outputs and payloads per
-- table and pass. Measured in bench/queue: ANALYZE of run_steps took 630 ms, of run_events 570 ms.
ALTER TABLE "runs" ALTER COLUMN "input" SET STATISTICS 0, ALTER COLUMN "output" SET STATISTICS 0, ALTER COLUMN "error" SET STATISTICS 0;--> statement-breakpoint
ALTER TABLE "run_steps" ALTER COLUMN "input" SET STATISTICS 0, ALTER COLUMN "output" SET STATISTICS 0, ALTER COLUMN "error" SET STATISTICS 0;--> statement-breakpoint
ALTER TABLE "run_events" ALTER COLUMN "data" SET STATISTICS 0;--> statement-breakpoint
ALTER TABLE "audit_log" ALTER COLUMN "details" SET STATISTICS 0;--> statement-breakpoint
ALTER TABLE "tasks" ALTER COLUMN "instructions" SET STATISTICS 0, ALTER COLUMN "context" SET STATISTICS 0, ALTER COLUMN "last_result" SET STATISTICS 0, ALTER COLUMN "last_error" SET STATISTICS 0;
--> statement-breakpoint
-- A batch of engine writes (one per run) of one organization as one statement per table, not
-- seven statements per run: the same rows, locks and answers as troupe_run_write item by item,
-- without the per-statement cost (executor start, plan lookup, triggers queued per statement),
-- which was most of PostgreSQL's CPU in bench/queue. In order: the fenced run updates (a run
-- whose generation moved on gets {fenced: true} and writes nothing else), step starts, step
-- ends, events, audit entries, ledger rows (last: their trigger locks a monthly_spend row), and
-- the spend standing once per agent asked for; a statement runs only when some item carries its
-- part. Returns {run id: answer}. troupe_run_write (one run) is this with one item.
--
-- Each row is found by its key (runs by id, steps by run and step key), whatever the planner
-- guesses: it takes a hundred rows per jsonb_array_elements and ten thousand for the nested step
-- lists, and with young statistics chose sequential scans (or whole-index scans) of runs and
-- run_steps on every batch, filtering the join condition (measured: 35 tasks/s instead of 270
-- in bench/queue); under row-level security it would not turn that condition into an index
-- lookup. So each statement also names its runs as an array parameter (`= ANY(v_runs)`), an
-- index condition in any plan, and sequential scans are off.
CREATE OR REPLACE FUNCTION troupe_runs_write_org(p_org uuid, p_items jsonb) RETURNS jsonb
LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE
  v_runs uuid[] := ARRAY(SELECT (i->>'run')::uuid FROM jsonb_array_elements(p_items) AS i);
  v_written uuid[];
  v_ok jsonb;
  v_spend jsonb;
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
    RETURNING runs.id, runs.cancel_requested_at)
  SELECT coalesce(jsonb_object_agg(u.id::text, u.cancel_requested_at IS NOT NULL), '{}'::jsonb), coalesce(array_agg(u.id), '{}') INTO v_ok, v_written FROM u;

  IF p_items @? '$[*].w.start' THEN
    INSERT INTO run_steps AS st (org_id, run_id, seq, step_key, kind, status, model, tool_name, tool_call_id, input)
    SELECT p_org, (i->>'run')::uuid, (s->>'seq')::integer, s->>'stepKey', s->>'kind', coalesce(s->>'status', 'started'), s->>'model', s->>'toolName', s->>'toolCallId', s->'input'
    FROM jsonb_array_elements(p_items) AS i, jsonb_array_elements(i->'w'->'start') AS s
    WHERE v_ok ? (i->>'run')
    ON CONFLICT (run_id, step_key) DO UPDATE SET
      attempts = CASE WHEN st.status = 'started' THEN st.attempts + 1 ELSE st.attempts END,
      started_at = now(), status = EXCLUDED.status;
  END IF;

  IF p_items @? '$[*].w.finish' THEN
    UPDATE run_steps st SET
      status = x.f->>'status',
      output = coalesce(x.f->'output', st.output),
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
    INSERT INTO ledger_entries (org_id, agent_id, run_id, step_id, conversation_id, task_id, provider, model, input_tokens, output_tokens,
      cached_input_tokens, base_cost_micros, billed_cost_micros, markup_bps, price_effective_from, created_at)
    SELECT p_org, (l->>'agentId')::uuid, x.run, st.id, (l->>'conversationId')::uuid, (l->>'taskId')::uuid, l->>'provider', l->>'model',
      (l->>'inputTokens')::integer, (l->>'outputTokens')::integer, (l->>'cachedInputTokens')::integer, (l->>'baseCostMicros')::bigint,
      (l->>'billedCostMicros')::bigint, (l->>'markupBps')::integer, (l->>'priceEffectiveFrom')::date, (l->>'at')::timestamptz
    FROM (SELECT n, (i->>'run')::uuid AS run, l->>'stepKey' AS key, l, k FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(i, n), jsonb_array_elements(i->'w'->'ledger') WITH ORDINALITY AS m(l, k)
          WHERE v_ok ? (i->>'run') OFFSET 0) x
    JOIN run_steps st ON st.run_id = ANY(v_written) AND st.run_id = x.run AND st.org_id = p_org AND st.step_key = x.key
    ORDER BY x.n, x.k
    ON CONFLICT (step_id) DO NOTHING;
  END IF;

  SELECT coalesce(jsonb_object_agg(d.agent, troupe_spend(p_org, d.agent::uuid, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM'))), '{}'::jsonb) INTO v_spend
  FROM (SELECT DISTINCT i->'w'->>'spendAgent' AS agent FROM jsonb_array_elements(p_items) AS i WHERE i->'w' ? 'spendAgent' AND v_ok ? (i->>'run')) d;

  RETURN (SELECT coalesce(jsonb_object_agg(i->>'run',
    CASE WHEN v_ok ? (i->>'run') THEN jsonb_build_object('cancel', (v_ok->>(i->>'run'))::boolean, 'spend', v_spend->(i->'w'->>'spendAgent'))
    ELSE jsonb_build_object('fenced', true) END), '{}'::jsonb)
    FROM jsonb_array_elements(p_items) AS i);
END $$;
--> statement-breakpoint
-- Items {org, run, generation, leaseMs, w}: each organization's items as one set write (above),
-- organizations in order; a batch with two writes of one run (never sent: each run has one
-- write in flight) item by item as before. The commit is synchronous when any item asks for it.
CREATE OR REPLACE FUNCTION troupe_runs_write(p_items jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_out jsonb;
  v_done jsonb := '{}'::jsonb;
  v_org text;
BEGIN
  IF (SELECT count(DISTINCT i->>'run') <> count(*) FROM jsonb_array_elements(p_items) AS i) THEN
    SELECT jsonb_agg(troupe_run_write((i->>'org')::uuid, (i->>'run')::uuid, (i->>'generation')::integer, (i->>'leaseMs')::integer, i->'w') ORDER BY n)
    INTO v_out FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(i, n);
  ELSE
    FOR v_org IN SELECT DISTINCT i->>'org' FROM jsonb_array_elements(p_items) AS i ORDER BY 1 LOOP
      v_done := v_done || troupe_runs_write_org(v_org::uuid,
        (SELECT jsonb_agg(i ORDER BY n) FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(i, n) WHERE i->>'org' = v_org));
    END LOOP;
    SELECT jsonb_agg(v_done->(i->>'run') ORDER BY n) INTO v_out FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(i, n);
  END IF;
  PERFORM set_config('synchronous_commit',
    CASE WHEN EXISTS (SELECT 1 FROM jsonb_array_elements(p_items) AS i WHERE (i->'w'->>'durable')::boolean) THEN 'on' ELSE 'off' END, true);
  RETURN v_out;
END $$;
--> statement-breakpoint
-- One run's write is the set write of one item, so the two cannot drift apart; it commits
-- asynchronously unless p_w.durable, as before.
CREATE OR REPLACE FUNCTION troupe_run_write(p_org uuid, p_run uuid, p_generation integer, p_lease_ms integer, p_w jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT coalesce((p_w->>'durable')::boolean, false) THEN
    PERFORM set_config('synchronous_commit', 'off', true);
  END IF;
  RETURN troupe_runs_write_org(p_org,
    jsonb_build_array(jsonb_build_object('run', p_run, 'generation', p_generation, 'leaseMs', p_lease_ms, 'w', p_w))) -> (p_run::text);
END $$;

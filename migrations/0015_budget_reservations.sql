-- Budget reservations (decision 44). Concurrent runs each checked a spend figure one call old
-- that did not see the others' calls in flight, so 25 runs with 5,000 µ$ left made about 50
-- calls where 8 or 9 fitted. A model call of a run under a budget now first reserves the most it
-- can cost, here, checked atomically against budget - spend - the other reservations; the
-- overshoot is then at most one call's cost per organization (or agent), whatever the
-- concurrency and the number of processes. Runs of organizations and agents without a budget
-- never come here.
--
-- A reservation counts while its call is in flight: its run still holds the lease of the
-- generation that made it, and its step has not finished. The step's end is written in the same
-- transaction as its ledger row, so the reservation gives way to the actual cost atomically; a
-- crashed worker's reservation stops counting when its lease expires (or its run is claimed
-- again), and a run that stops (ended, parked, handed back) gives its lease up and with it its
-- reservation. Rows that no longer count are deleted by the next reservation of the organization.
CREATE TABLE "budget_reservations" (
	"org_id" uuid NOT NULL,
	"run_id" uuid NOT NULL,
	"step_key" text NOT NULL,
	"agent_id" uuid NOT NULL,
	"generation" integer NOT NULL,
	"amount_micros" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "budget_reservations_run_id_step_key_pk" PRIMARY KEY("run_id","step_key")
);
--> statement-breakpoint
ALTER TABLE "budget_reservations" ADD CONSTRAINT "budget_reservations_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
CREATE INDEX "budget_reservations_org_idx" ON "budget_reservations" USING btree ("org_id");
--> statement-breakpoint
-- Whether a reservation still counts (see above).
CREATE OR REPLACE FUNCTION troupe_reservation_live(r budget_reservations) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM runs u WHERE u.id = r.run_id AND u.org_id = r.org_id AND u.generation = r.generation AND u.lease_expires_at > now())
    AND NOT EXISTS (SELECT 1 FROM run_steps s WHERE s.run_id = r.run_id AND s.org_id = r.org_id AND s.step_key = r.step_key AND s.status <> 'started')
$$;
--> statement-breakpoint
-- Reserves `p_amount` (billed µ$) for the model call `p_step` of run `p_run` (generation
-- `p_generation`), against the organization's monthly budget and the agent's (`p_agent_budget`,
-- null: none). Answers {state, spend, held}: `spend` is troupe_spend's standing and `held` the
-- reservations of other calls {org, agent}, both read in one snapshot;
--   state 'exceeded': the spend has reached a budget (the run stops, as before);
--   state 'wait': spend + held reaches a budget: other calls in flight may use what is left, so
--     the caller asks again once some have finished (their cost or their lease decides);
--   state 'granted': reserved.
-- One organization's reservations are decided one at a time, in every process (an advisory lock
-- for the transaction; the two-key form, whose space the single-key locks do not share).
CREATE OR REPLACE FUNCTION troupe_budget_reserve(p_org uuid, p_run uuid, p_generation integer, p_step text, p_agent uuid, p_agent_budget bigint, p_amount bigint) RETURNS jsonb
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
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
END $$;
--> statement-breakpoint
-- Items {org, run, generation, step, agent, agentBudget, amount}, sorted by organization by the
-- caller (db/call-batcher.ts), so two batches take the organizations' locks in one order.
CREATE OR REPLACE FUNCTION troupe_budget_reserves(p_items jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE v_out jsonb;
BEGIN
  SELECT jsonb_agg(troupe_budget_reserve((i->>'org')::uuid, (i->>'run')::uuid, (i->>'generation')::integer, i->>'step', (i->>'agent')::uuid,
    (i->>'agentBudget')::bigint, (i->>'amount')::bigint) ORDER BY n)
  INTO v_out FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(i, n);
  RETURN v_out;
END $$;
--> statement-breakpoint
-- Work already over budget is refused before it is accepted (POST /agents/:id/execute,
-- /tasks/:id/execute, a schedule's fire, a chat message): null when the organization's and the
-- agent's budgets (`p_agent_budget`, null: none) both have room or are not set, else
-- {scope: 'org' | 'agent', spentMicros, budgetMicros}. Without budgets, one key lookup.
CREATE OR REPLACE FUNCTION troupe_budget_refusal(p_org uuid, p_agent uuid, p_agent_budget bigint) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE v_org_budget bigint; v_spend jsonb;
BEGIN
  PERFORM set_config('app.org_id', p_org::text, true);
  SELECT monthly_budget_micros INTO v_org_budget FROM organizations WHERE id = p_org;
  IF v_org_budget IS NULL AND p_agent_budget IS NULL THEN RETURN NULL; END IF;
  v_spend := troupe_spend(p_org, p_agent, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM'));
  IF v_org_budget IS NOT NULL AND (v_spend->>'orgSpent')::numeric >= v_org_budget THEN
    RETURN jsonb_build_object('scope', 'org', 'spentMicros', (v_spend->>'orgSpent')::numeric, 'budgetMicros', v_org_budget);
  END IF;
  IF p_agent_budget IS NOT NULL AND (v_spend->>'agentSpent')::numeric >= p_agent_budget THEN
    RETURN jsonb_build_object('scope', 'agent', 'spentMicros', (v_spend->>'agentSpent')::numeric, 'budgetMicros', p_agent_budget);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- troupe_run_create of migration 0010, refusing work over budget (above) before the insert. A
-- refused request that repeats an Idempotency-Key already used is not refused: the insert then
-- finds the run the first request made, as before.
CREATE OR REPLACE FUNCTION troupe_run_create(p_org uuid, p_agent uuid, p_v jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
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
  INSERT INTO runs (org_id, agent_id, agent_version, source, conversation_id, task_id, input, created_by, api_key_id, idempotency_key)
  VALUES (p_org, v_agent, a.version, p_v->>'source', (p_v->>'conversationId')::uuid, (p_v->>'taskId')::uuid, v_input,
    (p_v->>'createdBy')::uuid, (p_v->>'apiKeyId')::uuid, p_v->>'idempotencyKey')
  RETURNING * INTO r;
  RETURN jsonb_build_object('run', to_jsonb(r), 'priority', v_priority);
END $$;

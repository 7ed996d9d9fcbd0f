-- Set forms of the engine's calls (src/db/call-batcher.ts): many runs' creates, claims or
-- writes in one call, one transaction and one commit. Each item is applied exactly as a call of
-- its own would be; the answer is the array of their answers, in order. When two hundred runs
-- start, or two hundred model calls return at once, the database then does two hundred items'
-- work, not two hundred calls' overhead (docs/runs.md "Write path").
--
-- A claim without the agent's execution count, which troupe_runs_claim adds per agent at the
-- end, in agent order, so two batches never lock agent rows in opposite orders.
CREATE OR REPLACE FUNCTION troupe_run_take(p_org uuid, p_run uuid, p_owner text, p_lease_ms integer) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE r runs;
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
  RETURN jsonb_build_object(
    'run', to_jsonb(r),
    'lastSeq', (SELECT coalesce(max(seq), 0) FROM run_events WHERE run_id = p_run),
    'steps', coalesce((SELECT jsonb_agg(to_jsonb(s) ORDER BY s.seq, s.started_at) FROM run_steps s WHERE s.run_id = p_run AND s.org_id = p_org), '[]'::jsonb),
    'agent', (SELECT to_jsonb(a) FROM agents a WHERE a.id = r.agent_id AND a.org_id = p_org),
    'spend', troupe_spend(p_org, r.agent_id, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM')));
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION troupe_run_claim(p_org uuid, p_run uuid, p_owner text, p_lease_ms integer) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE v jsonb;
BEGIN
  v := troupe_run_take(p_org, p_run, p_owner, p_lease_ms);
  -- A run's first claim counts as an execution of its agent. Last, so the agent row (shared by
  -- every run of the agent) stays locked only for the commit.
  IF (v->'run'->>'generation')::integer = 1 THEN
    UPDATE agents SET execution_count = execution_count + 1 WHERE id = (v->'run'->>'agent_id')::uuid AND org_id = p_org;
  END IF;
  RETURN v;
END $$;
--> statement-breakpoint
-- Items {org, run, owner, leaseMs}, sorted by run by the caller (two batches lock runs in one order).
CREATE OR REPLACE FUNCTION troupe_runs_claim(p_items jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_out jsonb;
  c record;
BEGIN
  -- The items are taken in array order (the function runs once per row as the array is read).
  SELECT jsonb_agg(troupe_run_take((i->>'org')::uuid, (i->>'run')::uuid, i->>'owner', (i->>'leaseMs')::integer) ORDER BY n)
  INTO v_out FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(i, n);
  FOR c IN
    SELECT (e->'run'->>'org_id')::uuid AS org, (e->'run'->>'agent_id')::uuid AS agent, count(*) AS k
    FROM jsonb_array_elements(v_out) AS e
    WHERE jsonb_typeof(e) = 'object' AND (e->'run'->>'generation')::integer = 1
    GROUP BY 1, 2 ORDER BY 1, 2
  LOOP
    PERFORM set_config('app.org_id', c.org::text, true);
    UPDATE agents SET execution_count = execution_count + c.k WHERE id = c.agent AND org_id = c.org;
  END LOOP;
  RETURN v_out;
END $$;
--> statement-breakpoint
-- Items {org, run, generation, leaseMs, w}, sorted by the caller by organization, then the agent
-- their ledger rows bill (the monthly_spend row they lock), then run. The commit is synchronous
-- when any item asks for it (the last set_config before COMMIT is the one that counts).
CREATE OR REPLACE FUNCTION troupe_runs_write(p_items jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE v_out jsonb;
BEGIN
  SELECT jsonb_agg(troupe_run_write((i->>'org')::uuid, (i->>'run')::uuid, (i->>'generation')::integer, (i->>'leaseMs')::integer, i->'w') ORDER BY n)
  INTO v_out FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(i, n);
  PERFORM set_config('synchronous_commit',
    CASE WHEN EXISTS (SELECT 1 FROM jsonb_array_elements(p_items) AS i WHERE (i->'w'->>'durable')::boolean) THEN 'on' ELSE 'off' END, true);
  RETURN v_out;
END $$;
--> statement-breakpoint
-- Items {org, agent, v} as troupe_run_create takes them.
CREATE OR REPLACE FUNCTION troupe_runs_create(p_items jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE v_out jsonb;
BEGIN
  SELECT jsonb_agg(troupe_run_create((i->>'org')::uuid, (i->>'agent')::uuid, i->'v') ORDER BY n)
  INTO v_out FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(i, n);
  RETURN v_out;
END $$;

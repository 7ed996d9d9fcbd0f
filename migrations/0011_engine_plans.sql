-- Two costs found in bench/queue after migration 0010 (docs/runs.md, "Write path").
--
-- 1. Re-planning. The claim's answer (the run, its steps, agent and spend as one jsonb) was
--    planned again on every other call, and the set write's statements, which name their batch
--    through plpgsql variables (arrays, jsonb), could be too: a custom plan for the parameters'
--    values scored cheaper than the generic one, though every statement looks rows up by key.
--    Planning was 13% of PostgreSQL's CPU. One generic plan per statement and connection now; the
--    setting holds for the functions these call.
ALTER FUNCTION troupe_runs_write_org(uuid, jsonb) SET plan_cache_mode = force_generic_plan;
--> statement-breakpoint
ALTER FUNCTION troupe_runs_claim(jsonb) SET plan_cache_mode = force_generic_plan;
--> statement-breakpoint
ALTER FUNCTION troupe_run_claim(uuid, uuid, text, integer) SET plan_cache_mode = force_generic_plan;
--> statement-breakpoint
-- 2. A claim rewrote every index of its run. runs_active_idx indexed the status, so the claim
--    (queued -> running) changed an indexed column, and PostgreSQL then writes a new entry in each
--    of the run's five indexes instead of a heap-only (HOT) update. Unfinished runs are found
--    through finished_at instead, which changes once, when the run ends; the claim and every
--    write before the end can be HOT.
DROP INDEX IF EXISTS "runs_active_idx";
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "runs_unfinished_idx" ON "runs" USING btree ("created_at") WHERE finished_at is null;
--> statement-breakpoint
-- 3. The month's spend is counted once per statement, not once per ledger row: a set write
--    inserts a batch's ledger rows in one statement, and the row trigger ran a plpgsql function
--    and an upsert for each (with the task trigger, 7% of PostgreSQL's CPU in bench/queue). The
--    sums go in (organization, agent) order, so two batches lock monthly_spend rows in one order.
CREATE OR REPLACE FUNCTION troupe_count_spend_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO monthly_spend AS s (org_id, month, agent_id, shard, billed_micros)
  SELECT org_id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM'), agent_id, pg_backend_pid() % 16, sum(billed_cost_micros)::bigint
  FROM new_rows GROUP BY 1, 2, 3 ORDER BY 1, 3, 2
  ON CONFLICT (org_id, month, agent_id, shard) DO UPDATE SET billed_micros = s.billed_micros + EXCLUDED.billed_micros;
  RETURN NULL;
END $$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS ledger_entries_count_spend ON ledger_entries;
--> statement-breakpoint
CREATE TRIGGER ledger_entries_count_spend AFTER INSERT ON ledger_entries REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION troupe_count_spend_rows();
--> statement-breakpoint
DROP FUNCTION IF EXISTS troupe_count_spend();
--> statement-breakpoint
-- 4. A batch of one organization's writes (the usual case) goes to the set write as it came:
--    rebuilding the items per organization copied every prompt and output in them once more.
CREATE OR REPLACE FUNCTION troupe_runs_write(p_items jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_out jsonb;
  v_done jsonb := '{}'::jsonb;
  v_orgs text[];
  v_twice boolean;
  v_org text;
BEGIN
  SELECT array_agg(DISTINCT i->>'org'), count(DISTINCT i->>'run') <> count(*) INTO v_orgs, v_twice FROM jsonb_array_elements(p_items) AS i;
  IF v_twice THEN
    SELECT jsonb_agg(troupe_run_write((i->>'org')::uuid, (i->>'run')::uuid, (i->>'generation')::integer, (i->>'leaseMs')::integer, i->'w') ORDER BY n)
    INTO v_out FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(i, n);
  ELSE
    IF cardinality(v_orgs) = 1 THEN
      v_done := troupe_runs_write_org(v_orgs[1]::uuid, p_items);
    ELSE
      -- array_agg(DISTINCT) is sorted: organizations in order.
      FOREACH v_org IN ARRAY v_orgs LOOP
        v_done := v_done || troupe_runs_write_org(v_org::uuid,
          (SELECT jsonb_agg(i ORDER BY n) FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(i, n) WHERE i->>'org' = v_org));
      END LOOP;
    END IF;
    SELECT jsonb_agg(v_done->(i->>'run') ORDER BY n) INTO v_out FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(i, n);
  END IF;
  PERFORM set_config('synchronous_commit', CASE WHEN p_items @? '$[*].w.durable ? (@ == true)' THEN 'on' ELSE 'off' END, true);
  RETURN v_out;
END $$;

-- A run that stops for a person's approval, and the person's decision, may reach the database in
-- either order (decision 40). The engine writes the approval row (committed), then parks the run
-- (status waiting_approval); a decision made between the two found the run still running, so
-- RunService.decide did not requeue it, and the park then left it waiting with no pending
-- approval, forever. The park now consumes such a decision, as a Temporal signal or a LangGraph
-- resume command is consumed whenever the workflow reaches its wait.
--
-- One call for the park: the run's row lock first (decide() takes the same lock before it looks
-- at the run's status, so one of the two waits for the other), then, in a statement of its own
-- and so with a snapshot taken after the lock (READ COMMITTED), whether an approval is still
-- pending. If one is, `p_wait` is written (the park); if none is, every decision came in on the
-- way to the wait and `p_requeue` is written instead (back to queued), answered with
-- `requeued: true` so the engine carries on. The writes are troupe_run_write's, fenced as ever.
CREATE OR REPLACE FUNCTION troupe_run_park(p_org uuid, p_run uuid, p_generation integer, p_lease_ms integer, p_wait jsonb, p_requeue jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE v jsonb;
BEGIN
  PERFORM set_config('app.org_id', p_org::text, true);
  PERFORM 1 FROM runs WHERE id = p_run AND org_id = p_org AND generation = p_generation FOR UPDATE;
  IF EXISTS (SELECT 1 FROM approvals WHERE org_id = p_org AND run_id = p_run AND status = 'pending') THEN
    RETURN troupe_run_write(p_org, p_run, p_generation, p_lease_ms, p_wait);
  END IF;
  v := troupe_run_write(p_org, p_run, p_generation, p_lease_ms, p_requeue);
  IF v ? 'fenced' THEN RETURN v; END IF;
  RETURN v || '{"requeued": true}'::jsonb;
END $$;

-- Current definition of troupe_workflow_park (decision 50): edit it here, the migrator applies it.
-- Issue 15. Parks a workflow run (`p_wait`: status waiting, wake_at its earliest timer) unless,
-- while the engine was on its way here, something it waits on already ended: a child run in
-- `p_children` finished, an approval in `p_approvals` was decided, or a cancel was asked. Then it
-- writes `p_requeue` (back to queued) instead. The run's row is held meanwhile: a child that
-- finishes (troupe_runs_write_org) or a decision (RunService.decide) either sees the run parked and
-- queues it, or is seen here. The same rule as troupe_run_park (decision 40).
CREATE OR REPLACE FUNCTION public.troupe_workflow_park(p_org uuid, p_run uuid, p_generation integer, p_lease_ms integer, p_wait jsonb, p_requeue jsonb, p_children uuid[], p_approvals uuid[])
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
DECLARE v jsonb; v_cancel timestamptz;
BEGIN
  PERFORM set_config('app.org_id', p_org::text, true);
  SELECT cancel_requested_at INTO v_cancel FROM runs WHERE id = p_run AND org_id = p_org AND generation = p_generation FOR UPDATE;
  IF v_cancel IS NULL
    AND NOT EXISTS (SELECT 1 FROM runs WHERE org_id = p_org AND id = ANY(p_children) AND finished_at IS NOT NULL)
    AND NOT EXISTS (SELECT 1 FROM approvals WHERE org_id = p_org AND id = ANY(p_approvals) AND status <> 'pending') THEN
    RETURN troupe_run_write(p_org, p_run, p_generation, p_lease_ms, p_wait);
  END IF;
  v := troupe_run_write(p_org, p_run, p_generation, p_lease_ms, p_requeue);
  IF v ? 'fenced' THEN RETURN v; END IF;
  RETURN v || '{"requeued": true}'::jsonb;
END $function$

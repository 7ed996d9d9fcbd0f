-- A task shows the state of its latest execution (src/tasks/service.ts). Kept here, by triggers
-- on runs, so it holds whichever process or path moves the run: the engine's writes, a cancel,
-- an approval, a recovery. The triggers run as the caller, under the same row-level security.
CREATE OR REPLACE FUNCTION troupe_task_follows_run() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE tasks SET status = 'queued', run_count = run_count + 1, last_run_id = NEW.id, last_run_at = NEW.created_at, updated_at = now()
    WHERE id = NEW.task_id AND org_id = NEW.org_id;
  ELSE
    -- Only the latest run speaks for the task (an older one finishing late changes nothing).
    UPDATE tasks SET
      status = CASE NEW.status WHEN 'succeeded' THEN 'completed' ELSE NEW.status END,
      last_result = CASE WHEN NEW.status IN ('succeeded', 'failed', 'canceled') THEN NEW.output ELSE last_result END,
      last_error = CASE WHEN NEW.status IN ('succeeded', 'failed', 'canceled') THEN NEW.error ELSE last_error END,
      updated_at = now()
    WHERE id = NEW.task_id AND org_id = NEW.org_id AND last_run_id = NEW.id;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER runs_task_created AFTER INSERT ON runs FOR EACH ROW WHEN (NEW.task_id IS NOT NULL) EXECUTE FUNCTION troupe_task_follows_run();
--> statement-breakpoint
CREATE TRIGGER runs_task_status AFTER UPDATE OF status ON runs FOR EACH ROW
  WHEN (NEW.task_id IS NOT NULL AND OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION troupe_task_follows_run();

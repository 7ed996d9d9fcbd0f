-- Current definition of troupe_task_follows_run (decision 50): edit it here, the migrator applies it.
-- Earlier texts: migrations 0006_task_follows_run.
CREATE OR REPLACE FUNCTION public.troupe_task_follows_run()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
END $function$

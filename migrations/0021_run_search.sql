-- The run list's text search (GET /runs?q=, src/runs/list-query.ts): a GIN index over the
-- searchable text of a run (task, answer, error code; 20,000 characters of each), so a search
-- reads the matching rows instead of every run of the organization. The expression must stay
-- identical to runSearchDocument in list-query.ts, or the planner cannot use the index.
-- Only the last write of a run (its answer or error) changes these columns: status and token
-- updates stay HOT as before.
CREATE INDEX IF NOT EXISTS "runs_search_idx" ON "runs" USING gin (
  to_tsvector('simple'::regconfig, left(coalesce("input" ->> 'task', ''), 20000) || ' ' || left(coalesce("output", ''), 20000) || ' ' || coalesce("error" ->> 'code', ''))
);

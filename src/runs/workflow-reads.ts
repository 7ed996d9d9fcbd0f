import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { runs, type RunStatus } from './schema.js';

/** What the runs module reads for the workflows module: a run's children with their cost, and each workflow's run figures. */

/** A workflow run's child run, with what it cost (GET /runs/:id/nodes adds them up per node). */
export interface ChildRunCost {
  id: string;
  parentKey: string | null;
  costMicros: number;
  billedMicros: number;
}

/** The children of a run, oldest first. */
export function childRunCosts(database: Database, orgId: string, runId: string): Promise<ChildRunCost[]> {
  return database.readOrg(orgId, (tx) =>
    tx
      .select({ id: runs.id, parentKey: runs.parentKey, costMicros: runs.costMicros, billedMicros: runs.billedMicros })
      .from(runs)
      .where(and(eq(runs.orgId, orgId), eq(runs.parentRunId, runId)))
      .orderBy(runs.createdAt),
  );
}

/** A workflow's runs as the workflows list shows them (RunService.workflowStats). */
export interface WorkflowRunStats {
  lastRunId: string | null;
  lastRunStatus: RunStatus | null;
  lastRunAt: string | null;
  /** Finished in the period. */
  runs: number;
  succeeded: number;
  failed: number;
  costMicros: number;
  billedMicros: number;
}

/**
 * What the workflows list shows of each workflow's runs (its own runs, not the agent runs they
 * started): the latest run, and over the last `days` days the finished runs, how many succeeded
 * and failed, and what they cost (children included). One query for a page of workflows.
 */
export async function workflowRunStats(database: Database, orgId: string, workflowIds: string[], days = 30): Promise<Map<string, WorkflowRunStats>> {
  if (workflowIds.length === 0) return new Map();
  const ids = sql`${`{${workflowIds.join(',')}}`}::uuid[]`;
  const { rows } = await database.readOrg(orgId, (tx) =>
    tx.execute(sql`
      select w.id as workflow_id, last.id as last_id, last.status as last_status, last.created_at as last_at,
        coalesce(agg.runs, 0)::int as runs, coalesce(agg.succeeded, 0)::int as succeeded, coalesce(agg.failed, 0)::int as failed,
        coalesce(agg.cost, 0)::bigint as cost, coalesce(agg.billed, 0)::bigint as billed
      from unnest(${ids}) as w(id)
      left join lateral (
        select id, status, created_at from runs
        where org_id = ${orgId} and workflow_id = w.id and agent_id is null
        order by created_at desc limit 1) last on true
      left join lateral (
        select count(*) filter (where finished_at is not null) as runs,
          count(*) filter (where status = 'succeeded') as succeeded,
          count(*) filter (where status = 'failed') as failed,
          sum(cost_micros) as cost, sum(billed_micros) as billed
        from runs
        where org_id = ${orgId} and workflow_id = w.id and agent_id is null
          and created_at >= now() - make_interval(days => ${days})) agg on true`),
  );
  return new Map(
    (rows as Record<string, unknown>[]).map((r) => [
      String(r.workflow_id),
      {
        lastRunId: (r.last_id as string | null) ?? null,
        lastRunStatus: (r.last_status as RunStatus | null) ?? null,
        lastRunAt: r.last_at ? new Date(r.last_at as string).toISOString() : null,
        runs: Number(r.runs),
        succeeded: Number(r.succeeded),
        failed: Number(r.failed),
        costMicros: Number(r.cost),
        billedMicros: Number(r.billed),
      },
    ]),
  );
}

import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { RunRow } from '../store.js';

/**
 * How long a run of this agent must wait for the agent's own rate (`limits.actionsPerMinute`,
 * `limits.actionsPerHour`: runs started per rolling minute and hour), 0 when it may go. Counted
 * from the runs table, so it holds across every worker; no query when the agent has no limit.
 * Runs handed back to the queue (rate-limited or released) do not count while they wait.
 */
export async function rateLimitWait(
  database: Database,
  run: Pick<RunRow, 'id' | 'orgId' | 'agentId'>,
  limits: { actionsPerMinute: number | null; actionsPerHour: number | null },
): Promise<number> {
  const windows = [
    [limits.actionsPerMinute, 60_000],
    [limits.actionsPerHour, 3_600_000],
  ].filter((w): w is [number, number] => w[0] !== null);
  let wait = 0;
  for (const [limit, ms] of windows) {
    const { rows } = await database.withOrg(run.orgId, (tx) =>
      tx.execute(sql`
        select count(*)::int as n, extract(epoch from min(started_at)) * 1000 as oldest
        from (select started_at from runs
              where org_id = ${run.orgId} and agent_id = ${run.agentId} and id <> ${run.id} and status <> 'queued'
                and started_at > now() - ${ms} * interval '1 millisecond'
              order by started_at desc limit ${limit}) recent`),
    );
    const { n, oldest } = rows[0] as { n: number; oldest: number | null };
    if (n >= limit && oldest !== null) wait = Math.max(wait, Math.max(1000, Math.ceil(Number(oldest) + ms - Date.now())));
  }
  return wait;
}

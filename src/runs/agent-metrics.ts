import { and, avg, count, eq, max, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import { runs } from './schema.js';

/** An agent's figures over its runs (GET /agents/:id/metrics). */
export interface AgentMetrics {
  executionCount: number;
  succeeded: number;
  failed: number;
  successRate: number | null;
  averageTokens: number | null;
  averageCostMicros: number | null;
  averageResponseMs: number | null;
  lastExecutedAt: Date | null;
}

/** Execution count, success rate, averages (tokens, billed cost, response time) and last run of an agent, in one statement. */
export async function agentMetrics(tx: Tx, orgId: string, agentId: string): Promise<AgentMetrics> {
  const [m] = await tx
    .select({
      executionCount: count(),
      succeeded: sql<number>`count(*) filter (where ${runs.status} = 'succeeded')`.mapWith(Number),
      failed: sql<number>`count(*) filter (where ${runs.status} = 'failed')`.mapWith(Number),
      averageTokens: avg(sql`${runs.inputTokens} + ${runs.outputTokens}`),
      averageCostMicros: avg(runs.billedMicros),
      averageResponseMs: sql<string | null>`avg(extract(epoch from (${runs.finishedAt} - ${runs.startedAt})) * 1000) filter (where ${runs.status} = 'succeeded')`,
      lastExecutedAt: max(runs.createdAt),
    })
    .from(runs)
    .where(and(eq(runs.orgId, orgId), eq(runs.agentId, agentId)));
  const finished = (m?.succeeded ?? 0) + (m?.failed ?? 0);
  const num = (v: string | null | undefined) => (v === null || v === undefined ? null : Math.round(Number(v)));
  return {
    executionCount: m?.executionCount ?? 0,
    succeeded: m?.succeeded ?? 0,
    failed: m?.failed ?? 0,
    successRate: finished ? m!.succeeded / finished : null,
    averageTokens: num(m?.averageTokens),
    averageCostMicros: num(m?.averageCostMicros),
    averageResponseMs: num(m?.averageResponseMs),
    lastExecutedAt: m?.lastExecutedAt ?? null,
  };
}

import { and, eq, inArray } from 'drizzle-orm';
import { agentNames } from '../agents/lookups.js';
import { apiKeyNames, userNames } from '../auth/lookups.js';
import type { Tx } from '../db/client.js';
import { taskTitles } from '../tasks/lookups.js';
import { runs, type approvals } from './schema.js';

export type ApprovalRow = typeof approvals.$inferSelect;

/** An approval as a person deciding it needs to see it: who asks, for which task, what the call does, who decided. */
export interface ApprovalView extends ApprovalRow {
  agent: { id: string; name: string } | null;
  task: { id: string; title: string } | null;
  /** One readable line for the call (the tool's `describe`, else "Call <tool> with: k=v, …"). */
  description: string;
  /** Who decided: a person, or an API key (by its name); null while pending, or when they were deleted. */
  decider: { type: 'user' | 'api_key'; id: string; name: string } | null;
}

/**
 * The approvals of one page with their agent, task and decider, read in a fixed number of queries
 * whatever the page's size (the runs, then the agents', tasks', deciding users' and keys' names
 * through their modules' lookups), not one per approval.
 */
export async function approvalViews(tx: Tx, orgId: string, rows: ApprovalRow[], describe: (toolName: string, args: unknown) => string): Promise<ApprovalView[]> {
  if (rows.length === 0) return [];
  const runIds = [...new Set(rows.map((r) => r.runId))];
  const origins = await tx
    .select({ runId: runs.id, agentId: runs.agentId, taskId: runs.taskId })
    .from(runs)
    .where(and(eq(runs.orgId, orgId), inArray(runs.id, runIds)));
  const [agentName, taskTitle, userName, keyName] = await Promise.all([
    agentNames(tx, orgId, origins.map((o) => o.agentId)),
    taskTitles(tx, orgId, origins.flatMap((o) => (o.taskId ? [o.taskId] : []))),
    userNames(tx, rows.flatMap((r) => (r.decidedBy ? [r.decidedBy] : []))),
    apiKeyNames(tx, orgId, rows.flatMap((r) => (r.decidedByApiKeyId ? [r.decidedByApiKeyId] : []))),
  ]);
  const byRun = new Map(origins.map((o) => [o.runId, o]));
  return rows.map((row) => {
    const o = byRun.get(row.runId);
    const agent = o ? agentName.get(o.agentId) : undefined;
    const task = o?.taskId ? taskTitle.get(o.taskId) : undefined;
    const user = row.decidedBy ? userName.get(row.decidedBy) : undefined;
    const key = row.decidedByApiKeyId ? keyName.get(row.decidedByApiKeyId) : undefined;
    return {
      ...row,
      agent: o && agent !== undefined ? { id: o.agentId, name: agent } : null,
      task: o?.taskId && task !== undefined ? { id: o.taskId, title: task } : null,
      description: describe(row.toolName, row.args),
      decider:
        user !== undefined ? { type: 'user', id: row.decidedBy!, name: user } : key !== undefined ? { type: 'api_key', id: row.decidedByApiKeyId!, name: key } : null,
    };
  });
}

import { and, eq, inArray, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Actor } from '../shared/roles.js';
import { agentNames } from '../agents/lookups.js';
import { apiKeyNames, userNames } from '../auth/lookups.js';
import type { Tx } from '../db/client.js';
import { runs, type approvals } from './schema.js';

export type ApprovalRow = typeof approvals.$inferSelect;

/**
 * What runs need of the modules built on them (tasks and chat), handed in by the app so that
 * runs import neither: the tasks' titles and the conversations' owners for approval cards and
 * notices, and the chat's privacy rule (conversations/visibility.ts; decision 33).
 */
export interface RunOrigins {
  /** Titles of the organization's tasks by id, inside the caller's transaction (tasks/lookups.ts). */
  taskTitles(tx: Tx, orgId: string, ids: readonly string[]): Promise<Map<string, string>>;
  /** The person a conversation belongs to; undefined when it does not exist (conversations/lookups.ts). */
  conversationOwner(tx: Tx, orgId: string, id: string): Promise<string | null | undefined>;
  /** Names of the organization's workflows by id (workflows/lookups.ts). */
  workflowNames(tx: Tx, orgId: string, ids: readonly string[]): Promise<Map<string, string>>;
  /**
   * Given a column holding a conversation id: the condition that it is null or names a
   * conversation the actor sees; undefined when the actor sees them all.
   */
  inVisibleConversation(actor: Actor, conversationId: AnyPgColumn): SQL | undefined;
}

/** An approval as a person deciding it needs to see it: who asks, for which task, what the call does, who decided. */
export interface ApprovalView extends ApprovalRow {
  agent: { id: string; name: string } | null;
  /** The workflow the run belongs to (a workflow run's, or the one an agent run serves). */
  workflow: { id: string; name: string } | null;
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
export async function approvalViews(
  tx: Tx,
  orgId: string,
  rows: ApprovalRow[],
  describe: (toolName: string, args: unknown) => string,
  origins: Pick<RunOrigins, 'taskTitles' | 'workflowNames'>,
): Promise<ApprovalView[]> {
  if (rows.length === 0) return [];
  const runIds = [...new Set(rows.map((r) => r.runId))];
  const runRows = await tx
    .select({ runId: runs.id, agentId: runs.agentId, taskId: runs.taskId, workflowId: runs.workflowId })
    .from(runs)
    .where(and(eq(runs.orgId, orgId), inArray(runs.id, runIds)));
  const [agentName, workflowName, taskTitle, userName, keyName] = await Promise.all([
    agentNames(tx, orgId, runRows.flatMap((o) => (o.agentId ? [o.agentId] : []))),
    origins.workflowNames(tx, orgId, runRows.flatMap((o) => (o.workflowId ? [o.workflowId] : []))),
    origins.taskTitles(tx, orgId, runRows.flatMap((o) => (o.taskId ? [o.taskId] : []))),
    userNames(tx, rows.flatMap((r) => (r.decidedBy ? [r.decidedBy] : []))),
    apiKeyNames(tx, orgId, rows.flatMap((r) => (r.decidedByApiKeyId ? [r.decidedByApiKeyId] : []))),
  ]);
  const byRun = new Map(runRows.map((o) => [o.runId, o]));
  return rows.map((row) => {
    const o = byRun.get(row.runId);
    const agent = o?.agentId ? agentName.get(o.agentId) : undefined;
    const workflow = o?.workflowId ? workflowName.get(o.workflowId) : undefined;
    const task = o?.taskId ? taskTitle.get(o.taskId) : undefined;
    const user = row.decidedBy ? userName.get(row.decidedBy) : undefined;
    const key = row.decidedByApiKeyId ? keyName.get(row.decidedByApiKeyId) : undefined;
    return {
      ...row,
      agent: o?.agentId && agent !== undefined ? { id: o.agentId, name: agent } : null,
      workflow: o?.workflowId && workflow !== undefined ? { id: o.workflowId, name: workflow } : null,
      task: o?.taskId && task !== undefined ? { id: o.taskId, title: task } : null,
      description: describe(row.toolName, row.args),
      decider:
        user !== undefined ? { type: 'user', id: row.decidedBy!, name: user } : key !== undefined ? { type: 'api_key', id: row.decidedByApiKeyId!, name: key } : null,
    };
  });
}

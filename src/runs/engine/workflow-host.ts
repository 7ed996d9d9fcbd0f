import { and, count, eq, inArray, isNull, ne, sql } from 'drizzle-orm';
import type { Database, Tx } from '../../db/client.js';
import { rowFromJson } from '../../db/json-row.js';
import { isUniqueViolation } from '../../shared/errors.js';
import { orgNames } from '../../auth/lookups.js';
import { approvals, runs, runSteps } from '../schema.js';
import type { RunRow, RunWriter, StepRow } from '../store.js';
import type { ApprovalState, ChildRunState, EngineDeps, WorkflowHost } from './ports.js';

/**
 * The runs module's side of a workflow run (issue 15): what the workflow engine may ask of the
 * runs it does not own. Child runs are made once per execution key (their idempotency key is
 * `wf:<parent run>:<key>`), so a node resumed after a crash finds the child it started; approvals
 * once per node step (approvals_step_key).
 */
export function workflowHost(
  deps: EngineDeps,
  claim: { run: RunRow; steps: StepRow[] },
  writer: RunWriter,
  signal: AbortSignal,
): WorkflowHost {
  const { database } = deps;
  const { run } = claim;
  const orgId = run.orgId;
  return {
    run,
    steps: claim.steps,
    writer,
    signal,
    nextSeq: claim.steps.reduce((m, s) => Math.max(m, s.seq), 0) + 1,
    database,
    config: deps.config,
    logger: deps.logger,
    tools: deps.tools,
    events: deps.events,
    async startChild(c) {
      const idempotencyKey = `wf:${run.id}:${c.key}`;
      const id = await createChild(database, run, c, idempotencyKey);
      deps.wake?.(orgId, id, 'child_started');
      deps.events?.emit('run:queued', { orgId, runId: id, agentId: c.agentId ?? '', source: c.source ?? 'workflow', at: new Date() });
      return id;
    },
    children: (ids) => childStates(database, orgId, ids),
    async requestApproval(a) {
      const id = await database.withOrg(orgId, async (tx) => {
        const step = await stepId(tx, run, a.stepKey);
        const [row] = await tx
          .insert(approvals)
          .values({ orgId, runId: run.id, stepId: step, toolName: a.toolName, toolCallId: a.stepKey, args: a.args, reason: a.reason, approverRole: a.approverRole ?? null })
          .onConflictDoNothing()
          .returning({ id: approvals.id });
        if (row) return { id: row.id, created: true };
        const [existing] = await tx.select({ id: approvals.id }).from(approvals).where(and(eq(approvals.orgId, orgId), eq(approvals.stepId, step)));
        return { id: existing!.id, created: false };
      });
      if (id.created) deps.events?.emit('approval:requested', { orgId, runId: run.id, approvalId: id.id, tool: a.toolName, at: new Date() });
      return id.id;
    },
    approvals: (ids) => approvalStates(database, orgId, ids),
    async abandon(childIds, approvalIds) {
      await database.withOrg(orgId, async (tx) => {
        if (approvalIds.length) {
          await tx
            .update(approvals)
            .set({ status: 'rejected', comment: 'No longer needed: the workflow went on without it', decidedAt: sql`now()` })
            .where(and(eq(approvals.orgId, orgId), inArray(approvals.id, approvalIds), eq(approvals.status, 'pending')));
        }
        if (childIds.length) await cancelTree(tx, orgId, childIds);
      });
      for (const id of childIds) deps.bus.requestCancel(id);
    },
    async admit(max) {
      return database.withOrg(orgId, async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`troupe:workflow-places:${run.workflowId}`}))`);
        const [self] = await tx.select({ at: runs.admittedAt }).from(runs).where(and(eq(runs.orgId, orgId), eq(runs.id, run.id)));
        if (self?.at) return true;
        const [taken] = await tx
          .select({ n: count() })
          .from(runs)
          .where(and(eq(runs.orgId, orgId), eq(runs.workflowId, run.workflowId!), sql`admitted_at is not null and finished_at is null`, ne(runs.id, run.id)));
        if (taken!.n >= max) return false;
        const [row] = await tx.update(runs).set({ admittedAt: sql`now()` }).where(and(eq(runs.orgId, orgId), eq(runs.id, run.id))).returning({ at: runs.admittedAt });
        run.admittedAt = row!.at;
        return true;
      });
    },
    async wakeNextQueued() {
      const [next] = await database.readOrg(orgId, (tx) =>
        tx
          .select({ id: runs.id })
          .from(runs)
          .where(and(eq(runs.orgId, orgId), eq(runs.workflowId, run.workflowId!), isNull(runs.agentId), isNull(runs.admittedAt), eq(runs.status, 'queued')))
          .orderBy(runs.createdAt)
          .limit(1),
      );
      if (next) deps.wake?.(orgId, next.id, `place:${run.id}`);
    },
    async orgName() {
      const names = await database.readOrg(orgId, (tx) => orgNames(tx, [orgId]));
      return names.get(orgId) ?? '';
    },
  };
}

/** The id of the run's step `key` (written before the call). */
async function stepId(tx: Tx, run: RunRow, key: string): Promise<string> {
  const [row] = await tx.select({ id: runSteps.id }).from(runSteps).where(and(eq(runSteps.orgId, run.orgId), eq(runSteps.runId, run.id), eq(runSteps.stepKey, key)));
  if (!row) throw new Error(`step ${key} of run ${run.id} is missing`);
  return row.id;
}

/** A child run: an agent's through troupe_run_create (agent checks, budget), a workflow's inserted here. */
async function createChild(database: Database, parent: RunRow, c: Parameters<WorkflowHost['startChild']>[0], idempotencyKey: string): Promise<string> {
  const orgId = parent.orgId;
  const existing = async () => {
    const [row] = await database.withOrg(orgId, (tx) => tx.select({ id: runs.id }).from(runs).where(and(eq(runs.orgId, orgId), eq(runs.idempotencyKey, idempotencyKey))));
    return row?.id;
  };
  try {
    if (c.agentId) {
      const out = await database.call<{ run?: Record<string, unknown>; agent?: { name: string; status: string } | null; budget?: { message?: string } }>('troupe_run_create', [
        orgId,
        c.agentId,
        JSON.stringify({
          source: c.source ?? 'workflow',
          input: c.input,
          createdBy: parent.createdBy,
          apiKeyId: parent.apiKeyId,
          idempotencyKey,
          workflowId: parent.workflowId,
          parentRunId: parent.id,
          parentKey: c.key,
          ...(c.agentVersion === undefined ? {} : { agentVersion: c.agentVersion }),
        }),
      ]);
      if (out.run) return rowFromJson(runs, out.run).id;
      const again = await existing();
      if (again) return again;
      if (out.budget) throw new ChildRefused('budget_exceeded', 'The monthly budget is used up: the agent run was not started');
      if (out.agent) throw new ChildRefused('agent_paused', `The agent ${out.agent.name} is paused`);
      throw new ChildRefused('agent_not_found', `The agent ${c.agentId} does not exist (or was deleted)`);
    }
    const [row] = await database.withOrg(orgId, (tx) =>
      tx
        .insert(runs)
        .values({
          orgId,
          source: 'workflow',
          workflowId: c.workflowId!,
          workflowVersion: c.workflowVersion!,
          parentRunId: parent.id,
          parentKey: c.key,
          input: c.input as never,
          createdBy: parent.createdBy,
          apiKeyId: parent.apiKeyId,
          idempotencyKey,
        })
        .returning({ id: runs.id }),
    );
    return row!.id;
  } catch (err) {
    if (isUniqueViolation(err)) {
      const again = await existing();
      if (again) return again;
    }
    throw err;
  }
}

/** Why a child run could not be started: fails the node with `code`. */
export class ChildRefused extends Error {
  override name = 'ChildRefused';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function childStates(database: Database, orgId: string, ids: string[]): Promise<Map<string, ChildRunState>> {
  if (ids.length === 0) return new Map();
  const rows = await database.withOrg(orgId, (tx) =>
    tx
      .select({ id: runs.id, status: runs.status, finishedAt: runs.finishedAt, output: runs.output, result: runs.result, error: runs.error })
      .from(runs)
      .where(and(eq(runs.orgId, orgId), inArray(runs.id, ids))),
  );
  return new Map(
    rows.map((r) => [r.id, { id: r.id, status: r.status, finished: r.finishedAt !== null, output: r.output, result: r.result ?? null, error: r.error ? { code: r.error.code, message: r.error.message } : null }]),
  );
}

async function approvalStates(database: Database, orgId: string, ids: string[]): Promise<Map<string, ApprovalState>> {
  if (ids.length === 0) return new Map();
  const rows = await database.withOrg(orgId, (tx) => tx.select().from(approvals).where(and(eq(approvals.orgId, orgId), inArray(approvals.id, ids))));
  return new Map(
    rows.map((r) => [r.id, { id: r.id, status: r.status, response: r.response ?? null, comment: r.comment, decidedBy: r.decidedBy, decidedByApiKeyId: r.decidedByApiKeyId }]),
  );
}

/**
 * Cancels runs and every run below them (a workflow's children, theirs, …): one not running ends
 * now, a running one is asked to stop (its executor ends it); their pending approvals are
 * rejected. Used when a workflow run ends or is canceled, and when a node's result is no longer needed.
 */
export async function cancelTree(tx: Tx, orgId: string, rootIds: string[]): Promise<string[]> {
  if (rootIds.length === 0) return [];
  const { rows } = await tx.execute(sql`
    with recursive tree(id) as (
      select id from runs where org_id = ${orgId} and id = any(${`{${rootIds.join(',')}}`}::uuid[])
      union select r.id from runs r join tree t on r.parent_run_id = t.id where r.org_id = ${orgId})
    update runs set
      cancel_requested_at = coalesce(cancel_requested_at, now()),
      status = case when status = 'running' then status else 'canceled' end,
      stop_reason = case when status = 'running' then stop_reason else 'canceled' end,
      finished_at = case when status = 'running' then finished_at else now() end,
      updated_at = now()
    where org_id = ${orgId} and id in (select id from tree) and finished_at is null
    returning id`);
  const ids = (rows as { id: string }[]).map((r) => r.id);
  if (ids.length) {
    await tx
      .update(approvals)
      .set({ status: 'rejected', comment: 'The run was canceled', decidedAt: sql`now()` })
      .where(and(eq(approvals.orgId, orgId), inArray(approvals.runId, ids), eq(approvals.status, 'pending')));
  }
  return ids;
}

import { and, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { AgentService } from '../agents/service.js';
import { actorColumns } from '../audit/actor.js';
import type { AuditService } from '../audit/service.js';
import { budgetExceeded, type BudgetRefusal } from '../billing/reservations.js';
import { roleAtLeast, type Actor, type Role } from '../shared/roles.js';
import { batcher, type BatchedCall } from '../db/call-batcher.js';
import type { Database, Tx } from '../db/client.js';
import { AppError, conflict, forbidden, isUniqueViolation, notFound } from '../shared/errors.js';
import { UUID_RE } from '../shared/ids.js';
import { rowFromJson } from '../db/json-row.js';
import { keysetPage, timestampSort } from '../shared/keyset.js';
import type { Page, PageQuery } from '../shared/pagination.js';
import { SAFETY_POLL_MS, type RunBus } from './bus.js';
import type { RunJob } from './dispatch-port.js';
import type { EngineEvents } from '../observability/events.js';
import type { TaskPriority } from '../tasks/enums.js';
import type { ToolsPort } from './engine/ports.js';
import { approvals, runs, runSteps, type RunInput, type RunSource, type RunStatus } from './schema.js';
import { eventsAfter, type EventRow, type RunRow, type StepRow } from './store.js';
import { cancelTree } from './engine/workflow-host.js';
import { formValues } from './approval-form.js';
import { approvalViews, type ApprovalView, type RunOrigins } from './approval-view.js';
import { genericDescription } from '../tools/describe.js';
import { runConditions, type RunFilter } from './list-query.js';
import { agentMetrics, type AgentMetrics } from './agent-metrics.js';
import { insertDecisionRun } from './decision-runs.js';
import { childRunCosts, workflowRunStats, type ChildRunCost, type WorkflowRunStats } from './workflow-reads.js';


export type { ApprovalRow, ApprovalView } from './approval-view.js';

export type { RunFilter };

/** What the run service needs of a dispatcher (dispatch/port.ts). */
export interface RunDispatch {
  dispatch(job: RunJob): unknown;
}

const FINAL: RunStatus[] = ['succeeded', 'failed', 'canceled'];


interface CreateItem {
  org: string;
  /** Null for a task's run: the function reads the task's agent. */
  agent: string | null;
  v: Record<string, unknown>;
}

interface CreateResult {
  run?: Record<string, unknown>;
  /** Present (null) when the task to run is not the organization's. */
  task?: null;
  agent?: { name: string; status: string } | null;
  /** The task's priority, for a task's run. */
  priority?: TaskPriority | null;
  /** Present when the organization's or the agent's monthly budget is used up: nothing was created. */
  budget?: BudgetRefusal;
}

/**
 * Runs created at the same moment go to the database together (db/call-batcher.ts). The audited
 * forms (src/runs/sql/troupe_runs_create_audited.sql) also write the `run.created` entry when `v.audit` asks for it, in the
 * same statement: one round trip for POST /agents/:id/execute (decision 54).
 */
const RUN_CREATE: BatchedCall<CreateItem> = {
  one: 'troupe_run_create_audited',
  args: (i) => [i.org, i.agent, JSON.stringify(i.v)],
  many: 'troupe_runs_create_audited',
  // Rows locked: the task's (its trigger updates it), shared locks on the agent.
  lockKey: (i) => `${i.org}/${String(i.v.taskId ?? '')}/${i.agent ?? ''}`,
};

/** Workflow runs made at the same moment go together (troupe_workflow_runs_create). */
const WORKFLOW_RUN_CREATE: BatchedCall<{ org: string; v: Record<string, unknown> }> = {
  one: 'troupe_workflow_run_create',
  args: (i) => [i.org, JSON.stringify(i.v)],
  many: 'troupe_workflow_runs_create',
  lockKey: (i) => `${i.org}/${String(i.v.workflowId)}`,
};

/**
 * Runs as the API sees them: create (and dispatch), read, cancel, and decide approvals. The
 * engine (engine/executor.ts) does the work; this service only writes the states a person or
 * client can cause.
 */
export class RunService {
  constructor(
    private readonly database: Database,
    private readonly agents: AgentService,
    private readonly tools: ToolsPort,
    private readonly audit: AuditService,
    private readonly bus: RunBus,
    /** Task titles, conversation owners and the chat's privacy rule (approval-view.ts). */
    private readonly origins: RunOrigins,
    private dispatcher: RunDispatch | null = null,
    /** Told of queued runs, failed dispatches and decided approvals. */
    private readonly eventPort?: EngineEvents,
  ) {}

  /**
   * What an approved decision's approval stores as its response: the approver's changed actions,
   * checked (a 400 naming the field otherwise). Set by the decisions module; absent: no changes kept.
   */
  decisionResponse: ((values: Record<string, unknown> | undefined) => Record<string, unknown> | null) | null = null;

  /** Told, in the cancel's transaction, of the runs a cancel ended (the decisions module closes their records). */
  onCanceled: ((tx: Tx, orgId: string, runIds: string[]) => Promise<void>) | null = null;

  /**
   * Runs the actor may see: a chat run (and with it its steps, events, stream and approvals) only
   * by those who may see its conversation (decision 33). Undefined for admins, who see everything.
   */
  private runVisible(actor: Actor): SQL | undefined {
    return this.origins.inVisibleConversation(actor, runs.conversationId);
  }

  /** Approvals of runs the actor may see: their arguments are what the chat said. */
  private approvalVisible(actor: Actor): SQL | undefined {
    const rule = this.runVisible(actor);
    return rule && sql`exists (select 1 from ${runs} where ${runs.id} = ${approvals.runId} and ${rule})`;
  }

  /**
   * Hands a run to the dispatcher without waiting. If that fails (Redis unreachable), the run row
   * is already queued and the recovery sweep (dispatch/recovery.ts) dispatches it again; the
   * failure goes to the event port (`dispatch:failed`, logged by observability/log-events.ts).
   */
  private dispatch(job: RunJob) {
    if (!this.dispatcher) return;
    void Promise.resolve()
      .then(() => this.dispatcher!.dispatch(job))
      .catch((err: unknown) => this.eventPort?.emit('dispatch:failed', { orgId: job.orgId, runId: job.runId, at: new Date(), error: err instanceof Error ? err.message : String(err) }));
  }

  setDispatcher(dispatcher: RunDispatch) {
    this.dispatcher = dispatcher;
  }

  /**
   * Creates a queued run of an active agent and dispatches it. With an idempotency key, a
   * repeated request returns the run the first one created (`created: false`). When the
   * organization's or the agent's monthly budget is used up, nothing is created: 402
   * `budget_exceeded` (checked in the same statement, migration 0015).
   */
  async create(
    actor: Actor,
    agentId: string,
    input: RunInput,
    options: {
      source: RunSource;
      conversationId?: string;
      taskId?: string;
      idempotencyKey?: string;
      priority?: TaskPriority;
      /** Audit the creation (`run.created`, by the actor) in the statement that creates the run; with the HTTP request's id. */
      audit?: { requestId?: string };
    },
  ): Promise<{ run: RunRow; created: boolean }> {
    if (!UUID_RE.test(agentId)) throw notFound('Agent');
    const values = {
      source: options.source,
      conversationId: options.conversationId ?? null,
      taskId: options.taskId ?? null,
      input,
      createdBy: actor.userId,
      apiKeyId: actor.apiKeyId,
      idempotencyKey: options.idempotencyKey ?? null,
      ...(options.audit ? { audit: { ...actorColumns(actor), requestId: options.audit.requestId ?? null } } : {}),
    };
    return this.insert(actor, { org: actor.orgId, agent: agentId, v: values }, options.priority, (existing) => {
      if (existing.agentId !== agentId) throw conflict('This Idempotency-Key was already used for another agent', 'idempotency_key_reused');
    });
  }

  /**
   * A run of a task (its agent, instructions and context), read and created in one call (the
   * task's read folded into troupe_run_create): POST /tasks/:id/execute (source `task`, the
   * default) and schedule fires (`schedule`).
   */
  async createForTask(actor: Actor, taskId: string, idempotencyKey?: string, source: 'task' | 'schedule' = 'task'): Promise<{ run: RunRow; created: boolean }> {
    if (!UUID_RE.test(taskId)) throw notFound('Task');
    const values = { fromTask: true, source, taskId, createdBy: actor.userId, apiKeyId: actor.apiKeyId, idempotencyKey: idempotencyKey ?? null };
    return this.insert(actor, { org: actor.orgId, agent: null, v: values }, undefined, (existing) => {
      if (existing.taskId !== taskId) throw conflict('This Idempotency-Key was already used for another task', 'idempotency_key_reused');
    });
  }

  /**
   * Creates a queued workflow run (issue 15) of `version` with a validated `input`, and
   * dispatches it. With an idempotency key, a repeated request returns the run the first made.
   */
  async createWorkflowRun(
    actor: Actor,
    w: { workflowId: string; version: number; input: unknown; source: RunSource; idempotencyKey?: string },
  ): Promise<{ run: RunRow; created: boolean }> {
    const key = w.idempotencyKey ?? null;
    let run: RunRow;
    try {
      // The run and its audit entry in one statement (troupe_workflow_run_create).
      const v = { source: w.source, workflowId: w.workflowId, version: w.version, input: w.input, createdBy: actor.userId, apiKeyId: actor.apiKeyId, idempotencyKey: key, audit: actorColumns(actor) };
      run = rowFromJson(runs, await batcher<{ org: string; v: Record<string, unknown> }, Record<string, unknown>>(this.database, WORKFLOW_RUN_CREATE).call({ org: actor.orgId, v }));
    } catch (err) {
      if (key && isUniqueViolation(err)) {
        const [existing] = await this.database.withOrg(actor.orgId, (tx) => tx.select().from(runs).where(and(eq(runs.orgId, actor.orgId), eq(runs.idempotencyKey, key))));
        if (existing) {
          if (existing.workflowId !== w.workflowId || existing.agentId !== null) throw conflict('This Idempotency-Key was already used for another run', 'idempotency_key_reused');
          return { run: existing, created: false };
        }
      }
      throw err;
    }
    this.queued(run);
    return { run, created: true };
  }

  /**
   * Creates a queued decision run (issue 16; src/decisions/runner.ts): no agent of its own, source
   * `decision`. `withRun` writes the caller's rows in the same transaction (the decision's record),
   * so a decision never exists without its run nor a run without its decision. With an idempotency
   * key, a repeated call returns the run the first made (`created: false`).
   */
  async createDecisionRun(actor: Actor, d: { input: Record<string, unknown>; idempotencyKey?: string }, withRun: (tx: Tx, run: RunRow) => Promise<void>): Promise<{ run: RunRow; created: boolean }> {
    const made = await insertDecisionRun(this.database, this.audit, actor, d, withRun);
    if (made.created) this.queued(made.run);
    return made;
  }

  /** A run just created: to the dispatcher, and the event port hears it was queued. */
  private queued(run: RunRow, priority?: TaskPriority) {
    this.dispatch({ orgId: run.orgId, runId: run.id, priority });
    this.eventPort?.emit('run:queued', { orgId: run.orgId, runId: run.id, agentId: run.agentId ?? '', source: run.source, at: run.createdAt });
  }

  /** Creates (one batched statement, migration 0010) and dispatches; a reused idempotency key returns the run it made. */
  private async insert(actor: Actor, item: CreateItem, priority: TaskPriority | undefined, sameRequest: (existing: RunRow) => void): Promise<{ run: RunRow; created: boolean }> {
    let run: RunRow;
    try {
      const out = await batcher<CreateItem, CreateResult>(this.database, RUN_CREATE).call(item);
      if (!out.run) {
        if (out.task === null) throw notFound('Task');
        if (out.budget) throw budgetExceeded(out.budget);
        if (!out.agent) throw notFound('Agent');
        throw conflict(`The agent ${out.agent.name} is paused; enable it to run it`, 'agent_paused');
      }
      run = rowFromJson(runs, out.run);
      priority ??= out.priority ?? undefined;
    } catch (err) {
      const key = item.v.idempotencyKey as string | null;
      if (key && isUniqueViolation(err)) {
        const [existing] = await this.database.withOrg(actor.orgId, (tx) => tx.select().from(runs).where(and(eq(runs.orgId, actor.orgId), eq(runs.idempotencyKey, key))));
        if (existing) {
          sameRequest(existing);
          return { run: existing, created: false };
        }
      }
      throw err;
    }
    this.queued(run, priority);
    return { run, created: true };
  }

  async get(actor: Actor, id: string): Promise<RunRow> {
    if (!UUID_RE.test(id)) throw notFound('Run');
    const [run] = await this.database.readOrg(actor.orgId, (tx) => tx.select().from(runs).where(and(eq(runs.orgId, actor.orgId), eq(runs.id, id), this.runVisible(actor))));
    if (!run) throw notFound('Run');
    return run;
  }

  /**
   * Waits until the run reaches a final or waiting state, or `timeoutMs` passes; returns its
   * latest row. It hears of the rest from the bus: at once when the run executes in this process,
   * through the relay when it executes in another (decision 38); it reads the row only then, and
   * every SAFETY_POLL_MS in case a notice was lost.
   *
   * `created`: the row create() just returned, when the caller made the run and calls this with
   * no await in between. The first read is then skipped (two round trips of every
   * `?wait=true`): the run cannot have rested yet, as its executor needs the database first.
   */
  async waitForRest(actor: Actor, id: string, timeoutMs: number, created?: RunRow, options: { pastChildRuns?: boolean } = {}): Promise<RunRow> {
    const deadline = Date.now() + timeoutMs;
    // Read the row at once (unless just created): the run may have rested before we watched.
    let check = created === undefined;
    let wake = () => {};
    const off = this.bus.watch(id, (news) => {
      if (news === 'stored') return;
      check = true;
      wake();
    });
    let run: RunRow | undefined = created;
    try {
      for (;;) {
        if (check) {
          check = false;
          run = await this.get(actor, id);
          if (run.status !== 'queued' && run.status !== 'running' && !(options.pastChildRuns && (await this.waitsOnChildRunsOnly(actor, run)))) return run;
        }
        // The last read is fresh here: the timer that reaches the deadline asks for one.
        const left = deadline - Date.now();
        if (left <= 0) return run!;
        if (check) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            check = true;
            resolve();
          }, Math.min(left, SAFETY_POLL_MS));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = () => {};
      }
    } finally {
      off();
    }
  }

  /**
   * A parked workflow run that waits only for its own child runs (no timer, no person): a
   * `?wait=true` on a workflow waits on through it, as the children are work in progress.
   */
  async waitsOnChildRunsOnly(actor: Actor, run: RunRow): Promise<boolean> {
    if (run.status !== 'waiting' || run.wakeAt !== null) return false;
    const [pending] = await this.database.withOrg(actor.orgId, (tx) =>
      tx.select({ id: approvals.id }).from(approvals).where(and(eq(approvals.orgId, actor.orgId), eq(approvals.runId, run.id), eq(approvals.status, 'pending'))).limit(1),
    );
    return pending === undefined;
  }

  /** Ids of the organization's agents (deleted ones too) whose name contains `text`, case-insensitive; the first 100. */
  private async agentIdsNamed(actor: Actor, text: string): Promise<string[]> {
    const page = await this.agents.list(actor, { search: text, includeDeleted: true, limit: 100, sortBy: 'name', sortOrder: 'asc' });
    const needle = text.toLowerCase();
    return page.items.filter((a) => a.name.toLowerCase().includes(needle)).map((a) => a.id);
  }

  /** Runs the actor may see, newest first, filtered and searched (see list-query.ts). */
  async list(actor: Actor, q: RunFilter): Promise<Page<RunRow>> {
    // `q` also finds the runs of agents whose name holds it (deleted agents too): the agents
    // service names them, the runs table is searched by agent id.
    const named = q.q ? await this.agentIdsNamed(actor, q.q) : [];
    const where = and(...runConditions(actor.orgId, q, this.runVisible(actor), named));
    return this.database.withOrg(actor.orgId, (tx) => keysetPage(tx, { table: runs, id: runs.id, sort: timestampSort(runs.createdAt), where }, q, (r) => r));
  }

  /** The runs a workflow run started (id and the execution key each serves), every one of them. */
  async childRuns(actor: Actor, id: string): Promise<ChildRunCost[]> {
    return childRunCosts(this.database, actor.orgId, (await this.get(actor, id)).id);
  }

  /** What the workflows list shows of each workflow's runs (workflow-reads.ts). */
  workflowStats(actor: Actor, workflowIds: string[], days = 30): Promise<Map<string, WorkflowRunStats>> {
    return workflowRunStats(this.database, actor.orgId, workflowIds, days);
  }

  async steps(actor: Actor, id: string): Promise<StepRow[]> {
    const run = await this.get(actor, id);
    return this.database.withOrg(actor.orgId, (tx) =>
      tx.select().from(runSteps).where(and(eq(runSteps.orgId, actor.orgId), eq(runSteps.runId, run.id))).orderBy(runSteps.seq),
    );
  }

  async events(actor: Actor, id: string, afterSeq: number, limit = 1000): Promise<EventRow[]> {
    const run = await this.get(actor, id);
    return this.database.withOrg(actor.orgId, (tx) => eventsAfter(tx, actor.orgId, run.id, afterSeq, limit));
  }

  /**
   * Cancels a run. Queued or waiting runs end at once; a running one is asked to stop: its
   * executor hears it at once through the bus (from another process through the relay), and
   * failing that at its next write or heartbeat.
   */
  async cancel(actor: Actor, id: string): Promise<RunRow> {
    const run = await this.get(actor, id);
    if (FINAL.includes(run.status)) throw conflict(`The run has already ${run.status === 'canceled' ? 'been canceled' : run.status}`, 'run_finished');
    // Decided on the row as it is now, not as read above: a worker may have claimed it since.
    const running = sql`${runs.status} = 'running'`;
    let cascaded: string[] = [];
    const [updated] = await this.database.withOrg(actor.orgId, async (tx) => {
      const rows = await tx
        .update(runs)
        .set({
          cancelRequestedAt: sql`coalesce(${runs.cancelRequestedAt}, now())`,
          status: sql`case when ${running} then ${runs.status} else 'canceled' end`,
          stopReason: sql`case when ${running} then ${runs.stopReason} else 'canceled' end`,
          finishedAt: sql`case when ${running} then ${runs.finishedAt} else now() end`,
          updatedAt: sql`now()`,
        })
        .where(and(eq(runs.id, run.id), eq(runs.orgId, actor.orgId), inArray(runs.status, ['queued', 'running', 'waiting_approval', 'waiting'])))
        .returning();
      // A canceled run's waiting tool calls will never run: they leave the approvals inbox.
      // A workflow run's children are canceled with it (theirs too; engine/workflow-host.ts).
      if (rows[0]?.status === 'canceled') cascaded = await cancelTree(tx, actor.orgId, [run.id]);
      if (rows[0]?.status === 'canceled' && this.onCanceled) await this.onCanceled(tx, actor.orgId, [run.id, ...cascaded]);
      if (rows[0]?.status === 'canceled') {
        await tx
          .update(approvals)
          .set({ status: 'rejected', decidedBy: actor.userId, decidedByApiKeyId: actor.apiKeyId, comment: 'The run was canceled', decidedAt: sql`now()` })
          .where(and(eq(approvals.runId, run.id), eq(approvals.orgId, actor.orgId), eq(approvals.status, 'pending')));
      }
      return rows;
    });
    // A running run is stopped by its executor, in whichever process (the in-flight model call
    // is aborted; decision 38); one that ended here has rested, which its waiters hear.
    if (updated?.status === 'canceled') this.bus.rested(run.id);
    else this.bus.requestCancel(run.id);
    for (const id of cascaded) this.bus.requestCancel(id);
    await this.audit.record({ orgId: actor.orgId, actor, action: 'run.canceled', targetType: 'run', targetId: run.id });
    return updated ?? (await this.get(actor, id));
  }

  /** One line describing a call for the person deciding it (the tool's own, else generic). */
  private readonly describeCall = (toolName: string, args: unknown): string => this.tools.describeCall?.(toolName, args) ?? genericDescription(toolName, args);

  /** Approvals with their agent, task, description and decider (approval-view.ts: a fixed number of queries per page). */
  async listApprovals(actor: Actor, q: PageQuery & { status?: 'pending' | 'approved' | 'rejected'; runId?: string }): Promise<Page<ApprovalView>> {
    const where = and(eq(approvals.orgId, actor.orgId), this.approvalVisible(actor), q.status ? eq(approvals.status, q.status) : undefined, q.runId ? eq(approvals.runId, q.runId) : undefined);
    return this.database.withOrg(actor.orgId, async (tx) => {
      const page = await keysetPage(tx, { table: approvals, id: approvals.id, sort: timestampSort(approvals.createdAt), where }, q, (r) => r);
      return { ...page, items: await approvalViews(tx, actor.orgId, page.items, this.describeCall, this.origins) };
    });
  }

  /** One approval as the card shows it (the link in an approver's notification); another organization's, or a chat's the actor may not see: 404. */
  async getApproval(actor: Actor, id: string): Promise<ApprovalView> {
    if (!UUID_RE.test(id)) throw notFound('Approval');
    const view = await this.database.withOrg(actor.orgId, async (tx) => {
      const rows = await tx.select().from(approvals).where(and(eq(approvals.orgId, actor.orgId), eq(approvals.id, id), this.approvalVisible(actor)));
      return (await approvalViews(tx, actor.orgId, rows, this.describeCall, this.origins))[0];
    });
    if (!view) throw notFound('Approval');
    return view;
  }

  /**
   * Approves or rejects a pending tool call and puts the run back in the queue to continue. Who
   * may decide: a role that may grant the tool (its grantRoles), else an admin.
   */
  async decide(actor: Actor, approvalId: string, decision: 'approved' | 'rejected', comment: string | undefined, values?: Record<string, unknown>): Promise<ApprovalView> {
    if (!UUID_RE.test(approvalId)) throw notFound('Approval');
    const [current] = await this.database.withOrg(actor.orgId, (tx) =>
      tx.select().from(approvals).where(and(eq(approvals.orgId, actor.orgId), eq(approvals.id, approvalId), this.approvalVisible(actor))),
    );
    if (!current) throw notFound('Approval');
    // The lowest role that may give an agent this tool may also decide on its calls; a workflow
    // approval node names its own.
    const grant = (this.tools.get(current.toolName)?.grantRoles ?? ['admin']) as Role[];
    const needed = (current.approverRole as Role | null) ?? grant.reduce<Role>((low, r) => (roleAtLeast(low, r) ? r : low), 'owner');
    const response =
      decision !== 'approved' ? null : current.reason === 'workflow' ? formValues(current.args, values ?? {}) : current.reason === 'decision' ? (this.decisionResponse?.(values) ?? null) : null;
    if (!roleAtLeast(actor.role, needed)) {
      throw forbidden(`Deciding on ${current.toolName} needs the ${needed} role or higher`, 'insufficient_role');
    }
    const updated = await this.database.withOrg(actor.orgId, async (tx) => {
      // The run's row first, as the engine's park holds it (troupe_run_park, decision 40): either
      // the park then sees this decision and requeues the run itself, or this sees the run parked.
      await tx.select({ id: runs.id }).from(runs).where(and(eq(runs.id, current.runId), eq(runs.orgId, actor.orgId))).for('update');
      const [row] = await tx
        .update(approvals)
        .set({ status: decision, decidedBy: actor.userId, decidedByApiKeyId: actor.apiKeyId, comment: comment ?? null, response, decidedAt: sql`now()` })
        .where(and(eq(approvals.id, approvalId), eq(approvals.orgId, actor.orgId), eq(approvals.status, 'pending')))
        .returning();
      if (!row) throw new AppError(409, 'approval_decided', 'This approval was already decided');
      await tx
        .update(runs)
        .set({ status: 'queued', updatedAt: sql`now()` })
        .where(and(eq(runs.id, row.runId), eq(runs.orgId, actor.orgId), inArray(runs.status, ['waiting_approval', 'waiting']), isNull(runs.cancelRequestedAt)));
      return row;
    });
    await this.audit.record({
      orgId: actor.orgId,
      actor,
      action: decision === 'approved' ? 'approval.approved' : 'approval.rejected',
      targetType: 'run',
      targetId: updated.runId,
      details: { approvalId, tool: updated.toolName, ...(comment ? { comment } : {}) },
    });
    this.dispatch({ orgId: actor.orgId, runId: updated.runId, wake: `approval:${approvalId}` });
    this.eventPort?.emit('approval:decided', { orgId: actor.orgId, runId: updated.runId, approvalId, decision, at: new Date() });
    const [view] = await this.database.withOrg(actor.orgId, (tx) => approvalViews(tx, actor.orgId, [updated], this.describeCall, this.origins));
    return view!;
  }

  /** Execution count, success rate, averages (tokens, billed cost, response time) and last run of an agent. */
  async agentMetrics(actor: Actor, agentId: string): Promise<AgentMetrics> {
    await this.agents.get(actor, agentId, { includeDeleted: true });
    return this.database.readOrg(actor.orgId, (tx) => agentMetrics(tx, actor.orgId, agentId));
  }
}

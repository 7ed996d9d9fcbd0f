import { and, eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { abortStop } from '../../runs/engine/context.js';
import type { WorkflowHost, WorkflowRest, WorkflowRunnerPort } from '../../runs/engine/ports.js';
import type { NewEvent, StepRow, Write } from '../../runs/store.js';
import type { WorkflowDefinition, WorkflowNode } from '../definition.js';
import type { ExpressionScope } from '../expressions.js';
import { evaluateExpression } from '../expressions.js';
import { workflows } from '../schema.js';
import { findVersion } from '../versions.js';
import { nodeError, resumeNode, startNode, type NodeEnv, type NodeResult } from './nodes.js';
import { compile, nodeOfKey, plan, type CompiledWorkflow, type ExecutionState, type PlanScope, type Wait } from './plan.js';

/**
 * Runs workflow runs (issue 15; docs/workflows.md "Running"). On every claim it rebuilds the run's
 * state from its node steps, asks the planner (plan.ts) what to do, does it, stores each result as
 * a step (`node:<execution key>`, its state in the step's output: see `Envelope`), and asks again,
 * until the run ends or everything left waits: then it parks the run (status `waiting`, no worker,
 * no lease) until a timer is due, a child run ends or a person decides.
 *
 * Durability: a pure node's result is written without waiting (repeatable: a crash before the
 * write runs it again, with the same result); what must not happen twice is written first and
 * waited for (a child run is made once per execution key, an approval once per step, a
 * non-idempotent tool's start is committed before the call).
 */
export class WorkflowRunner implements WorkflowRunnerPort {
  /** Organization names for `env.org.name`, kept a minute (a rename shows within that). */
  private readonly orgNames = new Map<string, { name: string; at: number }>();

  async orgName(orgId: string, read: () => Promise<string>): Promise<string> {
    const hit = this.orgNames.get(orgId);
    if (hit && Date.now() - hit.at < 60_000) return hit.name;
    const name = await read();
    if (this.orgNames.size >= 10_000) this.orgNames.clear();
    this.orgNames.set(orgId, { name, at: Date.now() });
    return name;
  }

  /** Compiled definitions by `workflowId@version` (versions never change). */
  private readonly cache = new Map<string, { definition: WorkflowDefinition; compiled: CompiledWorkflow }>();

  constructor(private readonly database: Database) {}

  /**
   * Starts a workflow's error workflow (`settings.errorWorkflowId`) with a failed run (as n8n's
   * error trigger): set by the app (the workflows service), once per failed run (its idempotency
   * key). Absent: nothing starts.
   */
  onFailure: ((orgId: string, errorWorkflowId: string, input: { failedRun: Record<string, unknown> }, idempotencyKey: string) => Promise<unknown>) | null = null;

  async definition(orgId: string, workflowId: string, version: number): Promise<{ definition: WorkflowDefinition; compiled: CompiledWorkflow } | null> {
    const k = `${workflowId}@${version}`;
    const hit = this.cache.get(k);
    if (hit) return hit;
    const found = await this.database.readOrg(orgId, (tx) => findVersion(tx, orgId, workflowId, version));
    if (!found) return null;
    const entry = { definition: found.definition, compiled: compile(found.definition) };
    if (this.cache.size >= 1000) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(k, entry);
    return entry;
  }

  async currentVersion(orgId: string, workflowId: string): Promise<number | null> {
    const [row] = await this.database.readOrg(orgId, (tx) =>
      tx.select({ v: workflows.currentVersion }).from(workflows).where(and(eq(workflows.orgId, orgId), eq(workflows.id, workflowId))),
    );
    return row?.v ?? null;
  }

  async admit(host: WorkflowHost): Promise<'unlimited' | 'admitted' | 'full'> {
    const { run } = host;
    const found = await this.definition(run.orgId, run.workflowId!, run.workflowVersion!);
    const max = found?.definition.settings.maxConcurrentRuns;
    if (max === undefined) return 'unlimited';
    return (await host.admit(max)) ? 'admitted' : 'full';
  }

  async run(host: WorkflowHost): Promise<WorkflowRest> {
    const { run } = host;
    const found = await this.definition(run.orgId, run.workflowId!, run.workflowVersion!);
    if (!found) return failed('workflow_not_found', `The version ${run.workflowVersion} of workflow ${run.workflowId} does not exist`);
    const rest = await new Execution(this, host, found.definition, found.compiled).go();
    const errorWorkflowId = found.definition.settings.errorWorkflowId;
    if (rest.kind === 'finished' && rest.status === 'failed' && errorWorkflowId && this.onFailure) {
      const failedRun = { id: run.id, workflowId: run.workflowId, version: run.workflowVersion, input: run.input, error: rest.error, failedAt: new Date().toISOString() };
      await this.onFailure(run.orgId, errorWorkflowId, { failedRun }, `error:${run.id}`).catch((err: unknown) =>
        host.logger.warn({ err, runId: run.id, errorWorkflowId }, 'could not start the error workflow of a failed run'),
      );
    }
    return rest;
  }
}

/** What a node step's output holds: the execution's state (the step's status says which). */
interface Envelope {
  output?: unknown;
  handle?: string;
  items?: unknown[];
  wait?: Wait;
  attempt?: number;
  attempts?: number;
  error?: Record<string, unknown>;
  finishedAt?: number;
}

const failed = (code: string, message: string, details?: Record<string, unknown>): WorkflowRest => ({
  kind: 'finished',
  status: 'failed',
  output: null,
  error: { code, category: 'user', message, ...(details ? { details } : {}) },
});

/** The state of each execution key, from the run's node steps. */
export function stateOf(steps: readonly StepRow[]): Map<string, ExecutionState> {
  const state = new Map<string, ExecutionState>();
  for (const s of steps) {
    if (s.kind !== 'node' || !s.stepKey.startsWith('node:')) continue;
    const key = s.stepKey.slice(5);
    const e = (s.output ?? {}) as Envelope;
    if (s.status === 'succeeded') state.set(key, { status: 'succeeded', output: e.output ?? null, ...(e.handle ? { handle: e.handle } : {}), ...(e.finishedAt ? { finishedAt: e.finishedAt } : {}) });
    else if (s.status === 'failed') state.set(key, { status: 'failed', error: { message: 'failed', ...(e.error ?? {}) } as never, attempts: e.attempts ?? 1, finishedAt: e.finishedAt ?? 0 });
    else if (s.status === 'waiting' && e.wait) state.set(key, { status: 'waiting', on: e.wait, attempt: e.attempt ?? 1 });
    else if (s.status === 'skipped') state.set(key, { status: 'skipped' });
    else state.set(key, { status: 'running', attempt: e.attempt ?? (e.attempts ? e.attempts + 1 : 1), ...(e.items ? { items: e.items } : {}) });
  }
  return state;
}

/** One claim's work on one workflow run. */
class Execution {
  private readonly state: Map<string, ExecutionState>;
  private seq: number;
  private readonly started = new Set<string>();
  private readonly deadline: number;
  private scopeBase: Pick<ExpressionScope, 'input' | 'run' | 'env'> | null = null;

  constructor(
    private readonly runner: WorkflowRunner,
    private readonly host: WorkflowHost,
    private readonly definition: WorkflowDefinition,
    private readonly compiled: CompiledWorkflow,
  ) {
    this.state = stateOf(host.steps);
    for (const s of host.steps) this.started.add(s.stepKey);
    this.seq = host.nextSeq;
    // A limited workflow's run counts its time from when it got its place.
    const startedAt = (host.run.admittedAt ?? host.run.startedAt ?? host.run.createdAt).getTime();
    const limit = definition.settings.timeoutSeconds;
    this.deadline = limit === undefined ? Infinity : startedAt + limit * 1000;
  }

  async go(): Promise<WorkflowRest> {
    const { host } = this;
    await this.refreshWaits();
    for (let rounds = 0; ; rounds++) {
      if (host.signal.aborted) throw abortStop(host.signal);
      host.writer.check();
      if (Date.now() >= this.deadline) {
        await this.abandonAll();
        return failed('timeout', `The workflow ran longer than its time limit (settings.timeoutSeconds: ${this.definition.settings.timeoutSeconds})`);
      }
      const now = Date.now();
      const p = plan(this.compiled, this.state, now);
      let changed = false;
      for (const key of p.skip) {
        this.store(key, { status: 'skipped' });
        changed = true;
      }
      for (const s of p.settle) {
        this.store(s.key, s.status === 'succeeded' ? { status: 'succeeded', output: s.output, finishedAt: now } : { status: 'failed', error: s.error, attempts: s.attempts, finishedAt: now });
        changed = true;
      }
      if (p.abandon.length) {
        await this.abandon(p.abandon);
        changed = true;
      }
      for (const ev of p.evaluate) {
        try {
          const value = await evaluateExpression(ev.expression, await this.scope(ev.scope), { nodeId: ev.mapKey.split('[')[0]!.split('.').pop()!, path: 'config.result' });
          this.store(ev.key, { status: 'succeeded', output: value ?? null, finishedAt: Date.now() });
        } catch (err) {
          this.store(ev.key, { status: 'failed', error: nodeError(err), attempts: 1, finishedAt: Date.now() });
        }
        changed = true;
      }
      if (p.done) {
        // The results sent so far ride with the run's final write (the writer keeps the order).
        if (p.done.status === 'succeeded') return { kind: 'finished', status: 'succeeded', output: p.done.output, error: null };
        const e = p.done.error;
        return failed(e.code ?? 'node_failed', `Node \`${e.nodeId}\` failed${e.attempts > 1 ? ` after ${e.attempts} attempts` : ''}: ${e.message}`, { ...e });
      }
      const due = [
        ...p.ready.map((r) => ({ key: r.key, node: r.node, attempt: r.attempt, resumed: r.resumed, scope: r.scope, arrivals: r.arrivals })),
        ...p.retry.filter((r) => r.notBefore <= now).map((r) => ({ key: r.key, node: r.node, attempt: r.attempt, resumed: false, scope: r.scope, arrivals: undefined })),
      ];
      if (due.length) {
        if (host.signal.aborted) throw abortStop(host.signal);
        await Promise.all(due.map((d) => this.execute(d.key, d.node, d.attempt, d.resumed, d.scope, d.arrivals)));
        continue;
      }
      if (changed) continue;
      if (!p.waiting) throw new Error(`workflow run ${host.run.id}: the plan has nothing to do and nothing to wait for (round ${rounds})`);
      return this.park(p.wakeAt);
    }
  }

  /** The expression scope of an execution: the run's input, run and env, with the plan's upstream outputs. */
  private async scope(p: PlanScope): Promise<ExpressionScope> {
    if (!this.scopeBase) {
      const { run } = this.host;
      this.scopeBase = {
        input: run.input,
        run: { id: run.id, workflowId: run.workflowId!, version: run.workflowVersion!, startedAt: (run.startedAt ?? run.createdAt).toISOString() },
        env: { org: { id: run.orgId, name: await this.runner.orgName(run.orgId, () => this.host.orgName()) } },
      };
    }
    return { ...this.scopeBase, ...p };
  }

  private env(key: string, attempt: number, resumed: boolean, arrivals?: Record<string, unknown>): NodeEnv {
    return { host: this.host, stepKey: `node:${key}`, key, attempt, resumed, arrivals, currentVersion: (id) => this.runner.currentVersion(this.host.run.orgId, id) };
  }

  private async execute(key: string, node: WorkflowNode, attempt: number, resumed: boolean, planScope: PlanScope, arrivals?: Record<string, unknown>) {
    const stepKey = `node:${key}`;
    const t0 = Date.now();
    const first = !this.started.has(stepKey);
    this.started.add(stepKey);
    const start: Write = {
      start: [{ seq: this.seq++, stepKey, kind: 'node', ...(node.type === 'tool' ? { toolName: (node.config as { tool: string }).tool } : {}), input: { nodeId: node.id, type: node.type, attempt }, status: 'started' }],
      events: [{ type: 'node.started', data: { key, nodeId: node.id, type: node.type, attempt } }],
    };
    // Side effects wait for their record; pure nodes ride with the next write.
    const sideEffect = node.type === 'agent' || node.type === 'sub_workflow' || node.type === 'approval' || node.type === 'tool';
    if (first || attempt > 1 || !resumed) {
      if (sideEffect) await this.host.writer.commit({ ...start, durable: node.type === 'tool' });
      else void this.host.writer.send(start, { hold: true });
    }
    let result: NodeResult;
    try {
      result = await startNode(node, await this.scope(planScope), this.env(key, attempt, resumed, arrivals));
    } catch (err) {
      if (this.host.signal.aborted) throw abortStop(this.host.signal);
      result = { status: 'failed', error: nodeError(err), attempts: attempt, finishedAt: Date.now() };
    }
    this.store(key, result, Date.now() - t0, node);
  }

  /** Stores an execution's new state: in memory for the next plan, and as its step (sent, not awaited). */
  private store(key: string, st: ExecutionState, latencyMs?: number, node?: WorkflowNode) {
    const before = this.state.get(key);
    this.state.set(key, st);
    const stepKey = `node:${key}`;
    const n = node ?? nodeOfKey(this.compiled, key)?.node;
    const nodeId = n?.id ?? key;
    const events: NewEvent[] = [];
    let envelope: Envelope;
    let status: 'succeeded' | 'failed' | 'waiting' | 'skipped' | 'started';
    switch (st.status) {
      case 'succeeded':
        // A map keeps its items: what its items' nodes received (GET /runs/:id/nodes `input`).
        envelope = { output: st.output, ...(st.handle ? { handle: st.handle } : {}), ...(before?.status === 'running' && before.items ? { items: before.items } : {}), finishedAt: st.finishedAt ?? Date.now() };
        status = 'succeeded';
        events.push({ type: 'node.finished', data: { key, nodeId, output: st.output as never, ...(latencyMs === undefined ? {} : { durationMs: latencyMs }) } });
        break;
      case 'failed':
        envelope = { error: st.error, attempts: st.attempts, finishedAt: st.finishedAt };
        status = 'failed';
        events.push({ type: 'node.failed', data: { key, nodeId, error: st.error as never, attempts: st.attempts } });
        break;
      case 'waiting':
        envelope = { wait: st.on, attempt: st.attempt };
        status = 'waiting';
        events.push({ type: 'node.waiting', data: { key, nodeId, on: st.on as never } });
        break;
      case 'skipped':
        envelope = {};
        status = 'skipped';
        break;
      case 'running':
        envelope = { attempt: st.attempt, ...(st.items ? { items: st.items } : {}) };
        status = 'started';
        break;
    }
    const w: Write = {
      finish: [{ stepKey, status, output: envelope, ...(st.status === 'failed' ? { error: { code: String(st.error.code ?? 'node_failed'), category: 'user', message: st.error.message } } : {}), ...(latencyMs === undefined ? {} : { latencyMs }) }],
      events,
    };
    if (!this.started.has(stepKey)) {
      this.started.add(stepKey);
      w.start = [{ seq: this.seq++, stepKey, kind: 'node', input: { nodeId, type: n?.type ?? 'item' }, status: 'started' }];
    }
    void this.host.writer.send(w, { hold: true });
  }

  /** Waits whose end may have come while the run was parked (or on its way to park): child runs, decisions. */
  private async refreshWaits() {
    const runs: [string, Wait & { kind: 'run' }][] = [];
    const approvals: [string, Wait & { kind: 'approval' }][] = [];
    for (const [key, st] of this.state) {
      if (st.status !== 'waiting') continue;
      if (st.on.kind === 'run') runs.push([key, st.on]);
      else if (st.on.kind === 'approval') approvals.push([key, st.on]);
    }
    if (runs.length === 0 && approvals.length === 0) return;
    const [children, decisions] = await Promise.all([this.host.children(runs.map(([, w]) => w.runId)), this.host.approvals(approvals.map(([, w]) => w.approvalId))]);
    const ended: { key: string; on: Wait; end: Parameters<typeof resumeNode>[4] }[] = [];
    const late: [string, string][] = [];
    for (const [key, on] of runs) {
      const child = children.get(on.runId);
      if (child?.finished) ended.push({ key, on, end: { kind: 'run', child } });
      else if ((on as { deadline?: number }).deadline! <= Date.now()) late.push([key, on.runId]);
    }
    // Past the node's own time limit: the child is given up, the node fails (its policy decides what next).
    for (const [key] of late) {
      const cn = nodeOfKey(this.compiled, key);
      const st = this.state.get(key) as ExecutionState & { status: 'waiting' };
      this.store(key, { status: 'failed', error: { code: 'node_timeout', message: `node \`${cn?.id ?? key}\` took longer than its time limit (timeoutSeconds: ${cn?.node.timeoutSeconds})` }, attempts: st.attempt ?? 1, finishedAt: Date.now() }, undefined, cn?.node);
    }
    if (late.length) {
      await this.host.writer.flush();
      await this.host.abandon(late.map(([, id]) => id), []);
    }
    for (const [key, on] of approvals) {
      const a = decisions.get(on.approvalId);
      const until = (on as { until?: number }).until;
      if (a && (a.status !== 'pending' || (until !== undefined && until <= Date.now()))) ended.push({ key, on, end: { kind: 'approval', approval: a } });
    }
    await Promise.all(
      ended.map(async ({ key, on, end }) => {
        const cn = nodeOfKey(this.compiled, key);
        if (!cn) return;
        const st = this.state.get(key) as ExecutionState & { status: 'waiting' };
        const attempt = st.attempt ?? 1;
        const t0 = Date.now();
        let result: NodeResult | null;
        try {
          result = await resumeNode(cn.node, on, await this.scope(this.scopeOf(key)), this.env(key, attempt, false), end);
        } catch (err) {
          result = { status: 'failed', error: nodeError(err), attempts: attempt, finishedAt: Date.now() };
        }
        if (result) this.store(key, result, Date.now() - t0, cn.node);
      }),
    );
  }

  /** A waiting execution's scope, for finishing it: the plan gives scopes only to what it plans, so this asks it as if the node were ready. */
  private scopeOf(key: string): PlanScope {
    const saved = this.state.get(key)!;
    this.state.set(key, { status: 'running', attempt: 1 });
    try {
      const p = plan(this.compiled, this.state, Date.now());
      return p.ready.find((r) => r.key === key)?.scope ?? { nodes: {} };
    } finally {
      this.state.set(key, saved);
    }
  }

  private async abandon(keys: string[]) {
    const children: string[] = [];
    const approvals: string[] = [];
    for (const key of keys) {
      const st = this.state.get(key);
      if (st?.status === 'waiting' && st.on.kind === 'run') children.push(st.on.runId);
      if (st?.status === 'waiting' && st.on.kind === 'approval') approvals.push(st.on.approvalId);
      this.store(key, { status: 'skipped' });
    }
    await this.host.writer.flush();
    if (children.length || approvals.length) await this.host.abandon(children, approvals);
  }

  private async abandonAll() {
    await this.abandon([...this.state].filter(([, st]) => st.status === 'waiting' || st.status === 'running').map(([k]) => k));
  }

  /** Parks the run on what its executions wait for; back to queued at once when one of them already ended. */
  private async park(wakeAt: number | null): Promise<WorkflowRest> {
    const children: string[] = [];
    const approvals: string[] = [];
    let wake = wakeAt ?? Infinity;
    for (const st of this.state.values()) {
      if (st.status !== 'waiting') continue;
      if (st.on.kind === 'run') {
        children.push(st.on.runId);
        const deadline = (st.on as { deadline?: number }).deadline;
        if (deadline !== undefined) wake = Math.min(wake, deadline);
      }
      if (st.on.kind === 'approval') {
        approvals.push(st.on.approvalId);
        const until = (st.on as { until?: number }).until;
        if (until !== undefined) wake = Math.min(wake, until);
      }
    }
    wake = Math.min(wake, this.deadline);
    const waitingOn = { timers: wakeAt, runs: children.length, approvals: approvals.length };
    const r = await this.host.writer.parkWorkflow(
      { events: [{ type: 'run.waiting', data: { status: 'waiting', waitingOn } }], patch: { status: 'waiting', wakeAt: wake === Infinity ? null : new Date(wake), release: true } },
      { events: [{ type: 'run.released', data: { reason: 'wait_ended' } }], patch: { status: 'queued', wakeAt: null, release: true } },
      children,
      approvals,
    );
    return { kind: 'parked', wakeAt: wake === Infinity ? null : wake, requeued: r.requeued };
  }
}

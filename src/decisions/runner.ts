import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { agentToolsOf } from '../agents/lookups.js';
import type { ClassificationRule } from '../models/classify.js';
import { abortStop } from '../runs/engine/context.js';
import type { ApprovalState, ChildRunState, WorkflowHost, WorkflowRest, WorkflowRunnerPort } from '../runs/engine/ports.js';
import type { StepRow, Write } from '../runs/store.js';
import { jsonInText } from '../workflows/engine/json-values.js';
import { renderTemplatedJson } from '../workflows/expressions.js';
import { ActionProblem, availableActions, toolCallsOf, type ToolCall } from './actions.js';
import { actionSchema, decisionBodySchema, type ActionResult, type DecisionAction, type DecisionBody } from './dto.js';
import type { ActionType, DecisionSource, DecisionStatus } from './enums.js';
import { allowedActions, judge, type EffectivePolicy, type PolicyVerdict } from './policy.js';
import { checkAnswer, decisionTask, type DecisionContext } from './prompt.js';
import { rulesDecision } from './rules.js';
import { decisions } from './schema.js';
import { ensureDecision, policyFor, recentActions, updateDecision, type DecisionRow, type DecisionRunInput } from './store.js';

/** How many times a decision's answer is asked for again with the validation problem before the rules decide. */
export const DECISION_REPAIRS = 2;

/** What the decision engine needs from the modules around it (app.ts wires them). */
export interface DecisionRunnerDeps {
  database: Database;
  /** The organization's classification rules (the rule fallback). */
  rules(orgId: string): Promise<ClassificationRule[]>;
  /** Pipelines, staff with load, calendars, recent related events: what the model is shown. */
  context(orgId: string, d: { agentId: string; input: DecisionRunInput['input']; decisionId: string }): Promise<DecisionContext>;
  /** A staff member or user by id: whom a notification reaches. */
  person(orgId: string, id: string): Promise<{ userId: string | null; email: string | null; name: string } | null>;
}

/** A step's state as the decision engine keeps it (`node:<name>`, output an envelope as workflow nodes'). */
interface Envelope {
  output?: unknown;
  wait?: { kind: 'run'; runId: string; repair: number } | { kind: 'approval'; approvalId: string };
  error?: { code: string; message: string };
}

interface StepState {
  status: StepRow['status'];
  env: Envelope;
}

interface Decided {
  decision: DecisionBody;
  source: DecisionSource;
  raw?: string | null;
  modelError?: string | null;
}

/**
 * Runs decision runs (issue 16; docs/decision-engine.md): a run with source `decision` and no agent
 * of its own, on the run engine's claim, lease, parking and cancel. Its steps, in order:
 * - `node:decide`: a child run of the agent with the decision task; its answer is parsed and
 *   checked (asked again with the problem up to DECISION_REPAIRS times, each a new child run);
 * - `node:fallback`: the rules decide when the model could not (its run failed, or the answer
 *   stayed invalid);
 * - `node:policy`: the policy's verdict (execute, ask, reject), judged once;
 * - `node:approval`: a person, when asked (the approvals inbox and the decisions inbox);
 * - `node:action_<i>_<j>`: each action's tool calls, one step each, in order; a call that must not
 *   happen twice is recorded before it is made, and one found started after a crash asks a person;
 * - `node:notify_priority`, `node:notify_failure`: the policy's notices.
 * The `decisions` row is the decision's record, written as each step settles.
 */
export class DecisionRunner implements WorkflowRunnerPort {
  constructor(private readonly deps: DecisionRunnerDeps) {}

  admit(): Promise<'unlimited'> {
    return Promise.resolve('unlimited');
  }

  async run(host: WorkflowHost): Promise<WorkflowRest> {
    return new DecisionExecution(this.deps, host).go();
  }
}

class DecisionExecution {
  private readonly steps = new Map<string, StepState>();
  private seq: number;
  private row!: DecisionRow;
  private policy!: EffectivePolicy;
  private readonly orgId: string;

  constructor(
    private readonly deps: DecisionRunnerDeps,
    private readonly host: WorkflowHost,
  ) {
    for (const s of host.steps) if (s.kind === 'node') this.steps.set(s.stepKey, { status: s.status, env: (s.output ?? {}) as Envelope });
    this.seq = host.nextSeq;
    this.orgId = host.run.orgId;
  }

  async go(): Promise<WorkflowRest> {
    const { host } = this;
    const input = host.run.input as unknown as DecisionRunInput;
    this.row = await ensureDecision(this.deps.database, this.orgId, host.run.id, input);
    this.policy = await policyFor(this.deps.database, this.orgId, this.row.agentId, this.row.decisionType);

    // 1. The model decides (or the rules).
    const decided = await this.decide();
    if (decided === 'waiting') return this.park();
    if (decided === 'failed') return this.end('failed', { code: 'no_decision', message: 'Neither the model nor the rules could decide' });

    // 2. The policy's verdict, once.
    const verdict = await this.verdict(decided);
    if (decided.decision.urgency >= 4 && this.policy.notifyOnHighPriority) {
      const r = await this.call('notify_priority', {
        tool: 'notify_staff',
        args: { title: `High priority: ${decided.decision.intent}`.slice(0, 200), body: `${decided.decision.reasoning}\n\nDecision ${this.row.id} (${verdict.outcome})`.slice(0, 5000), level: 'urgent' },
      });
      if (r === 'waiting') return this.park();
    }
    if (verdict.outcome === 'reject') return this.end('rejected', null);

    // 3. A person, when the policy asks for one.
    let actions = decided.decision.actions;
    if (verdict.outcome === 'ask') {
      const a = await this.approval(decided, verdict);
      if (a === 'waiting') return this.park();
      if (!a.approved) return this.end('rejected', null);
      actions = a.actions;
    }

    // 4. The actions, in order; the first that fails stops the rest.
    const results: ActionResult[] = [];
    let failure: { code: string; message: string } | null = null;
    for (const [i, action] of actions.entries()) {
      if (failure) {
        results.push({ type: action.type, status: 'skipped', tool: null, error: null });
        continue;
      }
      const r = await this.action(i, action, decided, results);
      if (r === 'waiting') {
        await this.record({ actionResults: results });
        return this.park();
      }
      results.push(r);
      if (r.status === 'failed') failure = r.error ?? { code: 'action_failed', message: `${action.type} failed` };
    }
    if (failure) {
      if (this.policy.notifyOnFailure) {
        const body = `${failure.message}\n\nDecision ${this.row.id}: ${decided.decision.intent}`.slice(0, 5000);
        const calls: ToolCall[] = [{ tool: 'notify_staff', args: { title: `A decision failed: ${decided.decision.intent}`.slice(0, 200), body, level: 'warning' } }];
        if (this.policy.escalationEmail) calls.push({ tool: 'send_email', args: { to: this.policy.escalationEmail, subject: `A decision failed: ${decided.decision.intent}`.slice(0, 500), text: body } });
        for (const [j, c] of calls.entries()) if ((await this.call(`notify_failure_${j}`, c)) === 'waiting') return this.park();
      }
      return this.end('failed', { code: 'action_failed', message: failure.message }, results);
    }
    return this.end('executed', null, results);
  }

  // --- 1. deciding --------------------------------------------------------------------------

  private async decide(): Promise<Decided | 'waiting' | 'failed'> {
    const fb = this.steps.get('node:fallback');
    if (fb?.status === 'succeeded') return fb.env.output as Decided;
    const st = this.steps.get('node:decide');
    if (st?.status === 'succeeded') return st.env.output as Decided;
    const agent = await this.deps.database.readOrg(this.orgId, (tx) => agentToolsOf(tx, this.orgId, this.row.agentId));
    const allowed = allowedActions(this.policy, availableActions(agent?.tools ?? [], (t) => this.host.tools.get(t) !== undefined));
    let modelError: string | null = st?.status === 'failed' ? (st.env.error?.message ?? 'the model could not decide') : null;
    let raw: string | null = null;
    if (!st) {
      if (!agent || agent.deleted) modelError = 'the agent does not exist';
      else if (!this.policy.enabled) modelError = 'decisions by the model are turned off in the policy';
      else {
        const task = decisionTask({
          orgName: await this.host.orgName(),
          now: new Date(),
          input: this.row.input,
          context: await this.deps.context(this.orgId, { agentId: this.row.agentId, input: this.row.input, decisionId: this.row.id }),
          instructions: this.policy.instructions,
          allowed,
        });
        await this.record({ prompt: task });
        return this.startModel(task, 0);
      }
    } else if (st.status === 'waiting' && st.env.wait?.kind === 'run') {
      const { runId, repair } = st.env.wait;
      const child = (await this.host.children([runId])).get(runId);
      if (!child?.finished) return 'waiting';
      const out = this.checkChild(child, new Set(allowed));
      raw = child.output ?? null;
      if (out.ok) {
        const decided: Decided = { decision: out.decision, source: 'model', raw };
        this.store('decide', 'succeeded', { output: decided });
        return decided;
      }
      if (out.retry && repair < DECISION_REPAIRS) {
        await this.record({ rawResponse: raw });
        return this.startModel(`${this.row.prompt ?? ''}\n\nYour previous answer did not fit: ${out.problem}. Answer again.`, repair + 1);
      }
      modelError = out.problem;
      this.store('decide', 'failed', { error: { code: out.retry ? 'output_invalid' : 'model_failed', message: out.problem } });
    }
    // The rules decide: the model is down, refused, or its answer stayed invalid.
    const decision = await rulesDecision(this.row.input.data, await this.deps.rules(this.orgId), this.policy, (a) => this.renderFallback(a));
    const decided: Decided = { decision, source: 'rules', raw, modelError };
    this.store('fallback', 'succeeded', { output: decided });
    return decided;
  }

  private async startModel(task: string, repair: number): Promise<'waiting'> {
    await this.host.writer.flush();
    const runId = await this.host.startChild({ key: `decide#${repair}`, agentId: this.row.agentId, source: 'decision', input: { task, context: { decisionId: this.row.id } } });
    this.store('decide', 'waiting', { wait: { kind: 'run', runId, repair } });
    return 'waiting';
  }

  private checkChild(child: ChildRunState, allowed: ReadonlySet<ActionType>): { ok: true; decision: DecisionBody } | { ok: false; retry: boolean; problem: string } {
    if (child.status !== 'succeeded') return { ok: false, retry: false, problem: `the model's run ${child.status}${child.error ? `: ${child.error.code}: ${child.error.message}` : ''}` };
    const value = child.result ?? jsonInText(child.output ?? '');
    const r = checkAnswer(value, allowed, (v) => decisionBodySchema.safeParse(v) as never);
    return r.ok ? r : { ok: false, retry: true, problem: r.problem };
  }

  /** The policy's fallback actions, their strings rendered over the input (`{{ input.data.name }}`, `{{ event.email }}`). */
  private async renderFallback(actions: DecisionAction[]): Promise<DecisionAction[]> {
    const { run } = this.host;
    const scope = {
      input: this.row.input,
      event: this.row.input.data,
      nodes: {},
      run: { id: run.id, workflowId: '', version: 0, startedAt: (run.startedAt ?? run.createdAt).toISOString() },
      env: { org: { id: this.orgId, name: '' } },
    };
    const out: DecisionAction[] = [];
    for (const [i, a] of actions.entries()) {
      const params = await renderTemplatedJson(a.params, scope, { nodeId: null, path: `fallbackRules.actions[${i}].params` });
      const parsed = actionSchema.safeParse({ type: a.type, params });
      if (parsed.success) out.push(parsed.data);
    }
    return out;
  }

  // --- 2. the policy ------------------------------------------------------------------------

  private async verdict(d: Decided): Promise<PolicyVerdict> {
    const st = this.steps.get('node:policy');
    if (st?.status === 'succeeded') return st.env.output as PolicyVerdict;
    // Counted and recorded under a lock per agent, so two decisions at once cannot both take the last place of a rate limit.
    const verdict = await this.deps.database.withOrg(this.orgId, async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`troupe:decision-rate:${this.row.agentId}`}))`);
      const recent = this.policy.maxActionsPerMinute !== null || this.policy.maxActionsPerHour !== null ? await recentActions(tx, this.orgId, this.row.agentId, this.row.id) : { minute: 0, hour: 0 };
      const v = judge({ ...d.decision, source: d.source }, this.policy, recent);
      // `awaiting_approval` only once the approval exists (approval()), so a reader of the record always finds it.
      const status: DecisionStatus = v.outcome === 'reject' ? 'rejected' : 'pending';
      await tx
        .update(decisions)
        .set({
          source: d.source,
          intent: d.decision.intent,
          urgency: d.decision.urgency,
          confidence: d.decision.confidence,
          reasoning: d.decision.reasoning,
          rawResponse: d.raw ?? null,
          parsed: d.decision,
          modelError: d.modelError ?? null,
          proposedActions: d.decision.actions,
          actions: d.decision.actions,
          outcome: v.outcome,
          outcomeReason: v.reason,
          status,
          decidedAt: sql`coalesce(${decisions.decidedAt}, now())`,
          ...(v.outcome === 'ask' ? {} : { resolvedAt: sql`now()`, decidedBy: { type: 'policy' as const, id: this.policy.id } }),
          updatedAt: sql`now()`,
        })
        .where(and(eq(decisions.orgId, this.orgId), eq(decisions.id, this.row.id)));
      return v;
    });
    this.store('policy', 'succeeded', { output: verdict });
    return verdict;
  }

  // --- 3. a person --------------------------------------------------------------------------

  private async approval(d: Decided, verdict: PolicyVerdict): Promise<{ approved: boolean; actions: DecisionAction[] } | 'waiting'> {
    const st = this.steps.get('node:approval');
    if (st?.status === 'succeeded') return st.env.output as { approved: boolean; actions: DecisionAction[] };
    if (!st) {
      this.start('approval', 'approval');
      await this.host.writer.flush();
      const args = { decisionId: this.row.id, intent: d.decision.intent, urgency: d.decision.urgency, confidence: d.decision.confidence, source: d.source, reasoning: d.decision.reasoning, actions: d.decision.actions, why: verdict.reason };
      const approvalId = await this.host.requestApproval({ stepKey: 'node:approval', toolName: 'decision', args, reason: 'decision', approverRole: this.policy.approverRole });
      await this.record({ approvalId, status: 'awaiting_approval' });
      this.store('approval', 'waiting', { wait: { kind: 'approval', approvalId } });
      return 'waiting';
    }
    const wait = st.env.wait;
    if (wait?.kind !== 'approval') throw new Error(`decision ${this.row.id}: its approval step has no approval`);
    const a = (await this.host.approvals([wait.approvalId])).get(wait.approvalId);
    if (!a || a.status === 'pending') return 'waiting';
    const decidedBy = decider(a);
    const edited = Array.isArray((a.response as { actions?: unknown } | null)?.actions);
    const actions = a.status === 'approved' && edited ? ((a.response as { actions: DecisionAction[] }).actions) : d.decision.actions;
    const out = { approved: a.status === 'approved', actions, edited, decidedBy, comment: a.comment };
    await this.record({
      status: a.status === 'approved' ? 'approved' : 'rejected',
      actions,
      actionsEdited: edited,
      decidedBy,
      comment: a.comment,
      resolvedAt: new Date(),
    });
    this.store('approval', 'succeeded', { output: out });
    return out;
  }

  // --- 4. actions ---------------------------------------------------------------------------

  private async action(i: number, action: DecisionAction, d: Decided, previous: ActionResult[]): Promise<ActionResult | 'waiting'> {
    let calls: ToolCall[];
    try {
      calls = await toolCallsOf(action, {
        decisionId: this.row.id,
        intent: d.decision.intent,
        urgency: d.decision.urgency,
        input: this.row.input,
        eventId: this.row.eventId,
        policy: this.policy,
        previous,
        person: (id) => this.deps.person(this.orgId, id),
      });
    } catch (err) {
      const e = err instanceof ActionProblem ? { code: err.code, message: err.message } : { code: 'invalid_action', message: (err as Error).message };
      return { type: action.type, status: 'failed', tool: null, error: e };
    }
    let last: ActionResult = { type: action.type, status: 'succeeded', tool: null, output: null, error: null };
    for (const [j, c] of calls.entries()) {
      const r = await this.call(`action_${i}_${j}`, c);
      if (r === 'waiting') return 'waiting';
      last = { type: action.type, tool: c.tool, ...r };
      if (r.status !== 'succeeded') break;
    }
    return last;
  }

  /**
   * One tool call as a step, once: its outcome when it has one; otherwise the call (recorded first
   * when it must not happen twice). A non-repeatable call found started (a crash came mid-call)
   * asks a person whether to make it again.
   */
  private async call(name: string, c: ToolCall): Promise<{ status: 'succeeded' | 'failed' | 'skipped'; output?: unknown; error: { code: string; message: string } | null } | 'waiting'> {
    const key = `node:${name}`;
    const st = this.steps.get(key);
    if (st?.status === 'succeeded') return { status: 'succeeded', output: st.env.output, error: null };
    if (st?.status === 'failed') return { status: 'failed', error: st.env.error ?? { code: 'action_failed', message: 'failed' } };
    if (st?.status === 'skipped') return { status: 'skipped', error: st.env.error ?? null };
    const { host } = this;
    const def = host.tools.get(c.tool);
    if (!def) return this.settle(name, { status: 'failed', error: { code: 'unknown_tool', message: `There is no tool named ${c.tool} in this install` } });
    const retryable = def.idempotent || def.keyedByCall === true;
    let approved = false;
    if (st?.status === 'waiting' && st.env.wait?.kind === 'approval') {
      const a = (await host.approvals([st.env.wait.approvalId])).get(st.env.wait.approvalId);
      if (!a || a.status === 'pending') return 'waiting';
      if (a.status === 'rejected') return this.settle(name, { status: 'skipped', error: { code: 'rejected', message: `A person chose not to repeat ${c.tool}${a.comment ? `: ${a.comment}` : ''}` } });
      approved = true;
    } else if (st && !retryable) {
      // Started before, its end unknown: a person says whether to make it again.
      await host.writer.flush();
      const approvalId = await host.requestApproval({ stepKey: key, toolName: c.tool, args: c.args, reason: 'interrupted' });
      this.store(name, 'waiting', { wait: { kind: 'approval', approvalId } });
      return 'waiting';
    }
    if (!st) this.start(name, 'tool', c.tool);
    if (!retryable && !approved) await host.writer.flush();
    if (host.signal.aborted) throw abortStop(host.signal);
    const t0 = Date.now();
    const out = await host.tools.execute(c.tool, c.args, {
      orgId: this.orgId,
      agentId: this.row.agentId,
      runId: host.run.id,
      // Unique across decisions: receivers dedupe send_webhook's x-troupe-delivery by it.
      toolCallId: `decision:${host.run.id}:${name}`,
      signal: host.signal,
      database: host.database,
      config: host.config,
      logger: host.logger,
    });
    if (host.signal.aborted) throw abortStop(host.signal);
    return this.settle(name, out.ok ? { status: 'succeeded', output: out.output, error: null } : { status: 'failed', error: { code: out.error.code, message: out.error.message } }, Date.now() - t0);
  }

  private settle<T extends { status: 'succeeded' | 'failed' | 'skipped'; output?: unknown; error: { code: string; message: string } | null }>(name: string, r: T, latencyMs?: number): T {
    this.store(name, r.status, r.status === 'succeeded' ? { output: r.output ?? null } : { error: r.error ?? undefined }, latencyMs);
    return r;
  }

  // --- the record and the run ---------------------------------------------------------------

  private async record(patch: Parameters<typeof updateDecision>[3]) {
    await updateDecision(this.deps.database, this.orgId, this.row.id, patch);
    Object.assign(this.row, patch);
  }

  private start(name: string, type: string, toolName?: string) {
    const stepKey = `node:${name}`;
    this.steps.set(stepKey, { status: 'started', env: {} });
    void this.host.writer.send(
      {
        start: [{ seq: this.seq++, stepKey, kind: 'node', ...(toolName ? { toolName } : {}), input: { nodeId: name, type }, status: 'started' }],
        events: [{ type: 'node.started', data: { key: name, nodeId: name, type } }],
      },
      { hold: true },
    );
  }

  /** A step's new state: in memory, and written (sent; the park or the run's end waits for it). */
  private store(name: string, status: 'succeeded' | 'failed' | 'waiting' | 'skipped', env: Envelope, latencyMs?: number) {
    const stepKey = `node:${name}`;
    const before = this.steps.get(stepKey);
    this.steps.set(stepKey, { status, env });
    const w: Write = {
      finish: [
        {
          stepKey,
          status,
          output: env,
          ...(status === 'failed' && env.error ? { error: { code: env.error.code, category: 'user', message: env.error.message } } : {}),
          ...(latencyMs === undefined ? {} : { latencyMs }),
        },
      ],
      events: [
        status === 'succeeded'
          ? { type: 'node.finished', data: { key: name, nodeId: name, output: (env.output ?? null) as never } }
          : status === 'failed'
            ? { type: 'node.failed', data: { key: name, nodeId: name, error: env.error as never } }
            : status === 'waiting'
              ? { type: 'node.waiting', data: { key: name, nodeId: name, on: env.wait as never } }
              : { type: 'node.finished', data: { key: name, nodeId: name, skipped: true } },
      ],
    };
    if (!before) w.start = [{ seq: this.seq++, stepKey, kind: 'node', input: { nodeId: name, type: name.replace(/_\d+.*$/, '') }, status: 'started' }];
    void this.host.writer.send(w, { hold: true });
  }

  private async park(): Promise<WorkflowRest> {
    const children: string[] = [];
    const approvals: string[] = [];
    for (const s of this.steps.values()) {
      if (s.status !== 'waiting') continue;
      if (s.env.wait?.kind === 'run') children.push(s.env.wait.runId);
      if (s.env.wait?.kind === 'approval') approvals.push(s.env.wait.approvalId);
    }
    const r = await this.host.writer.parkWorkflow(
      { events: [{ type: 'run.waiting', data: { status: 'waiting', waitingOn: { runs: children.length, approvals: approvals.length } } }], patch: { status: 'waiting', wakeAt: null, release: true } },
      { events: [{ type: 'run.released', data: { reason: 'wait_ended' } }], patch: { status: 'queued', wakeAt: null, release: true } },
      children,
      approvals,
    );
    return { kind: 'parked', wakeAt: null, requeued: r.requeued };
  }

  private async end(status: 'executed' | 'rejected' | 'failed', error: { code: string; message: string } | null, results?: ActionResult[]): Promise<WorkflowRest> {
    await this.host.writer.flush();
    await this.record({ status, error, finishedAt: new Date(), ...(results ? { actionResults: results } : {}) });
    const output = { decisionId: this.row.id, status, intent: this.row.intent, confidence: this.row.confidence, outcome: this.row.outcome, actionResults: results ?? [] };
    if (status === 'failed') return { kind: 'finished', status: 'failed', output, error: { code: error?.code ?? 'decision_failed', category: 'user', message: error?.message ?? 'The decision failed' } };
    return { kind: 'finished', status: 'succeeded', output, error: null };
  }
}

function decider(a: ApprovalState): { type: 'user' | 'api_key'; id: string | null } | null {
  if (a.decidedBy) return { type: 'user', id: a.decidedBy };
  if (a.decidedByApiKeyId) return { type: 'api_key', id: a.decidedByApiKeyId };
  return null;
}

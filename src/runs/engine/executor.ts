import type { ModelMessage } from 'ai';
import { LeaseLostError, RunStop, toRunError } from '../errors.js';
import type { RunError } from '../schema.js';
import { isConversationSource } from '../enums.js';
import { DelayJob } from '../dispatch-port.js';
import { isConnectionLost } from '../../db/errors.js';
import { claimRun, handBack, type Claim } from '../claim.js';
import { LEASE_MS, RunWriter, type RunRow, type Write } from '../store.js';
import { cancelTree, workflowHost } from './workflow-host.js';
import { rateLimitWait } from './rate-limit.js';
import { abortReason, abortStop, type RunContext } from './context.js';
import { modelStep } from './model-step.js';
import type { EngineDeps } from './ports.js';
import { prepare, withSummary } from './prepare.js';
import { summaryStep } from './summary-step.js';
import { toolStep, toResultPart } from './tool-step.js';

/**
 * Executes runs: claims one, replays what its finished steps already did, and continues from
 * there until the model answers without tool calls, a limit stops it, or it needs a person.
 * One executor serves any number of runs at once; `stopAll` aborts them for a graceful shutdown
 * (each goes back to queued, for this or another worker to resume).
 */
export class RunExecutor {
  private readonly active = new Map<string, AbortController>();

  constructor(
    private readonly deps: EngineDeps,
    readonly workerId: string,
    /** Lease length (default 30 s); a heartbeat extends it every third of that while a run is active. */
    private readonly leaseMs = LEASE_MS,
  ) {}

  get activeCount() {
    return this.active.size;
  }

  /** Runs the run to its next resting state. Returns quietly when someone else holds it. */
  async execute(orgId: string, runId: string, signal?: AbortSignal): Promise<void> {
    const { deps } = this;
    if (this.draining) return;
    const claim = await claimRun(deps.database, orgId, runId, this.workerId, this.leaseMs);
    if (!claim) return;
    const { run } = claim;
    // Set when the run stopped to wait for approvals that were all decided meanwhile: it goes on at once.
    let again = false;
    const controller = new AbortController();
    const budget = { standing: claim.spend, unconfirmedMicros: 0 };
    const writer = new RunWriter(
      deps.database,
      claim.lease,
      claim.lastSeq,
      (r) => {
        for (const e of r.events) deps.bus.publish(runId, e);
        budget.unconfirmedMicros -= r.billedMicros;
        if (r.spend) budget.standing = r.spend;
        if (r.cancelRequested) controller.abort('canceled');
      },
      (err) => {
        if (err instanceof LeaseLostError) controller.abort('lease_lost');
      },
    );
    this.active.set(runId, controller);
    // The dispatcher's signal: its grace period is over, hand the run back now.
    const onStop = () => controller.abort('shutdown');
    signal?.addEventListener('abort', onStop, { once: true });
    // A cancel made in any process of the install reaches us here at once (the bus relays it,
    // decision 38) and aborts the in-flight model or tool call.
    const offCancel = deps.bus.onCancel(runId, () => controller.abort('canceled'));
    let timer: NodeJS.Timeout | undefined;
    // A parked workflow run's earliest timer: the job comes back then (DelayJob, after the finally).
    let wakeIn: number | null = null;
    // Keeps the lease while a long model or tool call writes nothing, so no other worker takes the
    // run over (and pays for the call again); also notices a cancel whose notice the relay lost.
    const heartbeat = setInterval(() => {
      writer.heartbeat().then(
        (beat) => beat.cancelRequested && controller.abort('canceled'),
        (err: unknown) => {
          if (err instanceof LeaseLostError) controller.abort('lease_lost');
        },
      );
    }, this.leaseMs / 3);
    try {
      // A workflow run: its engine carries it to its rest; the agent loop below is skipped.
      if (claim.agent === null) throw new WorkflowRested(await this.workflow(claim, writer, controller.signal));
      const agent = await agentOf(deps, claim.agent, run);
      const wait = await rateLimitWait(deps.database, run, agent.limits);
      if (wait > 0) throw new DelayJob(wait);
      // The deadline counts from the first start, so a resumed run does not get its time again.
      const startedAt = run.startedAt ?? new Date();
      const deadline = startedAt.getTime() + agent.limits.timeoutSeconds * 1000;
      timer = setTimeout(() => controller.abort('timeout'), Math.max(0, deadline - Date.now()));
      deps.events?.emit('run:started', { orgId, runId, agentId: agent.id, agentName: agent.name, source: run.source, queuedAt: run.createdAt, at: new Date(), resumed: claim.run.generation > 1 });
      void writer.send({
        events: [{ type: 'run.started', data: { runId, agentId: agent.id, generation: claim.lease.generation, resumed: claim.run.generation > 1 } }],
        audit: claim.run.generation === 1 ? [{ action: 'run.started', details: { agentId: agent.id, source: run.source } }] : undefined,
        patch: { deadlineAt: new Date(deadline) },
      }, { hold: true });
      const { steps } = claim;
      const ctx: RunContext = {
        deps,
        run,
        agent,
        writer,
        done: new Map(steps.map((s) => [s.stepKey, s])),
        signal: controller.signal,
        system: '',
        messages: [],
        produced: [],
        nextSeq: steps.reduce((m, s) => Math.max(m, s.seq), 0) + 1,
        totals: { inputTokens: 0, outputTokens: 0, costMicros: 0 },
        lastText: '',
        usedRulesModel: false,
        budget,
      };
      await this.begin(ctx, steps);
      await this.loop(ctx);
      await this.finish(ctx, 'succeeded', 'completed', null);
    } catch (err) {
      if (err instanceof WorkflowRested) {
        // A workflow run rested (finished, or parked): no failure.
        if (err.rest === 'requeued') again = true;
        else if (err.rest === 'full') {
          // Handed back untouched; tried again in 1-2 s, or at once when a place frees (wakeNextQueued).
          await handBack(deps.database, claim.lease);
          wakeIn = 1000 + Math.floor(Math.random() * 1000);
        } else wakeIn = err.rest;
      } else {
        if (err instanceof LeaseLostError || (controller.signal.aborted && abortReason(controller.signal) === 'lease_lost')) {
          deps.logger.warn({ runId }, 'lost the lease on a run; leaving it to its new owner');
          deps.events?.emit('run:released', { orgId, runId, reason: 'lease_lost', at: new Date() });
          return;
        }
        if (err instanceof DrainStop || (controller.signal.aborted && abortReason(controller.signal) === 'shutdown')) {
          await this.release(writer, 'shutdown').catch(() => {});
          deps.events?.emit('run:released', { orgId, runId, reason: 'shutdown', at: new Date() });
          return;
        }
        if (isConnectionLost(err)) {
          // The database went away under the run (a restart, a failover, a terminated backend): not
          // the run's fault. Hand it back if the database answers again, and fail the job so the
          // dispatcher retries it; if the database is still away, the lease lapses and the recovery
          // sweep dispatches the run again. Either way it resumes from its last recorded step.
          deps.logger.warn({ err, runId }, 'lost the database connection during a run; handing it back');
          await handBack(deps.database, claim.lease).catch(() => {});
          deps.events?.emit('run:released', { orgId, runId, reason: 'connection_lost', at: new Date() });
          throw err;
        }
        if (err instanceof DelayJob) {
          // The agent's own rate (limits.actionsPerMinute/Hour): back to queued, and the dispatcher
          // tries the job again once the window has room.
          await this.release(writer, 'rate_limited').catch(() => {});
          throw err;
        }
        const stop = err instanceof RunStop ? err : controller.signal.aborted ? abortStop(controller.signal) : null;
        const ctx = { deps, run, writer, produced: [], totals: { inputTokens: 0, outputTokens: 0, costMicros: 0 }, lastText: '' } as unknown as RunContext;
        try {
          if (stop) again = await this.finish(ctx, stop.status, stop.stopReason, stop.error ?? null);
          else if (claim.agent === null) {
            deps.logger.error({ err, runId }, 'workflow run failed');
            await this.finish(ctx, 'failed', 'error', toRunError(err));
          }
          else {
            deps.logger.error({ err, runId }, 'run failed');
            await this.finish(ctx, 'failed', 'error', toRunError(err));
          }
        } catch (finishErr) {
          if (!(finishErr instanceof LeaseLostError)) deps.logger.error({ err: finishErr, runId }, 'could not record the end of a run');
        }
      }
    } finally {
      clearInterval(heartbeat);
      clearTimeout(timer);
      offCancel();
      signal?.removeEventListener('abort', onStop);
      this.active.delete(runId);
    }
    // Claimed anew (the park gave the lease up), in this job: the approval's dispatch found the
    // run still running and did nothing.
    if (again) await this.execute(orgId, runId, signal);
    else if (wakeIn !== null) throw new DelayJob(wakeIn);
  }

  /**
   * A workflow run (no agent): its engine (deps.workflows) carries it to its next rest. Returns
   * 'requeued' when its park found something it waits on already done, 'full' when its workflow's
   * places (settings.maxConcurrentRuns) are all taken, the ms until its earliest timer when it
   * parked on one, or null (finished, or parked on outside events only).
   */
  private async workflow(claim: Claim, writer: RunWriter, signal: AbortSignal): Promise<'requeued' | 'full' | number | null> {
    const { deps } = this;
    const { run } = claim;
    // A decision run (source `decision`) has its own engine; every other run without an agent is a workflow's.
    const runner = run.source === 'decision' && run.workflowId === null ? deps.decisions : deps.workflows;
    if (!runner) throw new RunStop('failed', 'error', { code: 'workflows_unavailable', category: 'system', message: 'This process cannot run workflows or decisions' });
    const host = workflowHost(deps, claim, writer, signal);
    // settings.maxConcurrentRuns: without a place, back to the queue (before anything is written).
    const place = await runner.admit(host);
    if (place === 'full') return 'full';
    deps.events?.emit('run:started', { orgId: run.orgId, runId: run.id, agentId: '', agentName: undefined, source: run.source, queuedAt: run.createdAt, at: new Date(), resumed: run.generation > 1 });
    void writer.send(
      {
        events: [{ type: 'run.started', data: { runId: run.id, workflowId: run.workflowId, generation: claim.lease.generation, resumed: run.generation > 1 } }],
        audit: run.generation === 1 ? [{ action: 'run.started', details: { workflowId: run.workflowId, version: run.workflowVersion, source: run.source } }] : undefined,
      },
      { hold: true },
    );
    const rest = await runner.run(host);
    // The timer's job comes back a little after `wake_at`: a timer may fire a millisecond early, and
    // a claim before `wake_at` finds nothing to take (the job would end, and the run wait for the
    // recovery sweep).
    if (rest.kind === 'parked') return rest.requeued ? 'requeued' : rest.wakeAt === null ? null : Math.max(0, rest.wakeAt - Date.now()) + TIMER_SLACK_MS;
    const { status, error, output } = rest;
    await writer.commit({
      events: [{ type: 'run.finished', data: { status, stopReason: status === 'succeeded' ? 'completed' : 'error', output: output as never, error: error as never } }],
      audit: [{ action: 'run.finished', details: { status, stopReason: status === 'succeeded' ? 'completed' : 'error' } }],
      patch: {
        status,
        stopReason: status === 'succeeded' ? 'completed' : 'error',
        error,
        result: status === 'succeeded' ? (output ?? null) : undefined,
        output: status === 'succeeded' ? JSON.stringify(output ?? null) : undefined,
        wakeAt: null,
        finished: true,
        release: true,
      },
    });
    await this.afterEnd(run, status);
    // Its place is free: the next run waiting for one goes now, not at its next try.
    if (place === 'admitted') await host.wakeNextQueued().catch((err: unknown) => deps.logger.warn({ err, runId: run.id }, 'could not wake the next run of a limited workflow'));
    deps.events?.emit('run:finished', { orgId: run.orgId, runId: run.id, agentId: '', source: run.source, status, ...(error ? { errorCode: error.code } : {}), startedAt: run.startedAt ?? run.createdAt, at: new Date() });
    return null;
  }

  /**
   * After a run ended: its parent workflow run hears of it (troupe_runs_write_org queued it when
   * parked; this dispatches it), and a workflow run's children still going are canceled.
   */
  private async afterEnd(run: RunRow, status: string) {
    const { deps } = this;
    if (run.parentRunId) deps.wake?.(run.orgId, run.parentRunId, `child:${run.id}`);
    // A workflow run that succeeded has no child going (the planner abandoned what it did not need).
    if (run.agentId === null && status !== 'succeeded') {
      const canceled = await deps.database.withOrg(run.orgId, (tx) => cancelTree(tx, run.orgId, [run.id]));
      for (const id of canceled) deps.bus.requestCancel(id);
    }
  }

  /**
   * Graceful shutdown, first part: takes no new runs, and each active run stops at its next step
   * boundary (before its next model or tool call) and is handed back as queued, to be resumed by
   * any worker from its last finished step.
   */
  drain() {
    this.draining = true;
  }

  private draining = false;

  /** Aborts every active run for shutdown; each is put back to queued for a worker to resume. */
  stopAll() {
    for (const c of this.active.values()) c.abort('shutdown');
  }

  private async loop(ctx: RunContext) {
    const maxSteps = ctx.agent.limits.maxSteps;
    for (let turn = 1; ; turn++) {
      ctx.writer.check();
      if (ctx.signal.aborted) throw abortStop(ctx.signal);
      this.stopIfDraining();
      if (turn > maxSteps) {
        throw new RunStop('failed', 'max_steps', { code: 'max_steps_exceeded', category: 'user', message: `The agent used its ${maxSteps} model calls without finishing; raise limits.maxSteps if this task needs more` });
      }
      const out = await modelStep(ctx, turn);
      ctx.lastText = out.text;
      ctx.messages.push(...out.responseMessages);
      ctx.produced.push(...out.responseMessages);
      if (out.toolCalls.length === 0) return;
      const results = [];
      for (const call of out.toolCalls) {
        this.stopIfDraining();
        // A cancel (from any process, decision 38) or the deadline: no tool step starts after it.
        if (ctx.signal.aborted) throw abortStop(ctx.signal);
        results.push(toResultPart(call, await toolStep(ctx, turn, call)));
      }
      const toolMessage: ModelMessage = { role: 'tool', content: results };
      ctx.messages.push(toolMessage);
      ctx.produced.push(toolMessage);
    }
  }

  /** At a step boundary while draining: hand the run back (caught in execute as a shutdown). */
  private stopIfDraining() {
    if (this.draining) throw new DrainStop();
  }

  /**
   * The first call's system prompt and messages: from the memo of a resumed run, else prepared
   * now (stored with step model:1), after folding any history cut from a chat into its summary.
   */
  private async begin(ctx: RunContext, steps: { stepKey: string; input: unknown }[]) {
    const first = steps.find((s) => s.stepKey === 'model:1');
    const stored = first?.input as { system?: string; messages?: ModelMessage[] } | undefined;
    if (stored?.system !== undefined && stored.messages) {
      ctx.system = stored.system;
      ctx.messages = [...stored.messages];
      return;
    }
    const prepared = await prepare(this.deps, ctx.run, ctx.agent);
    const summary = prepared.cut ? await summaryStep(ctx, prepared.cut, prepared.summary) : prepared.summary;
    ctx.system = withSummary(prepared.system, summary);
    ctx.messages = prepared.messages;
  }

  /**
   * Records where the run stopped, after every write still in flight; a chat run's reply joins
   * its conversation in the same transaction. True when the run was to wait for approvals but a
   * person had already decided them all: it went back to queued instead (decision 40).
   */
  private async finish(ctx: RunContext, status: 'succeeded' | 'failed' | 'canceled' | 'waiting_approval', stopReason: string, error: RunError | null): Promise<boolean> {
    const { deps, run } = ctx;
    const final = status !== 'waiting_approval';
    const write: Write = {
      events: [{ type: final ? 'run.finished' : 'run.waiting', data: { status, stopReason, output: status === 'succeeded' ? ctx.lastText : null, error: error as never } }],
      audit: final ? [{ action: 'run.finished', details: { status, stopReason } }] : undefined,
      patch: {
        status,
        stopReason,
        error,
        output: status === 'succeeded' ? ctx.lastText : undefined,
        usedRulesModel: ctx.usedRulesModel || undefined,
        finished: final,
        release: true,
      },
    };
    if (!final) {
      const parked = await ctx.writer.park(write, { events: [{ type: 'run.released', data: { reason: 'approval_decided' } }], patch: { status: 'queued', release: true } });
      this.emitFinished(ctx, status, error);
      return parked.requeued;
    }
    if (status === 'succeeded' && isConversationSource(run.source) && run.conversationId) {
      await ctx.writer.write((tx) => deps.conversations.appendRunMessages(tx, run.orgId, run.conversationId!, run.id, ctx.produced, ctx.totals), write);
    } else {
      await ctx.writer.commit(write);
    }
    await this.afterEnd(run, status).catch((err: unknown) => deps.logger.warn({ err, runId: run.id }, 'could not tell the parent run or cancel the children'));
    this.emitFinished(ctx, status, error);
    return false;
  }

  /** Tells the event port where the run stopped, once that is written. */
  private emitFinished(ctx: RunContext, status: string, error: RunError | null) {
    const { run } = ctx;
    this.deps.events?.emit('run:finished', { orgId: run.orgId, runId: run.id, agentId: run.agentId ?? '', source: run.source, status, ...(error ? { errorCode: error.code } : {}), startedAt: run.startedAt ?? run.createdAt, at: new Date() });
  }

  /** Shutdown: hand the run back (queued) so the next worker resumes it at once instead of after the lease expires. */
  private async release(writer: RunWriter, reason: 'shutdown' | 'rate_limited') {
    await writer.commit({ events: [{ type: 'run.released', data: { reason } }], patch: { status: 'queued', release: true } });
  }
}

/** How long after a parked run's `wake_at` its timer job comes back. */
const TIMER_SLACK_MS = 25;

/**
 * The agent a run runs as: the current configuration (without tools for a decision's model call), or for a workflow's child run the version it
 * was made with (an agent node's `agentVersion`, else the version current when the node started it).
 */
async function agentOf(deps: EngineDeps, row: NonNullable<Claim['agent']>, run: RunRow) {
  // A decision's model call proposes actions; the decision engine carries them out once the
  // policy (or a person) allows: the call itself gets no tools.
  if (run.source === 'decision') return { ...deps.agents.fromRow(row), tools: [] };
  if (run.source !== 'workflow' || run.agentVersion === null || run.agentVersion === row.version) return deps.agents.fromRow(row);
  const pinned = await deps.agents.atVersion(row, run.agentVersion);
  if (!pinned) throw new RunStop('failed', 'error', { code: 'agent_version_not_found', category: 'user', message: `The agent ${row.name} has no version ${run.agentVersion}` });
  return pinned;
}

/** How a workflow run rested, carried out of the run's try block (past the agent loop) to its end. */
class WorkflowRested extends Error {
  override name = 'WorkflowRested';
  constructor(readonly rest: 'requeued' | 'full' | number | null) {
    super('workflow run rested');
  }
}

/** Thrown at a step boundary while the executor drains. */
class DrainStop extends Error {
  override name = 'DrainStop';
}

import type { ToolResultPart } from 'ai';
import { and, eq } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import { approvals, runSteps } from '../schema.js';
import { RunStop } from '../errors.js';
import type { StepRow, Write } from '../store.js';
import { abortStop, type RunContext } from './context.js';
import type { ToolOutcomePort } from './ports.js';

/** What a tool step stores as its output and the model gets back. */
export type ToolStepOutput = ToolOutcomePort | { ok: false; denied: true; reason: string };

/** The result part the model sees for an outcome: JSON on success, error text on failure, denial when rejected. */
export function toResultPart(call: { toolCallId: string; toolName: string }, outcome: ToolStepOutput): ToolResultPart {
  const base = { type: 'tool-result' as const, toolCallId: call.toolCallId, toolName: call.toolName };
  if (outcome.ok) return { ...base, output: { type: 'json', value: (outcome.output ?? null) as never } };
  if ('denied' in outcome) return { ...base, output: { type: 'execution-denied', reason: outcome.reason } };
  const issues = outcome.error.issues?.map((i) => `${i.path}: ${i.message}`).join('; ');
  return { ...base, output: { type: 'error-text', value: `${outcome.error.code}: ${outcome.error.message}${issues ? ` (${issues})` : ''}` } };
}

/**
 * One tool call of turn `turn`, memoized by `tool:<turn>:<toolCallId>`:
 * - finished before (succeeded, failed, rejected): its stored outcome, nothing runs again;
 * - started but never finished (the process died mid-call): run again if the tool is idempotent,
 *   keyed by its call, or its organization setting says so (retryInterruptedSetting), else ask a
 *   person (approval with reason `interrupted`);
 * - waiting for approval: approved → run it; rejected → the model hears so; pending → the run waits;
 * - new: a tool needing approval asks first (arguments its schema refuses go back to the model
 *   instead, as the tool's validation error); anything else runs, step row written before and after.
 * A tool the agent was not given, or that does not exist, is an error result for the model.
 */
export async function toolStep(ctx: RunContext, turn: number, call: { toolCallId: string; toolName: string; input: unknown }): Promise<ToolStepOutput> {
  const key = `tool:${turn}:${call.toolCallId}`;
  const memo = ctx.done.get(key);
  const def = ctx.deps.tools.get(call.toolName);

  if (memo && (memo.status === 'succeeded' || memo.status === 'failed' || memo.status === 'rejected')) return memo.output as ToolStepOutput;

  if (!def || !ctx.agent.tools.includes(call.toolName)) {
    const outcome: ToolStepOutput = {
      ok: false,
      error: { code: def ? 'not_allowed' : 'unknown_tool', message: def ? `This agent may not use the tool ${call.toolName}` : `There is no tool named ${call.toolName}` },
    };
    record(ctx, key, call, { status: 'failed', outcome });
    emitToolCall(ctx, call, new Date(), outcome);
    return outcome;
  }

  const step: StepRow | undefined = memo;
  // Asked only of a call found started (the worker died during it): e.g. send_webhook when the
  // organization turned webhookRetryOnCrash on (its receivers drop a repeated delivery id).
  const retryable =
    def.idempotent || def.keyedByCall === true || (memo?.status === 'started' && (await ctx.deps.tools.retriesInterrupted?.(ctx.run.orgId, call.toolName)) === true);
  if (memo?.status === 'waiting_approval' || (memo?.status === 'started' && !retryable)) {
    const decision = await approvalFor(ctx, memo, call, memo.status === 'started' ? 'interrupted' : 'requires_approval');
    if (decision.status === 'pending') throw new RunStop('waiting_approval', 'waiting_approval');
    if (decision.status === 'rejected') {
      const outcome: ToolStepOutput = { ok: false, denied: true, reason: decision.comment ? `Rejected by a person: ${decision.comment}` : 'Rejected by a person' };
      await ctx.writer.commit({ ...finishWrite(key, call, 'rejected', outcome), durable: true });
      return outcome;
    }
  } else if (!memo && (def.requiresApproval || ctx.agent.approvalTools.includes(call.toolName))) {
    // Arguments the tool would refuse never reach a person: the model gets the tool's own
    // validation error, as for a call that needs no approval, and can fix its call.
    const invalid = await ctx.deps.tools.validate?.(call.toolName, call.input);
    if (invalid) {
      record(ctx, key, call, { status: 'failed', outcome: invalid });
      return invalid;
    }
    const seq = ctx.nextSeq++;
    const written = await ctx.writer.write(
      async (tx) => {
        const [approval] = await tx
          .insert(approvals)
          .values({ orgId: ctx.run.orgId, runId: ctx.run.id, stepId: await stepId(tx, ctx, key), toolName: call.toolName, toolCallId: call.toolCallId, args: call.input, reason: 'requires_approval' })
          .returning({ id: approvals.id });
        return approval!.id;
      },
      {
        start: [{ seq, stepKey: key, kind: 'tool_call', toolName: call.toolName, toolCallId: call.toolCallId, input: call.input, status: 'waiting_approval' }],
        events: [{ type: 'approval.requested', data: { stepKey: key, toolName: call.toolName, toolCallId: call.toolCallId, args: call.input as never, reason: 'requires_approval' } }],
        durable: true,
      },
    );
    await ctx.deps.audit.record({ orgId: ctx.run.orgId, actor: { type: 'system' }, action: 'approval.requested', targetType: 'run', targetId: ctx.run.id, details: { tool: call.toolName, approvalId: written.result } });
    ctx.deps.events?.emit('approval:requested', { orgId: ctx.run.orgId, runId: ctx.run.id, approvalId: written.result, tool: call.toolName, at: new Date() });
    throw new RunStop('waiting_approval', 'waiting_approval');
  }

  // Execute (first time, approved, or a retry of an interrupted call). A tool that must not run
  // twice (or keys its effect by the call) is recorded as started, synchronously committed after
  // every earlier write, before it runs; and its end likewise before the run goes on. An idempotent tool's
  // records are held for the next write, like the end of a model call.
  const once = !def.idempotent;
  const start: Write = {
    start: [{ seq: step?.seq ?? ctx.nextSeq++, stepKey: key, kind: 'tool_call', toolName: call.toolName, toolCallId: call.toolCallId, input: call.input }],
    events: [{ type: 'step.started', data: { stepKey: key, kind: 'tool_call', toolName: call.toolName, args: call.input as never } }],
    durable: once,
  };
  if (once) await ctx.writer.commit(start);
  else void ctx.writer.send(start, { hold: true });
  ctx.writer.check();
  if (ctx.signal.aborted) throw abortStop(ctx.signal);
  const t0 = performance.now();
  const startedAt = new Date();
  const outcome = await ctx.deps.tools
    .execute(call.toolName, call.input, {
      orgId: ctx.run.orgId,
      agentId: ctx.agent.id,
      runId: ctx.run.id,
      toolCallId: call.toolCallId,
      signal: ctx.signal,
      database: ctx.deps.database,
      config: ctx.deps.config,
      logger: ctx.deps.logger,
    })
    .catch((err: unknown) => {
      if (ctx.signal.aborted) throw abortStop(ctx.signal);
      throw err;
    });
  const end = finishWrite(key, call, outcome.ok ? 'succeeded' : 'failed', outcome, Math.round(performance.now() - t0), {
    tool: call.toolName,
    ok: outcome.ok,
    ...(outcome.ok ? {} : { error: outcome.error.code }),
  });
  if (once) await ctx.writer.commit({ ...end, durable: true });
  else void ctx.writer.send(end, { hold: true });
  emitToolCall(ctx, call, startedAt, outcome);
  return outcome;
}

/** The write that ends a tool step; with `audited`, the `tool.called` audit entry goes with it. */
function finishWrite(
  key: string,
  call: { toolName: string },
  status: 'succeeded' | 'failed' | 'rejected',
  outcome: ToolStepOutput,
  latencyMs?: number,
  audited?: Record<string, unknown>,
): Write {
  return {
    finish: [{ stepKey: key, status, output: outcome, latencyMs }],
    events: [{ type: 'step.finished', data: { stepKey: key, kind: 'tool_call', toolName: call.toolName, status, output: outcome as never, latencyMs } }],
    audit: audited ? [{ action: 'tool.called', details: audited }] : undefined,
  };
}

/** A step that never ran (unknown or disallowed tool): written once, already finished. */
function record(ctx: RunContext, key: string, call: { toolCallId: string; toolName: string; input: unknown }, r: { status: 'failed'; outcome: ToolStepOutput }) {
  const seq = ctx.nextSeq++;
  void ctx.writer.send({
    start: [{ seq, stepKey: key, kind: 'tool_call', toolName: call.toolName, toolCallId: call.toolCallId, input: call.input }],
    finish: [{ stepKey: key, status: r.status, output: r.outcome }],
    events: [{ type: 'step.finished', data: { stepKey: key, kind: 'tool_call', toolName: call.toolName, status: r.status, output: r.outcome as never } }],
  }, { hold: true });
}

/** The id of this run's step `key` (written earlier in the same transaction or before). */
async function stepId(tx: Tx, ctx: RunContext, key: string): Promise<string> {
  const [row] = await tx.select({ id: runSteps.id }).from(runSteps).where(and(eq(runSteps.orgId, ctx.run.orgId), eq(runSteps.runId, ctx.run.id), eq(runSteps.stepKey, key)));
  if (!row) throw new Error(`step ${key} of run ${ctx.run.id} is missing`);
  return row.id;
}

/** The approval of this step, created (pending) when the step has none yet. */
async function approvalFor(ctx: RunContext, step: StepRow, call: { toolCallId: string; toolName: string; input: unknown }, reason: string) {
  const existing = await ctx.deps.database.withOrg(ctx.run.orgId, (tx) =>
    tx.select().from(approvals).where(and(eq(approvals.orgId, ctx.run.orgId), eq(approvals.stepId, step.id))),
  );
  if (existing[0]) return existing[0];
  const written = await ctx.writer.write(
    async (tx) => {
      const [row] = await tx
        .insert(approvals)
        .values({ orgId: ctx.run.orgId, runId: ctx.run.id, stepId: step.id, toolName: call.toolName, toolCallId: call.toolCallId, args: call.input, reason })
        .onConflictDoNothing()
        .returning();
      return row;
    },
    {
      finish: [{ stepKey: step.stepKey, status: 'waiting_approval' }],
      events: [{ type: 'approval.requested', data: { stepKey: step.stepKey, toolName: call.toolName, toolCallId: call.toolCallId, args: call.input as never, reason } }],
      durable: true,
    },
  );
  if (written.result) ctx.deps.events?.emit('approval:requested', { orgId: ctx.run.orgId, runId: ctx.run.id, approvalId: written.result.id, tool: call.toolName, at: new Date() });
  return written.result ?? { status: 'pending' as const, comment: null };
}

/** Tells the event port about a tool call that ended (its step with it). */
function emitToolCall(ctx: RunContext, call: { toolCallId: string; toolName: string }, startedAt: Date, outcome: ToolStepOutput) {
  const { events } = ctx.deps;
  if (!events) return;
  const at = new Date();
  const ids = { orgId: ctx.run.orgId, runId: ctx.run.id };
  events.emit('tool:call', { ...ids, agentId: ctx.agent.id, tool: call.toolName, toolCallId: call.toolCallId, startedAt, at, ok: outcome.ok, ...(outcome.ok ? {} : { errorCode: 'denied' in outcome ? 'rejected' : outcome.error.code }) });
  events.emit('step:finished', { ...ids, kind: 'tool_call', startedAt, at, ok: outcome.ok });
}

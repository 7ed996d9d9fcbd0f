import type { ModelMessage } from 'ai';
import { AllModelsFailedError } from '../../models/fallback.js';
import { generateOnce, streamOnce } from '../../models/generate.js';
import { checkUsage } from '../../models/usage.js';
import { classifyModelError } from '../../models/errors.js';
import type { Tx } from '../../db/client.js';
import { RunStop } from '../errors.js';
import type { Write } from '../store.js';
import { budgetGate } from './budget-gate.js';
import { abortStop, publish, type RunContext } from './context.js';
import type { ResolvedModelPort } from './ports.js';

export interface ModelStepOutput {
  text: string;
  toolCalls: { toolCallId: string; toolName: string; input: unknown }[];
  finishReason: string;
  /** The assistant message(s) exactly as the AI SDK reports them, to append to the history. */
  responseMessages: ModelMessage[];
  model: string;
  usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number };
  /** What was changed in the provider's usage figures to record them (models/usage.ts); absent when nothing was. */
  usageWarnings?: string[];
}

/**
 * One model call (turn `turn`), memoized by the step key `model:<turn>`: a resumed run that
 * finished this call before gets the stored output and calls nothing. Otherwise: budget check,
 * the step's start sent (with the held records before it), the call (provider retries and
 * fallbacks inside), then the step's end, its ledger row and the run's totals as one held
 * write, which goes with the next write (docs/runs.md, "Write path").
 */
export async function modelStep(ctx: RunContext, turn: number): Promise<ModelStepOutput> {
  const key = `model:${turn}`;
  const memo = ctx.done.get(key);
  if (memo?.status === 'succeeded') {
    ctx.totals.inputTokens += memo.inputTokens;
    ctx.totals.outputTokens += memo.outputTokens;
    ctx.totals.costMicros += memo.billedMicros;
    return memo.output as ModelStepOutput;
  }

  const { deps, run, agent } = ctx;
  await budgetGate(ctx, key, {
    chars: () => ctx.system.length + JSON.stringify(ctx.messages).length,
    tools: agent.tools.length,
    maxOutputTokens: run.input.maxTokens ?? agent.maxOutputTokens ?? null,
  });
  const seq = ctx.nextSeq++;
  const input = turn === 1 ? { system: ctx.system, messages: ctx.messages } : { turn, newMessages: ctx.messages.length };
  // Sent as the call goes out, with the held records of the steps before it (one round trip),
  // and waited for only once the call is back: its output is not used before its start is
  // recorded and the lease proven ours. A write that finds the lease taken also aborts the call
  // through the run's signal (docs/runs.md, "Write path").
  const started = ctx.writer.send({
    start: [{ seq, stepKey: key, kind: 'model_call', model: agent.model, input }],
    events: [{ type: 'step.started', data: { stepKey: key, kind: 'model_call', model: agent.model, turn } }],
  });

  const t0 = performance.now();
  const tools = deps.tools.aiSdkTools(agent.tools);
  const attempt = { at: new Date() };
  const call = await deps.models.callWithFallback(
    run.orgId,
    [agent.model, ...agent.fallbackModels],
    observedAttempts(ctx, attempt, async (m) => {
      const settings = {
        model: m.model,
        system: ctx.system,
        messages: ctx.messages,
        tools,
        abortSignal: ctx.signal,
        temperature: agent.temperature ?? undefined,
        topP: agent.topP ?? undefined,
        maxOutputTokens: run.input.maxTokens ?? agent.maxOutputTokens ?? undefined,
      };
      // Tokens are streamed when someone follows the run (a chat, an SSE client); otherwise one
      // plain response is cheaper (the step.finished event carries the whole text either way).
      if (run.source !== 'chat' && !deps.bus.listening(run.id)) return generateOnce(settings);
      return streamOnce(settings, (text) => publish(ctx, [{ type: 'text.delta', data: { stepKey: key, text } }]));
    }),
    {
      signal: ctx.signal,
      onEvent: (e) => publish(ctx, [{ type: `model.${e.type}`, data: { stepKey: key, ...e, error: undefined, message: (e.error as Error | undefined)?.message } }]),
    },
  ).catch(async (err: unknown) => {
    if (ctx.signal.aborted) throw abortStop(ctx.signal);
    if (err instanceof AllModelsFailedError) {
      await started;
      throw modelsFailed(ctx, key, err, Math.round(performance.now() - t0));
    }
    throw err;
  });
  const latencyMs = Math.round(performance.now() - t0);
  await started;

  const r = call.result;
  const { usage, warnings } = checkUsage({
    inputTokens: r.usage.inputTokens,
    outputTokens: r.usage.outputTokens,
    cachedInputTokens: r.usage.inputTokenDetails?.cacheReadTokens ?? r.usage.cachedInputTokens,
  });
  if (warnings.length) warnUsage(ctx, key, call.used.id, warnings);
  const usageWarnings = warnings.length ? { usageWarnings: warnings } : {};
  const output: ModelStepOutput = {
    text: r.text,
    toolCalls: r.toolCalls.map((c) => ({ toolCallId: c.toolCallId, toolName: c.toolName, input: c.input })),
    finishReason: r.finishReason,
    responseMessages: r.responseMessages as ModelMessage[],
    model: call.used.id,
    usage,
    ...usageWarnings,
  };
  await finishModelStep(ctx, key, { ...call, startedAt: attempt.at, finishReason: r.finishReason }, usage, output, latencyMs, {
    type: 'step.finished',
    data: { stepKey: key, kind: 'model_call', model: call.used.id, text: output.text, toolCalls: output.toolCalls, usage, ...usageWarnings, latencyMs, usedRulesModel: call.usedRulesModel },
  });
  return output;
}

/**
 * Records a finished model call: the step, its ledger row (priced here, cached price and markup)
 * and the run's totals as one write, held for the next one; with `extra` (e.g. a conversation
 * summary), in one transaction with it, waited for.
 */
export async function finishModelStep(
  ctx: RunContext,
  key: string,
  call: { used: { id: string; ref: { provider: string; modelId: string } }; usedRulesModel: boolean; startedAt?: Date; finishReason?: string },
  usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number },
  output: unknown,
  latencyMs: number,
  event: { type: string; data: Record<string, unknown> },
  extra?: (tx: Tx) => Promise<void>,
) {
  const { deps, run, agent } = ctx;
  // Figures no call can have (cached > input, negative, …) are clamped, not a reason to lose the
  // ledger row of a call that was made and paid; modelStep passes them checked already.
  const checked = checkUsage(usage);
  if (checked.warnings.length) {
    warnUsage(ctx, key, call.used.id, checked.warnings);
    usage = checked.usage;
    event = { ...event, data: { ...event.data, usage, usageWarnings: checked.warnings } };
  }
  const at = new Date();
  const cost = await deps.billing.priceCall(run.orgId, call.used.ref.provider, call.used.ref.modelId, usage, at);
  const write: Write = {
    finish: [{ stepKey: key, status: 'succeeded', output, model: call.used.id, ...usage, costMicros: cost.baseCostMicros, billedMicros: cost.billedCostMicros, latencyMs }],
    ledger: [
      {
        stepKey: key,
        agentId: agent.id,
        conversationId: run.conversationId,
        taskId: run.taskId,
        workflowId: run.workflowId,
        provider: call.used.ref.provider,
        model: call.used.ref.modelId,
        ...usage,
        ...cost,
        at,
      },
    ],
    add: {
      stepCount: key.startsWith('model:') ? 1 : 0,
      ...usage,
      costMicros: cost.baseCostMicros,
      billedMicros: cost.billedCostMicros,
    },
    patch: call.usedRulesModel ? { usedRulesModel: true } : undefined,
    events: [event],
    spendAgent: agent.id,
  };
  ctx.budget.unconfirmedMicros += cost.billedCostMicros;
  if (extra) await ctx.writer.write(extra, write);
  else void ctx.writer.send(write, { hold: true });
  const stepStart = new Date(at.getTime() - latencyMs);
  const ids = { orgId: run.orgId, runId: run.id, agentId: agent.id, provider: call.used.ref.provider, model: call.used.ref.modelId };
  deps.events?.emit('model:call', { ...ids, startedAt: call.startedAt ?? stepStart, at, ok: true, ...usage, finishReason: call.finishReason, baseCostMicros: cost.baseCostMicros, billedCostMicros: cost.billedCostMicros });
  deps.events?.emit('step:finished', { orgId: run.orgId, runId: run.id, kind: 'model_call', startedAt: stepStart, at, ok: true });
  ctx.totals.inputTokens += usage.inputTokens;
  ctx.totals.outputTokens += usage.outputTokens;
  ctx.totals.costMicros += cost.billedCostMicros;
  if (call.usedRulesModel) ctx.usedRulesModel = true;
}

/** The operator hears about a provider's impossible usage report; the step keeps the warnings too. */
function warnUsage(ctx: RunContext, key: string, model: string, warnings: string[]) {
  ctx.deps.logger.warn({ runId: ctx.run.id, orgId: ctx.run.orgId, stepKey: key, model, warnings }, 'a provider reported token usage no call can have; recorded corrected figures');
}

/**
 * Every model of the agent failed (models/fallback.ts): the step is recorded as failed with the
 * causes, and the stop fails the run with `all_models_failed` (the step's end goes with the run's
 * final write). An outage or a wrong key is a failed run, not a canned reply.
 */
export function modelsFailed(ctx: RunContext, key: string, err: AllModelsFailedError, latencyMs?: number): RunStop {
  const error = { code: err.code, category: err.category, message: err.message, details: { causes: err.causes } };
  const at = new Date();
  ctx.deps.events?.emit('step:finished', { orgId: ctx.run.orgId, runId: ctx.run.id, kind: 'model_call', startedAt: new Date(at.getTime() - (latencyMs ?? 0)), at, ok: false });
  void ctx.writer.send(
    {
      finish: [{ stepKey: key, status: 'failed', error, latencyMs }],
      events: [{ type: 'step.finished', data: { stepKey: key, kind: 'model_call', status: 'failed', error: error as never, latencyMs } }],
    },
    { hold: true },
  );
  return new RunStop('failed', 'error', error);
}

/**
 * Times each attempt of a model call (`attempt.at`: when the latest began); one that fails is told
 * to the event port with its error code (provider errors and latency), unless the run was aborted.
 */
export function observedAttempts<T>(ctx: RunContext, attempt: { at: Date }, call: (m: ResolvedModelPort) => Promise<T>): (m: ResolvedModelPort) => Promise<T> {
  return async (m) => {
    const startedAt = (attempt.at = new Date());
    try {
      return await call(m);
    } catch (err) {
      const { events } = ctx.deps;
      if (events && !ctx.signal.aborted) {
        const { run, agent } = ctx;
        const zero = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, baseCostMicros: 0, billedCostMicros: 0 };
        events.emit('model:call', { orgId: run.orgId, runId: run.id, agentId: agent.id, provider: m.ref.provider, model: m.ref.modelId, startedAt, at: new Date(), ok: false, errorCode: classifyModelError(err).code, ...zero });
      }
      throw err;
    }
  };
}

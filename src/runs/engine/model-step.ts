import { streamText, type ModelMessage } from 'ai';
import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import { RunStop } from '../errors.js';
import { runs } from '../schema.js';
import { abortStop, publish, type RunContext } from './context.js';

export interface ModelStepOutput {
  text: string;
  toolCalls: { toolCallId: string; toolName: string; input: unknown }[];
  finishReason: string;
  /** The assistant message(s) exactly as the AI SDK reports them, to append to the history. */
  responseMessages: ModelMessage[];
  model: string;
  usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number };
}

/**
 * One model call (turn `turn`), memoized by the step key `model:<turn>`: a resumed run that
 * finished this call before gets the stored output and calls nothing. Otherwise: budget check,
 * step row written before, the call (streamed; provider retries and fallbacks inside), then the
 * step, its ledger row and the run's totals written together after.
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
  const seq = ctx.nextSeq++;
  const input = turn === 1 ? { system: ctx.system, messages: ctx.messages } : { turn, newMessages: ctx.messages.length };
  // The budget is checked in the same transaction that records the call as started; a refusal
  // commits (keeping the alert it raised) without a step, then stops the run.
  const started = await ctx.writer.write(
    async (tx) => {
      const refusal = await budgetRefusal(ctx, tx);
      return refusal ? { refusal } : { step: await ctx.writer.startStep(tx, { seq, stepKey: key, kind: 'model_call', model: agent.model, input }) };
    },
    (r) => (r.step ? [{ type: 'step.started', data: { stepKey: key, kind: 'model_call', model: agent.model, turn } }] : []),
  );
  if (started.result.refusal) throw started.result.refusal;
  publish(ctx, started.events);
  if (started.cancelRequested) throw new RunStop('canceled', 'canceled');
  const step = started.result.step!;

  const t0 = performance.now();
  const tools = deps.tools.aiSdkTools(agent.tools);
  const call = await deps.models.callWithFallback(
    run.orgId,
    [agent.model, ...agent.fallbackModels],
    async (m) => {
      const result = streamText({
        model: m.model,
        system: ctx.system,
        messages: ctx.messages,
        tools,
        // Retries are ours (models/retry.ts), with Retry-After and fallbacks; the SDK must not add its own.
        maxRetries: 0,
        abortSignal: ctx.signal,
        temperature: agent.temperature ?? undefined,
        topP: agent.topP ?? undefined,
        maxOutputTokens: run.input.maxTokens ?? agent.maxOutputTokens ?? undefined,
      });
      for await (const part of result.fullStream) {
        if (part.type === 'text-delta') publish(ctx, [{ type: 'text.delta', data: { stepKey: key, text: part.text } }]);
        else if (part.type === 'error') throw part.error;
      }
      const [text, toolCalls, usage, finishReason, response] = await Promise.all([result.text, result.toolCalls, result.usage, result.finishReason, result.response]);
      return { text, toolCalls, usage, finishReason, responseMessages: response.messages };
    },
    {
      signal: ctx.signal,
      onEvent: (e) => publish(ctx, [{ type: `model.${e.type}`, data: { stepKey: key, ...e, error: undefined, message: (e.error as Error | undefined)?.message } }]),
    },
  ).catch((err: unknown) => {
    if (ctx.signal.aborted) throw abortStop(ctx.signal);
    throw err;
  });
  const latencyMs = Math.round(performance.now() - t0);

  const r = call.result;
  const usage = {
    inputTokens: r.usage.inputTokens ?? 0,
    outputTokens: r.usage.outputTokens ?? 0,
    cachedInputTokens: r.usage.inputTokenDetails?.cacheReadTokens ?? r.usage.cachedInputTokens ?? 0,
  };
  const output: ModelStepOutput = {
    text: r.text,
    toolCalls: r.toolCalls.map((c) => ({ toolCallId: c.toolCallId, toolName: c.toolName, input: c.input })),
    finishReason: r.finishReason,
    responseMessages: r.responseMessages as ModelMessage[],
    model: call.used.id,
    usage,
  };
  const finished = await finishModelStep(ctx, step.id, key, call, usage, output, latencyMs, {
    type: 'step.finished',
    data: { stepKey: key, kind: 'model_call', model: call.used.id, text: output.text, toolCalls: output.toolCalls, usage, latencyMs, usedRulesModel: call.usedRulesModel },
  });
  if (finished.cancelRequested) throw new RunStop('canceled', 'canceled');
  return output;
}

/**
 * Writes a finished model call: the step, its ledger row and the run's totals in one fenced
 * transaction (plus `extra`, e.g. a conversation summary), then publishes `event`.
 */
export async function finishModelStep(
  ctx: RunContext,
  stepId: string,
  key: string,
  call: { used: { id: string; ref: { provider: string; modelId: string } }; usedRulesModel: boolean },
  usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number },
  output: unknown,
  latencyMs: number,
  event: { type: string; data: Record<string, unknown> },
  extra?: (tx: Tx) => Promise<void>,
) {
  const { deps, run, agent } = ctx;
  const finished = await ctx.writer.write(
    async (tx) => {
      const cost = await deps.billing.recordModelCall(tx, {
        orgId: run.orgId,
        agentId: agent.id,
        runId: run.id,
        stepId,
        conversationId: run.conversationId,
        taskId: run.taskId,
        provider: call.used.ref.provider,
        model: call.used.ref.modelId,
        ...usage,
        at: new Date(),
      });
      await ctx.writer.finishStep(tx, stepId, { status: 'succeeded', output, model: call.used.id, ...usage, costMicros: cost.baseCostMicros, billedMicros: cost.billedCostMicros, latencyMs });
      await tx
        .update(runs)
        .set({
          stepCount: key.startsWith('model:') ? sql`${runs.stepCount} + 1` : undefined,
          inputTokens: sql`${runs.inputTokens} + ${usage.inputTokens}`,
          outputTokens: sql`${runs.outputTokens} + ${usage.outputTokens}`,
          cachedInputTokens: sql`${runs.cachedInputTokens} + ${usage.cachedInputTokens}`,
          costMicros: sql`${runs.costMicros} + ${cost.baseCostMicros}`,
          billedMicros: sql`${runs.billedMicros} + ${cost.billedCostMicros}`,
          usedRulesModel: call.usedRulesModel ? true : undefined,
        })
        .where(sql`${runs.id} = ${run.id}`);
      await extra?.(tx);
      return cost;
    },
    [event],
  );
  publish(ctx, finished.events);
  ctx.totals.inputTokens += usage.inputTokens;
  ctx.totals.outputTokens += usage.outputTokens;
  ctx.totals.costMicros += finished.result.billedCostMicros;
  if (call.usedRulesModel) ctx.usedRulesModel = true;
  return finished;
}

/** The budget check before every model call: the stop to throw when a budget is used up, else null. */
export async function budgetRefusal(ctx: RunContext, tx?: Tx): Promise<RunStop | null> {
  const { deps, run, agent } = ctx;
  const budget = await deps.billing.checkBudget(run.orgId, agent.id, agent.limits.monthlyBudgetMicros, new Date(), tx);
  if (!budget.allowed) {
    return new RunStop('failed', 'budget_exceeded', {
      code: 'budget_exceeded',
      category: 'user',
      message:
        budget.reason === 'agent_budget_exceeded'
          ? "The agent's monthly budget is used up; raise it or wait for next month"
          : "The organization's monthly budget is used up; an owner can raise it",
      details: { org: budget.org, agent: budget.agent },
    });
  }
  return null;
}

import type { ModelMessage } from 'ai';
import { generateOnce, streamOnce } from '../../models/generate.js';
import type { Tx } from '../../db/client.js';
import { RunStop } from '../errors.js';
import type { Write } from '../store.js';
import { abortStop, publish, standingNow, type RunContext } from './context.js';

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
  const refusal = await budgetRefusal(ctx);
  if (refusal) throw refusal;
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
  const call = await deps.models.callWithFallback(
    run.orgId,
    [agent.model, ...agent.fallbackModels],
    async (m) => {
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
  await started;

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
  await finishModelStep(ctx, key, call, usage, output, latencyMs, {
    type: 'step.finished',
    data: { stepKey: key, kind: 'model_call', model: call.used.id, text: output.text, toolCalls: output.toolCalls, usage, latencyMs, usedRulesModel: call.usedRulesModel },
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
  call: { used: { id: string; ref: { provider: string; modelId: string } }; usedRulesModel: boolean },
  usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number },
  output: unknown,
  latencyMs: number,
  event: { type: string; data: Record<string, unknown> },
  extra?: (tx: Tx) => Promise<void>,
) {
  const { deps, run, agent } = ctx;
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
  ctx.totals.inputTokens += usage.inputTokens;
  ctx.totals.outputTokens += usage.outputTokens;
  ctx.totals.costMicros += cost.billedCostMicros;
  if (call.usedRulesModel) ctx.usedRulesModel = true;
}

/** The budget check before every model call: the stop to throw when a budget is used up, else null. */
export async function budgetRefusal(ctx: RunContext): Promise<RunStop | null> {
  const { deps, run, agent } = ctx;
  const budget = await deps.billing.judge(run.orgId, agent.id, agent.limits.monthlyBudgetMicros, standingNow(ctx));
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

import { generateText, type ModelMessage } from 'ai';
import { AllModelsFailedError } from '../../models/fallback.js';
import { abortStop, type RunContext } from './context.js';
import { budgetGate } from './budget-gate.js';
import { finishModelStep, modelsFailed, observedAttempts } from './model-step.js';

const INSTRUCTIONS =
  'You keep the running summary of a conversation between a user and an assistant. Rewrite the summary so it ' +
  'also covers the new messages: facts, names, numbers, decisions, open questions and what the user wants. ' +
  'Plain prose, at most 200 words, no preamble.';

/** The summary's output limit (200 words fit). */
const SUMMARY_MAX_TOKENS = 400;

/** The messages as a plain transcript (tool calls and results shown briefly). */
export function transcript(messages: ModelMessage[]): string {
  const parts: string[] = [];
  for (const m of messages) {
    if (typeof m.content === 'string') {
      parts.push(`${m.role}: ${m.content}`);
      continue;
    }
    for (const p of m.content as { type: string; text?: string; toolName?: string; input?: unknown; output?: { value?: unknown } }[]) {
      if (p.type === 'text' && p.text) parts.push(`${m.role}: ${p.text}`);
      else if (p.type === 'tool-call') parts.push(`${m.role} called ${p.toolName}(${JSON.stringify(p.input)})`);
      else if (p.type === 'tool-result') parts.push(`tool ${p.toolName} returned ${JSON.stringify(p.output?.value ?? p.output)}`.slice(0, 2000));
    }
  }
  return parts.join('\n');
}

/**
 * Folds the messages cut from the history into the conversation's running summary: one model
 * call, memoized as step `summary:<throughSeq>`, billed like any other, and saved with the
 * conversation in the same transaction. When only the offline rules model answered (it cannot
 * summarize), the previous summary stays and the cut messages are not marked summarized.
 */
export async function summaryStep(ctx: RunContext, cut: { messages: ModelMessage[]; throughSeq: number }, previous: string): Promise<string> {
  const key = `summary:${cut.throughSeq}`;
  const memo = ctx.done.get(key);
  if (memo?.status === 'succeeded') return (memo.output as { summary: string | null }).summary ?? previous;

  const { deps, run, agent } = ctx;
  const prompt = `${previous ? `Summary so far:\n${previous}\n\n` : ''}New messages:\n${transcript(cut.messages)}`;
  await budgetGate(ctx, key, { chars: () => INSTRUCTIONS.length + prompt.length, tools: 0, maxOutputTokens: SUMMARY_MAX_TOKENS });
  const seq = ctx.nextSeq++;
  void ctx.writer.send({
    start: [{ seq, stepKey: key, kind: 'model_call', model: agent.model, input: { system: INSTRUCTIONS, prompt } }],
    events: [{ type: 'step.started', data: { stepKey: key, kind: 'model_call', purpose: 'summary' } }],
  });
  const t0 = performance.now();
  const attempt = { at: new Date() };
  const call = await deps.models
    .callWithFallback(
      run.orgId,
      [agent.model, ...agent.fallbackModels],
      observedAttempts(ctx, attempt, async (m) => {
        const r = await generateText({ model: m.model, system: INSTRUCTIONS, prompt, maxRetries: 0, abortSignal: ctx.signal, maxOutputTokens: SUMMARY_MAX_TOKENS });
        return { text: r.text.trim(), usage: r.usage };
      }),
      { signal: ctx.signal },
    )
    .catch((err: unknown) => {
      if (ctx.signal.aborted) throw abortStop(ctx.signal);
      if (err instanceof AllModelsFailedError) throw modelsFailed(ctx, key, err);
      throw err;
    });
  const summary = call.usedRulesModel || !call.result.text ? null : call.result.text;
  const usage = {
    inputTokens: call.result.usage.inputTokens ?? 0,
    outputTokens: call.result.usage.outputTokens ?? 0,
    cachedInputTokens: call.result.usage.inputTokenDetails?.cacheReadTokens ?? 0,
  };
  const latencyMs = Math.round(performance.now() - t0);
  await finishModelStep(
    ctx,
    key,
    { ...call, startedAt: attempt.at },
    usage,
    { summary, throughSeq: cut.throughSeq },
    latencyMs,
    { type: 'step.finished', data: { stepKey: key, kind: 'model_call', purpose: 'summary', usage, latencyMs } },
    summary && run.conversationId ? (tx) => deps.conversations.saveSummary(tx, run.orgId, run.conversationId!, summary, cut.throughSeq) : undefined,
  );
  return summary ?? previous;
}

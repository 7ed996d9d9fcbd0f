import type { LanguageModelV3CallOptions, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { simulateReadableStream } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import type { ModelsPort, ResolvedModelPort } from '../../src/runs/engine/ports.js';

export interface Turn {
  text?: string;
  toolCalls?: { name: string; args: unknown; id?: string }[];
  usage?: { input: number; output: number; cached?: number };
  /** Throw this instead of answering. */
  error?: Error;
  /** Wait before answering (honours the abort signal). */
  delayMs?: number;
}

/**
 * A model for engine tests: answers each call with the next scripted turn (plain or streamed), and records
 * the prompts it was given. With the script used up it answers "done".
 */
export function scriptedModel(turns: Turn[]) {
  const queue = [...turns];
  const prompts: LanguageModelV3CallOptions['prompt'][] = [];
  /** How each call was made: 'generate' (plain) or 'stream'. */
  const modes: ('generate' | 'stream')[] = [];
  let n = 0;
  // The next turn, after its delay (honouring the abort signal); throws a scripted error.
  const next = async (options: LanguageModelV3CallOptions) => {
    prompts.push(options.prompt);
    const turn = queue.shift() ?? { text: 'done' };
    n++;
    if (turn.delayMs) {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, turn.delayMs);
        options.abortSignal?.addEventListener('abort', () => {
          clearTimeout(t);
          reject(options.abortSignal?.reason instanceof Error ? options.abortSignal.reason : new Error('aborted'));
        });
      });
    }
    if (turn.error) throw turn.error;
    const u = turn.usage ?? { input: 100, output: 20 };
    return {
      turn,
      calls: (turn.toolCalls ?? []).map((c, i) => ({ type: 'tool-call' as const, toolCallId: c.id ?? `call_${n}_${i}`, toolName: c.name, input: JSON.stringify(c.args) })),
      finishReason: { unified: turn.toolCalls?.length ? ('tool-calls' as const) : ('stop' as const), raw: undefined },
      usage: {
        inputTokens: { total: u.input, noCache: u.input - (u.cached ?? 0), cacheRead: u.cached ?? 0, cacheWrite: undefined },
        outputTokens: { total: u.output, text: u.output, reasoning: undefined },
      },
    };
  };
  const model = new MockLanguageModelV3({
    provider: 'openai',
    modelId: 'gpt-4o-mini',
    // Plain calls (a run nobody follows) ...
    doGenerate: async (options) => {
      modes.push('generate');
      const { turn, calls, finishReason, usage } = await next(options);
      return { content: [...(turn.text ? [{ type: 'text' as const, text: turn.text }] : []), ...calls], finishReason, usage, warnings: [] };
    },
    // ... and streamed ones (a chat, or someone following the run).
    doStream: async (options) => {
      modes.push('stream');
      const { turn, calls, finishReason, usage } = await next(options);
      const chunks: LanguageModelV3StreamPart[] = [{ type: 'stream-start', warnings: [] }];
      if (turn.text) {
        chunks.push({ type: 'text-start', id: 't' });
        for (const piece of turn.text.match(/.{1,8}/gs) ?? []) chunks.push({ type: 'text-delta', id: 't', delta: piece });
        chunks.push({ type: 'text-end', id: 't' });
      }
      chunks.push(...calls, { type: 'finish', finishReason, usage });
      return { stream: simulateReadableStream({ chunks, initialDelayInMs: null, chunkDelayInMs: null }) };
    },
  });
  return {
    model,
    prompts,
    modes,
    get calls() {
      return n;
    },
    push(...more: Turn[]) {
      queue.push(...more);
    },
  };
}

/** A ModelsPort that always answers with `model` (as openai:gpt-4o-mini, so the ledger prices it). */
export function modelsPort(model: MockLanguageModelV3): ModelsPort {
  const used: ResolvedModelPort = { id: 'openai:gpt-4o-mini', ref: { provider: 'openai', modelId: 'gpt-4o-mini' }, model };
  return {
    async callWithFallback(_orgId, _refs, call) {
      return { result: await call(used, 1), used, attempts: 1, usedRulesModel: false };
    },
  };
}

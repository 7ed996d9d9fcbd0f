import type { LanguageModelV3, LanguageModelV3FunctionTool, LanguageModelV3Message, LanguageModelV3Prompt } from '@ai-sdk/provider';
import { secureJsonParse } from '@ai-sdk/provider-utils';
import { asSchema, generateText, streamText, type AssistantContent, type FinishReason, type LanguageModelUsage, type ModelMessage, type Tool } from 'ai';

export interface GenerateSettings {
  model: LanguageModelV3;
  system: string;
  messages: ModelMessage[];
  /** Tools without `execute`: the engine runs them itself, as steps. */
  tools: Record<string, Tool>;
  abortSignal?: AbortSignal;
  temperature?: number;
  topP?: number;
  maxOutputTokens?: number;
}

export interface GenerateOutput {
  text: string;
  toolCalls: { toolCallId: string; toolName: string; input: unknown }[];
  usage: LanguageModelUsage;
  finishReason: FinishReason;
  /** The assistant message, as generateText's `response.messages` gives it. */
  responseMessages: ModelMessage[];
}

/**
 * One model call without streaming: what `generateText` does for a single step whose tools have
 * no `execute`, calling the provider model's `doGenerate` directly.
 *
 * Why: for the engine's messages (text, reasoning, tool calls and results) generateText spends
 * most of its time around the call, not in it: it validates every message of the history against
 * the ModelMessage schema with zod on every call (`standardizePrompt`), deep-clones the response
 * messages and builds step objects for telemetry. Measured against the local provider stub, 50
 * calls at once through the real OpenAI client: about 0.25-0.35 ms of CPU per call (stub
 * included) instead of 1.0 (bench/queue's "model client"). The engine writes the messages
 * itself, so they are valid by construction.
 *
 * What the model receives and what comes back is what generateText would send and return (the
 * equivalence tests in generate.test.ts compare both through the real clients of every provider:
 * OpenAI Chat Completions and Responses, Anthropic, Google, Groq, OpenRouter, Ollama and
 * OpenAI-compatible servers), with one difference: a tool call of an unknown tool or with arguments that are not JSON comes back as
 * a tool call (its input the raw text), and no error result is added to the response messages;
 * the engine answers such calls itself (tool-step.ts). Anything else (images or files in the
 * history, approval parts, an empty history) goes to generateText unchanged.
 */
export async function generateOnce(settings: GenerateSettings): Promise<GenerateOutput> {
  const prompt = toPrompt(settings.system, settings.messages);
  if (!prompt) return viaGenerateText(settings);
  const tools = await toFunctionTools(settings.tools);
  const result = await settings.model.doGenerate({
    prompt,
    tools,
    toolChoice: tools ? { type: 'auto' } : undefined,
    maxOutputTokens: settings.maxOutputTokens,
    temperature: settings.temperature,
    topP: settings.topP,
    abortSignal: settings.abortSignal,
  });

  let text = '';
  const toolCalls: GenerateOutput['toolCalls'] = [];
  const content: Exclude<AssistantContent, string> = [];
  for (const part of result.content) {
    switch (part.type) {
      case 'text':
        text += part.text;
        if (part.text.length > 0) content.push({ type: 'text', text: part.text, providerOptions: part.providerMetadata });
        break;
      case 'reasoning':
        content.push({ type: 'reasoning', text: part.text, providerOptions: part.providerMetadata });
        break;
      case 'file':
        content.push({
          type: 'file',
          data: typeof part.data === 'string' ? part.data : Buffer.from(part.data).toString('base64'),
          mediaType: part.mediaType,
          providerOptions: part.providerMetadata,
        });
        break;
      case 'tool-call': {
        // As generateText parses a call: an unknown tool or arguments that are not JSON make it
        // invalid; its input is then the parsed JSON or the raw text, and in the history an object.
        const known = Object.hasOwn(settings.tools, part.toolName);
        const parsed = known && part.input.trim() === '' ? { ok: true as const, value: {} } : parseJson(part.input);
        const input = parsed.ok ? parsed.value : part.input;
        const invalid = !known || !parsed.ok;
        toolCalls.push({ toolCallId: part.toolCallId, toolName: part.toolName, input });
        content.push({
          type: 'tool-call',
          toolCallId: part.toolCallId,
          toolName: part.toolName,
          input: invalid && typeof input !== 'object' ? {} : input,
          providerExecuted: part.providerExecuted,
          providerOptions: part.providerMetadata,
        });
        break;
      }
      // Sources are not part of the history; provider-executed tool results and approval
      // requests come only from provider tools, which Troupe does not configure.
      default:
        break;
    }
  }
  return {
    text,
    toolCalls,
    usage: {
      inputTokens: result.usage.inputTokens.total,
      inputTokenDetails: { noCacheTokens: result.usage.inputTokens.noCache, cacheReadTokens: result.usage.inputTokens.cacheRead, cacheWriteTokens: result.usage.inputTokens.cacheWrite },
      outputTokens: result.usage.outputTokens.total,
      outputTokenDetails: { textTokens: result.usage.outputTokens.text, reasoningTokens: result.usage.outputTokens.reasoning },
      totalTokens: addTokens(result.usage.inputTokens.total, result.usage.outputTokens.total),
      raw: result.usage.raw,
      reasoningTokens: result.usage.outputTokens.reasoning,
      cachedInputTokens: result.usage.inputTokens.cacheRead,
    },
    finishReason: result.finishReason.unified,
    responseMessages: content.length ? [{ role: 'assistant', content }] : [],
  };
}

/**
 * The same step streamed (someone follows the run): `streamText`, each text delta handed to
 * `onText` as it arrives.
 */
export async function streamOnce(settings: GenerateSettings, onText: (text: string) => void): Promise<GenerateOutput> {
  // Retries are ours (models/retry.ts), with Retry-After and fallbacks; the SDK must not add its own.
  const result = streamText({ ...settings, maxRetries: 0 });
  for await (const part of result.fullStream) {
    if (part.type === 'text-delta') onText(part.text);
    else if (part.type === 'error') throw part.error;
  }
  const [text, toolCalls, usage, finishReason, response] = await Promise.all([result.text, result.toolCalls, result.usage, result.finishReason, result.response]);
  return sdkOutput({ text, toolCalls, usage, finishReason, messages: response.messages });
}

async function viaGenerateText(settings: GenerateSettings): Promise<GenerateOutput> {
  const r = await generateText({ ...settings, maxRetries: 0 });
  // Named, not spread: the result's fields are getters on its class.
  return sdkOutput({ text: r.text, toolCalls: r.toolCalls, usage: r.usage, finishReason: r.finishReason, messages: r.response.messages });
}

/** What generateText or streamText reported, as the engine takes it. */
function sdkOutput(r: {
  text: string;
  toolCalls: { toolCallId: string; toolName: string; input: unknown }[];
  usage: LanguageModelUsage;
  finishReason: FinishReason;
  messages: ModelMessage[];
}): GenerateOutput {
  return {
    text: r.text,
    toolCalls: r.toolCalls.map((c) => ({ toolCallId: c.toolCallId, toolName: c.toolName, input: c.input })),
    usage: r.usage,
    finishReason: r.finishReason,
    // Without `execute`, the only tool message the SDK adds is the error of an invalid call,
    // which the engine answers itself (one result per call).
    responseMessages: r.messages.filter((m) => m.role !== 'tool'),
  };
}

const addTokens = (a: number | undefined, b: number | undefined) => (a == null && b == null ? undefined : (a ?? 0) + (b ?? 0));

/**
 * Tool arguments as generateText parses them: the SDK's own secureJsonParse, which refuses JSON
 * that could reach an object's prototype (`__proto__`, `constructor.prototype`).
 */
function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: secureJsonParse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

async function toFunctionTools(tools: Record<string, Tool>): Promise<LanguageModelV3FunctionTool[] | undefined> {
  const names = Object.keys(tools);
  if (names.length === 0) return undefined;
  const out: LanguageModelV3FunctionTool[] = [];
  for (const name of names) {
    const t = tools[name]!;
    out.push({
      type: 'function',
      name,
      description: t.description,
      inputSchema: await asSchema(t.inputSchema).jsonSchema,
      ...(t.inputExamples != null ? { inputExamples: t.inputExamples } : {}),
      providerOptions: t.providerOptions,
      ...(t.strict != null ? { strict: t.strict } : {}),
    });
  }
  return out;
}

/**
 * The language-model prompt for the system prompt and messages, converted as the AI SDK's
 * convertToLanguageModelPrompt does; null when the messages hold anything this conversion does
 * not cover (then generateText converts, downloads and validates them itself).
 */
export function toPrompt(system: string, messages: ModelMessage[]): LanguageModelV3Prompt | null {
  if (messages.length === 0) return null;
  const out: LanguageModelV3Message[] = [{ role: 'system', content: system }];
  for (const message of messages) {
    const converted = toMessage(message);
    if (!converted) return null;
    const last = out[out.length - 1]!;
    // Consecutive tool messages become one, as the SDK sends them.
    if (converted.role === 'tool' && last.role === 'tool') {
      const lastPart = last.content.at(-1);
      if (lastPart && last.providerOptions != null) lastPart.providerOptions = { ...last.providerOptions, ...lastPart.providerOptions };
      last.content.push(...converted.content);
      last.providerOptions = converted.providerOptions;
    } else out.push(converted);
  }
  // Every tool call needs its result before the next user turn (else the SDK's own error).
  const open = new Set<string>();
  for (const m of out) {
    if (m.role === 'assistant') for (const p of m.content) if (p.type === 'tool-call' && !p.providerExecuted) open.add(p.toolCallId);
    if (m.role === 'tool') for (const p of m.content) if (p.type === 'tool-result') open.delete(p.toolCallId);
    if ((m.role === 'user' || m.role === 'system') && open.size > 0) return null;
  }
  if (open.size > 0) return null;
  return out;
}

function toMessage(message: ModelMessage): LanguageModelV3Message | null {
  switch (message.role) {
    case 'user': {
      if (typeof message.content === 'string') return { role: 'user', content: [{ type: 'text', text: message.content }], providerOptions: message.providerOptions };
      const content: Extract<LanguageModelV3Message, { role: 'user' }>['content'] = [];
      for (const part of message.content) {
        if (part.type !== 'text') return null;
        if (part.text !== '') content.push({ type: 'text', text: part.text, providerOptions: part.providerOptions });
      }
      return { role: 'user', content, providerOptions: message.providerOptions };
    }
    case 'assistant': {
      if (typeof message.content === 'string') return { role: 'assistant', content: [{ type: 'text', text: message.content }], providerOptions: message.providerOptions };
      const content: Extract<LanguageModelV3Message, { role: 'assistant' }>['content'] = [];
      for (const part of message.content) {
        if (part.type === 'tool-approval-request') continue;
        const providerOptions = part.providerOptions;
        switch (part.type) {
          case 'text':
            if (part.text !== '' || providerOptions != null) content.push({ type: 'text', text: part.text, providerOptions });
            break;
          case 'reasoning':
            content.push({ type: 'reasoning', text: part.text, providerOptions });
            break;
          case 'tool-call':
            content.push({ type: 'tool-call', toolCallId: part.toolCallId, toolName: part.toolName, input: part.input, providerExecuted: part.providerExecuted, providerOptions });
            break;
          case 'tool-result':
            if (part.output.type === 'content') return null;
            content.push({ type: 'tool-result', toolCallId: part.toolCallId, toolName: part.toolName, output: part.output, providerOptions });
            break;
          default:
            return null;
        }
      }
      return { role: 'assistant', content, providerOptions: message.providerOptions };
    }
    case 'tool': {
      const content: Extract<LanguageModelV3Message, { role: 'tool' }>['content'] = [];
      for (const part of message.content) {
        if (part.type !== 'tool-result' || part.output.type === 'content') return null;
        content.push({ type: 'tool-result', toolCallId: part.toolCallId, toolName: part.toolName, output: part.output, providerOptions: part.providerOptions });
      }
      return { role: 'tool', content, providerOptions: message.providerOptions };
    }
    default:
      // System messages inside the history: the SDK warns or refuses; let it.
      return null;
  }
}

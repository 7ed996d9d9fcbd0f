import type {
  JSONObject,
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Content,
  LanguageModelV3GenerateResult,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
  LanguageModelV3Usage,
} from '@ai-sdk/provider';
import { classifyText, type ClassificationRule } from './classify.js';
import { lastUserText, routeToTool, summarizeToolResults, trailingToolResults, type RoutedCall } from './rules-tools.js';

/** The reply when no rule applies (see docs/rules-model.md). */
export const FIXED_REPLY =
  'No language model is configured for this agent, so I can only give a fixed reply. ' +
  'An administrator can add a provider key (set OPENAI_API_KEY, ANTHROPIC_API_KEY, GROQ_API_KEY or ' +
  'GOOGLE_GENERATIVE_AI_API_KEY on the server, or store one with PUT /api/v1/credentials/{provider}) ' +
  'and give the agent a model such as openai:gpt-4o-mini.';

/** The answer when classification was asked for and no rule matched. */
export const UNCLASSIFIED = 'unclassified';

const CLASSIFY_PREFIX = /^\s*classify\s*:\s*/i;

export interface RulesModelOptions {
  /** Default 'default'. */
  modelId?: string;
  /** The organization's classification rules; only read when a classification is asked for. */
  loadRules?: () => Promise<readonly ClassificationRule[]>;
  /** Replaces FIXED_REPLY, e.g. to say that the configured models failed. */
  fixedReply?: string;
}

/** Per-call options, under `providerOptions.rules`. */
interface RulesCallOptions {
  classify?: boolean;
  rules?: ClassificationRule[];
  text?: string;
}

type Answer =
  | { kind: 'tool-call'; call: RoutedCall; toolCallId: string }
  | { kind: 'text'; text: string; metadata: JSONObject };

const finishOf = (a: Answer) =>
  a.kind === 'tool-call' ? ({ unified: 'tool-calls', raw: 'tool-calls' } as const) : ({ unified: 'stop', raw: 'stop' } as const);
const metadataOf = (a: Answer) => ({ rules: a.kind === 'tool-call' ? { kind: 'tool-call', toolName: a.call.toolName } : a.metadata });

// No tokens are consumed, so usage is zero (not a word count dressed up as tokens); the catalog
// price is 0 as well, so the ledger books the call at 0.
const ZERO_USAGE: LanguageModelV3Usage = {
  inputTokens: { total: 0, noCache: 0, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 0, text: 0, reasoning: 0 },
};

function rulesOptions(options: LanguageModelV3CallOptions): RulesCallOptions {
  const raw = options.providerOptions?.rules;
  if (!raw) return {};
  const rules = Array.isArray(raw.rules)
    ? raw.rules.flatMap((r) => {
        const o = r as { label?: unknown; keywords?: unknown; priority?: unknown } | null;
        if (!o || typeof o.label !== 'string' || !Array.isArray(o.keywords)) return [];
        const keywords = o.keywords.filter((k): k is string => typeof k === 'string');
        return [{ label: o.label, keywords, priority: typeof o.priority === 'number' ? o.priority : 0 }];
      })
    : undefined;
  return { classify: raw.classify === true, rules, text: typeof raw.text === 'string' ? raw.text : undefined };
}

/**
 * The offline rules model: deterministic, no network, no cost. It is what an agent runs on when
 * no provider is configured, and the last fallback after every configured model failed.
 * In order of precedence it
 * 1. classifies, when `providerOptions: { rules: { classify: true, rules?, text? } }` asks for it
 *    (rules default to the organization's; text to the last user message): answers the label;
 * 2. summarises tool results in plain text, when the prompt ends with them;
 * 3. classifies a last user message that starts with "classify:" by the organization's rules;
 * 4. calls a tool the last user message names, when it can fill the tool's parameters;
 * 5. otherwise gives FIXED_REPLY.
 * `providerMetadata.rules.kind` tells which one happened. See docs/rules-model.md.
 */
export class RulesModel implements LanguageModelV3 {
  readonly specificationVersion = 'v3';
  readonly provider = 'rules';
  readonly modelId: string;
  readonly supportedUrls: Record<string, RegExp[]> = {};

  constructor(private readonly options: RulesModelOptions = {}) {
    this.modelId = options.modelId ?? 'default';
  }

  private async classify(text: string, given: ClassificationRule[] | undefined): Promise<Answer> {
    const rules = given ?? (await this.options.loadRules?.()) ?? [];
    const found = classifyText(text, rules);
    return {
      kind: 'text',
      text: found?.label ?? UNCLASSIFIED,
      metadata: { kind: 'classification', label: found?.label ?? null, matched: found?.matched ?? [] },
    };
  }

  private async answer(options: LanguageModelV3CallOptions): Promise<Answer> {
    options.abortSignal?.throwIfAborted();
    const own = rulesOptions(options);
    const userText = lastUserText(options.prompt);
    if (own.classify) return this.classify(own.text ?? userText, own.rules);

    const results = trailingToolResults(options.prompt);
    if (results.length) return { kind: 'text', text: summarizeToolResults(results), metadata: { kind: 'tool-summary' } };

    if (CLASSIFY_PREFIX.test(userText)) return this.classify(userText.replace(CLASSIFY_PREFIX, ''), own.rules);

    const call = routeToTool(options);
    if (call) {
      // Deterministic and unique within the conversation: one more than the calls already in it.
      const earlier = options.prompt.reduce((n, m) => n + (m.role === 'assistant' ? m.content.filter((p) => p.type === 'tool-call').length : 0), 0);
      return { kind: 'tool-call', call, toolCallId: `rules-call-${earlier + 1}` };
    }
    return { kind: 'text', text: this.options.fixedReply ?? FIXED_REPLY, metadata: { kind: 'fixed-reply' } };
  }

  async doGenerate(options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
    const a = await this.answer(options);
    const content: LanguageModelV3Content[] =
      a.kind === 'tool-call'
        ? [{ type: 'tool-call', toolCallId: a.toolCallId, toolName: a.call.toolName, input: JSON.stringify(a.call.input) }]
        : [{ type: 'text', text: a.text }];
    return {
      content,
      finishReason: finishOf(a),
      usage: ZERO_USAGE,
      providerMetadata: metadataOf(a),
      response: { modelId: `rules:${this.modelId}` },
      warnings: [],
    };
  }

  async doStream(options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
    const a = await this.answer(options);
    const parts: LanguageModelV3StreamPart[] = [{ type: 'stream-start', warnings: [] }, { type: 'response-metadata', modelId: `rules:${this.modelId}` }];
    if (a.kind === 'tool-call') {
      const input = JSON.stringify(a.call.input);
      parts.push(
        { type: 'tool-input-start', id: a.toolCallId, toolName: a.call.toolName },
        { type: 'tool-input-delta', id: a.toolCallId, delta: input },
        { type: 'tool-input-end', id: a.toolCallId },
        { type: 'tool-call', toolCallId: a.toolCallId, toolName: a.call.toolName, input },
      );
    } else {
      parts.push({ type: 'text-start', id: 'text-0' });
      // One delta per word (with its trailing space), so a chat client shows it arriving.
      for (const piece of a.text.match(/\S+\s*|\s+/g) ?? []) parts.push({ type: 'text-delta', id: 'text-0', delta: piece });
      parts.push({ type: 'text-end', id: 'text-0' });
    }
    parts.push({
      type: 'finish',
      usage: ZERO_USAGE,
      finishReason: finishOf(a),
      providerMetadata: metadataOf(a),
    });
    const stream = new ReadableStream<LanguageModelV3StreamPart>({
      start(controller) {
        for (const p of parts) controller.enqueue(p);
        controller.close();
      },
    });
    return { stream };
  }
}

import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { generateText, streamText, tool } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startProviderStub, type ProviderStub, type StubRequest } from '../../test/helpers/provider-stub.js';
import { troupeModel } from '../../test/helpers/troupe-models.js';

/**
 * The real AI SDK clients against the local stub: proves the stub speaks each wire format well
 * enough, and pins what the SDK reports (text, tool calls, usage) for each provider.
 */
let stub: ProviderStub;
beforeAll(async () => {
  stub = await startProviderStub();
});
afterAll(() => stub.close());
beforeEach(() => stub.reset());

const weather = tool({ description: 'Weather for a city', inputSchema: z.object({ city: z.string(), days: z.number().int() }) });

const clients: { name: string; path: string; model: () => LanguageModelV3 | Promise<LanguageModelV3> }[] = [
  { name: 'OpenAI Chat Completions', path: '/v1/chat/completions', model: () => createOpenAI({ baseURL: `${stub.url}/v1`, apiKey: 'test-key' }).chat('gpt-4o-mini') },
  { name: 'OpenAI Responses', path: '/v1/responses', model: () => createOpenAI({ baseURL: `${stub.url}/v1`, apiKey: 'test-key' }).responses('gpt-4o-mini') },
  { name: 'Anthropic Messages', path: '/v1/messages', model: () => createAnthropic({ baseURL: `${stub.url}/v1`, apiKey: 'test-key' })('claude-sonnet-4-0') },
  { name: 'Google Gemini', path: '/v1beta/models/gemini-2.5-flash:generateContent', model: () => troupeModel(stub.url, 'google', 'gemini-2.5-flash') },
  { name: 'Groq', path: '/v1/chat/completions', model: () => troupeModel(stub.url, 'groq', 'llama-3.3-70b-versatile') },
  { name: 'OpenRouter', path: '/v1/chat/completions', model: () => troupeModel(stub.url, 'openrouter', 'openai/gpt-4o-mini') },
  { name: 'Ollama', path: '/v1/chat/completions', model: () => troupeModel(stub.url, 'ollama', 'llama3.2:3b') },
  { name: 'OpenAI-compatible', path: '/v1/chat/completions', model: () => troupeModel(stub.url, 'openai-compatible', 'qwen2.5') },
];

/** Whether the client asked for a stream: a flag in the body, or Gemini's streaming endpoint. */
const streamed = (request: StubRequest) => request.body.stream === true || request.path.endsWith(':streamGenerateContent');

describe.each(clients)('$name through the stub', ({ path, model }) => {
  it('generates plain text with usage, including cached input tokens', async () => {
    stub.enqueue({ text: 'Paris is the capital of France.', usage: { input: 120, output: 9, cached: 100 } });
    const r = await generateText({ model: await model(), prompt: 'Capital of France?', maxRetries: 0 });
    expect(r.text).toBe('Paris is the capital of France.');
    expect(r.finishReason).toBe('stop');
    expect(r.usage.inputTokens).toBe(120);
    expect(r.usage.outputTokens).toBe(9);
    expect(r.usage.inputTokenDetails.cacheReadTokens).toBe(100);
    expect(r.usage.inputTokenDetails.noCacheTokens).toBe(20);
    expect(stub.requests.map((q) => q.path)).toEqual([path]);
    expect(streamed(stub.requests[0]!)).toBe(false);
  });

  it('streams text deltas and reports usage at the end', async () => {
    stub.enqueue({ text: 'one two three four', usage: { input: 7, output: 4 } });
    const r = streamText({ model: await model(), prompt: 'Count', maxRetries: 0 });
    const deltas: string[] = [];
    for await (const d of r.textStream) deltas.push(d);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('one two three four');
    expect(await r.usage).toMatchObject({ inputTokens: 7, outputTokens: 4 });
    expect(await r.finishReason).toBe('stop');
    expect(streamed(stub.requests[0]!)).toBe(true);
  });

  it('returns a tool call, parsed against the tool schema (plain)', async () => {
    stub.enqueue({ toolCalls: [{ name: 'weather', args: { city: 'Oslo', days: 3 } }], usage: { input: 50, output: 12 } });
    const r = await generateText({ model: await model(), prompt: 'Weather in Oslo', tools: { weather }, maxRetries: 0 });
    expect(r.finishReason).toBe('tool-calls');
    expect(r.toolCalls.map((c) => [c.toolName, c.input])).toEqual([['weather', { city: 'Oslo', days: 3 }]]);
    // The SDK sent the tool's JSON schema.
    expect(JSON.stringify(stub.requests[0]!.body.tools)).toContain('"city"');
  });

  it('streams text then a tool call with its arguments in pieces', async () => {
    stub.enqueue({ text: 'Let me check.', toolCalls: [{ name: 'weather', args: { city: 'Bergen', days: 1 } }], usage: { input: 30, output: 15 } });
    const r = streamText({ model: await model(), prompt: 'Weather in Bergen', tools: { weather }, maxRetries: 0 });
    const kinds = new Set<string>();
    for await (const part of r.fullStream) kinds.add(part.type);
    expect(kinds).toContain('tool-input-delta');
    expect(await r.text).toBe('Let me check.');
    const calls = await r.toolCalls;
    expect(calls.map((c) => [c.toolName, c.input])).toEqual([['weather', { city: 'Bergen', days: 1 }]]);
    expect(await r.usage).toMatchObject({ inputTokens: 30, outputTokens: 15 });
  });

  it('surfaces a provider error with its status and headers', async () => {
    stub.enqueue({ status: 429, text: 'Slow down', headers: { 'retry-after': '2' } });
    const err = await generateText({ model: await model(), prompt: 'x', maxRetries: 0 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ statusCode: 429, isRetryable: true, message: 'Slow down' });
    expect((err as { responseHeaders: Record<string, string> }).responseHeaders['retry-after']).toBe('2');
  });
});

describe('stub defaults', () => {
  it('answers the default reply when nothing is queued, and sends the key it was given', async () => {
    const r = await generateText({ model: await clients[0]!.model(), prompt: 'hi', maxRetries: 0 });
    expect(r.text).toBe('Hello from the stub.');
    expect(stub.requests[0]!.headers.authorization).toBe('Bearer test-key');
  });

  it('uses a configured default reply', async () => {
    const own = await startProviderStub({ defaultReply: { text: 'Custom.' }, record: false });
    try {
      const r = await generateText({ model: createAnthropic({ baseURL: `${own.url}/v1`, apiKey: 'k' })('claude-sonnet-4-0'), prompt: 'hi', maxRetries: 0 });
      expect(r.text).toBe('Custom.');
      expect(own.requests).toEqual([]);
    } finally {
      await own.close();
    }
  });
});

import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { generateText, jsonSchema, tool, type ModelMessage } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startProviderStub, type ProviderStub, type StubReply } from '../../test/helpers/provider-stub.js';
import { generateOnce, streamOnce, toPrompt, type GenerateSettings } from './generate.js';
import { httpFetch } from './http-fetch.js';
import { troupeModel } from '../../test/helpers/troupe-models.js';

/**
 * generateOnce against generateText, both through the real AI SDK clients and the local stub:
 * the same request body reaches the provider, and the same text, tool calls, usage, finish
 * reason and response messages come back.
 */
let stub: ProviderStub;
beforeAll(async () => {
  stub = await startProviderStub();
});
afterAll(() => stub.close());
beforeEach(() => stub.reset());

const tools = {
  weather: tool({
    description: 'Weather for a city',
    inputSchema: jsonSchema({ type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city'], additionalProperties: false }),
  }),
  calculator: tool({ description: 'Evaluates arithmetic', inputSchema: jsonSchema({ type: 'object', properties: { expression: { type: 'string' } }, required: ['expression'] }) }),
};

const clients: { name: string; path: string; rawArgs: boolean; model: () => LanguageModelV3 | Promise<LanguageModelV3> }[] = [
  { name: 'OpenAI Chat Completions', path: '/v1/chat/completions', rawArgs: true, model: () => createOpenAI({ baseURL: `${stub.url}/v1`, apiKey: 'k', fetch: httpFetch }).chat('gpt-4o-mini') },
  { name: 'OpenAI Responses', path: '/v1/responses', rawArgs: true, model: () => createOpenAI({ baseURL: `${stub.url}/v1`, apiKey: 'k', fetch: httpFetch }).responses('gpt-4o-mini') },
  { name: 'Anthropic Messages', path: '/v1/messages', rawArgs: false, model: () => createAnthropic({ baseURL: `${stub.url}/v1`, apiKey: 'k', fetch: httpFetch })('claude-sonnet-4-0') },
  // The other providers as Troupe configures them (language-model.ts). Gemini sends arguments as
  // an object, so they are always JSON.
  { name: 'Google Gemini', path: '/v1beta/models/gemini-2.5-flash:generateContent', rawArgs: false, model: () => troupeModel(stub.url, 'google', 'gemini-2.5-flash') },
  { name: 'Groq', path: '/v1/chat/completions', rawArgs: true, model: () => troupeModel(stub.url, 'groq', 'llama-3.3-70b-versatile') },
  { name: 'OpenRouter', path: '/v1/chat/completions', rawArgs: true, model: () => troupeModel(stub.url, 'openrouter', 'anthropic/claude-sonnet-4') },
  { name: 'Ollama', path: '/v1/chat/completions', rawArgs: true, model: () => troupeModel(stub.url, 'ollama', 'llama3.2:3b') },
  { name: 'OpenAI-compatible', path: '/v1/chat/completions', rawArgs: true, model: () => troupeModel(stub.url, 'openai-compatible', 'qwen2.5-72b') },
];

/** A history the engine builds: a task, a turn with two tool calls, their results, a follow-up. */
const history: ModelMessage[] = [
  { role: 'user', content: 'Weather in Oslo and 6*7?' },
  {
    role: 'assistant',
    content: [
      { type: 'text', text: 'Let me check.' },
      { type: 'tool-call', toolCallId: 'call_a', toolName: 'weather', input: { city: 'Oslo', days: 2 } },
      { type: 'tool-call', toolCallId: 'call_b', toolName: 'calculator', input: { expression: '6*7' } },
    ],
  },
  { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_a', toolName: 'weather', output: { type: 'json', value: { temp: 4, sky: 'grey' } } }] },
  { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_b', toolName: 'calculator', output: { type: 'error-text', value: 'invalid_arguments: bad' } }] },
  { role: 'assistant', content: 'Anything else?' },
  { role: 'user', content: [{ type: 'text', text: 'Yes: ' }, { type: 'text', text: '' }, { type: 'text', text: 'tomorrow too.' }] },
];

/** Provider-made ids differ per request (msg_1, msg_2): the comparison is of everything else. */
const normalized = (value: unknown) => JSON.parse(JSON.stringify(value ?? null).replace(/"(msg|fc|resp|chatcmpl)_\d+(_\d+)?"/g, '"$1_n"')) as unknown;

async function both(model: () => LanguageModelV3 | Promise<LanguageModelV3>, settings: Omit<GenerateSettings, 'model'>, reply: StubReply) {
  stub.enqueue(reply, reply);
  const sdk = await generateText({ ...settings, model: await model(), maxRetries: 0 });
  const ours = await generateOnce({ ...settings, model: await model() });
  const [sdkRequest, ourRequest] = stub.requests.slice(-2).map((r) => r.body);
  return { sdk, ours, sdkRequest, ourRequest };
}

describe.each(clients)('generateOnce matches generateText: $name', ({ model, path, rawArgs }) => {
  const settings = { system: 'You are a careful assistant.', messages: history, tools, temperature: 0.2, maxOutputTokens: 300 };

  it('sends the same request and reads a text answer the same', async () => {
    const { sdk, ours, sdkRequest, ourRequest } = await both(model, settings, { text: 'Tomorrow: 6 degrees.', usage: { input: 220, output: 7, cached: 200 } });
    expect(stub.requests.map((r) => r.path)).toEqual([path, path]);
    expect(ourRequest).toEqual(sdkRequest);
    expect(ours.text).toBe(sdk.text);
    expect(ours.toolCalls).toEqual([]);
    expect(ours.finishReason).toBe(sdk.finishReason);
    expect(ours.usage).toEqual(sdk.usage);
    expect(normalized(ours.responseMessages)).toEqual(normalized(sdk.response.messages));
  });

  it('reads tool calls (two, with text) the same', async () => {
    const reply: StubReply = {
      text: 'Checking both.',
      toolCalls: [
        { id: 'call_1', name: 'weather', args: { city: 'Bergen', days: 1 } },
        { id: 'call_2', name: 'calculator', args: { expression: '2+2' } },
      ],
      usage: { input: 90, output: 30 },
    };
    const { sdk, ours, sdkRequest, ourRequest } = await both(model, settings, reply);
    expect(ourRequest).toEqual(sdkRequest);
    expect(ours.text).toBe(sdk.text);
    expect(ours.toolCalls).toEqual(sdk.toolCalls.map((c) => ({ toolCallId: c.toolCallId, toolName: c.toolName, input: c.input })));
    expect(ours.toolCalls.map((c) => c.input)).toEqual([{ city: 'Bergen', days: 1 }, { expression: '2+2' }]);
    expect(ours.finishReason).toBe('tool-calls');
    expect(ours.usage).toEqual(sdk.usage);
    expect(normalized(ours.responseMessages)).toEqual(normalized(sdk.response.messages));
  });

  it('answers a call of an unknown tool as a call (the engine answers it), as generateText minus its error message', async () => {
    const reply: StubReply = { toolCalls: [{ id: 'call_x', name: 'launch_rockets', args: { count: 3 } }], usage: { input: 10, output: 5 } };
    const { sdk, ours } = await both(model, settings, reply);
    expect(ours.toolCalls).toEqual([{ toolCallId: 'call_x', toolName: 'launch_rockets', input: { count: 3 } }]);
    expect(ours.toolCalls).toEqual(sdk.toolCalls.map((c) => ({ toolCallId: c.toolCallId, toolName: c.toolName, input: c.input })));
    // generateText adds a tool message with the error; the engine writes its own result instead.
    expect(sdk.response.messages.map((m) => m.role)).toEqual(['assistant', 'tool']);
    expect(normalized(ours.responseMessages)).toEqual(normalized(sdk.response.messages.filter((m) => m.role !== 'tool')));
  });

  it.runIf(rawArgs)('keeps arguments that are not JSON as their text, as generateText does', async () => {
    const reply: StubReply = { toolCalls: [{ id: 'call_y', name: 'calculator', args: {}, rawArgs: '{"expression": "1+' }], usage: { input: 10, output: 5 } };
    const { sdk, ours } = await both(model, settings, reply);
    expect(ours.toolCalls).toEqual([{ toolCallId: 'call_y', toolName: 'calculator', input: '{"expression": "1+' }]);
    expect(ours.toolCalls).toEqual(sdk.toolCalls.map((c) => ({ toolCallId: c.toolCallId, toolName: c.toolName, input: c.input })));
    expect(normalized(ours.responseMessages)).toEqual(normalized(sdk.response.messages.filter((m) => m.role !== 'tool')));
  });

  it('sends no tools when the agent has none', async () => {
    const { sdk, ours, sdkRequest, ourRequest } = await both(model, { ...settings, tools: {} }, { text: 'Fine.' });
    expect(ourRequest).toEqual(sdkRequest);
    expect(ourRequest).not.toHaveProperty('tools');
    expect(ours.text).toBe(sdk.text);
  });
});

describe.each(clients)('streamOnce (streamText) reads what generateOnce reads: $name', ({ model }) => {
  it('the same text, tool calls, finish reason, usage and response messages', async () => {
    const reply: StubReply = { text: 'Checking both.', toolCalls: [{ id: 'call_1', name: 'weather', args: { city: 'Bergen', days: 1 } }], usage: { input: 90, output: 30, cached: 10 } };
    stub.enqueue(reply, reply);
    const settings = { system: 'You are a careful assistant.', messages: history, tools, temperature: 0.2 };
    const deltas: string[] = [];
    const streamed = await streamOnce({ ...settings, model: await model() }, (t) => deltas.push(t));
    const once = await generateOnce({ ...settings, model: await model() });
    // (The request bodies differ by what each client adds for streaming, e.g. Anthropic's eager_input_streaming.)
    expect(deltas.join('')).toBe('Checking both.');
    expect(once.text).toBe(streamed.text);
    expect(once.toolCalls).toEqual(streamed.toolCalls);
    expect(once.finishReason).toBe(streamed.finishReason);
    // `raw` is the provider's own usage object, which differs between its two formats.
    expect({ ...once.usage, raw: undefined }).toEqual({ ...streamed.usage, raw: undefined });
    expect(normalized(once.responseMessages)).toEqual(normalized(streamed.responseMessages));
  });
});

it('refuses tool arguments that reach an object prototype, as the SDK does', async () => {
  const model = createOpenAI({ baseURL: `${stub.url}/v1`, apiKey: 'k', fetch: httpFetch }).chat('gpt-4o-mini');
  stub.enqueue({ toolCalls: [{ id: 'call_p', name: 'calculator', args: {}, rawArgs: '{"expression":"1","__proto__":{"admin":true}}' }] });
  const r = await generateOnce({ model, system: 's', messages: [{ role: 'user', content: 'hi' }], tools });
  expect(r.toolCalls[0]!.input).toBe('{"expression":"1","__proto__":{"admin":true}}');
  for (const rawArgs of ['{"constructor":{"prototype":{"admin":true}}}', '{"\\u005f_proto__":{"admin":true}}']) {
    stub.enqueue({ toolCalls: [{ id: 'call_q', name: 'calculator', args: {}, rawArgs }] });
    const q = await generateOnce({ model, system: 's', messages: [{ role: 'user', content: 'hi' }], tools });
    expect(q.toolCalls[0]!.input, rawArgs).toBe(rawArgs);
  }
  // A key that only looks like one is fine.
  stub.enqueue({ toolCalls: [{ id: 'call_r', name: 'calculator', args: { expression: '"__proto__": 1' } }] });
  const ok = await generateOnce({ model, system: 's', messages: [{ role: 'user', content: 'hi' }], tools });
  expect(ok.toolCalls[0]!.input).toEqual({ expression: '"__proto__": 1' });
});

it('hands a history with an image to generateText, which converts it', async () => {
  const model = createOpenAI({ baseURL: `${stub.url}/v1`, apiKey: 'k', fetch: httpFetch }).chat('gpt-4o-mini');
  stub.enqueue({ text: 'A red dot.' });
  const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
  const r = await generateOnce({ model, system: 's', messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', image: png, mediaType: 'image/png' }] }], tools: {} });
  expect(r.text).toBe('A red dot.');
  expect(JSON.stringify(stub.requests[0]!.body.messages)).toContain(`data:image/png;base64,${png}`);
});

describe('toPrompt', () => {
  it('merges consecutive tool messages into one, as the SDK sends them', () => {
    const prompt = toPrompt('sys', history)!;
    expect(prompt.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant', 'user']);
    expect(prompt[3]!.content).toHaveLength(2);
    // Empty text parts of a user message are dropped.
    expect(prompt[5]!.content).toEqual([
      { type: 'text', text: 'Yes: ', providerOptions: undefined },
      { type: 'text', text: 'tomorrow too.', providerOptions: undefined },
    ]);
  });

  it('leaves to generateText (null) what it does not convert or would refuse', () => {
    const call: ModelMessage = { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'c1', toolName: 'weather', input: {} }] };
    expect(toPrompt('s', [])).toBeNull();
    expect(toPrompt('s', [{ role: 'system', content: 'injected' }, { role: 'user', content: 'hi' }])).toBeNull();
    expect(toPrompt('s', [{ role: 'user', content: 'hi' }, call])).toBeNull();
    expect(toPrompt('s', [{ role: 'user', content: 'hi' }, call, { role: 'user', content: 'and?' }])).toBeNull();
    expect(toPrompt('s', [{ role: 'user', content: [{ type: 'file', data: 'AAAA', mediaType: 'application/pdf' }] }])).toBeNull();
    expect(toPrompt('s', [{ role: 'user', content: 'hi' }])).toEqual([
      { role: 'system', content: 's' },
      { role: 'user', content: [{ type: 'text', text: 'hi' }], providerOptions: undefined },
    ]);
  });
});

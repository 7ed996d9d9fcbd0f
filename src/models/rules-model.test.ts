import { generateText, stepCountIs, streamText, tool } from 'ai';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { FIXED_REPLY, RulesModel, UNCLASSIFIED } from './rules-model.js';

const currentTime = tool({
  description: 'The current time',
  inputSchema: z.object({ timezone: z.string().optional() }),
  execute: async () => ({ iso: '2025-01-01T12:00:00.000Z', timezone: 'UTC' }),
});
const calculator = tool({
  description: 'Evaluates arithmetic',
  inputSchema: z.object({ expression: z.string() }),
  execute: async ({ expression }) => ({ expression, result: 42 }),
});
// A tool the rules model cannot fill: it needs a parameter it cannot guess.
const sendEmail = tool({ description: 'Sends an email', inputSchema: z.object({ to: z.string(), body: z.string() }) });
const tools = { current_time: currentTime, calculator, send_email: sendEmail };

const rules = [
  { label: 'billing', keywords: ['invoice', 'refund'], priority: 0 },
  { label: 'outage', keywords: ['down'], priority: 5 },
];

describe('RulesModel', () => {
  it('answers plainly and identically every time when nothing applies', async () => {
    const model = new RulesModel();
    const a = await generateText({ model, prompt: 'Write me a poem' });
    const b = await generateText({ model, prompt: 'Write me a poem' });
    expect(a.text).toBe(FIXED_REPLY);
    expect(b.text).toBe(a.text);
    expect(a.text).toContain('OPENAI_API_KEY');
    expect(a.usage).toMatchObject({ inputTokens: 0, outputTokens: 0 });
    expect(a.providerMetadata).toEqual({ rules: { kind: 'fixed-reply' } });
    expect(a.response.modelId).toBe('rules:default');
  });

  it('calls a tool the message names, then summarises its result', async () => {
    const r = await generateText({ model: new RulesModel(), prompt: 'What is the current time?', tools, stopWhen: stepCountIs(3) });
    expect(r.steps).toHaveLength(2);
    expect(r.steps[0]!.toolCalls.map((c) => [c.toolName, c.input, c.toolCallId])).toEqual([['current_time', {}, 'rules-call-1']]);
    expect(r.text).toBe('Result of current_time: iso: 2025-01-01T12:00:00.000Z; timezone: UTC');
  });

  it('fills a calculator expression from the message', async () => {
    const r = await generateText({ model: new RulesModel(), prompt: 'Use the calculator: what is 12 * (3 + 4)?', tools, stopWhen: stepCountIs(3) });
    expect(r.steps[0]!.toolCalls.map((c) => c.input)).toEqual([{ expression: '12 * (3 + 4)' }]);
    expect(r.text).toBe('Result of calculator: expression: 12 * (3 + 4); result: 42');
  });

  it.each([
    ['calculator please', 'no expression to fill'],
    ['What is 2 + 2?', 'the tool is not named'],
    ['send email to bob', 'a required parameter it cannot fill'],
    ['the currenttime', 'not a whole-word mention'],
  ])('does not call a tool for %j (%s)', async (prompt) => {
    const r = await generateText({ model: new RulesModel(), prompt, tools });
    expect(r.toolCalls).toEqual([]);
    expect(r.text).toBe(FIXED_REPLY);
  });

  it('respects toolChoice', async () => {
    const none = await generateText({ model: new RulesModel(), prompt: 'current time?', tools, toolChoice: 'none' });
    expect(none.toolCalls).toEqual([]);
    const forced = await generateText({ model: new RulesModel(), prompt: 'hello', tools, toolChoice: { type: 'tool', toolName: 'current_time' } });
    expect(forced.toolCalls.map((c) => c.toolName)).toEqual(['current_time']);
  });

  it('reports a failed tool plainly', async () => {
    const broken = tool({
      description: 'x',
      inputSchema: z.object({}),
      execute: async (): Promise<string> => {
        throw new Error('clock unavailable');
      },
    });
    const r = await generateText({ model: new RulesModel(), prompt: 'current time', tools: { current_time: broken }, stopWhen: stepCountIs(3) });
    expect(r.text).toBe('current_time failed: clock unavailable');
  });

  it('classifies with the organization’s rules when asked by providerOptions, loading them only then', async () => {
    const loadRules = vi.fn(async () => rules);
    const model = new RulesModel({ loadRules });
    await generateText({ model, prompt: 'my invoice is wrong' });
    expect(loadRules).not.toHaveBeenCalled();
    const r = await generateText({ model, prompt: 'my invoice is wrong', providerOptions: { rules: { classify: true } } });
    expect(r.text).toBe('billing');
    expect(r.providerMetadata).toEqual({ rules: { kind: 'classification', label: 'billing', matched: ['invoice'] } });
    expect(loadRules).toHaveBeenCalledTimes(1);
  });

  it('classifies with rules and text given in the call, and says unclassified when none match', async () => {
    const model = new RulesModel({ loadRules: async () => rules });
    const given = await generateText({
      model,
      prompt: 'ignored',
      providerOptions: { rules: { classify: true, text: 'the app is down', rules: [{ label: 'ops', keywords: ['down'] }] } },
    });
    expect(given.text).toBe('ops');
    const none = await generateText({ model, prompt: 'hello there', providerOptions: { rules: { classify: true } } });
    expect(none.text).toBe(UNCLASSIFIED);
    expect(none.providerMetadata?.rules).toMatchObject({ label: null, matched: [] });
  });

  it('classifies a message that starts with "classify:"', async () => {
    const r = await generateText({ model: new RulesModel({ loadRules: async () => rules }), prompt: 'Classify: the site is down, refund me' });
    expect(r.text).toBe('outage');
  });

  it('streams its answer word by word through streamText', async () => {
    const r = streamText({ model: new RulesModel(), prompt: 'Hello?' });
    const deltas: string[] = [];
    for await (const d of r.textStream) deltas.push(d);
    expect(deltas.length).toBeGreaterThan(10);
    expect(deltas.join('')).toBe(FIXED_REPLY);
    expect(await r.finishReason).toBe('stop');
  });

  it('streams a tool call and the summary after it', async () => {
    const r = streamText({ model: new RulesModel(), prompt: 'current time please', tools, stopWhen: stepCountIs(3) });
    expect(await r.text).toBe('Result of current_time: iso: 2025-01-01T12:00:00.000Z; timezone: UTC');
    const steps = await r.steps;
    expect(steps[0]!.toolCalls.map((c) => c.toolName)).toEqual(['current_time']);
  });

  it('uses a replacement fixed reply and honours an aborted signal', async () => {
    const r = await generateText({ model: new RulesModel({ fixedReply: 'Models are down.' }), prompt: 'hi' });
    expect(r.text).toBe('Models are down.');
    await expect(generateText({ model: new RulesModel(), prompt: 'hi', abortSignal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });
});

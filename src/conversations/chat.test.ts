import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedMember, seedRoles, type Member, type TestApp } from '../../test/helpers/app.js';
import { startProviderStub, type ProviderStub } from '../../test/helpers/provider-stub.js';

interface SseEvent {
  id?: string;
  event: string;
  data: Record<string, unknown>;
}
const parseSse = (body: string): SseEvent[] =>
  body
    .split('\n\n')
    .filter((b) => b.trim() && !b.startsWith(':'))
    .map((block) => {
      const e: SseEvent = { event: 'message', data: {} };
      for (const line of block.split('\n')) {
        if (line.startsWith('id: ')) e.id = line.slice(4);
        else if (line.startsWith('event: ')) e.event = line.slice(7);
        else if (line.startsWith('data: ')) e.data = JSON.parse(line.slice(6)) as Record<string, unknown>;
      }
      return e;
    });

describe('chat with an agent over the real OpenAI client', () => {
  let t: TestApp;
  let stub: ProviderStub;
  let r: Awaited<ReturnType<typeof seedRoles>>;
  let agentId: string;

  beforeAll(async () => {
    stub = await startProviderStub();
    // The stub listens on 127.0.0.1: the organization may store it as its base URL because the operator allows it.
    t = await createTestApp('postgres', { TROUPE_PRIVATE_MODEL_HOSTS: '127.0.0.1' });
    r = await seedRoles(t.ctx);
    await t.app.inject({ method: 'PUT', url: '/api/v1/credentials/openai', headers: r.admin.headers, payload: { apiKey: 'sk-test', baseUrl: `${stub.url}/v1` } });
    const agent = await t.app.inject({
      method: 'POST',
      url: '/api/v1/agents',
      headers: r.admin.headers,
      payload: { name: 'Front desk', model: 'openai:gpt-4o-mini', tools: ['calculator'], memory: { historyLength: 5 } },
    });
    agentId = json<{ id: string }>(agent).id;
  });
  afterAll(async () => {
    await t?.close();
    await stub?.close();
  });

  const newConversation = async (who: Member = r.member) => json<{ id: string }>(await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: who.headers, payload: { agentId } })).id;
  const say = (id: string, content: string, who: Member = r.member) =>
    t.app.inject({ method: 'POST', url: `/api/v1/conversations/${id}/messages`, headers: { ...who.headers, accept: 'text/event-stream' }, payload: { content } });

  it('streams the reply: text deltas, the finished step with usage, then the end of the run', async () => {
    stub.enqueue({ text: 'Welcome to the gym! How can I help?', usage: { input: 120, output: 9 } });
    const id = await newConversation();
    const res = await say(id, 'Hi there');
    expect(res.headers['content-type']).toContain('text/event-stream');
    const events = parseSse(res.body);
    const deltas = events.filter((e) => e.event === 'text.delta').map((e) => e.data.text).join('');
    expect(deltas).toBe('Welcome to the gym! How can I help?');
    const finished = events.find((e) => e.event === 'step.finished');
    expect(finished?.data.usage).toMatchObject({ inputTokens: 120, outputTokens: 9 });
    expect(events.at(-1)).toMatchObject({ event: 'run.finished', data: { status: 'succeeded', output: 'Welcome to the gym! How can I help?' } });
    // Persisted events carry ids (for Last-Event-ID); deltas do not.
    expect(events.filter((e) => e.event === 'text.delta').every((e) => e.id === undefined)).toBe(true);
    expect(events.filter((e) => e.event !== 'text.delta').every((e) => e.id !== undefined)).toBe(true);

    const msgs = json<{ items: { role: string; text: string; costMicros: number | null }[] }>(await t.app.inject({ url: `/api/v1/conversations/${id}/messages`, headers: r.member.headers }));
    expect(msgs.items.map((m) => [m.role, m.text])).toEqual([
      ['user', 'Hi there'],
      ['assistant', 'Welcome to the gym! How can I help?'],
    ]);
    expect(msgs.items[1]!.costMicros).toBeGreaterThan(0);
    const conv = json<{ title: string; messageCount: number }>(await t.app.inject({ url: `/api/v1/conversations/${id}`, headers: r.member.headers }));
    expect(conv).toMatchObject({ title: 'Hi there', messageCount: 2 });
  });

  it('keeps tool calls and results in the history and sends the earlier turns back', async () => {
    stub.enqueue({ toolCalls: [{ id: 'call_sum', name: 'calculator', args: { expression: '12 * 3' } }] }, { text: '12 times 3 is 36.' });
    const id = await newConversation();
    await say(id, 'What is 12 times 3?');
    const msgs = json<{ items: { role: string }[] }>(await t.app.inject({ url: `/api/v1/conversations/${id}/messages`, headers: r.member.headers }));
    expect(msgs.items.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    stub.enqueue({ text: 'Yes, 36.' });
    await say(id, 'Are you sure?');
    const last = stub.requests.at(-1)!.body as { messages: { role: string; content?: unknown }[] };
    expect(last.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant', 'user']);
  });

  it('never sends an orphaned tool result, however long the conversation gets', { timeout: 60_000 }, async () => {
    // Answers by the request's shape, so summary calls cannot shift a scripted queue: summary
    // requests (no tools) get a summary; on even questions the model calls the calculator first.
    const own = await startProviderStub({
      respond: ({ body }) => {
        const messages = body.messages as { role: string; content: unknown }[];
        if (!body.tools) return { text: 'Summary of the earlier questions.' };
        const last = messages.at(-1)!;
        if (last.role === 'tool') return { text: 'Here is the result.' };
        const n = Number(/Question (\d+)/.exec(String(last.content))?.[1]);
        return n % 2 === 0 ? { toolCalls: [{ id: `call_${n}`, name: 'calculator', args: { expression: `${n} + 1` } }] } : { text: `Plain answer ${n}.` };
      },
    });
    await t.app.inject({ method: 'PUT', url: '/api/v1/credentials/openai', headers: r.admin.headers, payload: { apiKey: 'sk-test', baseUrl: `${own.url}/v1` } });
    try {
      const id = await newConversation();
      for (let i = 0; i < 12; i++) {
        const res = await say(id, `Question ${i}`);
        // On failure, the message shows what came back instead (an error, a cut stream).
        expect(parseSse(res.body).at(-1)?.data.status, `${res.statusCode} ${res.body.slice(-1500)}`).toBe('succeeded');
      }
      const chats = own.requests.filter((q) => q.body.tools).map((q) => (q.body as { messages: { role: string; tool_call_id?: string; tool_calls?: { id: string }[] }[] }).messages);
      expect(chats.length).toBe(18);
      for (const messages of chats) {
        const seenCalls = new Set<string>();
        for (const m of messages) {
          for (const c of m.tool_calls ?? []) seenCalls.add(c.id);
          if (m.role === 'tool') expect(seenCalls.has(m.tool_call_id!), JSON.stringify(messages.map((x) => x.role))).toBe(true);
        }
        // Every call sent has its result right after it.
        messages.forEach((m, i) => {
          for (const c of m.tool_calls ?? []) expect(messages[i + 1]).toMatchObject({ role: 'tool', tool_call_id: c.id });
        });
        // History length 5, plus the system prompt and the turn's own tool round trip.
        expect(messages.filter((m) => m.role !== 'system').length).toBeLessThanOrEqual(7);
      }
      expect(own.requests.some((q) => !q.body.tools)).toBe(true);
    } finally {
      await t.app.inject({ method: 'PUT', url: '/api/v1/credentials/openai', headers: r.admin.headers, payload: { apiKey: 'sk-test', baseUrl: `${stub.url}/v1` } });
      await own.close();
    }
  });

  it('regenerates the last reply', async () => {
    stub.enqueue({ text: 'First try.' });
    const id = await newConversation();
    await say(id, 'Tell me a joke');
    stub.enqueue({ text: 'Second try.' });
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${id}/regenerate?wait=true`, headers: r.member.headers });
    expect(json<{ run: { status: string; output: string } }>(res).run).toMatchObject({ status: 'succeeded', output: 'Second try.' });
    const msgs = json<{ items: { role: string; text: string }[] }>(await t.app.inject({ url: `/api/v1/conversations/${id}/messages`, headers: r.member.headers }));
    expect(msgs.items.map((m) => m.text)).toEqual(['Tell me a joke', 'Second try.']);
  });

  it('lists, renames and deletes; others cannot see it; viewers cannot send', async () => {
    const id = await newConversation();
    const mine = json<{ items: { id: string }[] }>(await t.app.inject({ url: `/api/v1/conversations?agentId=${agentId}`, headers: r.member.headers }));
    expect(mine.items.map((c) => c.id)).toContain(id);
    const adminView = json<{ items: { id: string }[] }>(await t.app.inject({ url: '/api/v1/conversations', headers: r.admin.headers }));
    expect(adminView.items.map((c) => c.id)).toContain(id);
    expectProblem(await t.app.inject({ url: `/api/v1/conversations/${id}`, headers: r.viewer.headers }), 404);
    expectProblem(await t.app.inject({ url: `/api/v1/conversations/${id}`, headers: r.stranger.headers }), 404);
    expectProblem(await say(id, 'hello', r.viewer), 403);
    expect(expectProblem(await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${id}/messages`, headers: r.member.headers, payload: { content: '' } }), 400).errors![0]!.path).toBe('body.content');
    // A paused agent refuses the message and the conversation keeps nothing of it.
    await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agentId}/disable`, headers: r.admin.headers });
    expect(expectProblem(await say(id, 'anyone there?'), 409).code).toBe('agent_paused');
    expect(expectProblem(await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${id}/regenerate`, headers: r.member.headers }), 409).code).toBe('agent_paused');
    await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agentId}/enable`, headers: r.admin.headers });
    expect(json<{ total: number }>(await t.app.inject({ url: `/api/v1/conversations/${id}/messages`, headers: r.member.headers })).total).toBe(0);
    const renamed = await t.app.inject({ method: 'PATCH', url: `/api/v1/conversations/${id}`, headers: r.member.headers, payload: { title: 'Renamed' } });
    expect(json(renamed).title).toBe('Renamed');
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/conversations/${id}`, headers: r.member.headers })).statusCode).toBe(204);
    expectProblem(await t.app.inject({ url: `/api/v1/conversations/${id}`, headers: r.member.headers }), 404);
    const other = await seedMember(t.ctx, 'member');
    expectProblem(await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: other.headers, payload: { agentId } }), 404);
  });
});

describe('running summary of cut history', () => {
  it('folds messages cut from the window into the summary, bills the call, and gives the model the summary', { timeout: 60_000 }, async () => {
    const stub = await startProviderStub();
    const t = await createTestApp('postgres', { TROUPE_PRIVATE_MODEL_HOSTS: '127.0.0.1' });
    try {
      const admin = await seedMember(t.ctx, 'owner');
      await t.app.inject({ method: 'PUT', url: '/api/v1/credentials/openai', headers: admin.headers, payload: { apiKey: 'sk-test', baseUrl: `${stub.url}/v1` } });
      const agentId = json<{ id: string }>(
        await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: admin.headers, payload: { name: 'Brief', model: 'openai:gpt-4o-mini', memory: { historyLength: 2 } } }),
      ).id;
      const id = json<{ id: string }>(await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: admin.headers, payload: { agentId } })).id;
      const say = (content: string) => t.app.inject({ method: 'POST', url: `/api/v1/conversations/${id}/messages?wait=true`, headers: admin.headers, payload: { content } });

      stub.enqueue({ text: 'Hi Ada!' });
      await say('My name is Ada.');
      expect(stub.requests).toHaveLength(1);

      // Turn 2: the first exchange no longer fits in 2 messages: summarized first, then answered.
      stub.enqueue({ text: 'The user is called Ada.', usage: { input: 50, output: 7 } }, { text: 'Squash is great.' });
      const turn2 = json<{ run: { id: string; status: string } }>(await say('I like squash.'));
      expect(turn2.run.status).toBe('succeeded');
      const [summaryRequest, chatRequest] = stub.requests.slice(1) as unknown as { body: { messages: { role: string; content: unknown }[] } }[];
      expect(JSON.stringify(summaryRequest!.body.messages)).toContain('My name is Ada.');
      const system = chatRequest!.body.messages[0]!;
      expect(system.role).toBe('system');
      expect(String(system.content)).toContain('The user is called Ada.');
      expect(chatRequest!.body.messages.slice(1).map((m) => m.role)).toEqual(['user']);

      const conv = json<{ summary: string }>(await t.app.inject({ url: `/api/v1/conversations/${id}`, headers: admin.headers }));
      expect(conv.summary).toBe('The user is called Ada.');
      const steps = json<{ items: { stepKey: string; billedMicros: number }[] }>(await t.app.inject({ url: `/api/v1/runs/${turn2.run.id}/steps`, headers: admin.headers }));
      expect(steps.items.map((s) => s.stepKey)).toEqual(['summary:2', 'model:1']);
      expect(steps.items[0]!.billedMicros).toBeGreaterThan(0);

      // Turn 3: the summary grows from the previous one.
      stub.enqueue({ text: 'Ada likes squash.' }, { text: 'Noted.' });
      await say('Remember that.');
      expect(JSON.stringify(stub.requests[3]!.body)).toContain('Summary so far:\\nThe user is called Ada.');
      expect(json<{ summary: string }>(await t.app.inject({ url: `/api/v1/conversations/${id}`, headers: admin.headers })).summary).toBe('Ada likes squash.');
    } finally {
      await t.close();
      await stub.close();
    }
  });
});

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
    t = await createTestApp('postgres');
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
    const id = await newConversation();
    for (let i = 0; i < 12; i++) {
      if (i % 2 === 0) stub.enqueue({ toolCalls: [{ id: `call_${i}`, name: 'calculator', args: { expression: `${i} + 1` } }] }, { text: `Result ${i + 1}.` });
      else stub.enqueue({ text: `Plain answer ${i}.` });
      const res = await say(id, `Question ${i}`);
      expect(parseSse(res.body).at(-1)?.data.status).toBe('succeeded');
    }
    const bodies = stub.requests.slice(-20).map((q) => (q.body as { messages: { role: string; tool_call_id?: string; tool_calls?: { id: string }[] }[] }).messages);
    for (const messages of bodies) {
      const seenCalls = new Set<string>();
      for (const m of messages) {
        for (const c of m.tool_calls ?? []) seenCalls.add(c.id);
        if (m.role === 'tool') expect(seenCalls.has(m.tool_call_id!), JSON.stringify(messages.map((x) => x.role))).toBe(true);
      }
      // Every call sent has its result sent too.
      const results = new Set(messages.filter((m) => m.role === 'tool').map((m) => m.tool_call_id));
      const lastAssistant = messages.filter((m) => m.role === 'assistant' && m.tool_calls?.length).flatMap((m) => m.tool_calls!.map((c) => c.id));
      for (const callId of lastAssistant) if (messages.at(-1)?.role !== 'assistant') expect(results.has(callId)).toBe(true);
      // History length 5 (plus the system prompt and, at most, the turn's own tool round trip).
      expect(messages.filter((m) => m.role !== 'system').length).toBeLessThanOrEqual(7);
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
    const renamed = await t.app.inject({ method: 'PATCH', url: `/api/v1/conversations/${id}`, headers: r.member.headers, payload: { title: 'Renamed' } });
    expect(json(renamed).title).toBe('Renamed');
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/conversations/${id}`, headers: r.member.headers })).statusCode).toBe(204);
    expectProblem(await t.app.inject({ url: `/api/v1/conversations/${id}`, headers: r.member.headers }), 404);
    const other = await seedMember(t.ctx, 'member');
    expectProblem(await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: other.headers, payload: { agentId } }), 404);
  });
});

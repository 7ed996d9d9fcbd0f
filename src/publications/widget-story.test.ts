import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, json, seedRoles, type TestApp } from '../../test/helpers/app.js';
import { startProviderStub, type ProviderStub } from '../../test/helpers/provider-stub.js';

/**
 * The story of issue 14: a member asks the support agent in the website widget to book a trial
 * class; a booking row exists and a confirmation mail is in the outbox. The model is scripted (it
 * calls book_trial_class, then send_email, then answers); the tools, the CRM and the outbox are real.
 */
describe('story: a member books a trial class in the website widget', () => {
  let t: TestApp;
  let stub: ProviderStub;
  let r: Awaited<ReturnType<typeof seedRoles>>;

  beforeAll(async () => {
    stub = await startProviderStub();
    t = await createTestApp('postgres', { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: `${stub.url}/v1` });
    r = await seedRoles(t.ctx);
  });
  afterAll(async () => {
    await t?.close();
    await stub?.close();
  });

  it('books the session and mails the confirmation', async () => {
    // The tools come from the fitness pack's registration (src/packs/fitness/tools).
    for (const tool of ['book_trial_class', 'send_email']) expect(t.ctx.services.tools.get(tool), `the tool ${tool} is registered`).toBeDefined();
    const api = async <T>(method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) => {
      const res = await t.app.inject({ method, url: `/api/v1${url}`, headers: r.admin.headers, ...(payload ? { payload } : {}) });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
      return json<T>(res);
    };

    const installed = await api<{ agent: { id: string; tools: string[] } }>('POST', '/agent-templates/support-assistant/install', {});
    expect(installed.agent.tools).toEqual(expect.arrayContaining(['book_trial_class', 'send_email']));
    const jane = await api<{ id: string }>('POST', '/fitness/contacts', { firstName: 'Jane', lastName: 'Doe', email: 'jane@example.com', status: 'active', emailConsent: true });
    const yoga = await api<{ id: string }>('POST', '/fitness/classes', { name: 'Yoga', defaultCapacity: 12, durationMinutes: 60 });
    const tomorrow = new Date(Date.now() + 24 * 3600_000);
    tomorrow.setUTCHours(18, 0, 0, 0);
    const session = await api<{ id: string }>('POST', '/fitness/sessions', { classId: yoga.id, startsAt: tomorrow.toISOString(), room: 'Studio 1' });
    const pub = await api<{ publicKey: string }>('POST', '/chat-publications', { agentId: installed.agent.id, allowedOrigins: ['https://irongym.example'] });

    const visitor = (method: 'GET' | 'POST', path: string, headers: Record<string, string> = {}, payload?: Record<string, unknown>) =>
      t.app.inject({ method, url: `/api/v1/public/chat/${pub.publicKey}${path}`, headers: { origin: 'https://irongym.example', ...headers }, ...(payload ? { payload } : {}) });
    const { token } = json<{ token: string }>(await visitor('POST', '/sessions', {}, {}));

    stub.enqueue(
      { toolCalls: [{ name: 'book_trial_class', args: { contactId: jane.id, sessionId: session.id } }] },
      {
        toolCalls: [
          {
            name: 'send_email',
            args: { to: 'jane@example.com', subject: 'Your trial Yoga class is booked', text: `Hi Jane, you are booked into Yoga on ${tomorrow.toISOString()} in Studio 1. Bring water and a towel.` },
          },
        ],
      },
      { text: 'Done, Jane! You are booked into Yoga tomorrow at 18:00 in Studio 1, and a confirmation is in your inbox.' },
    );
    const res = await visitor('POST', '/messages', { authorization: `Bearer ${token}` }, { content: "Hi, I'm Jane Doe (jane@example.com). Please book me a trial Yoga class tomorrow at 18:00." });
    expect(res.statusCode, res.body).toBe(200);
    const reply = json<{ status: string; messages: { role: string; text: string }[] }>(res);
    expect(reply.status).toBe('answered');
    // The visitor sees the answer, not the tool calls behind it.
    expect(reply.messages.map((m) => m.role)).toEqual(['visitor', 'assistant']);
    expect(reply.messages[1]!.text).toContain('You are booked into Yoga');

    const bookings = await api<{ items: { contactId: string; sessionId: string; kind: string; status: string }[] }>('GET', `/fitness/bookings?contactId=${jane.id}`);
    expect(bookings.items).toEqual([expect.objectContaining({ contactId: jane.id, sessionId: session.id, kind: 'trial', status: 'booked' })]);
    const outbox = await api<{ items: { to: string[]; subject: string; status: string; runId: string }[] }>('GET', '/outbox');
    expect(outbox.items).toEqual([expect.objectContaining({ to: ['jane@example.com'], subject: 'Your trial Yoga class is booked', status: 'kept' })]);
    const run = await api<{ source: string; status: string }>('GET', `/runs/${outbox.items[0]!.runId}`);
    expect(run).toMatchObject({ source: 'widget', status: 'succeeded' });
  });
});

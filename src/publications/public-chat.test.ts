import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedRoles, type Member, type TestApp } from '../../test/helpers/app.js';
import { startProviderStub, type ProviderStub } from '../../test/helpers/provider-stub.js';
import { PUBLIC_CHAT_IP_RATES } from './public-routes.js';

interface Publication {
  id: string;
  publicKey: string;
  agentId: string;
  allowedOrigins: string[];
  chatUrl: string;
  embedCode: string;
  enabled: boolean;
}
interface VisitorMessage {
  seq: number;
  role: 'visitor' | 'assistant';
  text: string;
}

const SITE = 'https://gym.example';
const PUBLIC_URL = 'http://troupe.test:3000';

describe('the public chat of a published agent', () => {
  let t: TestApp;
  let stub: ProviderStub;
  let r: Awaited<ReturnType<typeof seedRoles>>;
  let agentId: string;
  let pub: Publication;
  let ip = 0;
  /** Each test's requests come from an address of their own, so the per-address limits do not add up across tests. */
  let from = '10.0.0.1';
  const nextAddress = () => (from = `10.0.${Math.floor(++ip / 200)}.${(ip % 200) + 1}`);

  const publish = async (who: Member, body: Record<string, unknown>) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/chat-publications', headers: who.headers, payload: body });
    expect(res.statusCode, res.body).toBe(201);
    return json<Publication>(res);
  };
  const call = (method: 'GET' | 'POST' | 'OPTIONS', key: string, path: string, options: { origin?: string | null; token?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
    t.app.inject({
      method,
      url: `/api/v1/public/chat/${key}${path}`,
      remoteAddress: from,
      headers: {
        ...(options.origin === null ? {} : { origin: options.origin ?? SITE }),
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { payload: options.body as Record<string, unknown> }),
    });
  const session = async (key: string, origin: string | null = SITE) => {
    const res = await call('POST', key, '/sessions', { origin, body: {} });
    expect(res.statusCode, res.body).toBe(201);
    return json<{ token: string; visitorId: string }>(res);
  };
  const say = (key: string, token: string, content: string, origin: string | null = SITE) => call('POST', key, '/messages', { token, origin, body: { content } });

  beforeAll(async () => {
    stub = await startProviderStub({ defaultReply: { text: 'Hello from the gym!', usage: { input: 10, output: 5 } } });
    t = await createTestApp('postgres', { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: `${stub.url}/v1`, TROUPE_PUBLIC_URL: PUBLIC_URL });
    r = await seedRoles(t.ctx);
    agentId = json<{ id: string }>(await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: r.admin.headers, payload: { name: 'Front desk', model: 'openai:gpt-4o-mini' } })).id;
    pub = await publish(r.admin, { agentId, title: 'Ask Iron Gym', greeting: 'Hi! How can we help?', allowedOrigins: [SITE, 'http://localhost:8080/'] });
  });
  afterAll(async () => {
    await t?.close();
    await stub?.close();
  });

  it('an admin publishes an agent: a public key, the embed code and the chat page address', async () => {
    expect(pub.publicKey).toMatch(/^pk_[A-Za-z0-9_-]{32}$/);
    expect(pub.allowedOrigins).toEqual([SITE, 'http://localhost:8080']);
    expect(pub.chatUrl).toBe(`${PUBLIC_URL}/chat/${pub.publicKey}`);
    expect(pub.embedCode).toBe(`<script src="${PUBLIC_URL}/widget.js" data-key="${pub.publicKey}" async></script>`);
    const list = json<{ items: Publication[] }>(await t.app.inject({ url: '/api/v1/chat-publications', headers: r.viewer.headers }));
    expect(list.items.map((p) => p.id)).toEqual([pub.id]);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/chat-publications', headers: r.member.headers, payload: { agentId } })).statusCode).toBe(403);
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/chat-publications', headers: r.admin.headers, payload: { agentId, allowedOrigins: ['https://gym.example/page'], themeColor: 'blue' } });
    expect(expectProblem(bad, 400).errors?.map((e) => e.path).sort()).toEqual(['body.allowedOrigins.0', 'body.themeColor']);
    // Another organization's agent cannot be published, nor its publications seen.
    const foreign = await t.app.inject({ method: 'POST', url: '/api/v1/chat-publications', headers: r.stranger.headers, payload: { agentId } });
    expect(expectProblem(foreign, 400).errors).toEqual([{ path: 'body.agentId', message: 'no such agent in this organization' }]);
    expect((await t.app.inject({ url: `/api/v1/chat-publications/${pub.id}`, headers: r.stranger.headers })).statusCode).toBe(404);
  });

  it('a visitor starts a session and gets the agent’s answer; CORS names their origin only', async () => {
    nextAddress();
    const config = await call('GET', pub.publicKey, '');
    expect(config.statusCode).toBe(200);
    expect(json(config)).toEqual({ title: 'Ask Iron Gym', greeting: 'Hi! How can we help?', themeColor: '#2563eb', agentName: 'Front desk' });
    expect(config.headers['access-control-allow-origin']).toBe(SITE);
    expect(config.headers['access-control-allow-credentials']).toBeUndefined();

    const preflight = await call('OPTIONS', pub.publicKey, '/messages', { headers: { 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(SITE);
    expect(preflight.headers['access-control-allow-headers']).toContain('authorization');

    const { token } = await session(pub.publicKey);
    expect(token).toMatch(/^vt_/);
    stub.enqueue({ text: 'We open at 6:00 every day.' });
    const res = await say(pub.publicKey, token, 'When do you open?');
    expect(res.statusCode, res.body).toBe(200);
    expect(json<{ status: string; messages: VisitorMessage[] }>(res)).toMatchObject({
      status: 'answered',
      messages: [
        { seq: 1, role: 'visitor', text: 'When do you open?' },
        { seq: 2, role: 'assistant', text: 'We open at 6:00 every day.' },
      ],
    });
    const history = json<{ items: VisitorMessage[] }>(await call('GET', pub.publicKey, '/messages?after=1', { token }));
    expect(history.items.map((m) => [m.seq, m.role, m.text])).toEqual([[2, 'assistant', 'We open at 6:00 every day.']]);
  });

  it('refuses another site (403, no CORS headers); the server’s own page and requests without Origin pass', async () => {
    nextAddress();
    for (const [method, path] of [['GET', ''], ['POST', '/sessions'], ['GET', '/messages'], ['POST', '/messages'], ['OPTIONS', '/sessions']] as const) {
      const res = await call(method, pub.publicKey, path, { origin: 'https://evil.example', body: method === 'POST' ? {} : undefined, headers: method === 'OPTIONS' ? { 'access-control-request-method': 'POST' } : {} });
      expect(res.statusCode, `${method} ${path}`).toBe(403);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    }
    expect(expectProblem(await call('GET', pub.publicKey, '', { origin: 'https://gym.example.evil.com' }), 403).code).toBe('origin_not_allowed');
    expect((await call('GET', pub.publicKey, '', { origin: 'http://gym.example' })).statusCode).toBe(403);
    expect((await call('GET', pub.publicKey, '', { origin: PUBLIC_URL })).statusCode).toBe(200);
    expect((await call('GET', pub.publicKey, '', { origin: null })).statusCode).toBe(200);
  });

  it('a publication without allowed origins may be used from any site', async () => {
    nextAddress();
    const open = await publish(r.admin, { agentId, title: 'Open chat' });
    const res = await call('GET', open.publicKey, '', { origin: 'https://anywhere.example' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('https://anywhere.example');
  });

  it("a visitor's token opens only their own conversation of that publication", async () => {
    nextAddress();
    const a = await session(pub.publicKey);
    const b = await session(pub.publicKey);
    stub.enqueue({ text: 'Answer for A.' });
    expect((await say(pub.publicKey, a.token, 'I am visitor A, my email is a@example.com')).statusCode).toBe(200);
    const seenByB = json<{ items: VisitorMessage[] }>(await call('GET', pub.publicKey, '/messages', { token: b.token }));
    expect(seenByB.items).toEqual([]);

    // Another publication (same organization, or another one): its key does not take this token, nor this key its token.
    const other = await publish(r.admin, { agentId, title: 'Second site' });
    const strangerAgent = json<{ id: string }>(await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: r.stranger.headers, payload: { name: 'Elsewhere', model: 'openai:gpt-4o-mini' } })).id;
    const foreign = await publish(r.stranger, { agentId: strangerAgent });
    for (const key of [other.publicKey, foreign.publicKey]) {
      expect(expectProblem(await call('GET', key, '/messages', { token: a.token }), 401).code).toBe('invalid_visitor_token');
      expect(expectProblem(await say(key, a.token, 'hello?'), 401).code).toBe('invalid_visitor_token');
    }
    const c = await session(foreign.publicKey);
    expect((await call('GET', pub.publicKey, '/messages', { token: c.token })).statusCode).toBe(401);

    // A token altered or made up, no token, a user's access token: refused.
    const altered = a.token.slice(0, -2) + (a.token.endsWith('A') ? 'BB' : 'AA');
    for (const token of [altered, 'vt_' + 'x'.repeat(40), r.owner.token]) {
      expect((await call('GET', pub.publicKey, '/messages', { token })).statusCode).toBe(401);
    }
    expect((await call('GET', pub.publicKey, '/messages')).statusCode).toBe(401);

    // Nothing else is reachable with a public key or a visitor token: staff routes want a person or an API key.
    const convId = json<{ items: { id: string; visitorId: string | null }[] }>(await t.app.inject({ url: '/api/v1/conversations', headers: r.admin.headers })).items.find((i) => i.visitorId === a.visitorId)!.id;
    for (const url of [`/api/v1/conversations/${convId}`, `/api/v1/conversations/${convId}/messages`, `/api/v1/agents/${agentId}`, '/api/v1/chat-publications']) {
      expect((await t.app.inject({ url, headers: { authorization: `Bearer ${a.token}` } })).statusCode, url).toBe(401);
    }
    for (const url of [`/api/v1/public/chat/${pub.publicKey}/messages/${convId}`, `/api/v1/public/chat/${pub.publicKey}/conversations/${convId}`, `/api/v1/public/chat/${pub.publicKey}/messages?conversationId=${convId}`]) {
      const res = await t.app.inject({ url, remoteAddress: from, headers: { origin: SITE, authorization: `Bearer ${b.token}` } });
      if (res.statusCode === 200) expect(json<{ items: unknown[] }>(res).items, url).toEqual([]);
      else expect(res.statusCode, url).toBe(404);
    }
  });

  it("staff see visitors' conversations, marked, and cannot write in them; the runs say widget", async () => {
    nextAddress();
    const v = await session(pub.publicKey);
    stub.enqueue({ text: 'Sure, we have yoga on Tuesdays.' });
    await say(pub.publicKey, v.token, 'Do you have yoga?');
    for (const who of [r.viewer, r.member, r.admin]) {
      const list = json<{ items: { id: string; visitorId: string | null; publicationId: string | null; userId: string | null; title: string }[] }>(
        await t.app.inject({ url: `/api/v1/conversations?agentId=${agentId}&limit=100`, headers: who.headers }),
      );
      const conv = list.items.find((i) => i.visitorId === v.visitorId);
      expect(conv, who.role).toMatchObject({ publicationId: pub.id, userId: null, title: 'Visitor: Do you have yoga?' });
      const msgs = json<{ items: { role: string; text: string }[] }>(await t.app.inject({ url: `/api/v1/conversations/${conv!.id}/messages`, headers: who.headers }));
      expect(msgs.items.map((m) => m.text)).toEqual(['Do you have yoga?', 'Sure, we have yoga on Tuesdays.']);
      if (who !== r.viewer) {
        const write = await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${conv!.id}/messages`, headers: who.headers, payload: { content: 'staff here' } });
        expect(expectProblem(write, 409).code).toBe('visitor_conversation');
      }
    }
    const only = json<{ items: { visitorId: string | null }[] }>(await t.app.inject({ url: '/api/v1/conversations?visitor=true&limit=100', headers: r.member.headers }));
    expect(only.items.length).toBeGreaterThan(0);
    expect(only.items.every((c) => c.visitorId !== null)).toBe(true);
    const none = json<{ items: { visitorId: string | null }[] }>(await t.app.inject({ url: '/api/v1/conversations?visitor=false&limit=100', headers: r.admin.headers }));
    expect(none.items.every((c) => c.visitorId === null)).toBe(true);
    // Members read it; only admins rename or delete it.
    const convId = json<{ items: { id: string; visitorId: string | null }[] }>(await t.app.inject({ url: `/api/v1/conversations?agentId=${agentId}&limit=100`, headers: r.member.headers })).items.find((i) => i.visitorId === v.visitorId)!.id;
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/conversations/${convId}`, headers: r.member.headers })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'PATCH', url: `/api/v1/conversations/${convId}`, headers: r.member.headers, payload: { title: 'mine now' } })).statusCode).toBe(403);
    expect(json(await t.app.inject({ method: 'PATCH', url: `/api/v1/conversations/${convId}`, headers: r.admin.headers, payload: { title: 'Yoga question' } }))).toMatchObject({ title: 'Yoga question' });
    // The stranger's organization sees none of it.
    const theirs = json<{ items: unknown[] }>(await t.app.inject({ url: '/api/v1/conversations', headers: r.stranger.headers }));
    expect(theirs.items.every((c) => (c as { publicationId: string | null }).publicationId !== pub.id)).toBe(true);
    const runs = json<{ items: { source: string; createdBy: string | null; conversationId: string }[] }>(await t.app.inject({ url: '/api/v1/runs?source=widget', headers: r.member.headers }));
    expect(runs.items.length).toBeGreaterThan(0);
    expect(runs.items.every((run) => run.source === 'widget' && run.createdBy === null)).toBe(true);
  });

  it('more messages than the visitor may send: 429 with Retry-After, nothing stored', async () => {
    nextAddress();
    const tight = await publish(r.admin, { agentId, allowedOrigins: [SITE], messagesPerMinute: 2, messagesPerDay: 100 });
    const v = await session(tight.publicKey);
    expect((await say(tight.publicKey, v.token, 'one')).statusCode).toBe(200);
    expect((await say(tight.publicKey, v.token, 'two')).statusCode).toBe(200);
    const third = await say(tight.publicKey, v.token, 'three');
    expect(expectProblem(third, 429).code).toBe('rate_limited');
    expect(Number(third.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(third.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(third.headers['access-control-allow-origin']).toBe(SITE);
    const history = json<{ items: VisitorMessage[] }>(await call('GET', tight.publicKey, '/messages', { token: v.token }));
    expect(history.items.filter((m) => m.role === 'visitor').map((m) => m.text)).toEqual(['one', 'two']);

    const daily = await publish(r.admin, { agentId, messagesPerMinute: 10, messagesPerDay: 1 });
    const d = await session(daily.publicKey);
    await say(daily.publicKey, d.token, 'first');
    const over = await say(daily.publicKey, d.token, 'second');
    expect(over.statusCode).toBe(429);
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(86_000);
  });

  it('one address opening many sessions is limited too (429 with Retry-After); sessions alone store nothing', async () => {
    nextAddress();
    const conversations = async () => json<{ total: number }>(await t.app.inject({ url: '/api/v1/conversations?limit=1', headers: r.admin.headers })).total;
    const before = await conversations();
    const codes: number[] = [];
    let last: LightMyRequestResponse | undefined;
    for (let i = 0; i <= PUBLIC_CHAT_IP_RATES.sessions; i++) {
      last = await call('POST', pub.publicKey, '/sessions', { body: {} });
      codes.push(last.statusCode);
    }
    expect(codes.slice(0, PUBLIC_CHAT_IP_RATES.sessions).every((c) => c === 201)).toBe(true);
    expect(codes.at(-1)).toBe(429);
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
    expect(await conversations()).toBe(before);
    // Another address is not held up.
    nextAddress();
    expect((await call('POST', pub.publicKey, '/sessions', { body: {} })).statusCode).toBe(201);
  });

  it('limits what a visitor may send', async () => {
    nextAddress();
    const v = await session(pub.publicKey);
    expect(expectProblem(await say(pub.publicKey, v.token, 'x'.repeat(4001)), 400).errors?.[0]?.path).toBe('body.content');
    expect((await say(pub.publicKey, v.token, '   ')).statusCode).toBe(400);
    const huge = await call('POST', pub.publicKey, '/messages', { token: v.token, body: { content: 'y'.repeat(20_000) } });
    expect(huge.statusCode).toBe(413);
    expect((await call('POST', pub.publicKey, '/sessions', { body: { visitorId: randomUUID() } })).statusCode).toBe(400);
  });

  it('a disabled publication answers 404 everywhere, its page too; enabled again it works', async () => {
    nextAddress();
    const p = await publish(r.admin, { agentId, allowedOrigins: [SITE] });
    const v = await session(p.publicKey);
    await t.app.inject({ method: 'PATCH', url: `/api/v1/chat-publications/${p.id}`, headers: r.admin.headers, payload: { enabled: false } });
    for (const [method, path] of [['GET', ''], ['POST', '/sessions'], ['GET', '/messages'], ['POST', '/messages']] as const) {
      const res = await call(method, p.publicKey, path, { token: v.token, body: method === 'POST' ? { content: 'hi' } : undefined });
      expect(res.statusCode, `${method} ${path}`).toBe(404);
    }
    expect((await t.app.inject({ url: `/chat/${p.publicKey}` })).statusCode).toBe(404);
    await t.app.inject({ method: 'PATCH', url: `/api/v1/chat-publications/${p.id}`, headers: r.admin.headers, payload: { enabled: true } });
    expect((await call('GET', p.publicKey, '/messages', { token: v.token })).statusCode).toBe(200);
    // Deleted: gone for good, the visitor's conversation stays for staff.
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/chat-publications/${p.id}`, headers: r.admin.headers })).statusCode).toBe(204);
    expect((await call('GET', p.publicKey, '')).statusCode).toBe(404);
    expect((await call('GET', 'pk_not-a-key', '')).statusCode).toBe(404);
  });

  it('a paused agent or a used-up budget: the visitor only learns the chat is unavailable (503)', async () => {
    nextAddress();
    const agent = json<{ id: string }>(await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: r.admin.headers, payload: { name: 'Sometimes', model: 'openai:gpt-4o-mini' } })).id;
    const p = await publish(r.admin, { agentId: agent });
    const v = await session(p.publicKey);
    await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agent}/disable`, headers: r.admin.headers });
    const paused = await say(p.publicKey, v.token, 'hello');
    expect(expectProblem(paused, 503).code).toBe('chat_unavailable');
    expect(expectProblem(paused, 503).detail).not.toContain('Sometimes');
    await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agent}/enable`, headers: r.admin.headers });
    await t.app.inject({ method: 'PATCH', url: `/api/v1/agents/${agent}`, headers: r.admin.headers, payload: { limits: { monthlyBudgetMicros: 0 } } });
    expect(expectProblem(await say(p.publicKey, v.token, 'hello'), 503).code).toBe('chat_unavailable');
  });

  it('a failed reply and a reply waiting for a person are told to the visitor without internals', async () => {
    nextAddress();
    const v = await session(pub.publicKey);
    stub.enqueue({ status: 400, text: 'secret provider detail' });
    const failed = await say(pub.publicKey, v.token, 'break please');
    expect(failed.statusCode).toBe(200);
    expect(json<{ status: string; notice: string }>(failed)).toMatchObject({ status: 'failed' });
    expect(failed.body).not.toContain('secret provider detail');
  });

  it('serves /widget.js to any site and the public chat page under a strict policy', async () => {
    const js = await t.app.inject({ url: '/widget.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toContain('javascript');
    expect(js.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(js.headers['cache-control']).toBe('public, max-age=300');
    expect(js.body.length).toBeLessThan(20_000);
    expect((await t.app.inject({ url: '/widget.js', headers: { 'if-none-match': String(js.headers.etag) } })).statusCode).toBe(304);

    const page = await t.app.inject({ url: `/chat/${pub.publicKey}`, headers: { accept: 'text/html' } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toBe("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    expect(page.body).toContain('<title>Ask Iron Gym</title>');
    expect(page.body).toContain(`<script src="/widget.js" data-key="${pub.publicKey}" data-mode="page"`);
    expect(page.body).not.toMatch(/<script>|style=/);
    // A title with markup is text on the page.
    const odd = await publish(r.admin, { agentId, title: '<img src=x onerror=alert(1)>' });
    expect((await t.app.inject({ url: `/chat/${odd.publicKey}` })).body).toContain('<title>&#60;img src=x onerror=alert(1)&#62;</title>');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedMember, seedRoles, type Member, type TestApp } from '../../test/helpers/app.js';
import { inProcessWorker, scriptedExecutor } from '../../test/helpers/worker.js';

interface Run {
  id: string;
  status: string;
  conversationId: string | null;
}

/**
 * A chat run is part of its conversation: whoever may not read the conversation (another member,
 * a viewer) may not read the run, its steps, its events or its approvals either (decision 33).
 */
describe('chat runs inherit the visibility of their conversation', () => {
  let t: TestApp;
  let r: Awaited<ReturnType<typeof seedRoles>>;
  let other: Member;
  let script: ReturnType<typeof scriptedExecutor>['script'];
  let agentId: string;
  let guardedAgentId: string;
  let chatRun: Run;
  let apiRun: Run;
  let waiting: Run;

  beforeAll(async () => {
    t = await createTestApp('postgres');
    r = await seedRoles(t.ctx);
    other = await seedMember(t.ctx, 'member', r.owner.orgId);
    const scripted = scriptedExecutor(t.ctx, []);
    script = scripted.script;
    t.ctx.services.runs.setDispatcher(inProcessWorker(scripted.executor));
    const agent = (payload: object) => t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: r.admin.headers, payload: { model: 'openai:gpt-4o-mini', ...payload } });
    agentId = json<{ id: string }>(await agent({ name: 'Confidant', tools: ['calculator'] })).id;
    guardedAgentId = json<{ id: string }>(await agent({ name: 'Careful', tools: ['calculator'], approvalTools: ['calculator'] })).id;

    const chat = async (agent: string, text: string) => {
      const conv = json<{ id: string }>(await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: r.member.headers, payload: { agentId: agent } }));
      const sent = await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${conv.id}/messages?wait=true`, headers: r.member.headers, payload: { content: text } });
      expect(sent.statusCode, sent.body).toBe(200);
      return json<{ run: Run }>(sent).run;
    };
    script.push({ text: 'Your secret is safe with me.' });
    chatRun = await chat(agentId, 'My private worry: the audit next week');
    expect(chatRun.status).toBe('succeeded');
    script.push({ toolCalls: [{ name: 'calculator', args: { expression: '1234 * 2' } }] });
    waiting = await chat(guardedAgentId, 'Work out my salary, privately');
    expect(waiting.status).toBe('waiting_approval');
    script.push({ text: 'An API answer' });
    const api = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agentId}/execute?wait=true`, headers: r.member.headers, payload: { task: 'Shared work' } });
    apiRun = json<Run>(api);
  });
  afterAll(() => t.close());

  const get = (url: string, who: Member, headers: Record<string, string> = {}) => t.app.inject({ url: `/api/v1${url}`, headers: { ...who.headers, ...headers } });

  it('answers 404 for the run, its steps, its events and its stream to another member and to a viewer', async () => {
    for (const who of [other, r.viewer]) {
      for (const url of [`/runs/${chatRun.id}`, `/runs/${chatRun.id}/steps`, `/runs/${chatRun.id}/events`]) {
        expectProblem(await get(url, who), 404);
      }
      expectProblem(await get(`/runs/${chatRun.id}/events`, who, { accept: 'text/event-stream' }), 404);
      expectProblem(await t.app.inject({ method: 'POST', url: `/api/v1/runs/${waiting.id}/cancel`, headers: who.headers }), who === other ? 404 : 403);
      // The conversation itself answers the same.
      expectProblem(await get(`/conversations/${chatRun.conversationId}`, who), 404);
    }
  });

  it('leaves the run out of lists and totals, whatever the filter', async () => {
    for (const who of [other, r.viewer]) {
      for (const url of ['/runs?source=chat', '/runs', `/agents/${agentId}/executions`, '/runs?status=waiting_approval']) {
        const page = json<{ items: Run[]; total: number }>(await get(url, who));
        expect(page.items.filter((x) => x.conversationId !== null), `${url} as ${who.role}`).toEqual([]);
        expect(page.total, `${url} as ${who.role}`).toBe(page.items.length);
      }
      const all = json<{ items: Run[] }>(await get('/runs', who));
      expect(all.items.map((x) => x.id)).toContain(apiRun.id);
    }
  });

  it("hides the chat's approvals (and their arguments) from those who cannot see it, and lets nobody else decide them", async () => {
    for (const who of [other, r.viewer]) {
      const page = json<{ items: { runId: string }[]; total: number }>(await get('/approvals?status=pending', who));
      expect(page).toMatchObject({ items: [], total: 0 });
      const byRun = json<{ items: unknown[]; total: number }>(await get(`/approvals?runId=${waiting.id}`, who));
      expect(byRun.total).toBe(0);
    }
    const mine = json<{ items: { id: string; runId: string; args: unknown }[] }>(await get('/approvals?status=pending', r.member));
    expect(mine.items).toEqual([expect.objectContaining({ runId: waiting.id, args: { expression: '1234 * 2' } })]);
    const approvalId = mine.items[0]!.id;
    expectProblem(await t.app.inject({ method: 'POST', url: `/api/v1/approvals/${approvalId}/approve`, headers: other.headers, payload: {} }), 404);
    // Admins see every conversation, so every chat run and its approvals.
    expect(json<{ total: number }>(await get('/approvals?status=pending', r.admin)).total).toBe(1);
  });

  it('shows the run to its own person and to admins and owners', async () => {
    for (const who of [r.member, r.admin, r.owner]) {
      expect((await get(`/runs/${chatRun.id}`, who)).statusCode, who.role).toBe(200);
      expect(json<{ items: unknown[] }>(await get(`/runs/${chatRun.id}/steps`, who)).items.length).toBeGreaterThan(0);
      const page = json<{ items: Run[]; total: number }>(await get('/runs?source=chat', who));
      expect(page.items.map((x) => x.id).sort()).toEqual([chatRun.id, waiting.id].sort());
      expect(page.total).toBe(2);
    }
    const sse = await get(`/runs/${chatRun.id}/events`, r.member, { accept: 'text/event-stream' });
    expect(sse.body).toContain('event: run.finished');
  });
});

import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestApp, json, seedMember, type Member, type TestApp } from '../../test/helpers/app.js';
import { startProviderStub, type ProviderStub, type StubRequest } from '../../test/helpers/provider-stub.js';
import { inProcessWorker } from '../../test/helpers/worker.js';
import type { Actor } from '../shared/roles.js';
import { defineTool } from '../tools/define.js';
import { runs } from './schema.js';

// Keys in no sorted order, nested too: jsonb would store {"b":{"x":2,"y":1},"zeta":1,"alpha":2}.
const RESULT = { zeta: 1, alpha: 2, b: { y: 1, x: 2 } };
const RESULT_TEXT = '{"zeta":1,"alpha":2,"b":{"y":1,"x":2}}';
const ARGS = { zulu: 'z', alpha: 'a', nested: { y: 1, x: 2 } };

/** The messages of a Chat Completions request as sent (strings inside are the provider's bytes). */
const sent = (r: StubRequest) => r.body.messages as { role: string; content?: unknown; tool_call_id?: string; tool_calls?: { id: string; function: { arguments: string } }[] }[];
const toolMessage = (r: StubRequest, callId: string) => JSON.stringify(sent(r).find((m) => m.role === 'tool' && m.tool_call_id === callId));
const callMessage = (r: StubRequest, callId: string) => JSON.stringify(sent(r).find((m) => m.tool_calls?.some((c) => c.id === callId)));

describe('history replayed to the provider byte for byte (prompt caches keep hitting)', () => {
  let stub: ProviderStub;
  let t: TestApp;
  let owner: Member;
  let agentId: string;

  beforeAll(async () => {
    stub = await startProviderStub();
    t = await createTestApp('postgres', { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: `${stub.url}/v1` });
    t.ctx.services.tools.register(
      defineTool({
        name: 'probe',
        category: 'utility',
        description: 'Returns an object whose keys are in no sorted order',
        inputSchema: z.object({}).passthrough(),
        grantRoles: ['admin', 'owner'],
        requiresApproval: false,
        idempotent: true,
        timeoutMs: 10_000,
        execute: async () => RESULT,
      }),
    );
    owner = await seedMember(t.ctx, 'owner');
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: owner.headers, payload: { name: 'Prober', model: 'openai:gpt-4o-mini', tools: ['probe'] } });
    agentId = json<{ id: string }>(res).id;
  });
  afterAll(async () => {
    await t?.close();
    await stub?.close();
  });

  it('a run resumed after its worker stopped mid-call sends the tool result and call exactly as the first time', { timeout: 60_000 }, async () => {
    stub.reset();
    t.ctx.services.runs.setDispatcher({ dispatch() {} });
    const actor: Actor = { orgId: owner.orgId, role: 'owner', userId: owner.userId, apiKeyId: null };
    const { executor } = t.ctx.services;
    stub.enqueue({ toolCalls: [{ id: 'call_probe', name: 'probe', args: ARGS }] }, { text: 'never delivered', delayMs: 30_000 });
    const { run } = await t.ctx.services.runs.create(actor, agentId, { task: 'Probe it' }, { source: 'api' });

    const first = executor.execute(owner.orgId, run.id);
    const end = Date.now() + 30_000;
    while (stub.requests.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    // The worker goes away during the second call (a shutdown hands the run back as queued; a
    // crash would leave it to its lease): the next execution reloads the history from the database.
    executor.stopAll();
    await first;
    const [parked] = await t.ctx.database.system((tx) => tx.select().from(runs).where(eq(runs.id, run.id)));
    expect(parked!.status).toBe('queued');

    stub.enqueue({ text: 'Probed.' });
    await executor.execute(owner.orgId, run.id);
    const [done] = await t.ctx.database.system((tx) => tx.select().from(runs).where(eq(runs.id, run.id)));
    expect(done).toMatchObject({ status: 'succeeded', output: 'Probed.' });

    const [, before, after] = stub.requests;
    expect(JSON.parse(sent(before!).find((m) => m.role === 'tool')!.content as string)).toEqual(RESULT);
    expect(sent(before!).find((m) => m.role === 'tool')!.content).toBe(RESULT_TEXT);
    expect(toolMessage(after!, 'call_probe')).toBe(toolMessage(before!, 'call_probe'));
    expect(callMessage(after!, 'call_probe')).toBe(callMessage(before!, 'call_probe'));
    // The whole prompt, in fact: the resumed call is the interrupted one again.
    expect(JSON.stringify(sent(after!))).toBe(JSON.stringify(sent(before!)));
  });

  it("the next chat turn replays the previous turn's tool call and result exactly as they were sent", { timeout: 60_000 }, async () => {
    stub.reset();
    t.ctx.services.runs.setDispatcher(inProcessWorker(t.ctx.services.executor));
    const conversation = json<{ id: string }>(await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: owner.headers, payload: { agentId } })).id;
    const say = async (content: string) => {
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversation}/messages?wait=true`, headers: owner.headers, payload: { content } });
      expect(json<{ run: { status: string } }>(res).run.status).toBe('succeeded');
    };
    stub.enqueue({ toolCalls: [{ id: 'call_chat_probe', name: 'probe', args: ARGS }] }, { text: 'It says zeta 1.' }, { text: 'Still zeta 1.' });
    await say('Probe it');
    await say('And again?');

    const [, turnOne, turnTwo] = stub.requests;
    expect(sent(turnOne!).find((m) => m.role === 'tool')!.content).toBe(RESULT_TEXT);
    expect(toolMessage(turnTwo!, 'call_chat_probe')).toBe(toolMessage(turnOne!, 'call_chat_probe'));
    expect(callMessage(turnTwo!, 'call_chat_probe')).toBe(callMessage(turnOne!, 'call_chat_probe'));
  });
});

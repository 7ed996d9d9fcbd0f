import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, json, seedMember, type Member, type TestApp } from '../../test/helpers/app.js';
import { startProviderStub, type ProviderStub } from '../../test/helpers/provider-stub.js';
import { auditLog } from '../audit/schema.js';

/** Decision 54: POST /agents/:id/execute is one database round trip, its audit entry included; ?wait=true gets a plain model call. */
describe('the execute path', () => {
  let t: TestApp;
  let stub: ProviderStub;
  let owner: Member;
  let key: string;
  let keyId: string;
  let agentId: string;
  beforeAll(async () => {
    stub = await startProviderStub();
    t = await createTestApp('postgres', { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: `${stub.url}/v1` });
    owner = await seedMember(t.ctx, 'owner');
    const agent = await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: owner.headers, payload: { name: 'Fast', model: 'openai:gpt-4o-mini' } });
    agentId = json<{ id: string }>(agent).id;
    const made = json<{ key: string; apiKey: { id: string } }>(await t.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: owner.headers, payload: { name: 'ci', role: 'member' } }));
    key = made.key;
    keyId = made.apiKey.id;
    await t.app.inject({ url: '/api/v1/agents', headers: { authorization: `Bearer ${key}` } }); // the key's first use
  });
  afterAll(async () => {
    await t.close();
    await stub.close();
  });

  const entriesFor = (runId: string) =>
    t.ctx.database.withOrg(owner.orgId, (tx) => tx.select().from(auditLog).where(and(eq(auditLog.orgId, owner.orgId), eq(auditLog.targetId, runId))));

  it('creates the run and its run.created entry in one round trip; a repeated Idempotency-Key adds no entry', async () => {
    // Runs are not executed here, so the count is the request's own.
    t.ctx.services.runs.setDispatcher({ dispatch() {} });
    const headers = { authorization: `Bearer ${key}`, 'idempotency-key': 'once', 'x-request-id': 'req-execute-1' };
    const before = t.ctx.database.stats.roundTrips;
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agentId}/execute`, headers, payload: { task: 'Hello' } });
    expect(res.statusCode).toBe(202);
    expect(t.ctx.database.stats.roundTrips - before).toBe(1);
    const run = json<{ id: string }>(res);
    const entries = await entriesFor(run.id);
    expect(entries.map((e) => [e.action, e.actorType, e.actorId, e.targetType, e.details, e.requestId])).toEqual([
      ['run.created', 'api_key', keyId, 'run', { agentId }, 'req-execute-1'],
    ]);

    const again = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agentId}/execute`, headers, payload: { task: 'Hello' } });
    expect(json<{ id: string }>(again).id).toBe(run.id);
    expect(await entriesFor(run.id)).toHaveLength(1);
  });

  it('a paused agent makes neither a run nor an entry', async () => {
    const paused = json<{ id: string }>(await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: owner.headers, payload: { name: 'Paused', model: 'openai:gpt-4o-mini' } }));
    await t.app.inject({ method: 'POST', url: `/api/v1/agents/${paused.id}/disable`, headers: owner.headers });
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${paused.id}/execute`, headers: { authorization: `Bearer ${key}` }, payload: { task: 'Hello' } });
    expect(res.statusCode).toBe(409);
    const runCreated = await t.ctx.database.withOrg(owner.orgId, (tx) => tx.select().from(auditLog).where(and(eq(auditLog.orgId, owner.orgId), eq(auditLog.action, 'run.created'))));
    expect(runCreated.every((e) => (e.details as { agentId?: string }).agentId !== paused.id)).toBe(true);
  });

  it('?wait=true answers the finished run from a plain (not streamed) model call', async () => {
    t.ctx.services.runs.setDispatcher(t.ctx.services.dispatcher);
    stub.reset();
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agentId}/execute?wait=true`, headers: { authorization: `Bearer ${key}` }, payload: { task: 'Hello' } });
    expect(res.statusCode).toBe(200);
    expect(json(res)).toMatchObject({ status: 'succeeded', output: 'Hello from the stub.' });
    expect(stub.requests.length).toBeGreaterThan(0);
    expect(stub.requests.map((r) => r.body.stream ?? false)).toEqual(stub.requests.map(() => false));
  });
});

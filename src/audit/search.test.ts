import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedRoles, type Member, type TestApp } from '../../test/helpers/app.js';

describe('GET /audit: search and the actor filter', () => {
  let t: TestApp;
  let r: Awaited<ReturnType<typeof seedRoles>>;
  let frontId: string;
  let backId: string;
  let keyId: string;

  const get = (query: string, who: Member = r.admin) => t.app.inject({ url: `/api/v1/audit?${query}`, headers: who.headers });
  const listed = async (query: string, who: Member = r.admin) => {
    const res = await get(query, who);
    expect(res.statusCode, res.body).toBe(200);
    return json<{ items: { action: string; targetId: string | null; actorType: string; actorId: string | null }[] }>(res).items;
  };

  beforeAll(async () => {
    t = await createTestApp('postgres');
    r = await seedRoles(t.ctx);
    const agent = async (name: string, who: Member) =>
      json<{ id: string }>(await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: who.headers, payload: { name, model: 'openai:gpt-4o-mini' } })).id;
    frontId = await agent('Front desk', r.admin);
    backId = await agent('Back office', r.owner);
    await t.app.inject({ method: 'PATCH', url: `/api/v1/agents/${backId}`, headers: r.owner.headers, payload: { description: 'Orders towels' } });
    keyId = json<{ apiKey: { id: string } }>(await t.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: r.admin.headers, payload: { name: 'ci', role: 'admin' } })).apiKey.id;
    await agent('Front desk', r.stranger);
  });
  afterAll(() => t.close());

  it('finds entries by the target agent’s name, the target id prefix and the action prefix', async () => {
    const front = await listed('q=FRONT');
    expect(front.map((e) => [e.action, e.targetId])).toEqual([['agent.created', frontId]]);
    const back = await listed('q=office&sortOrder=asc');
    expect(back.map((e) => [e.action, e.targetId])).toEqual([['agent.created', backId], ['agent.updated', backId]]);
    expect((await listed(`q=${backId.slice(0, 8).toUpperCase()}`)).map((e) => e.targetId)).toEqual([backId, backId]);
    expect((await listed('q=api_key.')).map((e) => e.action)).toEqual(['api_key.created']);
    expect(await listed('q=nothing%20like%20this')).toEqual([]);
    // Another organization's "Front desk" is not this one's.
    expect((await listed('q=front', r.stranger)).map((e) => e.targetId)).not.toContain(frontId);
  });

  it('filters by actor: user:<id>, api_key:<id> or system', async () => {
    const byOwner = await listed(`actor=user:${r.owner.userId}`);
    expect(byOwner.length).toBeGreaterThan(0);
    expect(byOwner.every((e) => e.actorType === 'user' && e.actorId === r.owner.userId)).toBe(true);
    expect(byOwner.map((e) => e.targetId)).toContain(backId);
    expect(byOwner.map((e) => e.targetId)).not.toContain(frontId);
    expect(await listed(`actor=api_key:${keyId}`)).toEqual([]);
    expect((await listed(`actor=user:${r.owner.userId}&q=front`)).length).toBe(0);
  });

  it('answers bad filters with a 400 naming the field', async () => {
    expect(expectProblem(await get('actor=someone'), 400).errors![0]!.path).toBe('querystring.actor');
    expect(expectProblem(await get(`actor=user:${r.owner.userId}&actorType=api_key`), 400).errors![0]!.path).toBe('querystring.actorType');
    expect(expectProblem(await get(`q=${'x'.repeat(201)}`), 400).errors![0]!.path).toBe('querystring.q');
    expect(expectProblem(await get('from=yesterday'), 400).errors![0]!.path).toBe('querystring.from');
    expectProblem(await get('q=front', r.member), 403);
  });
});

import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, expectProblem, json, seedMember, type Member, type TestApp } from '../../test/helpers/app.js';
import { API_KEY_CACHE_MS } from './api-keys.js';
import { apiKeys } from './schema.js';

/** Decision 54: what a process read of an API key is trusted for a second, never longer. */
describe('API key cache', () => {
  let t: TestApp;
  let owner: Member;
  beforeAll(async () => {
    t = await createTestApp('postgres');
    owner = await seedMember(t.ctx, 'owner');
  });
  afterAll(() => t.close());
  afterEach(() => vi.useRealTimers());

  const makeKey = async (role = 'admin') =>
    json<{ apiKey: { id: string }; key: string }>(await t.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: owner.headers, payload: { name: `${role} key`, role } }));
  const asKey = (key: string) => t.app.inject({ url: '/api/v1/orgs/current', headers: { authorization: `Bearer ${key}` } });
  const roundTrips = async (fn: () => Promise<unknown>) => {
    const before = t.ctx.database.stats.roundTrips;
    await fn();
    return t.ctx.database.stats.roundTrips - before;
  };

  it('a busy key costs no lookup: a read request is one round trip on PostgreSQL', async () => {
    const { key } = await makeKey();
    await asKey(key); // reads the key, writes last_used_at
    const headers = { authorization: `Bearer ${key}` };
    // BEGIN + set_config + the page's two SELECTs + COMMIT in one write (readOrg, decision 59); a
    // query of its own each time, so the cache of hot reads does not answer it.
    expect(await roundTrips(() => t.app.inject({ url: '/api/v1/agents?search=first', headers }))).toBe(1);
    expect(await roundTrips(() => t.app.inject({ url: '/api/v1/agents?search=second', headers }))).toBe(1);
  });

  it('a key revoked behind this process (another process, the CLI) stops working once the cache time is up', async () => {
    const { apiKey, key } = await makeKey();
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    expect((await asKey(key)).statusCode).toBe(200);
    // Revoked with no call of this process's ApiKeys: as `troupe apikey revoke` or another server would.
    await t.ctx.database.system((tx) => tx.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, apiKey.id)));
    vi.setSystemTime(start + API_KEY_CACHE_MS - 1);
    // Still trusted from the cache, without asking the database.
    expect(await roundTrips(async () => expect((await asKey(key)).statusCode).toBe(200))).toBe(2);
    vi.setSystemTime(start + API_KEY_CACHE_MS);
    expectProblem(await asKey(key), 401);
    expect(API_KEY_CACHE_MS).toBeLessThanOrEqual(1000);
  });

  it('when a busy key is read again, the requests presenting it at that moment share one lookup', async () => {
    const { key } = await makeKey();
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    expect((await asKey(key)).statusCode).toBe(200);
    vi.setSystemTime(start + API_KEY_CACHE_MS);
    const system = vi.spyOn(t.ctx.database, 'system');
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, () => asKey(key)));
      expect(answers.map((a) => a.statusCode)).toEqual(Array(20).fill(200));
      // One lookup (database.system) for the twenty, where each used to make its own.
      expect(system).toHaveBeenCalledTimes(1);
    } finally {
      system.mockRestore();
    }
  });

  it('a key expiring while cached stops working at its expiry', async () => {
    const { apiKey, key } = await makeKey();
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    await t.ctx.database.system((tx) => tx.update(apiKeys).set({ expiresAt: new Date(start + 200) }).where(eq(apiKeys.id, apiKey.id)));
    expect((await asKey(key)).statusCode).toBe(200);
    vi.setSystemTime(start + 200);
    expectProblem(await asKey(key), 401);
  });

  it('revoking, lowering a key or removing its creator works at once in this process, cache or not', async () => {
    vi.useFakeTimers({ toFake: ['Date'] }); // time stands still: only invalidation can end a cached entry
    const admin = await seedMember(t.ctx, 'admin', owner.orgId);
    const byAdmin = json<{ key: string }>(await t.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: admin.headers, payload: { name: 'admin key', role: 'admin' } }));
    const lowered = json<{ key: string }>(await t.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: admin.headers, payload: { name: 'to lower', role: 'admin' } }));
    const { apiKey, key } = await makeKey();
    for (const k of [byAdmin.key, lowered.key, key]) expect((await asKey(k)).statusCode).toBe(200);

    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${apiKey.id}`, headers: owner.headers })).statusCode).toBe(204);
    expectProblem(await asKey(key), 401);

    expect((await t.app.inject({ method: 'PATCH', url: `/api/v1/members/${admin.userId}`, headers: owner.headers, payload: { role: 'viewer' } })).statusCode).toBe(200);
    expect(json(await asKey(lowered.key))).toMatchObject({ role: 'viewer' });

    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/members/${admin.userId}`, headers: owner.headers })).statusCode).toBe(200);
    expectProblem(await asKey(byAdmin.key), 401);
  });
});

import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedRoles, type TestApp } from '../../test/helpers/app.js';
import { sha256 } from '../shared/crypto.js';
import { apiKeys } from './schema.js';

describe('API keys', () => {
  let t: TestApp;
  let r: Awaited<ReturnType<typeof seedRoles>>;
  beforeAll(async () => {
    t = await createTestApp('postgres');
    r = await seedRoles(t.ctx);
  });
  afterAll(() => t.close());

  const create = (headers: Record<string, string>, payload: object) => t.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers, payload });

  it('is shown once, stored hashed, usable as a bearer token with its own role, and revocable', async () => {
    const res = await create(r.admin.headers, { name: 'ci', role: 'viewer' });
    expect(res.statusCode).toBe(201);
    const { apiKey, key } = json<{ apiKey: { id: string; prefix: string }; key: string }>(res);
    expect(key).toMatch(/^trp_/);
    expect(key.startsWith(apiKey.prefix)).toBe(true);
    const [row] = await t.ctx.database.system((tx) => tx.select().from(apiKeys).where(eq(apiKeys.id, apiKey.id)));
    expect(row!.keyHash).toBe(sha256(key));
    expect(JSON.stringify(row)).not.toContain(key);

    const list = await t.app.inject({ url: '/api/v1/api-keys', headers: r.admin.headers });
    expect(list.body).not.toContain(key);
    expect(json<{ items: { id: string }[] }>(list).items.map((k) => k.id)).toContain(apiKey.id);

    const asKey = { authorization: `Bearer ${key}` };
    const current = await t.app.inject({ url: '/api/v1/orgs/current', headers: asKey });
    expect(json(current)).toMatchObject({ id: r.owner.orgId, role: 'viewer' });
    // A viewer key cannot manage; a key cannot act in another organization or as a user.
    expectProblem(await t.app.inject({ method: 'PATCH', url: '/api/v1/orgs/current', headers: asKey, payload: { name: 'x' } }), 403);
    expectProblem(await t.app.inject({ url: '/api/v1/orgs/current', headers: { ...asKey, 'x-org-id': r.stranger.orgId } }), 404);
    expect(expectProblem(await t.app.inject({ url: '/api/v1/auth/me', headers: asKey }), 403).code).toBe('user_required');

    const [used] = await t.ctx.database.system((tx) => tx.select().from(apiKeys).where(eq(apiKeys.id, apiKey.id)));
    expect(used!.lastUsedAt).not.toBeNull();

    expectProblem(await t.app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${apiKey.id}`, headers: r.stranger.headers }), 404);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${apiKey.id}`, headers: r.admin.headers })).statusCode).toBe(204);
    expectProblem(await t.app.inject({ url: '/api/v1/orgs/current', headers: asKey }), 401);
    expectProblem(await t.app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${apiKey.id}`, headers: r.admin.headers }), 404);
    const withRevoked = json<{ items: { id: string; revokedAt: string | null }[] }>(
      await t.app.inject({ url: '/api/v1/api-keys?includeRevoked=true', headers: r.admin.headers }),
    );
    expect(withRevoked.items.find((k) => k.id === apiKey.id)!.revokedAt).not.toBeNull();
  });

  it('cannot be created above your own role, by members, or with bad input', async () => {
    expect(expectProblem(await create(r.admin.headers, { name: 'x', role: 'owner' }), 403).code).toBe('role_above_own');
    expectProblem(await create(r.member.headers, { name: 'x', role: 'member' }), 403);
    const bad = expectProblem(await create(r.admin.headers, { name: '', role: 'boss' }), 400);
    expect(bad.errors!.map((e) => e.path).sort()).toEqual(['body.name', 'body.role']);
    const past = expectProblem(await create(r.admin.headers, { name: 'old', expiresAt: '2001-01-01T00:00:00Z' }), 400);
    expect(past.errors![0]!.path).toBe('body.expiresAt');
  });

  it('stops working after it expires', async () => {
    const { apiKey, key } = json<{ apiKey: { id: string }; key: string }>(await create(r.owner.headers, { name: 'short', role: 'member' }));
    await t.ctx.database.system((tx) => tx.update(apiKeys).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(apiKeys.id, apiKey.id)));
    expectProblem(await t.app.inject({ url: '/api/v1/orgs/current', headers: { authorization: `Bearer ${key}` } }), 401);
  });
});

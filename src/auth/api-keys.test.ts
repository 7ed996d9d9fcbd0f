import { and, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedMember, seedRoles, type Member, type TestApp } from '../../test/helpers/app.js';
import { auditLog } from '../audit/schema.js';
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

describe('API keys follow their creator (issue 12 item 8)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('postgres');
  });
  afterAll(() => t.close());

  const call = (who: Member, method: 'POST' | 'PATCH' | 'DELETE' | 'GET', url: string, payload?: object) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: who.headers, ...(payload ? { payload } : {}) });
  const makeKey = async (who: Member, role: string) => json<{ apiKey: { id: string }; key: string }>(await call(who, 'POST', '/api-keys', { name: `${role} key`, role }));
  const asKey = (key: string, method: 'GET' | 'PATCH' = 'GET') =>
    t.app.inject({ method, url: '/api/v1/orgs/current', headers: { authorization: `Bearer ${key}` }, ...(method === 'PATCH' ? { payload: { name: 'Renamed by key' } } : {}) });
  const roleOf = async (id: string) => (await t.ctx.database.system((tx) => tx.select().from(apiKeys).where(eq(apiKeys.id, id))))[0]!;
  const auditOf = (orgId: string, ids: string[]) =>
    t.ctx.database.withOrg(orgId, (tx) => tx.select().from(auditLog).where(and(eq(auditLog.orgId, orgId), inArray(auditLog.targetId, ids))));

  it('demoting a member lowers the keys they created to the new role, and says how many', async () => {
    const owner = await seedMember(t.ctx, 'owner');
    const admin = await seedMember(t.ctx, 'admin', owner.orgId);
    const adminKey = await makeKey(admin, 'admin');
    const viewerKey = await makeKey(admin, 'viewer');
    const ownersKey = await makeKey(owner, 'admin');
    expect((await asKey(adminKey.key, 'PATCH')).statusCode).toBe(200);

    const res = await call(owner, 'PATCH', `/members/${admin.userId}`, { role: 'member' });
    expect(json(res)).toMatchObject({ userId: admin.userId, role: 'member', apiKeysLowered: 1 });
    expect((await roleOf(adminKey.apiKey.id)).role).toBe('member');
    expect((await roleOf(viewerKey.apiKey.id)).role).toBe('viewer');
    expect((await roleOf(ownersKey.apiKey.id)).role).toBe('admin');
    // The lowered key keeps working, with the member role only.
    expect(json(await asKey(adminKey.key))).toMatchObject({ role: 'member' });
    expect(expectProblem(await asKey(adminKey.key, 'PATCH'), 403).code).toBe('insufficient_role');

    const entries = await auditOf(owner.orgId, [adminKey.apiKey.id]);
    expect(entries.filter((e) => e.action === 'api_key.role_lowered').map((e) => [e.action, e.actorId, e.details])).toEqual([
      ['api_key.role_lowered', owner.userId, { name: 'admin key', role: 'admin', to: 'member', reason: 'creator_demoted', memberId: admin.userId }],
    ]);
    // A promotion leaves keys alone.
    expect(json(await call(owner, 'PATCH', `/members/${admin.userId}`, { role: 'admin' }))).toMatchObject({ apiKeysLowered: 0 });
    expect((await roleOf(adminKey.apiKey.id)).role).toBe('member');
  });

  it('removing a member revokes the keys they created in that organization, and says how many', async () => {
    const owner = await seedMember(t.ctx, 'owner');
    const admin = await seedMember(t.ctx, 'admin', owner.orgId);
    const first = await makeKey(admin, 'admin');
    const second = await makeKey(admin, 'member');
    const revokedBefore = await makeKey(admin, 'viewer');
    await call(admin, 'DELETE', `/api-keys/${revokedBefore.apiKey.id}`);
    const ownersKey = await makeKey(owner, 'member');
    // The same person's key in another organization they belong to is not touched.
    const elsewhere = await seedMember(t.ctx, 'owner');
    await t.ctx.services.orgs.addMember(elsewhere.orgId, admin.userId, 'admin');
    const otherOrgKey = await makeKey({ ...admin, headers: { ...admin.headers, 'x-org-id': elsewhere.orgId } }, 'admin');

    const res = await call(owner, 'DELETE', `/members/${admin.userId}`);
    expect(res.statusCode).toBe(200);
    expect(json(res)).toEqual({ apiKeysRevoked: 2 });
    expectProblem(await asKey(first.key), 401);
    expectProblem(await asKey(second.key), 401);
    expect((await asKey(ownersKey.key)).statusCode).toBe(200);
    expect(json(await asKey(otherOrgKey.key))).toMatchObject({ id: elsewhere.orgId, role: 'admin' });

    const entries = await auditOf(owner.orgId, [first.apiKey.id, second.apiKey.id, revokedBefore.apiKey.id]);
    const revocations = entries.filter((e) => e.details.reason === 'creator_removed');
    expect(revocations.map((e) => e.targetId).sort()).toEqual([first.apiKey.id, second.apiKey.id].sort());
    expect(revocations.every((e) => e.action === 'api_key.revoked' && e.actorId === owner.userId)).toBe(true);
  });

  it('leaving an organization revokes your own keys there too', async () => {
    const owner = await seedMember(t.ctx, 'owner');
    const admin = await seedMember(t.ctx, 'admin', owner.orgId);
    const key = await makeKey(admin, 'member');
    expect(json(await call(admin, 'DELETE', `/members/${admin.userId}`))).toEqual({ apiKeysRevoked: 1 });
    expectProblem(await asKey(key.key), 401);
  });
});

import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, SEED_PASSWORD, seedMember, seedRoles, type Member, type TestApp } from '../../test/helpers/app.js';
import { auditLog } from './schema.js';
import type { AuditView } from './service.js';

let t: TestApp;
let r: Awaited<ReturnType<typeof seedRoles>>;
beforeAll(async () => {
  t = await createTestApp('postgres');
  r = await seedRoles(t.ctx);
});
afterAll(() => t.close());

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
const call = (method: Method, url: string, headers: Record<string, string>, payload?: object) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });
type Entry = Omit<AuditView, 'createdAt'> & { createdAt: string };
const list = async (query: string, who: Member = r.admin) => {
  const res = await call('GET', `/audit?${query}`, who.headers);
  expect(res.statusCode, res.body).toBe(200);
  return json<{ items: Entry[]; total: number; nextCursor: string | null }>(res);
};
/** Every entry of an organization, straight from the table. */
const rowsOf = (orgId: string) => t.ctx.database.withOrg(orgId, (tx) => tx.select().from(auditLog).where(eq(auditLog.orgId, orgId)));

describe('configuration changes through the API', () => {
  it('records agent changes with actor, target, request id and the names of the fields sent', async () => {
    const created = await call('POST', '/agents', r.admin.headers, { name: 'Audited', model: 'openai:gpt-4o-mini', instructions: 'be kind' });
    expect(created.statusCode).toBe(201);
    const agentId = json<{ id: string }>(created).id;
    const patched = await call('PATCH', `/agents/${agentId}`, r.admin.headers, { name: 'Audited 2', limits: { maxSteps: 5 } });
    expect(patched.statusCode).toBe(200);
    await call('POST', `/agents/${agentId}/disable`, r.admin.headers);
    await call('POST', `/agents/${agentId}/versions/1/restore`, r.admin.headers);
    await call('DELETE', `/agents/${agentId}`, r.admin.headers);
    // A refused change is not a change.
    expect((await call('PATCH', `/agents/${agentId}`, r.member.headers, { name: 'no' })).statusCode).toBe(403);
    expect((await call('PATCH', `/agents/${agentId}`, r.admin.headers, { temperature: 'hot' })).statusCode).toBe(400);

    const { items } = await list(`targetId=${agentId}&sortOrder=asc`);
    expect(items.map((e) => e.action)).toEqual(['agent.created', 'agent.updated', 'agent.disabled', 'agent.version_restored', 'agent.deleted']);
    for (const e of items) expect(e).toMatchObject({ actorType: 'user', actorId: r.admin.userId, targetType: 'agent', targetId: agentId });
    expect(items[0]!.requestId).toBe(created.headers['x-request-id']);
    expect(items[0]!.details).toEqual({ fields: ['instructions', 'model', 'name'] });
    expect(items[1]!.details).toEqual({ fields: ['limits.maxSteps', 'name'] });
    expect(items[3]!.details).toEqual({ params: { version: '1' } });
    expect(JSON.stringify(items)).not.toContain('be kind'); // names, never values
  });

  it('records API key creation, actions and use by the key, and never the key itself', async () => {
    const res = await call('POST', '/api-keys', r.admin.headers, { name: 'ci', role: 'admin' });
    const { apiKey, key } = json<{ apiKey: { id: string }; key: string }>(res);
    const asKey = { authorization: `Bearer ${key}` };
    const agent = await call('POST', '/agents', asKey, { name: 'By key', model: 'openai:gpt-4o-mini' });
    expect(agent.statusCode).toBe(201);
    await call('GET', '/orgs/current', asKey);
    await call('GET', '/orgs/current', asKey);

    expect((await list(`targetId=${apiKey.id}&action=api_key.created`)).items).toMatchObject([{ actorId: r.admin.userId, targetType: 'api_key' }]);
    const used = await list(`action=api_key.used&actorId=${apiKey.id}`);
    // Three requests within a minute: one entry.
    expect(used.items).toMatchObject([{ actorType: 'api_key', actorId: apiKey.id, targetType: 'api_key', targetId: apiKey.id, details: { name: 'ci' } }]);
    expect((await list(`action=agent.created&actorId=${apiKey.id}`)).items).toMatchObject([
      { actorType: 'api_key', targetId: json<{ id: string }>(agent).id },
    ]);
    expect(JSON.stringify(await rowsOf(r.owner.orgId))).not.toContain(key);
  });

  it('records organization, member and invitation changes', async () => {
    await call('PATCH', '/orgs/current', r.owner.headers, { markupPercent: 25 });
    const extra = await seedMember(t.ctx, 'member', r.owner.orgId);
    await call('PATCH', `/members/${extra.userId}`, r.admin.headers, { role: 'viewer' });
    await call('DELETE', `/members/${extra.userId}`, r.admin.headers);
    const inv = json<{ invitation: { id: string } }>(await call('POST', '/invitations', r.admin.headers, { email: 'new@example.com' }));
    await call('DELETE', `/invitations/${inv.invitation.id}`, r.admin.headers);

    expect((await list('action=organization.updated')).items[0]).toMatchObject({ actorId: r.owner.userId, targetType: 'organization', targetId: r.owner.orgId, details: { fields: ['markupPercent'] } });
    expect((await list(`targetId=${extra.userId}&sortOrder=asc`)).items.map((e) => [e.action, e.targetType])).toEqual([
      ['member.role_changed', 'user'],
      ['member.removed', 'user'],
    ]);
    expect((await list(`targetId=${inv.invitation.id}&sortOrder=asc`)).items.map((e) => e.action)).toEqual(['invitation.created', 'invitation.revoked']);
  });

  it('records changes outside an organization context in the right organizations', async () => {
    const person = await seedMember(t.ctx, 'owner');
    const created = json<{ id: string }>(await call('POST', '/orgs', { authorization: person.headers.authorization! }, { name: 'Second' }));
    const asPerson = { authorization: person.headers.authorization! };
    await call('PATCH', '/auth/me', asPerson, { name: 'Renamed' });
    await call('POST', '/auth/password', asPerson, { currentPassword: SEED_PASSWORD, newPassword: 'a much newer passphrase' });

    const inNew = await rowsOf(created.id);
    expect(inNew.map((e) => e.action)).toEqual(expect.arrayContaining(['organization.created', 'user.updated', 'user.password_changed']));
    expect(inNew.find((e) => e.action === 'organization.created')).toMatchObject({ actorType: 'user', actorId: person.userId, targetId: created.id });
    const inFirst = (await rowsOf(person.orgId)).map((e) => e.action);
    expect(inFirst).toEqual(expect.arrayContaining(['user.updated', 'user.password_changed']));
    expect(inFirst).not.toContain('organization.created');
    const password = (await rowsOf(person.orgId)).find((e) => e.action === 'user.password_changed')!;
    expect(password.details).toEqual({ fields: ['currentPassword', 'newPassword'] });
    expect(JSON.stringify(await rowsOf(person.orgId))).not.toContain('a much newer passphrase');
  });

  it('records a sign-up in the organization it creates, by the new user', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/signup', payload: { email: 'signup-audit@example.com', password: 'correct horse battery', name: 'Sig' } });
    expect(res.statusCode, res.body).toBe(201);
    const { user, organization } = json<{ user: { id: string }; organization: { id: string } }>(res);
    expect(await rowsOf(organization.id)).toMatchObject([
      { action: 'user.signed_up', actorType: 'user', actorId: user.id, targetType: 'user', targetId: user.id, details: { fields: ['email', 'name', 'password'] } },
    ]);
  });

  it('records sign-ins and failed sign-ins of existing accounts in each of their organizations', async () => {
    const person = await seedMember(t.ctx, 'member', r.owner.orgId);
    await t.ctx.services.orgs.addMember(r.stranger.orgId, person.userId, 'viewer');
    const signin = (password: string) => t.app.inject({ method: 'POST', url: '/api/v1/auth/signin', payload: { email: person.email, password } });
    expect((await signin(SEED_PASSWORD)).statusCode).toBe(200);
    expect((await signin('wrong password!')).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/signin', payload: { email: 'nobody@example.com', password: 'x' } })).statusCode).toBe(401);

    for (const orgId of [r.owner.orgId, r.stranger.orgId]) {
      const mine = (await rowsOf(orgId)).filter((e) => e.actorId === person.userId).map((e) => [e.action, e.details]);
      expect(mine).toEqual(expect.arrayContaining([['auth.signin', {}], ['auth.signin_failed', { reason: 'wrong_password' }]]));
    }
    expect(JSON.stringify(await rowsOf(r.owner.orgId))).not.toContain('wrong password!');
  });
});

describe('AuditService.record', () => {
  it('keeps ids but replaces values under credential-looking keys', async () => {
    await t.ctx.services.audit.record({
      orgId: r.owner.orgId,
      actor: { type: 'system' },
      action: 'test.redaction',
      details: { apiKeyId: 'k1', apiKey: 'trp_secret', nested: { password: 'hunter2', name: 'ok' }, fields: ['password'] },
    });
    const [row] = (await rowsOf(r.owner.orgId)).filter((e) => e.action === 'test.redaction');
    expect(row).toMatchObject({ actorType: 'system', actorId: null });
    expect(row!.details).toEqual({ apiKeyId: 'k1', apiKey: '[redacted]', nested: { password: '[redacted]', name: 'ok' }, fields: ['password'] });
  });
});

describe('GET /audit', () => {
  it('filters by action (exact or prefix), actor, target and time, and pages', async () => {
    const agent = json<{ id: string }>(await call('POST', '/agents', r.owner.headers, { name: 'Filters', model: 'openai:gpt-4o-mini' }));
    await call('POST', `/agents/${agent.id}/disable`, r.owner.headers);
    await call('POST', `/agents/${agent.id}/enable`, r.owner.headers);

    const prefix = await list('action=agent.');
    expect(prefix.items.length).toBeGreaterThanOrEqual(3);
    expect(prefix.items.every((e) => e.action.startsWith('agent.'))).toBe(true);
    expect((await list('action=agent.enabled')).items.every((e) => e.action === 'agent.enabled')).toBe(true);
    expect((await list('action=agent')).items).toEqual([]); // no dot: exact
    const byOwner = await list(`actorId=${r.owner.userId}&targetType=agent&targetId=${agent.id}`);
    expect(byOwner.items.map((e) => e.action)).toEqual(['agent.enabled', 'agent.disabled', 'agent.created']);

    const all = await list(`targetId=${agent.id}&sortOrder=asc`);
    const first = all.items[0]!.createdAt;
    const last = all.items.at(-1)!.createdAt;
    expect((await list(`targetId=${agent.id}&from=${encodeURIComponent(last)}`)).items.map((e) => e.action)).toEqual(['agent.enabled']);
    expect((await list(`targetId=${agent.id}&to=${encodeURIComponent(last)}`)).total).toBe(2);
    expect((await list(`targetId=${agent.id}&from=${encodeURIComponent(first)}&to=${encodeURIComponent(last)}`)).total).toBe(2);

    const page1 = await list(`targetId=${agent.id}&limit=2`);
    expect(page1).toMatchObject({ total: 3 });
    const page2 = await list(`targetId=${agent.id}&limit=2&cursor=${page1.nextCursor}`);
    expect([...page1.items, ...page2.items].map((e) => e.action)).toEqual(['agent.enabled', 'agent.disabled', 'agent.created']);
    expect(page2.nextCursor).toBeNull();
  });

  it('answers 400 for bad filters', async () => {
    expect(expectProblem(await call('GET', '/audit?actorId=nope', r.admin.headers), 400).errors![0]!.path).toBe('querystring.actorId');
    expect(expectProblem(await call('GET', '/audit?action=Agent%20Updated', r.admin.headers), 400).errors![0]!.path).toBe('querystring.action');
    expect(expectProblem(await call('GET', '/audit?from=yesterday', r.admin.headers), 400).errors![0]!.path).toBe('querystring.from');
    const backwards = expectProblem(await call('GET', '/audit?from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z', r.admin.headers), 400);
    expect(backwards.errors![0]!.path).toBe('querystring.to');
  });

  it('is for admins of the organization only', async () => {
    expectProblem(await call('GET', '/audit', {}), 401);
    expectProblem(await call('GET', '/audit', r.viewer.headers), 403);
    expectProblem(await call('GET', '/audit', r.member.headers), 403);
    expect((await call('GET', '/audit', r.owner.headers)).statusCode).toBe(200);
    // Another organization's owner sees only their own entries, even naming ours.
    const theirs = await list(`actorId=${r.admin.userId}`, r.stranger);
    expect(theirs.items).toEqual([]);
    expectProblem(await call('GET', '/audit', { ...r.stranger.headers, 'x-org-id': r.owner.orgId }), 404);
  });
});

import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedMember, seedRoles, type Member, type TestApp } from '../../test/helpers/app.js';

type Roles = Awaited<ReturnType<typeof seedRoles>>;

describe('organizations, members and invitations', () => {
  let t: TestApp;
  let r: Roles;
  beforeAll(async () => {
    t = await createTestApp('postgres');
    r = await seedRoles(t.ctx);
  });
  afterAll(() => t.close());

  const call = (who: Member, method: string, url: string, payload?: object, extra: Record<string, string> = {}) =>
    t.app.inject({ method: method as 'GET', url: `/api/v1${url}`, headers: { ...who.headers, ...extra }, ...(payload ? { payload } : {}) });

  it('lists your organizations and creates new ones you own', async () => {
    const res = await call(r.member, 'POST', '/orgs', { name: 'Side project' });
    expect(res.statusCode).toBe(201);
    const created = json<{ id: string; role: string }>(res);
    expect(created.role).toBe('owner');
    const mine = json<{ items: { id: string; role: string }[] }>(await call(r.member, 'GET', '/orgs')).items;
    expect(mine.map((o) => [o.id, o.role])).toEqual([
      [r.owner.orgId, 'member'],
      [created.id, 'owner'],
    ]);
    expect(expectProblem(await call(r.member, 'POST', '/orgs', { name: '' }), 400).errors![0]!.path).toBe('body.name');
  });

  it('chooses the organization per request with X-Org-Id; default is the first joined', async () => {
    const second = json<{ id: string }>(await call(r.viewer, 'POST', '/orgs', { name: 'Mine' }));
    const noHeader = { authorization: r.viewer.headers.authorization! };
    const def = await t.app.inject({ url: '/api/v1/orgs/current', headers: noHeader });
    expect(json(def)).toMatchObject({ id: r.owner.orgId, role: 'viewer' });
    const chosen = await t.app.inject({ url: '/api/v1/orgs/current', headers: { ...noHeader, 'x-org-id': second.id } });
    expect(json(chosen)).toMatchObject({ id: second.id, role: 'owner' });
    // An organization you do not belong to does not exist for you.
    expectProblem(await t.app.inject({ url: '/api/v1/orgs/current', headers: { ...noHeader, 'x-org-id': r.stranger.orgId } }), 404);
    expect(expectProblem(await t.app.inject({ url: '/api/v1/orgs/current', headers: { ...noHeader, 'x-org-id': 'nope' } }), 400).errors![0]!.path).toBe(
      'headers.x-org-id',
    );
  });

  it('lets admins rename, but only owners change billing settings', async () => {
    expect(json(await call(r.admin, 'PATCH', '/orgs/current', { name: 'Renamed' })).name).toBe('Renamed');
    expect(expectProblem(await call(r.admin, 'PATCH', '/orgs/current', { markupPercent: 30 }), 403).code).toBe('insufficient_role');
    const owner = json(await call(r.owner, 'PATCH', '/orgs/current', { markupPercent: 12.5, monthlyBudgetMicros: 50_000_000 }));
    expect(owner).toMatchObject({ markupPercent: 12.5, monthlyBudgetMicros: 50_000_000 });
    expect(expectProblem(await call(r.owner, 'PATCH', '/orgs/current', { markupPercent: -1 }), 400).errors![0]!.path).toBe('body.markupPercent');
    expectProblem(await call(r.member, 'PATCH', '/orgs/current', { name: 'x' }), 403);
  });

  it('defaults markup to 20%', async () => {
    const m = await seedMember(t.ctx);
    expect(json(await call(m, 'GET', '/orgs/current')).markupPercent).toBe(20);
  });

  it('lists members with their roles; viewers may read', async () => {
    const items = json<{ items: { userId: string; role: string }[] }>(await call(r.viewer, 'GET', '/members')).items;
    expect(new Map(items.map((m) => [m.userId, m.role]))).toEqual(
      new Map([
        [r.owner.userId, 'owner'],
        [r.admin.userId, 'admin'],
        [r.member.userId, 'member'],
        [r.viewer.userId, 'viewer'],
      ]),
    );
    const theirs = json<{ items: { userId: string }[] }>(await call(r.stranger, 'GET', '/members')).items;
    expect(theirs.map((m) => m.userId)).toEqual([r.stranger.userId]);
  });

  it('enforces the owner rules on role changes and removals', async () => {
    const o = await seedMember(t.ctx, 'owner');
    const a = await seedMember(t.ctx, 'admin', o.orgId);
    const m = await seedMember(t.ctx, 'member', o.orgId);
    expect(json(await call(a, 'PATCH', `/members/${m.userId}`, { role: 'viewer' })).role).toBe('viewer');
    expect(expectProblem(await call(a, 'PATCH', `/members/${m.userId}`, { role: 'owner' }), 403).code).toBe('owner_required');
    expect(expectProblem(await call(a, 'PATCH', `/members/${o.userId}`, { role: 'member' }), 403).code).toBe('owner_required');
    expect(expectProblem(await call(o, 'PATCH', `/members/${o.userId}`, { role: 'admin' }), 409).code).toBe('last_owner');
    expect(expectProblem(await call(o, 'DELETE', `/members/${o.userId}`), 409).code).toBe('last_owner');
    expect(expectProblem(await call(a, 'PATCH', `/members/${m.userId}`, { role: 'king' }), 400).errors![0]!.path).toBe('body.role');
    // Another organization's member is not found, and so is a malformed id.
    expectProblem(await call(a, 'PATCH', `/members/${r.stranger.userId}`, { role: 'viewer' }), 404);
    expectProblem(await call(a, 'DELETE', `/members/not-a-uuid`), 404);
    // Viewers cannot remove others but anyone can leave.
    expectProblem(await call(m, 'DELETE', `/members/${a.userId}`), 403);
    expect(json(await call(m, 'DELETE', `/members/${m.userId}`))).toEqual({ apiKeysRevoked: 0 });
    expect((await call(o, 'PATCH', `/members/${a.userId}`, { role: 'owner' })).statusCode).toBe(200);
    expect((await call(o, 'DELETE', `/members/${o.userId}`)).statusCode).toBe(200);
  });

  it('invites by email; the invitee signs up with the token and joins with the invited role', async () => {
    const res = await call(r.admin, 'POST', '/invitations', { email: 'New.Person@example.com', role: 'member' });
    expect(res.statusCode).toBe(201);
    const { invitation, inviteUrl } = json<{ invitation: { id: string; email: string }; inviteUrl: string }>(res);
    expect(invitation.email).toBe('new.person@example.com');
    const token = new URL(inviteUrl).searchParams.get('token')!;
    expect(expectProblem(await call(r.admin, 'POST', '/invitations', { email: 'new.person@example.com' }), 409).code).toBe('invitation_pending');
    const pending = json<{ items: { id: string }[] }>(await call(r.admin, 'GET', '/invitations')).items;
    expect(pending.map((i) => i.id)).toContain(invitation.id);

    const signup = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/signup',
      payload: { email: 'new.person@example.com', password: 'newcomer password', name: 'New', invitationToken: token },
    });
    expect(signup.statusCode).toBe(201);
    expect(json(signup).organization).toMatchObject({ id: r.owner.orgId, role: 'member' });
    // Used: cannot be used again.
    const other = await seedMember(t.ctx);
    expectProblem(await t.app.inject({ method: 'POST', url: '/api/v1/invitations/accept', headers: { authorization: `Bearer ${other.token}` }, payload: { token } }), 404);
    expect(expectProblem(await call(r.admin, 'POST', '/invitations', { email: 'new.person@example.com' }), 409).code).toBe('already_member');
  });

  it('accepting needs the invited email; revoked invitations stop working; admins only', async () => {
    const existing = await seedMember(t.ctx);
    const { invitation, inviteUrl } = json<{ invitation: { id: string }; inviteUrl: string }>(
      await call(r.owner, 'POST', '/invitations', { email: existing.email, role: 'viewer' }),
    );
    const token = new URL(inviteUrl).searchParams.get('token')!;
    const wrongUser = await seedMember(t.ctx);
    const accept = (who: Member) => t.app.inject({ method: 'POST', url: '/api/v1/invitations/accept', headers: { authorization: `Bearer ${who.token}` }, payload: { token } });
    expect(expectProblem(await accept(wrongUser), 403).code).toBe('invitation_email_mismatch');
    expect(json(await accept(existing))).toMatchObject({ id: r.owner.orgId, role: 'viewer' });

    const second = json<{ invitation: { id: string }; inviteUrl: string }>(await call(r.owner, 'POST', '/invitations', { email: 'later@example.com' }));
    expectProblem(await call(r.stranger, 'DELETE', `/invitations/${second.invitation.id}`), 404);
    expect((await call(r.admin, 'DELETE', `/invitations/${second.invitation.id}`)).statusCode).toBe(204);
    expectProblem(await call(r.admin, 'DELETE', `/invitations/${second.invitation.id}`), 404);
    expect(expectProblem(await call(r.admin, 'POST', '/invitations', { email: 'boss@example.com', role: 'owner' }), 403).code).toBe('owner_required');
    expectProblem(await call(r.member, 'POST', '/invitations', { email: 'x@example.com' }), 403);
    expect(expectProblem(await call(r.admin, 'POST', '/invitations', { email: 'nope' }), 400).errors![0]!.path).toBe('body.email');
    expect(invitation.id).toBeTruthy();
  });

  it('deletes an organization (owner only, confirmed by name) and everything in it', async () => {
    const o = await seedMember(t.ctx, 'owner');
    const a = await seedMember(t.ctx, 'admin', o.orgId);
    const name = json<{ name: string }>(await call(o, 'GET', '/orgs/current')).name;
    expectProblem(await call(a, 'DELETE', '/orgs/current', { confirm: name }), 403);
    expect(expectProblem(await call(o, 'DELETE', '/orgs/current', { confirm: 'wrong' }), 400).code).toBe('confirmation_mismatch');
    expect((await call(o, 'DELETE', '/orgs/current', { confirm: name })).statusCode).toBe(204);
    expectProblem(await call(o, 'GET', '/orgs/current'), 404);
    expect(json<{ items: unknown[] }>(await call(a, 'GET', '/orgs')).items).toEqual([]);
  });
});

describe('member, invitation and API key lists page like every list', () => {
  it('walk by cursor and by offset, filter, and refuse a foreign cursor', async () => {
    const t = await createTestApp('postgres');
    try {
      const owner = await seedMember(t.ctx, 'owner');
      const others = [];
      for (let i = 0; i < 6; i++) others.push(await seedMember(t.ctx, i % 2 ? 'viewer' : 'member', owner.orgId));
      const all = new Set<string>();
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: LightMyRequestResponse = await t.app.inject({ url: `/api/v1/members?limit=3${cursor ? `&cursor=${cursor}` : ''}`, headers: owner.headers });
        const page: { items: { userId: string }[]; total: number; nextCursor: string | null } = json(res);
        expect(page.total).toBe(7);
        for (const m of page.items) {
          expect(all.has(m.userId)).toBe(false);
          all.add(m.userId);
        }
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(all).toEqual(new Set([owner.userId, ...others.map((o) => o.userId)]));

      const second = json<{ items: { userId: string }[]; offset: number }>(
        await t.app.inject({ url: '/api/v1/members?limit=2&offset=2&sortOrder=asc', headers: owner.headers }),
      );
      expect(second.offset).toBe(2);
      expect(second.items.map((m) => m.userId)).toEqual([others[1]!.userId, others[2]!.userId]);

      const viewers = json<{ items: { role: string }[]; total: number }>(await t.app.inject({ url: '/api/v1/members?role=viewer', headers: owner.headers }));
      expect(viewers.total).toBe(3);
      expect(viewers.items.every((m) => m.role === 'viewer')).toBe(true);
      const found = json<{ items: { userId: string }[] }>(
        await t.app.inject({ url: `/api/v1/members?search=${others[4]!.email.toUpperCase()}`, headers: owner.headers }),
      );
      expect(found.items.map((m) => m.userId)).toEqual([others[4]!.userId]);
      const pct = json<{ total: number }>(await t.app.inject({ url: '/api/v1/members?search=%25', headers: owner.headers }));
      expect(pct.total).toBe(0);

      for (let i = 0; i < 3; i++) {
        await t.app.inject({ method: 'POST', url: '/api/v1/invitations', headers: owner.headers, payload: { email: `p${i}@example.com` } });
        await t.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: owner.headers, payload: { name: `k${i}` } });
      }
      for (const url of ['/api/v1/invitations', '/api/v1/api-keys']) {
        const first = json<{ items: unknown[]; total: number; nextCursor: string }>(await t.app.inject({ url: `${url}?limit=2`, headers: owner.headers }));
        expect([first.items.length, first.total]).toEqual([2, 3]);
        const rest = json<{ items: unknown[]; nextCursor: null }>(await t.app.inject({ url: `${url}?limit=2&cursor=${first.nextCursor}`, headers: owner.headers }));
        expect([rest.items.length, rest.nextCursor]).toEqual([1, null]);
      }
      const foreign = Buffer.from(JSON.stringify([42, 'x'])).toString('base64url');
      expect(expectProblem(await t.app.inject({ url: `/api/v1/members?cursor=${foreign}`, headers: owner.headers }), 400).errors![0]!.path).toBe(
        'querystring.cursor',
      );
      expectProblem(await t.app.inject({ url: '/api/v1/members?cursor=abc&offset=1', headers: owner.headers }), 400);
    } finally {
      await t.close();
    }
  });
});

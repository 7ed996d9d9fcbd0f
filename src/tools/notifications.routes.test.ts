import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedRoles, type TestApp } from '../../test/helpers/app.js';

interface Item {
  id: string;
  title: string;
  userId: string | null;
  readAt: string | null;
}
interface ListPage {
  items: Item[];
  total: number;
  nextCursor: string | null;
}

describe('notifications routes', () => {
  let t: TestApp;
  let r: Awaited<ReturnType<typeof seedRoles>>;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    t = await createTestApp('postgres');
    r = await seedRoles(t.ctx);
    const n = t.ctx.services.tools.notifications;
    ids.all = (await n.create(r.owner.orgId, { title: 'For everyone', level: 'warning' })).id;
    ids.viewer = (await n.create(r.owner.orgId, { title: 'For the viewer', userId: r.viewer.userId })).id;
    ids.member = (await n.create(r.owner.orgId, { title: 'For the member', userId: r.member.userId })).id;
    ids.stranger = (await n.create(r.stranger.orgId, { title: 'Other org' })).id;
  });
  afterAll(() => t.close());

  const list = async (headers: Record<string, string>, query = '') => json<ListPage>(await t.app.inject({ url: `/api/v1/notifications${query}`, headers }));
  const read = (headers: Record<string, string>, id: string) => t.app.inject({ method: 'POST', url: `/api/v1/notifications/${id}/read`, headers });

  it('shows each person the ones for everyone plus their own', async () => {
    expect((await list(r.viewer.headers)).items.map((i) => i.title).sort()).toEqual(['For everyone', 'For the viewer']);
    expect((await list(r.member.headers)).items.map((i) => i.title).sort()).toEqual(['For everyone', 'For the member']);
    expect((await list(r.stranger.headers)).items.map((i) => i.title)).toEqual(['Other org']);
    expect((await list(r.viewer.headers, '?level=warning')).items.map((i) => i.title)).toEqual(['For everyone']);
    expectProblem(await t.app.inject({ url: '/api/v1/notifications' }), 401);
  });

  it('marks one read; personal read state is private, shared for broadcast ones', async () => {
    const res = await read(r.viewer.headers, ids.viewer!);
    expect(res.statusCode).toBe(200);
    const first = json<Item>(res);
    expect(first.readAt).not.toBeNull();
    // Reading again keeps the first time.
    expect(json<Item>(await read(r.viewer.headers, ids.viewer!)).readAt).toBe(first.readAt);
    expect((await list(r.viewer.headers, '?unread=true')).items.map((i) => i.title)).toEqual(['For everyone']);
    expect((await list(r.member.headers, '?unread=true')).total).toBe(2);

    expect(json<Item>(await read(r.member.headers, ids.all!)).readAt).not.toBeNull();
    expect((await list(r.viewer.headers, '?unread=true')).total).toBe(0);
  });

  it("answers 404 for someone else's notification, another org's, and malformed ids", async () => {
    expect(expectProblem(await read(r.viewer.headers, ids.member!), 404).code).toBe('not_found');
    expectProblem(await read(r.owner.headers, ids.stranger!), 404);
    expectProblem(await read(r.owner.headers, randomUUID()), 404);
    expectProblem(await read(r.owner.headers, 'not-a-uuid'), 404);
    expect(expectProblem(await t.app.inject({ url: '/api/v1/notifications?unread=maybe', headers: r.owner.headers }), 400).errors![0]!.path).toBe('querystring.unread');
  });

  it('read-all marks only what the caller sees', async () => {
    const n = t.ctx.services.tools.notifications;
    await n.create(r.owner.orgId, { title: 'Another broadcast' });
    await n.create(r.owner.orgId, { title: 'Owner only', userId: r.owner.userId });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/notifications/read-all', headers: r.member.headers });
    expect(json(res)).toEqual({ updated: 2 }); // its own + the new broadcast
    expect((await list(r.owner.headers, '?unread=true')).items.map((i) => i.title)).toEqual(['Owner only']);
    expect(json(await t.app.inject({ method: 'POST', url: '/api/v1/notifications/read-all', headers: r.member.headers }))).toEqual({ updated: 0 });
  });

  it('API keys see only the broadcast ones', async () => {
    const { key } = json<{ key: string }>(await t.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: r.owner.headers, payload: { name: 'k', role: 'viewer' } }));
    const titles = (await list({ authorization: `Bearer ${key}` })).items.map((i) => i.title);
    expect(titles.sort()).toEqual(['Another broadcast', 'For everyone']);
    expectProblem(await read({ authorization: `Bearer ${key}` }, ids.viewer!), 404);
  });

  it('pages with limit and cursor, newest first', async () => {
    const page1 = await list(r.owner.headers, '?limit=2');
    expect(page1.items).toHaveLength(2);
    expect(page1.total).toBe(3);
    const page2 = await list(r.owner.headers, `?limit=2&cursor=${page1.nextCursor}`);
    expect(page2.items).toHaveLength(1);
    expect(page2.nextCursor).toBeNull();
    expect(new Set([...page1.items, ...page2.items].map((i) => i.id)).size).toBe(3);
  });
});

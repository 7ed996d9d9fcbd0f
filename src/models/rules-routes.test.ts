import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedRoles, type TestApp } from '../../test/helpers/app.js';

type Roles = Awaited<ReturnType<typeof seedRoles>>;
interface Rule {
  id: string;
  label: string;
  keywords: string[];
  priority: number;
  createdAt: string;
  updatedAt: string;
}
interface RulePage {
  items: Rule[];
  total: number;
  offset: number | null;
  nextCursor: string | null;
}

describe('classification rule routes', () => {
  let t: TestApp;
  let roles: Roles;

  beforeAll(async () => {
    t = await createTestApp('postgres');
    roles = await seedRoles(t.ctx);
  });
  afterAll(() => t.close());

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, headers?: Record<string, string>, payload?: object) =>
    t.app.inject({ method, url: `/api/v1${url}`, ...(headers ? { headers } : {}), ...(payload ? { payload } : {}) });
  const create = async (body: object, headers = roles.admin.headers) => {
    const res = await call('POST', '/classification-rules', headers, body);
    expect(res.statusCode, res.body).toBe(201);
    return json<Rule>(res);
  };

  it('lets an admin create rules that viewers list in evaluation order and test', async () => {
    const billing = await create({ label: 'billing', keywords: [' invoice ', 'refund', 'Invoice'] });
    expect(billing).toMatchObject({ label: 'billing', keywords: ['invoice', 'refund'], priority: 0 });
    await create({ label: 'outage', keywords: ['down', 'not loading'], priority: 5 });
    await create({ label: 'sales', keywords: ['quote'] });

    const list = json<RulePage>(await call('GET', '/classification-rules', roles.viewer.headers));
    expect(list.items.map((r) => r.label)).toEqual(['outage', 'billing', 'sales']);
    expect(list.total).toBe(3);

    const tested = await call('POST', '/classification-rules/test', roles.viewer.headers, { text: 'The app is down, I want a refund' });
    expect(json(tested)).toEqual({ label: 'outage', matched: ['down'] });
    const none = await call('POST', '/classification-rules/test', roles.viewer.headers, { text: 'hello' });
    expect(json(none)).toEqual({ label: null, matched: [] });
  });

  it('pages by cursor and filters by search', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: RulePage = json<RulePage>(await call('GET', `/classification-rules?limit=2${cursor ? `&cursor=${cursor}` : ''}`, roles.viewer.headers));
      seen.push(...page.items.map((r) => r.label));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['outage', 'billing', 'sales']);
    const found = json<RulePage>(await call('GET', '/classification-rules?search=LOADING', roles.viewer.headers));
    expect(found.items.map((r) => r.label)).toEqual(['outage']);
  });

  it('updates and deletes a rule, for admins', async () => {
    const rule = await create({ label: 'temp', keywords: ['x'] });
    const patched = await call('PATCH', `/classification-rules/${rule.id}`, roles.admin.headers, { keywords: ['y', 'z'], priority: 3 });
    expect(patched.statusCode).toBe(200);
    expect(json<Rule>(patched)).toMatchObject({ id: rule.id, label: 'temp', keywords: ['y', 'z'], priority: 3 });
    const removed = await call('DELETE', `/classification-rules/${rule.id}`, roles.admin.headers);
    expect(removed.statusCode).toBe(204);
    expectProblem(await call('DELETE', `/classification-rules/${rule.id}`, roles.admin.headers), 404);
  });

  it('answers 400 with the failing field paths', async () => {
    const bad = expectProblem(await call('POST', '/classification-rules', roles.admin.headers, { label: '', keywords: [] }), 400);
    expect(bad.errors?.map((e) => e.path)).toEqual(expect.arrayContaining(['body.label', 'body.keywords']));
    const long = expectProblem(await call('POST', '/classification-rules', roles.admin.headers, { label: 'ok', keywords: ['a'.repeat(101)] }), 400);
    expect(long.errors?.map((e) => e.path)).toEqual(['body.keywords.0']);
    const many = expectProblem(
      await call('POST', '/classification-rules', roles.admin.headers, { label: 'ok', keywords: Array.from({ length: 201 }, (_, i) => `k${i}`) }),
      400,
    );
    expect(many.errors?.map((e) => e.path)).toEqual(['body.keywords']);
    const prio = expectProblem(await call('POST', '/classification-rules', roles.admin.headers, { label: 'ok', keywords: ['a'], priority: 1.5 }), 400);
    expect(prio.errors?.map((e) => e.path)).toEqual(['body.priority']);
    const extra = expectProblem(await call('POST', '/classification-rules', roles.admin.headers, { label: 'ok', keywords: ['a'], colour: 'red' }), 400);
    expect(extra.errors?.[0]?.path).toMatch(/^body/);
    const empty = expectProblem(await call('PATCH', `/classification-rules/${randomUUID()}`, roles.admin.headers, {}), 400);
    expect(empty.errors?.[0]?.path).toBe('body');
    expectProblem(await call('POST', '/classification-rules/test', roles.viewer.headers, { text: '' }), 400);
  });

  it('answers 401 without credentials and 403 to a member who tries to edit', async () => {
    expectProblem(await call('GET', '/classification-rules'), 401);
    expectProblem(await call('POST', '/classification-rules', roles.member.headers, { label: 'm', keywords: ['m'] }), 403);
    expectProblem(await call('POST', '/classification-rules', roles.viewer.headers, { label: 'v', keywords: ['v'] }), 403);
  });

  it('answers 404 for another organization’s rule and for a malformed id', async () => {
    const mine = await create({ label: 'private', keywords: ['secret'] });
    expectProblem(await call('PATCH', `/classification-rules/${mine.id}`, roles.stranger.headers, { priority: 9 }), 404);
    expectProblem(await call('DELETE', `/classification-rules/${mine.id}`, roles.stranger.headers), 404);
    expectProblem(await call('DELETE', '/classification-rules/not-a-uuid', roles.admin.headers), 404);
    const theirs = json<RulePage>(await call('GET', '/classification-rules', roles.stranger.headers));
    expect(theirs.items).toEqual([]);
    const tested = json(await call('POST', '/classification-rules/test', roles.stranger.headers, { text: 'secret' }));
    expect(tested).toEqual({ label: null, matched: [] });
  });

  it('answers 409 for a duplicate label, on create and on rename', async () => {
    await create({ label: 'dup', keywords: ['a'] });
    const again = expectProblem(await call('POST', '/classification-rules', roles.admin.headers, { label: 'dup', keywords: ['b'] }), 409);
    expect(again.code).toBe('duplicate_label');
    const other = await create({ label: 'other', keywords: ['c'] });
    const renamed = expectProblem(await call('PATCH', `/classification-rules/${other.id}`, roles.admin.headers, { label: 'dup' }), 409);
    expect(renamed.code).toBe('duplicate_label');
    // The same label in another organization is fine.
    await create({ label: 'dup', keywords: ['a'] }, roles.stranger.headers);
  });
});

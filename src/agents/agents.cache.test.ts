import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, json, seedRoles, type Member, type TestApp } from '../../test/helpers/app.js';
import type { DbKind } from '../../test/helpers/databases.js';
import type { Agent } from './dto.js';

/**
 * GET /agents is served from the process's cache of hot reads (decision 59): these check that no
 * reader ever gets a list older than a write it could know of, whoever wrote it.
 */
describe.each<DbKind>(['postgres', 'pglite'])('the cached agent list on %s', (kind) => {
  let t: TestApp;
  let roles: Awaited<ReturnType<typeof seedRoles>>;
  let agent: Agent;

  const list = async (who: Member = roles.viewer, query = '') => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/agents${query}`, headers: who.headers });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    return json<{ items: Agent[]; total: number }>(res);
  };
  /** A write past the service (as a run claim or another process makes): only the trigger's notice tells of it. */
  const rename = (name: string) =>
    t.ctx.database.system((tx) => tx.execute(sql`update agents set name = ${name} where id = ${agent.id}`));

  beforeAll(async () => {
    t = await createTestApp(kind);
    roles = await seedRoles(t.ctx);
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: roles.admin.headers, payload: { name: 'Cached', model: 'openai:gpt-4o-mini' } });
    agent = json<Agent>(res);
    for (let i = 0; i < 200 && !t.ctx.changes.live; i++) await new Promise((r) => setTimeout(r, 50));
    if (!t.ctx.changes.live) throw new Error('the change feed did not start listening');
  });
  afterAll(() => t.close());

  it('a second read of the same page comes from the cache, with the same body as the first', async () => {
    const hits = t.ctx.hotReads.hits;
    const first = await list();
    expect(await list()).toEqual(first);
    expect(t.ctx.hotReads.hits).toBe(hits + 1);
    expect(first.items.map((a) => a.name)).toEqual(['Cached']);
    // Another query is another entry; another organization sees its own (empty) list.
    expect((await list(roles.viewer, '?search=nothing-like-it')).total).toBe(0);
    expect((await list(roles.stranger)).items).toEqual([]);
  });

  it('a change made through the API is in the next read at once', async () => {
    await list();
    const res = await t.app.inject({ method: 'PATCH', url: `/api/v1/agents/${agent.id}`, headers: roles.admin.headers, payload: { description: 'changed through the API' } });
    expect(res.statusCode).toBe(200);
    expect((await list()).items[0]!.description).toBe('changed through the API');
    await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: roles.admin.headers, payload: { name: 'Second', model: 'openai:gpt-4o-mini' } });
    expect((await list()).total).toBe(2);
  });

  it('a change written past the service (another process, a run claim) reaches the cache through the database notice', async () => {
    await list();
    await rename('Renamed in SQL');
    await expect.poll(async () => (await list()).items.map((a) => a.name), { timeout: 5000 }).toContain('Renamed in SQL');
  });

  it.runIf(kind === 'postgres')('while the listening connection is lost nothing is cached; it comes back by itself', async () => {
    await list();
    await t.ctx.database.system((tx) => tx.execute(sql`select pg_terminate_backend(pid) from pg_stat_activity where query = 'listen troupe_changes' and datname = current_database()`));
    await expect.poll(() => t.ctx.changes.live, { timeout: 5000 }).toBe(false);
    // A write now sends a notice nobody hears: the read must not come from the cache.
    await rename('Renamed while deaf');
    expect((await list()).items.map((a) => a.name)).toContain('Renamed while deaf');
    await expect.poll(() => t.ctx.changes.live, { timeout: 10_000 }).toBe(true);
    const hits = t.ctx.hotReads.hits;
    await list();
    await list();
    expect(t.ctx.hotReads.hits).toBe(hits + 1);
    await rename('Renamed after');
    await expect.poll(async () => (await list()).items.map((a) => a.name), { timeout: 5000 }).toContain('Renamed after');
  });
});

import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedRoles, type Member, type TestApp } from '../../test/helpers/app.js';
import { idRange, runSearchDocument } from './list-query.js';
import { runs } from './schema.js';

describe('GET /runs: search and filters', () => {
  let t: TestApp;
  let r: Awaited<ReturnType<typeof seedRoles>>;
  const ids: Record<string, string> = {};
  const agentIds: Record<string, string> = {};

  const get = (url: string, who: Member) => t.app.inject({ url: `/api/v1${url}`, headers: who.headers });
  const listed = async (query: string, who: Member = r.viewer) => {
    const res = await get(`/runs?${query}`, who);
    expect(res.statusCode, res.body).toBe(200);
    return json<{ items: { id: string }[]; total: number }>(res).items.map((x) => x.id);
  };
  const names = (list: string[]) => list.map((id) => Object.keys(ids).find((k) => ids[k] === id) ?? id).sort();

  async function agent(who: Member, name: string) {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: who.headers, payload: { name, model: 'openai:gpt-4o-mini' } });
    expect(res.statusCode, res.body).toBe(201);
    return json<{ id: string }>(res).id;
  }
  /** A run (queued: no dispatcher here), then given its end as the engine would write it. */
  async function run(who: Member, agentId: string, task: string, end: Partial<typeof runs.$inferInsert> = {}) {
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agentId}/execute`, headers: who.headers, payload: { task } });
    expect(res.statusCode, res.body).toBe(202);
    const id = json<{ id: string }>(res).id;
    if (Object.keys(end).length) await t.ctx.database.system((tx) => tx.update(runs).set(end).where(eq(runs.id, id)));
    return id;
  }

  beforeAll(async () => {
    t = await createTestApp('postgres');
    r = await seedRoles(t.ctx);
    // Runs stay as this test writes them: nothing executes them.
    t.ctx.services.runs.setDispatcher({ dispatch: () => {} });
    agentIds.front = await agent(r.admin, 'Front desk');
    agentIds.back = await agent(r.admin, 'Back office');
    ids.treadmill = await run(r.member, agentIds.front, 'Fix the broken treadmill', { status: 'succeeded', output: 'Maintenance is booked.' });
    ids.towels = await run(r.member, agentIds.back, 'Order towels', { status: 'succeeded', output: 'Towels ordered from Acme_Linen.' });
    ids.supplier = await run(r.member, agentIds.back, 'Call the supplier', {
      status: 'failed',
      error: { code: 'provider_unavailable', category: 'third_party', message: 'The provider did not answer' },
    });
    ids.queued = await run(r.member, agentIds.front, 'Count the lockers');
    // Another organization's run says the same words: never listed here.
    const theirs = await agent(r.stranger, 'Front desk');
    ids.stranger = await run(r.stranger, theirs, 'Fix the broken treadmill', { status: 'succeeded' });
  });
  afterAll(() => t.close());

  it('finds runs by words of the task, the answer and the error code (word prefixes), case-insensitive', async () => {
    expect(names(await listed('q=tread'))).toEqual(['treadmill']);
    expect(names(await listed('q=BROKEN%20TREAD'))).toEqual(['treadmill']);
    expect(names(await listed('q=acme'))).toEqual(['towels']);
    expect(names(await listed('q=maintenance%20booked'))).toEqual(['treadmill']);
    expect(names(await listed('q=provider_unavail'))).toEqual(['supplier']);
    expect(await listed('q=treadmill%20towels')).toEqual([]);
    // Blank search: everything.
    expect(names(await listed('q=%20%20'))).toEqual(['queued', 'supplier', 'towels', 'treadmill']);
  });

  it('finds runs by the agent name and by the run id prefix', async () => {
    expect(names(await listed('q=front%20DESK'))).toEqual(['queued', 'treadmill']);
    expect(names(await listed('q=office'))).toEqual(['supplier', 'towels']);
    expect(names(await listed(`q=${ids.towels!.slice(0, 8)}`))).toEqual(['towels']);
    expect(names(await listed(`q=${ids.towels!.toUpperCase()}`))).toEqual(['towels']);
    expect(names(await listed(`q=${ids.towels!.slice(0, 13)}`))).toEqual(['towels']);
  });

  it('filters by several statuses, agent and source, combined with the search', async () => {
    expect(names(await listed('status=failed,queued'))).toEqual(['queued', 'supplier']);
    expect(names(await listed('status=failed&status=succeeded'))).toEqual(['supplier', 'towels', 'treadmill']);
    expect(names(await listed(`status=succeeded&agentId=${agentIds.back}`))).toEqual(['towels']);
    expect(names(await listed(`q=desk&status=queued`))).toEqual(['queued']);
    expect(names(await listed(`q=office&source=api&status=failed`))).toEqual(['supplier']);
    expect(await listed('q=office&source=chat')).toEqual([]);
    // Pages of a search: the cursor goes on where the last page ended.
    const first = json<{ items: { id: string }[]; nextCursor: string }>(await get('/runs?q=office&limit=1', r.viewer));
    const second = json<{ items: { id: string }[]; nextCursor: string | null }>(await get(`/runs?q=office&limit=1&cursor=${first.nextCursor}`, r.viewer));
    expect(names([first.items[0]!.id, second.items[0]!.id])).toEqual(['supplier', 'towels']);
    expect(second.nextCursor).toBeNull();
  });

  it('never lists another organization’s runs', async () => {
    expect(names(await listed('q=treadmill', r.stranger))).toEqual(['stranger']);
    expect(names(await listed('q=front', r.stranger))).toEqual(['stranger']);
    expect(await listed(`q=${ids.treadmill!.slice(0, 8)}`, r.stranger)).toEqual([]);
    expect(await listed(`agentId=${agentIds.front}`, r.stranger)).toEqual([]);
  });

  it('answers bad filter values with a 400 naming the field', async () => {
    const status = expectProblem(await get('/runs?status=succeeded,done', r.viewer), 400);
    expect(status.errors![0]!.path).toMatch(/^querystring\.status/);
    expect(status.errors![0]!.message).toContain('"done"');
    expect(expectProblem(await get(`/runs?q=${'x'.repeat(201)}`, r.viewer), 400).errors![0]!.path).toBe('querystring.q');
    expect(expectProblem(await get('/runs?agentId=front', r.viewer), 400).errors![0]!.path).toBe('querystring.agentId');
    expect(expectProblem(await get('/runs?source=fax', r.viewer), 400).errors![0]!.path).toBe('querystring.source');
    const range = expectProblem(await get('/runs?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z', r.viewer), 400);
    expect(range.errors![0]!.path).toBe('querystring.to');
    // The same query on an agent's executions.
    expect(expectProblem(await get(`/agents/${agentIds.front}/executions?status=nope`, r.viewer), 400).errors![0]!.path).toMatch(/^querystring\.status/);
    expect(names(json<{ items: { id: string }[] }>(await get(`/agents/${agentIds.front}/executions?q=lockers`, r.viewer)).items.map((x) => x.id))).toEqual(['queued']);
  });

  it('searches text through the GIN index of migration 0021 (the expression is the same)', async () => {
    const plan = await t.ctx.database.system(async (tx) => {
      await tx.execute(sql`set local enable_seqscan = off`);
      const rows = await tx.execute(sql`explain select ${runs.id} from ${runs} where ${runSearchDocument} @@ to_tsquery('simple'::regconfig, 'tread:*')`);
      return (rows as unknown as { rows: Record<string, string>[] }).rows.map((row) => Object.values(row)[0]).join('\n');
    });
    expect(plan).toContain('runs_search_idx');
  });

  it('turns an id prefix into a uuid range', () => {
    expect(idRange('3f2a9c1b')).toEqual(['3f2a9c1b-0000-0000-0000-000000000000', '3f2a9c1b-ffff-ffff-ffff-ffffffffffff']);
    expect(idRange('3F2A-')).toBeNull();
    expect(idRange('3f2a9c1b-12')).toEqual(['3f2a9c1b-1200-0000-0000-000000000000', '3f2a9c1b-12ff-ffff-ffff-ffffffffffff']);
    expect(idRange('abc')).toBeNull();
    expect(idRange('treadmill')).toBeNull();
  });
});

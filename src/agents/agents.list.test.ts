import { eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedRoles, type Member, type TestApp } from '../../test/helpers/app.js';
import type { Agent } from './dto.js';
import { agents } from './schema.js';

interface Page {
  items: Agent[];
  total: number;
  limit: number;
  offset: number | null;
  nextCursor: string | null;
}

let t: TestApp;
let roles: Awaited<ReturnType<typeof seedRoles>>;
const byName = new Map<string, Agent>();

const list = async (query: string, who: Member = roles.viewer): Promise<Page> => {
  const res = await t.app.inject({ url: `/api/v1/agents?${query}`, headers: who.headers });
  expect(res.statusCode, res.body).toBe(200);
  return json<Page>(res);
};
const names = (p: Page) => p.items.map((a) => a.name);

// Nine agents; executionCount and createdAt are set directly so that sorting has ties to break.
const SEED = [
  { name: 'alpha', model: 'openai:gpt-4o-mini', tags: ['sales'], description: 'Closes deals', runs: 5 },
  { name: 'Bravo', model: 'anthropic:claude-3-5-haiku-latest', tags: ['support', 'EU'], role: 'a help desk agent', runs: 5 },
  { name: 'charlie', model: 'groq:llama-3.3-70b-versatile', tags: [], status: 'paused', runs: 0 },
  { name: 'Delta', model: 'google:gemini-2.0-flash', tags: ['eu'], runs: 12 },
  { name: 'echo', model: 'ollama:llama3.2', tags: ['internal'], description: 'Discount: 50% off', runs: 5 },
  { name: 'Foxtrot', model: 'openai:gpt-4o', tags: [], status: 'paused', runs: 0 },
  { name: 'golf', model: 'anthropic:claude-3-5-sonnet-latest', tags: ['sales'], runs: 1 },
  { name: 'Hotel', model: 'openai:o3-mini', tags: ['support'], description: 'Answers billing tickets', runs: 0 },
  { name: 'india', model: 'rules:default', tags: [], runs: 5 },
] as const;

beforeAll(async () => {
  t = await createTestApp('postgres');
  roles = await seedRoles(t.ctx);
  for (const { runs: _runs, ...body } of SEED) {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: roles.admin.headers, payload: body });
    expect(res.statusCode, res.body).toBe(201);
    byName.set(body.name, json<Agent>(res));
  }
  const id = (name: string) => byName.get(name)!.id;
  await t.ctx.database.withOrg(roles.owner.orgId, async (tx) => {
    for (const s of SEED) await tx.update(agents).set({ executionCount: s.runs }).where(eq(agents.id, id(s.name)));
    // Same created_at to the microsecond for three agents: the cursor must keep microseconds and break ties by id.
    await tx
      .update(agents)
      .set({ createdAt: sql`'2030-01-01 00:00:00.123456+00'::timestamptz` })
      .where(inArray(agents.id, [id('alpha'), id('echo'), id('golf')]));
  });
  // One deleted agent and one in another organization, which no list here may show.
  const gone = json<Agent>(
    await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: roles.admin.headers, payload: { name: 'juliet', model: 'openai:gpt-4o', tags: ['sales'] } }),
  );
  await t.app.inject({ method: 'DELETE', url: `/api/v1/agents/${gone.id}`, headers: roles.admin.headers });
  byName.set('juliet', gone);
  await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: roles.stranger.headers, payload: { name: 'alpha outsider', model: 'openai:gpt-4o', tags: ['sales'] } });
});
afterAll(() => t.close());

describe('GET /agents filters', () => {
  it('lists the live agents of the organization, newest first by default', async () => {
    const page = await list('');
    expect(page.total).toBe(9);
    expect(page.items).toHaveLength(9);
    expect(page).toMatchObject({ limit: 20, offset: 0, nextCursor: null });
    expect(names(page)).not.toContain('juliet');
    expect(names(page)).not.toContain('alpha outsider');
    expect(names(page).slice(0, 3).sort()).toEqual(['alpha', 'echo', 'golf']); // created_at in 2030
  });

  it('filters by status, provider, tag and includeDeleted', async () => {
    expect(names(await list('status=paused&sortBy=name&sortOrder=asc'))).toEqual(['charlie', 'Foxtrot']);
    expect(names(await list('provider=openai&sortBy=name&sortOrder=asc'))).toEqual(['alpha', 'Foxtrot', 'Hotel']);
    expect(names(await list('provider=anthropic&status=active&sortBy=name&sortOrder=asc'))).toEqual(['Bravo', 'golf']);
    expect(names(await list('tag=EU&sortBy=name&sortOrder=asc'))).toEqual(['Bravo', 'Delta']);
    const withDeleted = await list('tag=sales&includeDeleted=true&sortBy=name&sortOrder=asc');
    expect(names(withDeleted)).toEqual(['alpha', 'golf', 'juliet']);
    expect(withDeleted.items[2]!.deletedAt).not.toBeNull();
    expect((await list('includeDeleted=false')).total).toBe(9);
  });

  it('searches name, description, role and tags, ignoring case and treating % literally', async () => {
    expect(names(await list('search=ALPHA'))).toEqual(['alpha']);
    expect(names(await list('search=billing'))).toEqual(['Hotel']);
    expect(names(await list('search=help%20desk'))).toEqual(['Bravo']);
    expect(names(await list('search=internal'))).toEqual(['echo']);
    expect(names(await list('search=50%25'))).toEqual(['echo']);
    expect(names(await list('search=%25'))).toEqual(['echo']);
    expect((await list('search=zzz')).total).toBe(0);
  });

  it('rejects bad parameters with 400 and the field path', async () => {
    const bad = async (query: string) =>
      expectProblem(await t.app.inject({ url: `/api/v1/agents?${query}`, headers: roles.viewer.headers }), 400).errors?.[0]?.path;
    expect(await bad('status=deleted')).toBe('querystring.status');
    expect(await bad('provider=acme')).toBe('querystring.provider');
    expect(await bad('sortBy=color')).toBe('querystring.sortBy');
    expect(await bad('sortOrder=up')).toBe('querystring.sortOrder');
    expect(await bad('limit=0')).toBe('querystring.limit');
    expect(await bad('limit=101')).toBe('querystring.limit');
    expect(await bad('offset=-1')).toBe('querystring.offset');
    expect(await bad('includeDeleted=maybe')).toBe('querystring.includeDeleted');
    expect(await bad('cursor=garbage')).toBe('querystring.cursor');
    const { nextCursor } = await list('limit=2');
    expect(await bad(`limit=2&offset=2&cursor=${nextCursor}`)).toBe('querystring.cursor');
    // A cursor from one sort does not fit another: 400, never a 500 from a failed cast.
    const byNameCursor = (await list('limit=2&sortBy=name')).nextCursor;
    expect(await bad(`sortBy=createdAt&cursor=${byNameCursor}`)).toBe('querystring.cursor');
    expect(await bad(`sortBy=executionCount&cursor=${byNameCursor}`)).toBe('querystring.cursor');
  });

  it('needs authentication; every role may read', async () => {
    expectProblem(await t.app.inject({ url: '/api/v1/agents' }), 401);
    for (const who of [roles.viewer, roles.member, roles.admin, roles.owner]) expect((await list('', who)).total).toBe(9);
  });
});

describe('GET /agents sorting and pages', () => {
  it('sorts by name ignoring case, both ways, snake_case accepted', async () => {
    const asc = ['alpha', 'Bravo', 'charlie', 'Delta', 'echo', 'Foxtrot', 'golf', 'Hotel', 'india'];
    expect(names(await list('sortBy=name&sortOrder=asc'))).toEqual(asc);
    expect(names(await list('sortBy=name&sortOrder=desc'))).toEqual([...asc].reverse());
    expect(names(await list('sortBy=created_at&sortOrder=asc')).slice(-3).sort()).toEqual(['alpha', 'echo', 'golf']);
  });

  it('sorts by executionCount with ties broken by id', async () => {
    const page = await list('sortBy=execution_count&sortOrder=desc');
    expect(page.items.map((a) => a.executionCount)).toEqual([12, 5, 5, 5, 5, 1, 0, 0, 0]);
    expect(page.items[0]!.name).toBe('Delta');
    const fives = page.items.filter((a) => a.executionCount === 5).map((a) => a.id);
    expect(fives).toEqual([...fives].sort().reverse());
  });

  it('sorts by updatedAt: a changed agent comes first', async () => {
    const hotel = byName.get('Hotel')!;
    await t.app.inject({ method: 'PATCH', url: `/api/v1/agents/${hotel.id}`, headers: roles.admin.headers, payload: { topP: 0.5 } });
    expect(names(await list('sortBy=updatedAt&limit=1'))).toEqual(['Hotel']);
  });

  it('pages with limit and offset; total counts all matches', async () => {
    const all = names(await list('sortBy=name&sortOrder=asc'));
    const page = await list('sortBy=name&sortOrder=asc&limit=2&offset=2');
    expect(names(page)).toEqual(all.slice(2, 4));
    expect(page).toMatchObject({ total: 9, limit: 2, offset: 2 });
    expect(page.nextCursor).not.toBeNull();
    const last = await list('sortBy=name&sortOrder=asc&limit=2&offset=8');
    expect(names(last)).toEqual(['india']);
    expect(last.nextCursor).toBeNull();
    expect((await list('limit=5&offset=20')).items).toEqual([]);
  });

  for (const sortBy of ['createdAt', 'updatedAt', 'name', 'executionCount'] as const) {
    for (const sortOrder of ['asc', 'desc'] as const) {
      it(`walks every page by cursor without gaps or repeats (${sortBy} ${sortOrder})`, async () => {
        const expected = (await list(`sortBy=${sortBy}&sortOrder=${sortOrder}&limit=100`)).items.map((a) => a.id);
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page: Page = await list(`sortBy=${sortBy}&sortOrder=${sortOrder}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
          expect(page.total).toBe(9);
          expect(page.offset).toBe(cursor ? null : 0);
          seen.push(...page.items.map((a) => a.id));
          cursor = page.nextCursor;
          pages++;
        } while (cursor && pages < 20);
        expect(pages).toBe(5);
        expect(seen).toEqual(expected);
        expect(new Set(seen).size).toBe(9);
      });
    }
  }

  it('cursor pages respect filters', async () => {
    const first = await list('provider=openai&limit=2&sortBy=name&sortOrder=asc');
    expect(names(first)).toEqual(['alpha', 'Foxtrot']);
    const second = await list(`provider=openai&limit=2&sortBy=name&sortOrder=asc&cursor=${first.nextCursor}`);
    expect(names(second)).toEqual(['Hotel']);
    expect(second.nextCursor).toBeNull();
  });
});

describe('tenancy', () => {
  it('another organization lists only its own agents', async () => {
    const theirs = await list('', roles.stranger);
    expect(names(theirs)).toEqual(['alpha outsider']);
    expect((await list('search=alpha&sortBy=name&sortOrder=asc')).items.map((a) => a.orgId)).toEqual([roles.owner.orgId]);
  });

  it('row-level security hides other organizations’ rows even from a query without an org filter', async () => {
    const visible = await t.ctx.database.withOrg(roles.stranger.orgId, (tx) => tx.select({ name: agents.name }).from(agents));
    expect(visible.map((r) => r.name)).toEqual(['alpha outsider']);
    const updated = await t.ctx.database.withOrg(roles.stranger.orgId, (tx) =>
      tx.update(agents).set({ name: 'hijacked' }).where(eq(agents.id, byName.get('alpha')!.id)).returning(),
    );
    expect(updated).toEqual([]);
    // Outside any organization scope the application role sees no tenant rows at all.
    expect(await t.ctx.database.db.select().from(agents)).toEqual([]);
    const total = await t.ctx.database.system((tx) => tx.select({ id: agents.id }).from(agents));
    expect(total.length).toBe(11);
  });
});

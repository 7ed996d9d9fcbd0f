import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedRoles, type Member, type TestApp } from '../../test/helpers/app.js';
import type { Agent, AgentSnapshot } from './dto.js';

interface VersionSummary {
  version: number;
  changeNote: string;
  changedBy: string | null;
  createdAt: string;
  changedFields: string[];
}
interface VersionPage {
  items: VersionSummary[];
  total: number;
  offset: number | null;
  nextCursor: string | null;
}

let t: TestApp;
let roles: Awaited<ReturnType<typeof seedRoles>>;
/** An agent taken through five versions in beforeAll. */
let agent: Agent;

type Method = 'GET' | 'POST' | 'PATCH';
const call = (method: Method, url: string, who: Member | null, payload?: object) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: who?.headers ?? {}, ...(payload ? { payload } : {}) });
const ok = async <T>(method: Method, url: string, who: Member | null, payload?: object) => {
  const res = await call(method, url, who, payload);
  expect(res.statusCode, res.body).toBeLessThan(300);
  return json<T>(res);
};

beforeAll(async () => {
  t = await createTestApp('postgres');
  roles = await seedRoles(t.ctx);
  agent = await ok<Agent>('POST', '/agents', roles.admin, {
    name: 'Versioned',
    model: 'openai:gpt-4o-mini',
    instructions: 'v1 instructions',
    personality: { traits: ['kind'], tone: 'warm' },
  });
  await ok('PATCH', `/agents/${agent.id}`, roles.admin, { limits: { maxSteps: 4 }, changeNote: 'fewer steps' }); // v2
  await ok('PATCH', `/agents/${agent.id}`, roles.owner, { personality: { tone: 'dry' }, tags: ['beta'], model: 'anthropic:claude-3-5-haiku-latest' }); // v3
  await ok('POST', `/agents/${agent.id}/disable`, roles.admin); // v4
  await ok('PATCH', `/agents/${agent.id}`, roles.admin, { instructions: 'v5 instructions', name: 'Versioned Five' }); // v5
});
afterAll(() => t.close());

describe('GET /agents/:id/versions', () => {
  it('lists versions newest first with their notes, authors and changed fields', async () => {
    const page = await ok<VersionPage>('GET', `/agents/${agent.id}/versions`, roles.viewer);
    expect(page.total).toBe(5);
    expect(page.items.map((v) => [v.version, v.changeNote, v.changedFields])).toEqual([
      [5, '', ['name', 'instructions']],
      [4, 'Disabled', ['status']],
      [3, '', ['model', 'personality.tone', 'tags']],
      [2, 'fewer steps', ['limits.maxSteps']],
      [1, 'Created', []],
    ]);
    expect(page.items[2]!.changedBy).toBe(roles.owner.userId);
    expect(page.items[0]!.changedBy).toBe(roles.admin.userId);
    expect(json<Agent>(await call('GET', `/agents/${agent.id}`, roles.viewer)).version).toBe(5);
  });

  it('pages by offset and by cursor, oldest first on request', async () => {
    const second = await ok<VersionPage>('GET', `/agents/${agent.id}/versions?limit=2&offset=2`, roles.viewer);
    expect(second.items.map((v) => v.version)).toEqual([3, 2]);
    expect(second.items[0]!.changedFields).toEqual(['model', 'personality.tone', 'tags']);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: VersionPage = await ok('GET', `/agents/${agent.id}/versions?limit=2&sortOrder=asc${cursor ? `&cursor=${cursor}` : ''}`, roles.viewer);
      seen.push(...page.items.map((v) => v.version));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });

  it('answers 401, 404 (other organization, unknown) and 400 (bad page)', async () => {
    expectProblem(await call('GET', `/agents/${agent.id}/versions`, null), 401);
    expectProblem(await call('GET', `/agents/${agent.id}/versions`, roles.stranger), 404);
    expectProblem(await call('GET', '/agents/abc/versions', roles.viewer), 404);
    const bad = expectProblem(await call('GET', `/agents/${agent.id}/versions?limit=500`, roles.viewer), 400);
    expect(bad.errors?.[0]?.path).toBe('querystring.limit');
  });
});

describe('GET /agents/:id/versions/:version', () => {
  it('returns the snapshot of that version (configuration only)', async () => {
    const v2 = await ok<{ version: number; snapshot: AgentSnapshot & Record<string, unknown> }>('GET', `/agents/${agent.id}/versions/2`, roles.viewer);
    expect(v2.version).toBe(2);
    expect(v2.snapshot).toMatchObject({
      name: 'Versioned',
      model: 'openai:gpt-4o-mini',
      instructions: 'v1 instructions',
      personality: { traits: ['kind'], tone: 'warm' },
      limits: { maxSteps: 4, timeoutSeconds: 300 },
      status: 'active',
    });
    for (const counter of ['id', 'version', 'executionCount', 'createdAt', 'updatedAt', 'deletedAt']) expect(v2.snapshot).not.toHaveProperty(counter);
  });

  it('answers 404 for a version that does not exist or is not a number, and for another organization', async () => {
    expectProblem(await call('GET', `/agents/${agent.id}/versions/99`, roles.viewer), 404);
    expectProblem(await call('GET', `/agents/${agent.id}/versions/0`, roles.viewer), 404);
    expectProblem(await call('GET', `/agents/${agent.id}/versions/two`, roles.viewer), 404);
    expectProblem(await call('GET', `/agents/${agent.id}/versions/1`, roles.stranger), 404);
    expectProblem(await call('GET', `/agents/${agent.id}/versions/1`, null), 401);
  });
});

describe('GET /agents/:id/versions/compare', () => {
  it('lists changes between two versions as dotted paths', async () => {
    const cmp = await ok<{ from: number; to: number; changes: unknown[] }>('GET', `/agents/${agent.id}/versions/compare?from=1&to=3`, roles.viewer);
    expect(cmp).toEqual({
      from: 1,
      to: 3,
      changes: [
        { field: 'model', from: 'openai:gpt-4o-mini', to: 'anthropic:claude-3-5-haiku-latest' },
        { field: 'personality.tone', from: 'warm', to: 'dry' },
        { field: 'limits.maxSteps', from: 10, to: 4 },
        { field: 'tags', from: [], to: ['beta'] },
      ],
    });
    const backwards = await ok<{ changes: { field: string; from: unknown; to: unknown }[] }>('GET', `/agents/${agent.id}/versions/compare?from=3&to=1`, roles.viewer);
    expect(backwards.changes[0]).toEqual({ field: 'model', from: 'anthropic:claude-3-5-haiku-latest', to: 'openai:gpt-4o-mini' });
  });

  it('compares with the current version when `to` is left out', async () => {
    const cmp = await ok<{ to: number; changes: { field: string }[] }>('GET', `/agents/${agent.id}/versions/compare?from=4`, roles.viewer);
    expect(cmp.to).toBe(5);
    expect(cmp.changes.map((c) => c.field)).toEqual(['name', 'instructions']);
  });

  it('answers 400 for a bad query, 404 for an unknown version or another organization, 401 without credentials', async () => {
    expect(expectProblem(await call('GET', `/agents/${agent.id}/versions/compare?from=x&to=2`, roles.viewer), 400).errors?.[0]?.path).toBe('querystring.from');
    expect(expectProblem(await call('GET', `/agents/${agent.id}/versions/compare?to=2`, roles.viewer), 400).errors?.[0]?.path).toBe('querystring.from');
    expectProblem(await call('GET', `/agents/${agent.id}/versions/compare?from=1&to=42`, roles.viewer), 404);
    expectProblem(await call('GET', `/agents/${agent.id}/versions/compare?from=1&to=2`, roles.stranger), 404);
    expectProblem(await call('GET', `/agents/${agent.id}/versions/compare?from=1&to=2`, null), 401);
  });
});

describe('POST /agents/:id/versions/:version/restore', () => {
  it('brings back an old configuration as a new version', async () => {
    const other = await ok<Agent>('POST', '/agents', roles.admin, { name: 'Restorable', model: 'openai:gpt-4o', temperature: 0.1 });
    await ok('PATCH', `/agents/${other.id}`, roles.admin, { temperature: 1.5, limits: { maxSteps: 50 }, personality: { tone: 'loud' } });
    const restored = await ok<Agent>('POST', `/agents/${other.id}/versions/1/restore`, roles.admin);
    expect(restored).toMatchObject({ version: 3, temperature: 0.1, personality: { traits: [] }, limits: { maxSteps: 10 } });
    const v3 = await ok<VersionSummary>('GET', `/agents/${other.id}/versions/3`, roles.viewer);
    expect(v3.changeNote).toBe('Restored version 1');
    expect(v3.changedFields).toEqual(['temperature', 'personality.tone', 'limits.maxSteps']);
    const same = await ok<{ changes: unknown[] }>('GET', `/agents/${other.id}/versions/compare?from=1&to=3`, roles.viewer);
    expect(same.changes).toEqual([]);
    // Restoring what is already current changes nothing and adds no version.
    expect((await ok<Agent>('POST', `/agents/${other.id}/versions/3/restore`, roles.admin)).version).toBe(3);
  });

  it('restores status as part of the snapshot', async () => {
    const restored = await ok<Agent>('POST', `/agents/${agent.id}/versions/3/restore`, roles.admin);
    expect(restored).toMatchObject({ version: 6, status: 'active', name: 'Versioned', instructions: 'v1 instructions', model: 'anthropic:claude-3-5-haiku-latest' });
  });

  it('answers 409 when the old name now belongs to another agent', async () => {
    const a = await ok<Agent>('POST', '/agents', roles.admin, { name: 'Old Name', model: 'openai:gpt-4o' });
    await ok('PATCH', `/agents/${a.id}`, roles.admin, { name: 'New Name' });
    await ok('POST', '/agents', roles.admin, { name: 'old name', model: 'openai:gpt-4o' });
    expect(expectProblem(await call('POST', `/agents/${a.id}/versions/1/restore`, roles.admin), 409).code).toBe('agent_name_taken');
  });

  it('checks access (401/403), hides other organizations and unknown versions (404)', async () => {
    expectProblem(await call('POST', `/agents/${agent.id}/versions/1/restore`, null), 401);
    expectProblem(await call('POST', `/agents/${agent.id}/versions/1/restore`, roles.viewer), 403);
    expectProblem(await call('POST', `/agents/${agent.id}/versions/1/restore`, roles.member), 403);
    expectProblem(await call('POST', `/agents/${agent.id}/versions/1/restore`, roles.stranger), 404);
    expectProblem(await call('POST', `/agents/${agent.id}/versions/77/restore`, roles.admin), 404);
  });
});

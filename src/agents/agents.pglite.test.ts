import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedRoles, type TestApp } from '../../test/helpers/app.js';
import type { Agent } from './dto.js';

// The embedded database runs the same SQL; one block, as PGlite takes seconds to open.
describe('agents on PGlite', () => {
  let t: TestApp;
  let roles: Awaited<ReturnType<typeof seedRoles>>;
  beforeAll(async () => {
    t = await createTestApp('pglite');
    roles = await seedRoles(t.ctx);
  });
  afterAll(() => t.close());

  it('creates, lists with a cursor, gets, updates and versions agents', async () => {
    const created: Agent[] = [];
    for (const name of ['one', 'Two', 'three']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/agents',
        headers: roles.admin.headers,
        payload: { name, model: 'ollama:llama3.2', tags: ['local'], limits: { maxSteps: 3 } },
      });
      expect(res.statusCode, res.body).toBe(201);
      created.push(json<Agent>(res));
    }
    const dup = await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: roles.admin.headers, payload: { name: 'ONE', model: 'ollama:llama3.2' } });
    expect(expectProblem(dup, 409).code).toBe('agent_name_taken');

    const first = json<{ items: Agent[]; total: number; nextCursor: string }>(
      await t.app.inject({ url: '/api/v1/agents?sortBy=name&sortOrder=asc&limit=2&search=LOCAL', headers: roles.viewer.headers }),
    );
    expect(first.total).toBe(3);
    expect(first.items.map((a) => a.name)).toEqual(['one', 'three']);
    const rest = json<{ items: Agent[]; nextCursor: string | null }>(
      await t.app.inject({ url: `/api/v1/agents?sortBy=name&sortOrder=asc&limit=2&search=LOCAL&cursor=${first.nextCursor}`, headers: roles.viewer.headers }),
    );
    expect(rest.items.map((a) => a.name)).toEqual(['Two']);
    expect(rest.nextCursor).toBeNull();

    const id = created[0]!.id;
    const patched = json<Agent>(
      await t.app.inject({ method: 'PATCH', url: `/api/v1/agents/${id}`, headers: roles.admin.headers, payload: { limits: { timeoutSeconds: 30 } } }),
    );
    expect(patched).toMatchObject({ version: 2, limits: { maxSteps: 3, timeoutSeconds: 30 } });
    const got = json<Agent>(await t.app.inject({ url: `/api/v1/agents/${id}`, headers: roles.viewer.headers }));
    expect(got).toEqual(patched);
    const cmp = json<{ changes: unknown[] }>(await t.app.inject({ url: `/api/v1/agents/${id}/versions/compare?from=1&to=2`, headers: roles.viewer.headers }));
    expect(cmp.changes).toEqual([{ field: 'limits.timeoutSeconds', from: 300, to: 30 }]);
    expectProblem(await t.app.inject({ url: `/api/v1/agents/${id}`, headers: roles.stranger.headers }), 404);
  });
});

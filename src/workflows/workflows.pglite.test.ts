import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedRoles, type TestApp } from '../../test/helpers/app.js';
import type { Workflow, WorkflowSummary } from './dto.js';

// The embedded database runs the same SQL (json column, search index, row-level security); one
// block, as PGlite takes seconds to open.
describe('workflows on PGlite', () => {
  let t: TestApp;
  let roles: Awaited<ReturnType<typeof seedRoles>>;
  beforeAll(async () => {
    t = await createTestApp('pglite');
    roles = await seedRoles(t.ctx);
  });
  afterAll(() => t.close());

  it('creates, saves, searches, compares, exports and re-imports', { timeout: 60_000 }, async () => {
    const definition = (name: string, seconds: number) => ({
      name,
      tags: ['Ops'],
      graph: {
        nodes: [
          { id: 'start', type: 'trigger', config: { kind: 'manual' } },
          { id: 'shape', type: 'transform', config: { value: { z: '{{ input.a }}', a: 1 } } },
          { id: 'pause', type: 'delay', config: { seconds } },
        ],
        edges: [
          { source: 'start', target: 'shape' },
          { source: 'shape', target: 'pause' },
        ],
      },
    });
    const post = await t.app.inject({ method: 'POST', url: '/api/v1/workflows', headers: roles.admin.headers, payload: { definition: definition('Nightly report', 5) } });
    expect(post.statusCode, post.body).toBe(201);
    const wf = json<Workflow>(post);
    const put = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/workflows/${wf.id}`,
      headers: { ...roles.admin.headers, 'if-match': '"1"' },
      payload: { definition: definition('Nightly report', 30) },
    });
    expect(json<Workflow>(put).currentVersion).toBe(2);

    const found = json<{ items: WorkflowSummary[] }>(await t.app.inject({ url: '/api/v1/workflows?search=night%20rep&tag=ops', headers: roles.viewer.headers }));
    expect(found.items.map((w) => w.id)).toEqual([wf.id]);
    const cmp = json<{ nodes: { changed: unknown[] } }>(await t.app.inject({ url: `/api/v1/workflows/${wf.id}/versions/compare?from=1`, headers: roles.viewer.headers }));
    expect(cmp.nodes.changed).toEqual([{ scope: [], id: 'pause', type: 'delay', changes: [{ field: 'config.seconds', from: 5, to: 30 }] }]);

    const file = await t.app.inject({ url: `/api/v1/workflows/${wf.id}/export?format=yaml`, headers: roles.viewer.headers });
    expect(file.body.indexOf('z:')).toBeLessThan(file.body.indexOf('a: 1'));
    const imported = await t.app.inject({ method: 'POST', url: '/api/v1/workflows/import', headers: { ...roles.admin.headers, 'content-type': 'application/yaml' }, payload: file.body });
    expect(imported.statusCode, imported.body).toBe(201);
    const again = await t.app.inject({ url: `/api/v1/workflows/${json<Workflow>(imported).id}/export?format=yaml`, headers: roles.viewer.headers });
    expect(again.body).toBe(file.body);
    expectProblem(await t.app.inject({ url: `/api/v1/workflows/${wf.id}`, headers: roles.stranger.headers }), 404);
  });
});

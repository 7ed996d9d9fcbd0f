import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, json } from '../../test/helpers/app.js';
import type { Workflow, WorkflowSummary, WorkflowVersion, WorkflowVersionSummary } from './dto.js';
import { t, roles, deletedAgentId, foreignAgentId, call, newAgent, leadFlow, storedLeadFlow, create, problems400, useWorkflowApp } from './workflows.test-helpers.js';

useWorkflowApp();

describe('POST /workflows and GET /workflows/:id', () => {
  it('creates version 1 with the defaults filled in, and serves it with its version as ETag', async () => {
    const wf = await create();
    expect(wf).toMatchObject({
      orgId: roles.admin.orgId,
      name: 'Lead follow-up',
      description: 'Scores a new lead and shapes the hot ones',
      tags: ['crm', 'Leads'],
      currentVersion: 1,
      archivedAt: null,
      createdBy: roles.admin.userId,
      createdByApiKeyId: null,
    });
    expect(wf.definition).toEqual(storedLeadFlow());
    const got = await call('GET', `/workflows/${wf.id}`, roles.viewer);
    expect(got.headers.etag).toBe('"1"');
    expect(json<Workflow>(got)).toEqual(wf);
    const versions = json<{ items: WorkflowVersionSummary[]; total: number }>(await call('GET', `/workflows/${wf.id}/versions`, roles.viewer));
    expect(versions.total).toBe(1);
    expect(versions.items).toEqual([expect.objectContaining({ version: 1, note: 'Created', createdBy: roles.admin.userId })]);
  });

  it('keeps the key order of JSON values as written (json, not jsonb)', async () => {
    const wf = await create(leadFlow('Key order'));
    const body = (await call('GET', `/workflows/${wf.id}`, roles.viewer)).body;
    const value = body.slice(body.indexOf('"value":'));
    expect(value.indexOf('"zeta"')).toBeLessThan(value.indexOf('"alpha"'));
    expect(value.indexOf('"alpha"')).toBeLessThan(value.indexOf('"mid"'));
    // In the table too, as text.
    const stored = await t.ctx.database.withOrg(roles.admin.orgId, (tx) =>
      tx.execute(sql`select definition::text as text, pg_typeof(definition)::text as type from workflow_versions where workflow_id = ${wf.id}`),
    );
    expect(stored.rows[0]!.type).toBe('json');
    const text = String(stored.rows[0]!.text);
    expect(text.indexOf('"zeta"')).toBeLessThan(text.indexOf('"alpha"'));
  });

  it('stores who created it through an API key', async () => {
    const key = json<{ key: string; apiKey: { id: string } }>(await call('POST', '/api-keys', roles.owner, { name: 'ci', role: 'admin' }));
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/workflows', headers: { authorization: `Bearer ${key.key}` }, payload: { definition: leadFlow('By key') } });
    expect(res.statusCode, res.body).toBe(201);
    expect(json<Workflow>(res)).toMatchObject({ createdBy: null, createdByApiKeyId: key.apiKey.id });
  });

  it('answers 400 invalid_workflow with each problem on its node and field', async () => {
    const def = leadFlow('Broken');
    (def.graph.nodes[1]!.config as Record<string, unknown>).task = undefined;
    (def.graph.nodes[4]!.config as Record<string, unknown>).seconds = 'soon';
    const res = await call('POST', '/workflows', roles.admin, { definition: def });
    const problem = problems400(res);
    expect(problem.code).toBe('invalid_workflow');
    expect(problem.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ nodeId: 'analyze', field: 'config.task', path: 'body.definition.graph.nodes.1.config.task' }),
        expect.objectContaining({ nodeId: 'later', field: 'config.seconds', path: 'body.definition.graph.nodes.4.config.seconds' }),
      ]),
    );
    expect(problem.detail).toMatch(/body\.definition\.graph\.nodes\.\d\.config/);
    // Nothing was saved.
    const list = json<{ items: WorkflowSummary[] }>(await call('GET', '/workflows?search=Broken', roles.viewer));
    expect(list.items).toEqual([]);
  });

  it('names the definition field when the problem is on no node', async () => {
    const { name: _name, ...nameless } = leadFlow();
    const problem = problems400(await call('POST', '/workflows', roles.admin, { definition: nameless }));
    expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ nodeId: null, field: 'name', path: 'body.definition.name' })]));
  });

  it('refuses agents that are not live agents of the organization, on their node', async () => {
    for (const agent of [foreignAgentId, deletedAgentId, randomUUID()]) {
      const problem = problems400(await call('POST', '/workflows', roles.admin, { definition: leadFlow('Other agent', agent) }));
      expect(problem.errors.map((e) => e.nodeId)).toContain('analyze');
    }
  });

  it.each([
    [{ definition: 'a workflow' }, 'body.definition'],
    [{ definition: [] }, 'body.definition'],
    [{ definition: { name: 'x', graph: 'nodes' } }, 'body.definition.graph'],
    [{ definition: { name: 7, graph: { nodes: {}, edges: [] } } }, 'body.definition.'],
  ])('answers 400 invalid_workflow for a definition of the wrong type (%j)', async (body, path) => {
    const problem = problems400(await call('POST', '/workflows', roles.admin, body));
    expect(problem.code).toBe('invalid_workflow');
    expect(problem.errors.every((e) => e.path.startsWith(path.replace(/\.$/, '')))).toBe(true);
  });

  it('checks the envelope itself with 400 validation_failed naming the field', async () => {
    const missing = expectProblem(await call('POST', '/workflows', roles.admin, { note: 'hi' }), 400);
    expect(missing.errors?.[0]?.path).toBe('body.definition');
    const typo = expectProblem(await call('POST', '/workflows', roles.admin, { definition: leadFlow(), notes: 'x' }), 400);
    expect(typo.detail).toMatch(/notes/);
    const long = expectProblem(await call('POST', '/workflows', roles.admin, { definition: leadFlow(), note: 'x'.repeat(501) }), 400);
    expect(long.errors?.[0]?.path).toBe('body.note');
    expect(expectProblem(await call('POST', '/workflows', roles.admin, '{"definition": {', { 'content-type': 'application/json' }), 400).code).toBe('invalid_json');
  });

  it('answers 413 to a body over the limit, 400 to a YAML body and 415 to another media type', async () => {
    const huge = { definition: { ...leadFlow(), description: 'x'.repeat(1024 * 1024 + 10) } };
    expect(expectProblem(await call('POST', '/workflows', roles.admin, huge), 413).code).toBe('payload_too_large');
    const yaml = await call('POST', '/workflows', roles.admin, 'definition:\n  name: x\n', { 'content-type': 'text/yaml' });
    expect(yaml.statusCode).toBe(400);
    expect(await call('POST', '/workflows', roles.admin, 'a,b\n1,2', { 'content-type': 'text/csv' }).then((r) => r.statusCode)).toBe(415);
  });
});

describe('PUT /workflows/:id', () => {
  it('saves a new version each time, with the optimistic checks of expectedVersion and If-Match', async () => {
    const wf = await create(leadFlow('Saved'));
    const next = { ...leadFlow('Saved again'), tags: ['crm'] };
    const saved = await call('PUT', `/workflows/${wf.id}`, roles.admin, { definition: next, note: 'renamed', expectedVersion: 1 });
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.headers.etag).toBe('"2"');
    expect(json<Workflow>(saved)).toMatchObject({ id: wf.id, name: 'Saved again', tags: ['crm'], currentVersion: 2 });

    const stale = await call('PUT', `/workflows/${wf.id}`, roles.admin, { definition: next, expectedVersion: 1 });
    expect(expectProblem(stale, 409).code).toBe('version_conflict');
    const staleTag = await call('PUT', `/workflows/${wf.id}`, roles.admin, { definition: next }, { 'if-match': '"1"' });
    expect(expectProblem(staleTag, 412).code).toBe('version_conflict');
    // The same definition again is a save too.
    const again = await call('PUT', `/workflows/${wf.id}`, roles.admin, { definition: next }, { 'if-match': 'W/"2"' });
    expect(json<Workflow>(again).currentVersion).toBe(3);

    const versions = json<{ items: WorkflowVersionSummary[] }>(await call('GET', `/workflows/${wf.id}/versions`, roles.viewer));
    expect(versions.items.map((v) => [v.version, v.note])).toEqual([
      [3, ''],
      [2, 'renamed'],
      [1, 'Created'],
    ]);
    const listed = json<{ items: WorkflowSummary[] }>(await call('GET', '/workflows?search=saved', roles.viewer));
    expect(listed.items.map((w) => w.name)).toEqual(['Saved again']);
  });

  it('numbers concurrent saves one after another, none lost', async () => {
    const wf = await create(leadFlow('Busy'));
    const saves = await Promise.all(
      Array.from({ length: 5 }, (_, i) => call('PUT', `/workflows/${wf.id}`, roles.admin, { definition: leadFlow(`Busy ${i}`), note: `save ${i}` })),
    );
    expect(saves.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200]);
    expect(saves.map((r) => json<Workflow>(r).currentVersion).sort()).toEqual([2, 3, 4, 5, 6]);
    const versions = json<{ items: WorkflowVersionSummary[] }>(await call('GET', `/workflows/${wf.id}/versions`, roles.viewer));
    expect(versions.items.map((v) => v.note).sort()).toEqual(['Created', 'save 0', 'save 1', 'save 2', 'save 3', 'save 4']);
    const current = json<Workflow>(await call('GET', `/workflows/${wf.id}`, roles.viewer));
    const last = saves.find((r) => json<Workflow>(r).currentVersion === 6)!;
    expect(current.name).toBe(json<Workflow>(last).name);
  });

  it('refuses an invalid save, keeping the current version', async () => {
    const wf = await create(leadFlow('Guarded'));
    const def = leadFlow('Guarded');
    def.graph.edges.push({ source: 'hot', target: 'nowhere' });
    const problem = problems400(await call('PUT', `/workflows/${wf.id}`, roles.admin, { definition: def }));
    expect(problem.errors.length).toBeGreaterThan(0);
    expect(json<Workflow>(await call('GET', `/workflows/${wf.id}`, roles.viewer)).currentVersion).toBe(1);
  });
});

describe('archive, list and search', () => {
  let tagged: Workflow[];
  beforeAll(async () => {
    tagged = [];
    for (const name of ['Alpha onboarding', 'beta Renewal', 'Gamma onboarding check']) tagged.push(await create({ ...leadFlow(name), tags: ['list-test'] }));
  });

  it('filters by tag (any case), searches word prefixes, sorts and pages with a cursor', async () => {
    const byTag = json<{ items: WorkflowSummary[]; total: number }>(await call('GET', '/workflows?tag=LIST-TEST&sortBy=name&sortOrder=asc', roles.viewer));
    expect(byTag.total).toBe(3);
    expect(byTag.items.map((w) => w.name)).toEqual(['Alpha onboarding', 'beta Renewal', 'Gamma onboarding check']);
    expect(byTag.items[0]).not.toHaveProperty('definition');

    const search = json<{ items: WorkflowSummary[] }>(await call('GET', '/workflows?tag=list-test&search=ONBOARD&sortBy=name&sortOrder=asc', roles.viewer));
    expect(search.items.map((w) => w.name)).toEqual(['Alpha onboarding', 'Gamma onboarding check']);
    const twoWords = json<{ items: WorkflowSummary[] }>(await call('GET', '/workflows?tag=list-test&search=onb%20che', roles.viewer));
    expect(twoWords.items.map((w) => w.name)).toEqual(['Gamma onboarding check']);
    const description = json<{ total: number }>(await call('GET', '/workflows?tag=list-test&search=hot%20ones', roles.viewer));
    expect(description.total).toBe(3);

    const first = json<{ items: WorkflowSummary[]; nextCursor: string }>(await call('GET', '/workflows?tag=list-test&limit=2', roles.viewer));
    // Newest change first.
    expect(first.items.map((w) => w.name)).toEqual(['Gamma onboarding check', 'beta Renewal']);
    const rest = json<{ items: WorkflowSummary[]; nextCursor: string | null }>(await call('GET', `/workflows?tag=list-test&limit=2&cursor=${first.nextCursor}`, roles.viewer));
    expect(rest.items.map((w) => w.name)).toEqual(['Alpha onboarding']);
    expect(rest.nextCursor).toBeNull();
    const byName = json<{ nextCursor: string }>(await call('GET', '/workflows?tag=list-test&sortBy=name&limit=1', roles.viewer));
    const foreign = await call('GET', `/workflows?tag=list-test&cursor=${byName.nextCursor}`, roles.viewer);
    expect(expectProblem(foreign, 400).errors?.[0]?.path).toBe('querystring.cursor');
  });

  it('archives (out of the list, still readable, no saves) and unarchives', async () => {
    const wf = tagged[1]!;
    expect((await call('DELETE', `/workflows/${wf.id}`, roles.admin)).statusCode).toBe(204);
    expect((await call('DELETE', `/workflows/${wf.id}`, roles.admin)).statusCode).toBe(204);
    const live = json<{ items: WorkflowSummary[] }>(await call('GET', '/workflows?tag=list-test', roles.viewer));
    expect(live.items.map((w) => w.id)).not.toContain(wf.id);
    const archived = json<{ items: WorkflowSummary[] }>(await call('GET', '/workflows?tag=list-test&archived=true', roles.viewer));
    expect(archived.items.map((w) => w.id)).toEqual([wf.id]);
    expect(json<{ total: number }>(await call('GET', '/workflows?tag=list-test&archived=all', roles.viewer)).total).toBe(3);
    const got = json<Workflow>(await call('GET', `/workflows/${wf.id}`, roles.viewer));
    expect(got.archivedAt).not.toBeNull();
    const save = await call('PUT', `/workflows/${wf.id}`, roles.admin, { definition: leadFlow('beta Renewal') });
    expect(expectProblem(save, 409).code).toBe('workflow_archived');
    const back = json<Workflow>(await call('POST', `/workflows/${wf.id}/unarchive`, roles.admin));
    expect(back).toMatchObject({ id: wf.id, archivedAt: null, currentVersion: 1 });
    expect((await call('PUT', `/workflows/${wf.id}`, roles.admin, { definition: { ...leadFlow('beta Renewal'), tags: ['list-test'] } })).statusCode).toBe(200);
  });

  it('answers 400 naming the query field', async () => {
    for (const [query, path] of [
      ['archived=maybe', 'querystring.archived'],
      ['sortBy=size', 'querystring.sortBy'],
      ['limit=0', 'querystring.limit'],
      ['cursor=%25%25', 'querystring.cursor'],
    ] as const) {
      expect(expectProblem(await call('GET', `/workflows?${query}`, roles.viewer), 400).errors?.[0]?.path, query).toBe(path);
    }
  });
});

describe('versions, compare and restore', () => {
  let wf: Workflow;
  beforeAll(async () => {
    wf = await create(leadFlow('Versioned'));
    const v2 = leadFlow('Versioned');
    v2.description = 'Second take';
    v2.graph.nodes[2]!.config = { expression: 'nodes.analyze.output.score > 70' };
    v2.graph.nodes[3]!.position = { x: 500, y: 0 };
    v2.graph.nodes[4] = { id: 'cold', type: 'transform', config: { value: { archive: true } } } as never;
    v2.graph.edges[3] = { source: 'check', target: 'cold', sourceHandle: 'false' };
    (v2 as Record<string, unknown>).settings = { timeoutSeconds: 3600 };
    const res = await call('PUT', `/workflows/${wf.id}`, roles.admin, { definition: v2, note: 'second' });
    expect(res.statusCode, res.body).toBe(200);
  });

  it('lists versions newest first, with offset and cursor pages', async () => {
    const page = json<{ items: WorkflowVersionSummary[]; total: number; nextCursor: string }>(await call('GET', `/workflows/${wf.id}/versions?limit=1`, roles.viewer));
    expect(page.total).toBe(2);
    expect(page.items.map((v) => v.version)).toEqual([2]);
    const next = json<{ items: WorkflowVersionSummary[]; nextCursor: string | null }>(await call('GET', `/workflows/${wf.id}/versions?limit=1&cursor=${page.nextCursor}`, roles.viewer));
    expect(next.items.map((v) => v.version)).toEqual([1]);
    expect(next.nextCursor).toBeNull();
    const asc = json<{ items: WorkflowVersionSummary[] }>(await call('GET', `/workflows/${wf.id}/versions?sortOrder=asc&offset=1`, roles.viewer));
    expect(asc.items.map((v) => v.version)).toEqual([2]);
  });

  it('serves one version with its definition; anything but an existing number is 404', async () => {
    const v1 = json<WorkflowVersion>(await call('GET', `/workflows/${wf.id}/versions/1`, roles.viewer));
    expect(v1).toMatchObject({ version: 1, note: 'Created', createdBy: roles.admin.userId });
    expect(v1.definition).toEqual(storedLeadFlow('Versioned'));
    for (const v of ['3', '0', 'abc', '1.5', '99999999999']) expectProblem(await call('GET', `/workflows/${wf.id}/versions/${v}`, roles.viewer), 404);
  });

  it('compares two versions node by node', async () => {
    const diff = json(await call('GET', `/workflows/${wf.id}/versions/compare?from=1&to=2`, roles.viewer));
    expect(diff).toEqual({
      from: 1,
      to: 2,
      fields: [
        { field: 'description', from: 'Scores a new lead and shapes the hot ones', to: 'Second take' },
        { field: 'settings.timeoutSeconds', to: 3600 },
      ],
      nodes: {
        added: [{ scope: [], id: 'cold', type: 'transform' }],
        removed: [{ scope: [], id: 'later', type: 'delay' }],
        changed: [
          { scope: [], id: 'check', type: 'condition', changes: [{ field: 'config.expression', from: 'nodes.analyze.output.score > 50', to: 'nodes.analyze.output.score > 70' }] },
          { scope: [], id: 'hot', type: 'transform', changes: [{ field: 'position.x', from: 400, to: 500 }] },
        ],
      },
      edges: {
        added: [{ scope: [], source: 'check', target: 'cold', sourceHandle: 'false' }],
        removed: [{ scope: [], source: 'check', target: 'later', sourceHandle: 'false' }],
      },
    });
    // `to` defaults to the current version.
    expect(json<{ to: number }>(await call('GET', `/workflows/${wf.id}/versions/compare?from=1`, roles.viewer)).to).toBe(2);
    expectProblem(await call('GET', `/workflows/${wf.id}/versions/compare?from=1&to=7`, roles.viewer), 404);
    expect(expectProblem(await call('GET', `/workflows/${wf.id}/versions/compare?from=x`, roles.viewer), 400).errors?.[0]?.path).toBe('querystring.from');
  });

  it('restores an old version as a new one, equal to it', async () => {
    const res = await call('POST', `/workflows/${wf.id}/versions/1/restore`, roles.admin, {}, { 'if-match': '"2"' });
    expect(res.statusCode, res.body).toBe(200);
    const restored = json<Workflow>(res);
    expect(restored.currentVersion).toBe(3);
    expect(restored.definition).toEqual(storedLeadFlow('Versioned'));
    const v3 = json<WorkflowVersion>(await call('GET', `/workflows/${wf.id}/versions/3`, roles.viewer));
    expect(v3.note).toBe('Restored version 1');
    const v1 = json<WorkflowVersion>(await call('GET', `/workflows/${wf.id}/versions/1`, roles.viewer));
    expect(v3.definition).toEqual(v1.definition);
    const diff = json<{ nodes: { added: unknown[]; removed: unknown[]; changed: unknown[] }; fields: unknown[] }>(
      await call('GET', `/workflows/${wf.id}/versions/compare?from=1&to=3`, roles.viewer),
    );
    expect([diff.fields, diff.nodes.added, diff.nodes.removed, diff.nodes.changed]).toEqual([[], [], [], []]);
    expect(expectProblem(await call('POST', `/workflows/${wf.id}/versions/2/restore`, roles.admin, { expectedVersion: 2 }), 409).code).toBe('version_conflict');
    expectProblem(await call('POST', `/workflows/${wf.id}/versions/9/restore`, roles.admin), 404);
  });

  it('refuses to restore a version whose agent is gone', async () => {
    const agent = await newAgent(roles.admin, 'Short-lived');
    const short = await create(leadFlow('Short-lived flow', agent));
    expect((await call('PUT', `/workflows/${short.id}`, roles.admin, { definition: leadFlow('Short-lived flow') })).statusCode).toBe(200);
    expect((await call('DELETE', `/agents/${agent}`, roles.admin)).statusCode).toBe(204);
    const problem = problems400(await call('POST', `/workflows/${short.id}/versions/1/restore`, roles.admin));
    expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ nodeId: 'analyze', path: expect.stringMatching(/^definition\.graph\.nodes\.1/) })]));
  });
});

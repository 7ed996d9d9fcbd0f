import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { expectProblem, json } from '../../test/helpers/app.js';
import type { Workflow, WorkflowVersionSummary } from './dto.js';
import { loadValidationEnv } from './env.js';
import { t, roles, agentId, deletedAgentId, foreignAgentId, call, leadFlow, storedLeadFlow, create, problems400, useWorkflowApp, type Method } from './workflows.test-helpers.js';

useWorkflowApp();

describe('export and import', () => {
  it('re-imports an exported file (JSON and YAML) and exports the same bytes again', async () => {
    const wf = await create(leadFlow('Round trip'));
    for (const format of ['json', 'yaml'] as const) {
      const exported = await call('GET', `/workflows/${wf.id}/export?format=${format}`, roles.viewer);
      expect(exported.statusCode, exported.body).toBe(200);
      expect(exported.headers['content-type']).toBe(format === 'json' ? 'application/json; charset=utf-8' : 'application/yaml; charset=utf-8');
      expect(exported.headers['content-disposition']).toBe(`attachment; filename="round-trip.workflow.${format}"`);
      const file = format === 'json' ? JSON.parse(exported.body) : parseYaml(exported.body);
      expect(file).toEqual({ troupeWorkflow: 1, ...storedLeadFlow('Round trip') });

      // As the file's text, with its own media type; and the JSON one as a JSON body too.
      const bodies: [string, string][] = [[exported.body, format === 'json' ? 'application/json' : 'application/yaml']];
      if (format === 'yaml') bodies.push([exported.body, 'text/yaml'], [exported.body, 'text/plain']);
      for (const [body, type] of bodies) {
        const imported = await call('POST', '/workflows/import', roles.admin, body, { 'content-type': type });
        expect(imported.statusCode, imported.body).toBe(201);
        const copy = json<Workflow>(imported);
        expect(copy.id).not.toBe(wf.id);
        expect(copy.currentVersion).toBe(1);
        const again = await call('GET', `/workflows/${copy.id}/export?format=${format}`, roles.viewer);
        expect(again.body).toBe(exported.body);
        const [v] = json<{ items: WorkflowVersionSummary[] }>(await call('GET', `/workflows/${copy.id}/versions`, roles.viewer)).items;
        expect(v!.note).toBe('Imported');
      }
    }
  });

  it('exports an older version on request', async () => {
    const wf = await create(leadFlow('Two versions'));
    expect((await call('PUT', `/workflows/${wf.id}`, roles.admin, { definition: leadFlow('Two versions, renamed') })).statusCode).toBe(200);
    const v1 = JSON.parse((await call('GET', `/workflows/${wf.id}/export?version=1`, roles.viewer)).body) as { name: string };
    expect(v1.name).toBe('Two versions');
    const current = await call('GET', `/workflows/${wf.id}/export`, roles.viewer);
    expect(current.headers['content-disposition']).toBe('attachment; filename="two-versions-renamed.workflow.json"');
    expectProblem(await call('GET', `/workflows/${wf.id}/export?version=5`, roles.viewer), 404);
    expect(expectProblem(await call('GET', `/workflows/${wf.id}/export?format=xml`, roles.viewer), 400).errors?.[0]?.path).toBe('querystring.format');
  });

  it.each([
    ['broken YAML', 'name: [unclosed\ngraph: {', 'text/yaml', 'invalid_yaml'],
    ['a duplicate key', 'troupeWorkflow: 1\nname: a\nname: b\n', 'application/yaml', 'invalid_yaml'],
    ['two documents', 'troupeWorkflow: 1\n---\nname: b\n', 'application/yaml', 'invalid_yaml'],
    ['an alias bomb', `a: &a [x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`).join('\n')}\n`, 'application/yaml', 'invalid_yaml'],
    ['a scalar', 'just words', 'text/yaml', 'validation_failed'],
    ['no format marker', 'name: Lead\ngraph: {nodes: [], edges: []}\n', 'text/yaml', 'not_a_workflow_file'],
    ['another format version', 'troupeWorkflow: 2\nname: Lead\n', 'text/yaml', 'unsupported_file_format'],
    ['a NUL in a string', 'troupeWorkflow: 1\nname: "a\\0b"\n', 'text/yaml', 'validation_failed'],
    ['a __proto__ key', 'troupeWorkflow: 1\nname: a\n__proto__: {polluted: true}\n', 'text/yaml', 'validation_failed'],
    ['nesting past the limit', `troupeWorkflow: 1\nname: ${'['.repeat(100)}${']'.repeat(100)}\n`, 'text/yaml', 'validation_failed'],
    ['wrong types', 'troupeWorkflow: 1\nname: 5\ngraph: {nodes: 3}\n', 'text/yaml', 'invalid_workflow'],
    ['JSON null', 'null', 'application/json', 'validation_failed'],
  ])('refuses %s with a 400 that says why', async (_what, body, type, code) => {
    const res = await call('POST', '/workflows/import', roles.admin, body, { 'content-type': type });
    const problem = expectProblem(res, 400);
    expect(problem.code).toBe(code);
    expect(problem.errors?.[0]?.path).toMatch(/^body/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('names the line of a YAML syntax error, and the node of a problem in the file', async () => {
    const broken = expectProblem(await call('POST', '/workflows/import', roles.admin, 'troupeWorkflow: 1\nname: a\n  graph: [\n', { 'content-type': 'text/yaml' }), 400);
    expect(broken.detail).toMatch(/line \d+, column \d+/);
    const def = leadFlow('Imported broken');
    def.graph.nodes[2]!.config = {} as never;
    const problem = problems400(await call('POST', '/workflows/import', roles.admin, { troupeWorkflow: 1, ...def }));
    expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ nodeId: 'check', path: 'body.graph.nodes.2.config.expression' })]));
    expect(expectProblem(await call('POST', '/workflows/import', roles.admin, 'x'.repeat(1024 * 1024 + 1), { 'content-type': 'text/yaml' }), 413).code).toBe('payload_too_large');
  });
});

describe('POST /workflows/validate', () => {
  it('answers 200 with the problems and saves nothing', async () => {
    const ok = json(await call('POST', '/workflows/validate', roles.viewer, { definition: leadFlow('Only checked') }));
    expect(ok).toEqual({ valid: true, problems: [] });
    const def = leadFlow('Only checked');
    def.graph.nodes[2]!.config = { expression: '' };
    const bad = json<{ valid: boolean; problems: { nodeId: string | null; path: string; message: string }[] }>(
      await call('POST', '/workflows/validate', roles.viewer, { definition: def }),
    );
    expect(bad.valid).toBe(false);
    expect(bad.problems).toEqual(expect.arrayContaining([expect.objectContaining({ nodeId: 'check', path: 'config.expression' })]));
    expect(json<{ valid: boolean }>(await call('POST', '/workflows/validate', roles.viewer, { definition: 42 })).valid).toBe(false);
    expect(json<{ total: number }>(await call('GET', '/workflows?search=checked', roles.viewer)).total).toBe(0);
  });

  it("judges tools by the caller's role, as for giving tools to agents", async () => {
    const def = leadFlow('Mailer');
    def.graph.nodes.push({ id: 'mail', type: 'tool', config: { tool: 'send_email', args: { to: 'a@example.com', subject: 'Hi', body: 'Hello' } } } as never);
    def.graph.edges.push({ source: 'hot', target: 'mail' });
    const asViewer = json<{ valid: boolean; problems: { nodeId: string | null }[] }>(await call('POST', '/workflows/validate', roles.viewer, { definition: def }));
    expect(asViewer.problems.map((p) => p.nodeId)).toContain('mail');
    const asAdmin = json<{ valid: boolean; problems: { nodeId: string | null }[] }>(await call('POST', '/workflows/validate', roles.admin, { definition: def }));
    expect(asAdmin.problems.map((p) => p.nodeId)).not.toContain('mail');
  });
});

describe('the validation environment', () => {
  it("holds the organization's live agents, registered tools with the role's right, and live workflows it names", async () => {
    const live = await create(leadFlow('Callee'));
    const archived = await create(leadFlow('Archived callee'));
    expect((await call('DELETE', `/workflows/${archived.id}`, roles.admin)).statusCode).toBe(204);
    const foreign = await create(leadFlow('Foreign callee', foreignAgentId), roles.stranger);
    const node = (id: string, type: string, config: object) => ({ id, type, config });
    const input = {
      settings: { errorWorkflowId: live.id.toUpperCase() },
      graph: {
        nodes: [
          node('a', 'agent', { agentId }),
          node('b', 'agent', { agentId: deletedAgentId }),
          node('c', 'agent', { agentId: foreignAgentId }),
          node('d', 'agent', { agentId: 'not-a-uuid' }),
          node('e', 'tool', { tool: 'send_email' }),
          node('f', 'tool', { tool: 'calculator' }),
          node('g', 'tool', { tool: 'no_such_tool' }),
          node('h', 'sub_workflow', { workflowId: archived.id }),
          node('i', 'map', { graph: { nodes: [node('j', 'sub_workflow', { workflowId: foreign.id }), node('k', 'agent', { agentId: agentId.toUpperCase() })] } }),
          'junk',
          { type: 'agent' },
        ],
      },
    };
    const member = { orgId: roles.member.orgId, role: 'member' as const, userId: roles.member.userId, apiKeyId: null };
    const env = await t.ctx.database.withOrg(roles.admin.orgId, (tx) => loadValidationEnv(tx, t.ctx.services.tools, member, input, live.id));
    expect(env.role).toBe('member');
    expect(env.selfId).toBe(live.id);
    expect([...env.agents.entries()].sort()).toEqual(
      [
        [agentId, { currentVersion: 1 }],
        [agentId.toUpperCase(), { currentVersion: 1 }],
      ].sort(),
    );
    expect(Object.fromEntries(env.tools)).toEqual({ send_email: { allowed: false }, calculator: { allowed: true } });
    expect([...env.workflows]).toEqual([live.id.toUpperCase()]);
  });
});

describe('roles and organizations', () => {
  it('lets viewers read, export and validate, and only admins write', async () => {
    const wf = await create(leadFlow('Guarded by role'));
    for (const url of [`/workflows/${wf.id}`, `/workflows/${wf.id}/versions`, `/workflows/${wf.id}/versions/1`, `/workflows/${wf.id}/export`, '/workflows']) {
      expect((await call('GET', url, roles.viewer)).statusCode, url).toBe(200);
    }
    const writes: [Method, string, unknown][] = [
      ['POST', '/workflows', { definition: leadFlow() }],
      ['PUT', `/workflows/${wf.id}`, { definition: leadFlow() }],
      ['DELETE', `/workflows/${wf.id}`, undefined],
      ['POST', `/workflows/${wf.id}/unarchive`, undefined],
      ['POST', `/workflows/${wf.id}/versions/1/restore`, undefined],
      ['POST', '/workflows/import', { troupeWorkflow: 1, ...leadFlow() }],
    ];
    for (const [method, url, body] of writes) {
      const res = await call(method, url, roles.member, body);
      expect(expectProblem(res, 403).code, `${method} ${url}`).toBe('insufficient_role');
    }
    expect(json<Workflow>(await call('GET', `/workflows/${wf.id}`, roles.viewer)).currentVersion).toBe(1);
  });

  it("answers 404 for another organization's workflow, whatever the route", async () => {
    const wf = await create(leadFlow('Private'));
    const routes: [Method, string, unknown][] = [
      ['GET', `/workflows/${wf.id}`, undefined],
      ['PUT', `/workflows/${wf.id}`, { definition: leadFlow('Private', foreignAgentId) }],
      ['DELETE', `/workflows/${wf.id}`, undefined],
      ['POST', `/workflows/${wf.id}/unarchive`, undefined],
      ['GET', `/workflows/${wf.id}/versions`, undefined],
      ['GET', `/workflows/${wf.id}/versions/1`, undefined],
      ['GET', `/workflows/${wf.id}/versions/compare?from=1`, undefined],
      ['POST', `/workflows/${wf.id}/versions/1/restore`, undefined],
      ['GET', `/workflows/${wf.id}/export?format=yaml`, undefined],
    ];
    for (const [method, url, body] of routes) {
      const res = await call(method, url, roles.stranger, body);
      expect(expectProblem(res, 404).code, `${method} ${url}`).toBe('not_found');
    }
    expect(json<{ total: number }>(await call('GET', '/workflows?search=private', roles.stranger)).total).toBe(0);
    const mine = json<Workflow>(await call('GET', `/workflows/${wf.id}`, roles.viewer));
    expect(mine).toMatchObject({ currentVersion: 1, archivedAt: null, name: 'Private' });
    // A definition cannot start another organization's workflow either.
    const sub = leadFlow('Calls private', foreignAgentId);
    const stranger = json<{ valid: boolean; problems: { nodeId: string | null }[] }>(
      await call('POST', '/workflows/validate', roles.stranger, {
        definition: { ...sub, graph: { nodes: [...sub.graph.nodes, { id: 'sub', type: 'sub_workflow', config: { workflowId: wf.id } }], edges: [...sub.graph.edges, { source: 'hot', target: 'sub' }] } },
      }),
    );
    expect(stranger.problems.map((p) => p.nodeId)).toContain('sub');
  });

  it('records writes in the audit log', async () => {
    const wf = await create(leadFlow('Audited'));
    const log = json<{ items: { action: string; targetId: string | null }[] }>(await call('GET', `/audit?targetId=${wf.id}`, roles.admin));
    expect(log.items.map((e) => e.action)).toEqual(['workflow.created']);
  });
});

describe('the OpenAPI document', () => {
  it('renders the definition, the recursive map body included, with every $ref resolving', async () => {
    const spec = json<{ paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { $ref?: string } }> } }>>; components: { schemas: Record<string, unknown> } }>(
      await call('GET', '/openapi.json', null),
    );
    const refs = new Set<string>();
    JSON.stringify(spec, (key, value: unknown) => {
      if (key === '$ref' && typeof value === 'string') refs.add(value);
      return value;
    });
    const missing = [...refs].filter((ref) => !ref.startsWith('#/components/schemas/') || !(ref.slice('#/components/schemas/'.length) in spec.components.schemas));
    expect(missing).toEqual([]);
    expect(spec.paths['/api/v1/workflows']!.post!.requestBody!.content['application/json']!.schema.$ref).toBe('#/components/schemas/CreateWorkflowInput');
    expect(Object.keys(spec.paths['/api/v1/workflows/import']!.post!.requestBody!.content)).toEqual(expect.arrayContaining(['application/json', 'application/yaml', 'text/yaml']));
    // The map node's body holds nodes, one of which may be a map again: the schema refers to itself.
    expect(JSON.stringify(spec.components.schemas.WorkflowMapConfigInput)).toContain('"$ref":"#/components/schemas/WorkflowMapConfigInput"');
    expect(JSON.stringify(spec.components.schemas.CreateWorkflowInput)).toContain('#/components/schemas/WorkflowDefinitionInput');
  });
});

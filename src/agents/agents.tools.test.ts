import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedRoles, type TestApp } from '../../test/helpers/app.js';

describe('allowed tools of an agent', () => {
  let t: TestApp;
  let r: Awaited<ReturnType<typeof seedRoles>>;
  beforeAll(async () => {
    t = await createTestApp('postgres');
    r = await seedRoles(t.ctx);
  });
  afterAll(() => t.close());

  it('must exist in the tool registry, named by their index', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/agents',
      headers: r.admin.headers,
      payload: { name: 'Researcher', model: 'openai:gpt-4o-mini', tools: ['calculator', 'web_search'] },
    });
    const problem = expectProblem(res, 400);
    expect(problem.code).toBe('invalid_tools');
    expect(problem.errors).toEqual([{ path: 'body.tools.1', message: expect.stringContaining('unknown tool "web_search"') }]);
  });

  it('are checked on update too, and valid ones are kept', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/agents',
      headers: r.admin.headers,
      payload: { name: 'Mailer', model: 'openai:gpt-4o-mini', tools: ['send_email', 'current_time'] },
    });
    expect(created.statusCode).toBe(201);
    const { id } = json<{ id: string }>(created);
    const bad = await t.app.inject({ method: 'PATCH', url: `/api/v1/agents/${id}`, headers: r.admin.headers, payload: { tools: ['nope'] } });
    expect(expectProblem(bad, 400).errors![0]!.path).toBe('body.tools.0');
    const agent = json<{ tools: string[] }>(await t.app.inject({ url: `/api/v1/agents/${id}`, headers: r.admin.headers }));
    expect(agent.tools).toEqual(['send_email', 'current_time']);
  });

  it("approval tools are some of the agent's own tools; taking a tool away takes its approval setting with it", async () => {
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/agents',
      headers: r.admin.headers,
      payload: { name: 'Careful', model: 'openai:gpt-4o-mini', tools: ['calculator'], approvalTools: ['calculator', 'send_email'] },
    });
    expect(expectProblem(bad, 400).errors).toEqual([{ path: 'body.approvalTools.1', message: expect.stringContaining("send_email is not one of this agent's tools") }]);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/agents',
      headers: r.admin.headers,
      payload: { name: 'Careful', model: 'openai:gpt-4o-mini', tools: ['calculator', 'current_time'], approvalTools: ['calculator'] },
    });
    expect(json<{ approvalTools: string[] }>(created).approvalTools).toEqual(['calculator']);
    const { id } = json<{ id: string }>(created);
    const patchBad = await t.app.inject({ method: 'PATCH', url: `/api/v1/agents/${id}`, headers: r.admin.headers, payload: { approvalTools: ['send_email'] } });
    expect(expectProblem(patchBad, 400).errors![0]!.path).toBe('body.approvalTools.0');
    const pruned = await t.app.inject({ method: 'PATCH', url: `/api/v1/agents/${id}`, headers: r.admin.headers, payload: { tools: ['current_time'] } });
    expect(json<{ tools: string[]; approvalTools: string[] }>(pruned)).toMatchObject({ tools: ['current_time'], approvalTools: [] });
    // A version records the setting, and restoring it brings it back.
    const restored = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${id}/versions/1/restore`, headers: r.admin.headers, payload: {} });
    expect(json<{ approvalTools: string[] }>(restored).approvalTools).toEqual(['calculator']);
  });
});

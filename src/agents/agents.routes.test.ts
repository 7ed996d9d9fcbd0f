import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedRoles, type Member, type TestApp } from '../../test/helpers/app.js';
import type { Agent } from './dto.js';

let t: TestApp;
let roles: Awaited<ReturnType<typeof seedRoles>>;

beforeAll(async () => {
  t = await createTestApp('postgres');
  roles = await seedRoles(t.ctx);
});
afterAll(() => t.close());

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
const call = (method: Method, url: string, who: Member | null, payload?: object) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: who?.headers ?? {}, ...(payload ? { payload } : {}) });

let seq = 0;
async function create(body: Record<string, unknown> = {}, who: Member = roles.admin): Promise<Agent> {
  const res = await call('POST', '/agents', who, { name: `Agent ${++seq}`, model: 'openai:gpt-4o-mini', ...body });
  expect(res.statusCode, res.body).toBe(201);
  return json<Agent>(res);
}

/** The first field path of a 400 problem. */
const path400 = (res: Parameters<typeof expectProblem>[0]) => expectProblem(res, 400).errors?.[0]?.path;

describe('POST /agents', () => {
  it('creates an agent with the documented defaults at version 1', async () => {
    const agent = await create({ name: '  Support Bot  ' });
    expect(agent).toMatchObject({
      name: 'Support Bot',
      orgId: roles.admin.orgId,
      description: '',
      role: '',
      instructions: '',
      model: 'openai:gpt-4o-mini',
      fallbackModels: [],
      temperature: null,
      maxOutputTokens: null,
      topP: null,
      personality: { traits: [] },
      tools: [],
      tags: [],
      memory: { historyLength: 20, contextBudget: null },
      limits: { maxSteps: 10, timeoutSeconds: 300, actionsPerMinute: null, actionsPerHour: null, monthlyBudgetMicros: null },
      status: 'active',
      version: 1,
      executionCount: 0,
      createdBy: roles.admin.userId,
      deletedAt: null,
    });
    expect(new Date(agent.createdAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const versions = json<{ items: { version: number; changeNote: string }[] }>(await call('GET', `/agents/${agent.id}/versions`, roles.viewer));
    expect(versions.items).toEqual([expect.objectContaining({ version: 1, changeNote: 'Created' })]);
  });

  it('stores every field, de-duplicating tags, tools and fallbacks', async () => {
    const body = {
      name: 'Full',
      description: 'Does it all',
      role: 'a generalist',
      model: 'anthropic:claude-3-5-haiku-latest',
      fallbackModels: ['groq:llama-3.3-70b-versatile', 'google:gemini-2.0-flash', 'groq:llama-3.3-70b-versatile', 'ollama:llama3.2:3b'],
      temperature: 0.7,
      maxOutputTokens: 2048,
      topP: 0.9,
      instructions: 'Be useful.',
      personality: { traits: ['curious', 'Curious', 'kind'], tone: 'friendly', behavior: 'asks first', languageStyle: 'short sentences' },
      tools: ['calculator', 'send_email', 'calculator'],
      memory: { historyLength: 50, contextBudget: 8000 },
      limits: { maxSteps: 20, timeoutSeconds: 600, actionsPerMinute: 10, actionsPerHour: 100, monthlyBudgetMicros: 25_000_000 },
      tags: ['sales', 'Sales', 'eu'],
      status: 'paused',
    };
    const agent = await create(body, roles.owner);
    expect(agent).toMatchObject({
      ...body,
      fallbackModels: ['groq:llama-3.3-70b-versatile', 'google:gemini-2.0-flash', 'ollama:llama3.2:3b'],
      personality: { ...body.personality, traits: ['curious', 'kind'] },
      tools: ['calculator', 'send_email'],
      tags: ['sales', 'eu'],
    });
    const got = json<Agent>(await call('GET', `/agents/${agent.id}`, roles.viewer));
    expect(got).toEqual(agent);
  });

  it.each([
    [{ temperature: 2.5 }, 'body.temperature'],
    [{ topP: -0.1 }, 'body.topP'],
    [{ maxOutputTokens: 0 }, 'body.maxOutputTokens'],
    [{ model: 'gpt-4o' }, 'body.model'],
    [{ model: 'acme:thing' }, 'body.model'],
    [{ fallbackModels: ['openai:gpt-4o', 'nope'] }, 'body.fallbackModels.1'],
    [{ tools: ['Web-Search'] }, 'body.tools.0'],
    [{ name: '   ' }, 'body.name'],
    [{ name: 'x'.repeat(101) }, 'body.name'],
    [{ memory: { historyLength: 1001 } }, 'body.memory.historyLength'],
    [{ limits: { maxSteps: 0 } }, 'body.limits.maxSteps'],
    [{ limits: { timeoutSeconds: 86_401 } }, 'body.limits.timeoutSeconds'],
    [{ limits: { monthlyBudgetMicros: 1.5 } }, 'body.limits.monthlyBudgetMicros'],
    [{ limits: { monthlyBudgetMicros: -1 } }, 'body.limits.monthlyBudgetMicros'],
    [{ tags: Array.from({ length: 51 }, (_, i) => `t${i}`) }, 'body.tags'],
    [{ status: 'deleted' }, 'body.status'],
  ])('rejects %j with 400 at %s', async (patch, path) => {
    const res = await call('POST', '/agents', roles.admin, { name: `Invalid ${++seq}`, model: 'openai:gpt-4o-mini', ...patch });
    expect(path400(res)).toBe(path);
  });

  it('rejects unknown fields and a missing model', async () => {
    const typo = await call('POST', '/agents', roles.admin, { name: 'Typo', model: 'openai:gpt-4o', temprature: 1 });
    expect(expectProblem(typo, 400).detail).toMatch(/temprature/);
    expect(path400(await call('POST', '/agents', roles.admin, { name: 'No model' }))).toBe('body.model');
  });

  it('needs authentication (401) and the admin role (403)', async () => {
    const body = { name: 'Nope', model: 'openai:gpt-4o-mini' };
    expect(expectProblem(await call('POST', '/agents', null, body), 401).code).toBe('unauthorized');
    expect(expectProblem(await call('POST', '/agents', roles.viewer, body), 403).code).toBe('insufficient_role');
    expect(expectProblem(await call('POST', '/agents', roles.member, body), 403).code).toBe('insufficient_role');
    // Access is checked before validation: a member with an invalid body still gets 403.
    expectProblem(await call('POST', '/agents', roles.member, { temperature: 9 }), 403);
  });

  it('refuses a duplicate name in the organization (any case) with 409, but not in another organization', async () => {
    await create({ name: 'Unique Name' });
    const dup = await call('POST', '/agents', roles.owner, { name: 'unique name', model: 'openai:gpt-4o-mini' });
    expect(expectProblem(dup, 409).code).toBe('agent_name_taken');
    await create({ name: 'Unique Name' }, roles.stranger);
  });
});

describe('GET /agents/:id', () => {
  it('returns the agent to a viewer', async () => {
    const agent = await create({ description: 'readable' });
    const res = await call('GET', `/agents/${agent.id}`, roles.viewer);
    expect(res.statusCode).toBe(200);
    expect(json<Agent>(res)).toEqual(agent);
  });

  it('answers 404 for a malformed id, an unknown id and another organization’s agent', async () => {
    const agent = await create();
    expect(expectProblem(await call('GET', '/agents/not-a-uuid', roles.viewer), 404).code).toBe('not_found');
    expectProblem(await call('GET', `/agents/${randomUUID()}`, roles.viewer), 404);
    expectProblem(await call('GET', `/agents/${agent.id}`, roles.stranger), 404);
  });

  it('needs authentication and a valid includeDeleted', async () => {
    const agent = await create();
    expectProblem(await call('GET', `/agents/${agent.id}`, null), 401);
    expect(path400(await call('GET', `/agents/${agent.id}?includeDeleted=perhaps`, roles.viewer))).toBe('querystring.includeDeleted');
  });
});

describe('PATCH /agents/:id', () => {
  it('changes only what is sent, merging nested objects, and records a version', async () => {
    const agent = await create({
      personality: { traits: ['kind'], tone: 'warm' },
      limits: { maxSteps: 8, actionsPerHour: 60 },
      memory: { historyLength: 30 },
    });
    const res = await call('PATCH', `/agents/${agent.id}`, roles.admin, {
      limits: { maxSteps: 5 },
      personality: { behavior: 'brief' },
      temperature: 0.2,
      changeNote: 'tighter',
    });
    expect(res.statusCode).toBe(200);
    const updated = json<Agent>(res);
    expect(updated.version).toBe(2);
    expect(updated.limits).toEqual({ maxSteps: 5, timeoutSeconds: 300, actionsPerMinute: null, actionsPerHour: 60, monthlyBudgetMicros: null });
    expect(updated.personality).toEqual({ traits: ['kind'], tone: 'warm', behavior: 'brief' });
    expect(updated.memory).toEqual({ historyLength: 30, contextBudget: null });
    expect(updated.temperature).toBe(0.2);
    expect(updated.name).toBe(agent.name);
    expect(new Date(updated.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(agent.updatedAt).getTime());
    const v2 = json<{ changeNote: string; changedFields: string[]; changedBy: string }>(await call('GET', `/agents/${agent.id}/versions/2`, roles.viewer));
    expect(v2).toMatchObject({ changeNote: 'tighter', changedBy: roles.admin.userId });
    expect(v2.changedFields).toEqual(['temperature', 'personality.behavior', 'limits.maxSteps']);
  });

  it('returns the agent unchanged, without a new version, when nothing changes', async () => {
    const agent = await create({ temperature: 1 });
    const res = await call('PATCH', `/agents/${agent.id}`, roles.admin, { temperature: 1, name: agent.name, limits: {} });
    expect(json<Agent>(res)).toEqual(agent);
    expect(json<{ total: number }>(await call('GET', `/agents/${agent.id}/versions`, roles.viewer)).total).toBe(1);
  });

  it('honours expectedVersion with 409 version_conflict', async () => {
    const agent = await create();
    expect(json<Agent>(await call('PATCH', `/agents/${agent.id}`, roles.admin, { role: 'a', expectedVersion: 1 })).version).toBe(2);
    const stale = await call('PATCH', `/agents/${agent.id}`, roles.admin, { role: 'b', expectedVersion: 1 });
    expect(expectProblem(stale, 409).code).toBe('version_conflict');
    expect(json<Agent>(await call('GET', `/agents/${agent.id}`, roles.viewer)).role).toBe('a');
  });

  it('refuses a rename to a taken name (409) and accepts a change of case of its own name', async () => {
    const a = await create({ name: 'Alpha Taken' });
    const b = await create({ name: 'Beta' });
    expect(expectProblem(await call('PATCH', `/agents/${b.id}`, roles.admin, { name: 'ALPHA TAKEN' }), 409).code).toBe('agent_name_taken');
    expect(json<Agent>(await call('PATCH', `/agents/${a.id}`, roles.admin, { name: 'alpha taken' })).name).toBe('alpha taken');
  });

  it('validates (400 with path), checks access (401/403) and hides other organizations (404)', async () => {
    const agent = await create();
    expect(path400(await call('PATCH', `/agents/${agent.id}`, roles.admin, { limits: { maxSteps: 500 } }))).toBe('body.limits.maxSteps');
    expect(path400(await call('PATCH', `/agents/${agent.id}`, roles.admin, { personality: { traits: 'kind' } }))).toBe('body.personality.traits');
    expectProblem(await call('PATCH', `/agents/${agent.id}`, null, { role: 'x' }), 401);
    expectProblem(await call('PATCH', `/agents/${agent.id}`, roles.member, { role: 'x' }), 403);
    expectProblem(await call('PATCH', `/agents/${agent.id}`, roles.viewer, { role: 'x' }), 403);
    expectProblem(await call('PATCH', `/agents/${agent.id}`, roles.stranger, { role: 'x' }), 404);
    expectProblem(await call('PATCH', '/agents/123', roles.admin, { role: 'x' }), 404);
    expect(json<Agent>(await call('GET', `/agents/${agent.id}`, roles.viewer)).version).toBe(1);
  });
});

describe('DELETE /agents/:id and POST /agents/:id/restore', () => {
  it('soft-deletes: 204, then 404 and out of lists, still readable with includeDeleted; restore brings it back', async () => {
    const agent = await create({ name: 'Temporary' });
    const del = await call('DELETE', `/agents/${agent.id}`, roles.admin);
    expect(del.statusCode).toBe(204);
    expect(del.body).toBe('');
    expectProblem(await call('GET', `/agents/${agent.id}`, roles.viewer), 404);
    expectProblem(await call('DELETE', `/agents/${agent.id}`, roles.admin), 404);
    const list = json<{ items: Agent[] }>(await call('GET', '/agents?search=Temporary', roles.viewer));
    expect(list.items).toEqual([]);
    const deleted = json<Agent>(await call('GET', `/agents/${agent.id}?includeDeleted=true`, roles.viewer));
    expect(deleted.deletedAt).not.toBeNull();

    const restored = await call('POST', `/agents/${agent.id}/restore`, roles.admin);
    expect(restored.statusCode).toBe(200);
    expect(json<Agent>(restored)).toMatchObject({ id: agent.id, deletedAt: null, version: 1 });
    expect(json<Agent>(await call('GET', `/agents/${agent.id}`, roles.viewer)).name).toBe('Temporary');
  });

  it('frees the name on delete, so restoring answers 409 when the name was taken meanwhile', async () => {
    const old = await create({ name: 'Reused' });
    await call('DELETE', `/agents/${old.id}`, roles.admin);
    const replacement = await create({ name: 'reused' });
    expect(expectProblem(await call('POST', `/agents/${old.id}/restore`, roles.admin), 409).code).toBe('agent_name_taken');
    await call('DELETE', `/agents/${replacement.id}`, roles.admin);
    expect((await call('POST', `/agents/${old.id}/restore`, roles.admin)).statusCode).toBe(200);
  });

  it('checks access (401/403) and hides other organizations (404)', async () => {
    const agent = await create();
    expectProblem(await call('DELETE', `/agents/${agent.id}`, null), 401);
    expectProblem(await call('DELETE', `/agents/${agent.id}`, roles.member), 403);
    expectProblem(await call('DELETE', `/agents/${agent.id}`, roles.stranger), 404);
    expectProblem(await call('DELETE', '/agents/nope', roles.admin), 404);
    expectProblem(await call('POST', `/agents/${agent.id}/restore`, null), 401);
    expectProblem(await call('POST', `/agents/${agent.id}/restore`, roles.viewer), 403);
    expectProblem(await call('POST', `/agents/${agent.id}/restore`, roles.stranger), 404);
    expect((await call('GET', `/agents/${agent.id}`, roles.viewer)).statusCode).toBe(200);
  });
});

describe('POST /agents/:id/enable and /disable', () => {
  it('switches status as a versioned change, and does nothing when already so', async () => {
    const agent = await create();
    const paused = json<Agent>(await call('POST', `/agents/${agent.id}/disable`, roles.admin));
    expect(paused).toMatchObject({ status: 'paused', version: 2 });
    expect(json<Agent>(await call('POST', `/agents/${agent.id}/disable`, roles.admin)).version).toBe(2);
    const active = json<Agent>(await call('POST', `/agents/${agent.id}/enable`, roles.owner));
    expect(active).toMatchObject({ status: 'active', version: 3 });
    const versions = json<{ items: { changeNote: string; changedFields: string[] }[] }>(await call('GET', `/agents/${agent.id}/versions`, roles.viewer));
    expect(versions.items.map((v) => v.changeNote)).toEqual(['Enabled', 'Disabled', 'Created']);
    expect(versions.items[0]!.changedFields).toEqual(['status']);
  });

  it('checks access (401/403) and hides other organizations (404)', async () => {
    const agent = await create();
    for (const action of ['enable', 'disable']) {
      expectProblem(await call('POST', `/agents/${agent.id}/${action}`, null), 401);
      expectProblem(await call('POST', `/agents/${agent.id}/${action}`, roles.member), 403);
      expectProblem(await call('POST', `/agents/${agent.id}/${action}`, roles.stranger), 404);
    }
    expectProblem(await call('POST', `/agents/${randomUUID()}/disable`, roles.admin), 404);
  });
});

describe('system prompt', () => {
  const draft = {
    name: 'Ava',
    role: 'a support specialist',
    description: 'Helps Acme customers.',
    instructions: 'Ask for the serial number.',
    personality: { traits: ['patient'], tone: 'warm' },
  };
  const expected =
    'You are Ava, a support specialist.\nHelps Acme customers.\n\n# Instructions\nAsk for the serial number.\n\n# Personality\n- Traits: patient\n- Tone: warm';

  it('GET /agents/:id/prompt returns the composed prompt and its sections', async () => {
    const agent = await create({ ...draft, name: 'Ava', model: 'groq:llama-3.3-70b-versatile' });
    const res = await call('GET', `/agents/${agent.id}/prompt`, roles.viewer);
    expect(res.statusCode).toBe(200);
    const body = json<{ systemPrompt: string; sections: { name: string; text: string }[] }>(res);
    expect(body.systemPrompt).toBe(expected);
    expect(body.sections.map((s) => s.name)).toEqual(['identity', 'instructions', 'personality']);
    await call('PATCH', `/agents/${agent.id}`, roles.admin, { personality: { tone: null }, instructions: '' });
    const after = json<{ systemPrompt: string }>(await call('GET', `/agents/${agent.id}/prompt`, roles.viewer));
    expect(after.systemPrompt).toBe('You are Ava, a support specialist.\nHelps Acme customers.\n\n# Personality\n- Traits: patient');
    expectProblem(await call('GET', `/agents/${agent.id}/prompt`, null), 401);
    expectProblem(await call('GET', `/agents/${agent.id}/prompt`, roles.stranger), 404);
  });

  it('POST /agents/prompt-preview composes a draft without saving it', async () => {
    const res = await call('POST', '/agents/prompt-preview', roles.viewer, draft);
    expect(res.statusCode).toBe(200);
    expect(json<{ systemPrompt: string }>(res).systemPrompt).toBe(expected);
    const unnamed = await call('POST', '/agents/prompt-preview', roles.member, { instructions: 'Hi' });
    expect(json<{ systemPrompt: string }>(unnamed).systemPrompt).toBe('You are an AI assistant.\n\n# Instructions\nHi');
    const list = json<{ items: Agent[] }>(await call('GET', '/agents?search=Helps%20Acme', roles.viewer));
    expect(list.items.map((a) => a.name)).toEqual(['Ava']);
  });

  it('POST /agents/prompt-preview validates the draft and needs authentication', async () => {
    expect(path400(await call('POST', '/agents/prompt-preview', roles.viewer, { temperature: 3 }))).toBe('body.temperature');
    expect(path400(await call('POST', '/agents/prompt-preview', roles.viewer, { personality: { tone: 5 } }))).toBe('body.personality.tone');
    expectProblem(await call('POST', '/agents/prompt-preview', null, draft), 401);
  });
});

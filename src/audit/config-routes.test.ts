import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, json, seedRoles, type TestApp } from '../../test/helpers/app.js';

describe('configuration changes outside auth and agents are audited', () => {
  let t: TestApp;
  let r: Awaited<ReturnType<typeof seedRoles>>;
  beforeAll(async () => {
    t = await createTestApp('postgres');
    r = await seedRoles(t.ctx);
  });
  afterAll(() => t.close());

  it('records credential and tool-setting changes with actor and target, never the secret', async () => {
    const key = 'sk-audit-secret-123456';
    expect((await t.app.inject({ method: 'PUT', url: '/api/v1/credentials/openai', headers: r.admin.headers, payload: { apiKey: key } })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'PUT', url: '/api/v1/tool-settings', headers: r.admin.headers, payload: { httpAllowlist: ['10.0.0.0/8'] } })).statusCode).toBe(200);
    const res = await t.app.inject({ url: '/api/v1/audit', headers: r.owner.headers });
    expect(res.body).not.toContain(key);
    const items = json<{ items: { action: string; actorId: string | null; targetId: string | null; details: Record<string, unknown> }[] }>(res).items;
    expect(items.find((i) => i.action === 'credential.updated')).toMatchObject({ actorId: r.admin.userId, targetId: 'openai' });
    expect(items.find((i) => i.action === 'tool_settings.updated')).toMatchObject({ actorId: r.admin.userId });
  });
});

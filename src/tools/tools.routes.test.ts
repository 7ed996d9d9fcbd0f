import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedRoles, type TestApp } from '../../test/helpers/app.js';
import { toolContext } from '../../test/helpers/tool-context.js';

describe('tools routes', () => {
  let t: TestApp;
  let r: Awaited<ReturnType<typeof seedRoles>>;
  beforeAll(async () => {
    t = await createTestApp('postgres');
    r = await seedRoles(t.ctx);
  });
  afterAll(() => t.close());

  const toolCtx = (orgId: string) => toolContext({ app: t.ctx, orgId });

  it('GET /tools lists every tool with its JSON Schema and flags, for viewers', async () => {
    const res = await t.app.inject({ url: '/api/v1/tools', headers: r.viewer.headers });
    expect(res.statusCode).toBe(200);
    const { items } = json<{ items: { name: string; inputSchema: Record<string, unknown>; outputSchema: unknown; grantRoles: string[] }[] }>(res);
    expect(items.map((i) => i.name)).toContain('http_request');
    const calc = items.find((i) => i.name === 'calculator')!;
    expect(calc).toMatchObject({
      category: 'utility',
      grantRoles: ['viewer', 'member', 'admin', 'owner'],
      requiresApproval: false,
      idempotent: true,
      timeoutMs: 1000,
      inputSchema: { type: 'object', properties: { expression: { type: 'string' } }, required: ['expression'] },
      outputSchema: { type: 'object' },
    });
    expect(items.find((i) => i.name === 'send_email')!.grantRoles).toEqual(['admin', 'owner']);
    expectProblem(await t.app.inject({ url: '/api/v1/tools' }), 401);
  });

  it('tool settings: admins read and replace the allowlist; entries are checked and normalized', async () => {
    expect(json(await t.app.inject({ url: '/api/v1/tool-settings', headers: r.admin.headers }))).toEqual({ httpAllowlist: [], webhookSecretSet: false, webhookRetryOnCrash: false, updatedAt: null });
    const put = (headers: Record<string, string>, payload: object) => t.app.inject({ method: 'PUT', url: '/api/v1/tool-settings', headers, payload });
    const saved = await put(r.admin.headers, { httpAllowlist: ['Intranet.Example', '10.1.2.3/16', '127.0.0.1', 'intranet.example'] });
    expect(saved.statusCode).toBe(200);
    expect(json(saved)).toMatchObject({ httpAllowlist: ['intranet.example', '10.1.0.0/16', '127.0.0.1/32'], updatedAt: expect.any(String) });
    expect(json(await t.app.inject({ url: '/api/v1/tool-settings', headers: r.owner.headers }))).toMatchObject({ httpAllowlist: ['intranet.example', '10.1.0.0/16', '127.0.0.1/32'] });

    const bad = expectProblem(await put(r.admin.headers, { httpAllowlist: ['ok.example', 'http://x.example/path', '0.0.0.0/0'] }), 400);
    expect(bad.errors!.map((e) => e.path)).toEqual(['body.httpAllowlist.1', 'body.httpAllowlist.2']);
    expect(expectProblem(await put(r.admin.headers, {}), 400).errors![0]!.path).toBe('body.httpAllowlist');
    expectProblem(await put(r.member.headers, { httpAllowlist: [] }), 403);
    expectProblem(await t.app.inject({ url: '/api/v1/tool-settings', headers: r.member.headers }), 403);
    // Another organization keeps its own (empty) settings.
    expect(json(await t.app.inject({ url: '/api/v1/tool-settings', headers: r.stranger.headers }))).toMatchObject({ httpAllowlist: [] });

    // The webhook secret: admins only; replacing the allowlist keeps it.
    const secret = (headers: Record<string, string>, method: 'PUT' | 'DELETE' = 'PUT') =>
      t.app.inject({ method, url: '/api/v1/tool-settings/webhook-secret', headers, ...(method === 'PUT' ? { payload: { secret: 'a-long-enough-secret' } } : {}) });
    expectProblem(await secret(r.member.headers), 403);
    expectProblem(await secret(r.member.headers, 'DELETE'), 403);
    expect(json(await secret(r.admin.headers))).toMatchObject({ webhookSecretSet: true });
    expect(json(await put(r.admin.headers, { httpAllowlist: [] }))).toMatchObject({ httpAllowlist: [], webhookSecretSet: true });
    expect(json(await t.app.inject({ url: '/api/v1/tool-settings', headers: r.stranger.headers }))).toMatchObject({ webhookSecretSet: false });
    expect(json(await secret(r.admin.headers, 'DELETE'))).toMatchObject({ httpAllowlist: [], webhookSecretSet: false });

    // webhookRetryOnCrash: off by default, changed alone (the allowlist stays), admins only.
    expect(json(await put(r.admin.headers, { httpAllowlist: ['10.0.0.0/8'] }))).toMatchObject({ webhookRetryOnCrash: false });
    expect(json(await put(r.admin.headers, { webhookRetryOnCrash: true }))).toMatchObject({ httpAllowlist: ['10.0.0.0/8'], webhookRetryOnCrash: true });
    expect(expectProblem(await put(r.admin.headers, { webhookRetryOnCrash: 'yes' }), 400).errors![0]!.path).toBe('body.webhookRetryOnCrash');
    expectProblem(await put(r.member.headers, { webhookRetryOnCrash: false }), 403);
    expect(json(await t.app.inject({ url: '/api/v1/tool-settings', headers: r.stranger.headers }))).toMatchObject({ webhookRetryOnCrash: false });
  });

  it('GET /outbox shows kept mail to admins only, per organization', async () => {
    const res = await t.ctx.services.tools.execute('send_email', { to: 'ada@example.com', subject: 'Kept one', text: 'Hello' }, toolCtx(r.owner.orgId));
    expect(res.ok).toBe(true);
    const list = await t.app.inject({ url: '/api/v1/outbox?status=kept', headers: r.admin.headers });
    expect(list.statusCode).toBe(200);
    expect(json<{ items: unknown[]; total: number }>(list)).toMatchObject({ total: 1, items: [{ subject: 'Kept one', to: ['ada@example.com'], status: 'kept', sentAt: null }] });
    expect(json<{ total: number }>(await t.app.inject({ url: '/api/v1/outbox?status=sent', headers: r.admin.headers })).total).toBe(0);
    expect(json<{ total: number }>(await t.app.inject({ url: '/api/v1/outbox', headers: r.stranger.headers })).total).toBe(0);
    expectProblem(await t.app.inject({ url: '/api/v1/outbox', headers: r.member.headers }), 403);
    expect(expectProblem(await t.app.inject({ url: '/api/v1/outbox?status=lost', headers: r.admin.headers }), 400).errors![0]!.path).toBe('querystring.status');
  });

  it('GET /follow-ups lists soonest first, pages by cursor, filters by status', async () => {
    for (const minutes of [300, 60, 120]) {
      await t.ctx.services.tools.execute('schedule_follow_up', { inMinutes: minutes, note: `in ${minutes}` }, toolCtx(r.owner.orgId));
    }
    const first = json<{ items: { note: string }[]; nextCursor: string; total: number }>(await t.app.inject({ url: '/api/v1/follow-ups?limit=2', headers: r.viewer.headers }));
    expect(first.items.map((i) => i.note)).toEqual(['in 60', 'in 120']);
    expect(first.total).toBe(3);
    const second = json<{ items: { note: string }[]; nextCursor: string | null }>(
      await t.app.inject({ url: `/api/v1/follow-ups?limit=2&cursor=${first.nextCursor}`, headers: r.viewer.headers }),
    );
    expect(second).toMatchObject({ items: [{ note: 'in 300' }], nextCursor: null });
    expect(json<{ total: number }>(await t.app.inject({ url: '/api/v1/follow-ups?status=done', headers: r.viewer.headers })).total).toBe(0);
    expect(json<{ total: number }>(await t.app.inject({ url: '/api/v1/follow-ups', headers: r.stranger.headers })).total).toBe(0);
    // A cursor from the dueAt sort is refused by the createdAt sort, with the field named.
    expect(expectProblem(await t.app.inject({ url: `/api/v1/follow-ups?sortBy=createdAt&cursor=bad`, headers: r.viewer.headers }), 400).errors![0]!.path).toBe('querystring.cursor');
    expectProblem(await t.app.inject({ url: '/api/v1/follow-ups' }), 401);
  });
});

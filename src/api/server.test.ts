import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedMember, type TestApp } from '../../test/helpers/app.js';
import { REDACT_PATHS } from '../shared/logger.js';

describe('operations endpoints and HTTP hygiene', () => {
  let t: TestApp;
  const lines: string[] = [];
  beforeAll(async () => {
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = pino({ level: 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, stream);
    t = await createTestApp('postgres', { TROUPE_BODY_LIMIT: '4096', TROUPE_CORS_ORIGINS: 'https://app.example.com' }, { logger });
  });
  afterAll(() => t.close());

  it('/health says the process is up', async () => {
    const res = await t.app.inject({ url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(json(res).status).toBe('ok');
  });

  it('/ready checks the database', async () => {
    const res = await t.app.inject({ url: '/ready' });
    expect(json(res)).toEqual({ status: 'ready', checks: { database: { status: 'ok' } } });
  });

  it('/metrics exposes request latency and counts by route template and status, plus process metrics', async () => {
    await t.app.inject({ url: '/api/v1/orgs/current' });
    const res = await t.app.inject({ url: '/metrics' });
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('http_request_duration_seconds_bucket');
    expect(res.body).toMatch(/http_requests_total\{method="GET",route="\/api\/v1\/orgs\/current",status="401"\} 1/);
    expect(res.body).toContain('process_cpu_user_seconds_total');
  });

  it('serves OpenAPI 3.1 with every API route, and Swagger UI at /docs', async () => {
    const spec = json<{ openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } }>(
      await t.app.inject({ url: '/api/v1/openapi.json' }),
    );
    expect(spec.openapi).toBe('3.1.0');
    for (const path of ['/api/v1/auth/signup', '/api/v1/agents', '/api/v1/agents/{id}', '/api/v1/models', '/api/v1/members/{userId}', '/api/v1/api-keys']) {
      expect(Object.keys(spec.paths)).toContain(path);
    }
    expect(Object.keys(spec.components.schemas)).toEqual(expect.arrayContaining(['Agent', 'Problem', 'Organization']));
    const docs = await t.app.inject({ url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger-ui');
  });

  it('answers an oversized body with 413 and an unsupported media type with 415, as problem+json', async () => {
    const big = await t.app.inject({ method: 'POST', url: '/api/v1/auth/signin', payload: { email: 'a@b.c', password: 'x'.repeat(5000) } });
    expect(expectProblem(big, 413).code).toBe('payload_too_large');
    const xml = await t.app.inject({ method: 'POST', url: '/api/v1/auth/signin', payload: '<a/>', headers: { 'content-type': 'application/xml' } });
    expect(expectProblem(xml, 415).code).toBe('unsupported_media_type');
  });

  it('applies CORS from the configuration', async () => {
    const allowed = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/agents',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    const denied = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/agents',
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' },
    });
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sets security headers and echoes a request id', async () => {
    const res = await t.app.inject({ url: '/health', headers: { 'x-request-id': 'trace-123' } });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBeDefined();
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    // Plain-HTTP LAN installs must not have their asset requests upgraded to HTTPS.
    expect(res.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    const docs = await t.app.inject({ url: '/docs/static/index.html' });
    expect(docs.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    expect(res.headers['x-request-id']).toBe('trace-123');
    const generated = await t.app.inject({ url: '/health', headers: { 'x-request-id': 'bad id with spaces' } });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('logs requests as JSON with request ids, never the credentials', async () => {
    const m = await seedMember(t.ctx);
    const res = await t.app.inject({ url: '/api/v1/orgs/current', headers: { ...m.headers, 'x-request-id': 'log-check-1' } });
    expect(res.statusCode).toBe(200);
    const mine = lines.filter((l) => l.includes('log-check-1')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(mine.length).toBeGreaterThanOrEqual(2);
    expect(lines.join('\n')).not.toContain(m.token);
    const withHeaders = mine.find((l) => (l.req as { headers?: unknown } | undefined)?.headers);
    if (withHeaders) expect(JSON.stringify(withHeaders)).toContain('[redacted]');
  });

  it('logs an invitation by its id only: never the link (a bearer token for 7 days) nor the address', async () => {
    const m = await seedMember(t.ctx);
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/invitations', headers: m.headers, payload: { email: 'guest@example.com' } });
    const { inviteUrl, invitation } = json<{ inviteUrl: string; invitation: { id: string } }>(res);
    const line = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'invitation created');
    expect(line).toMatchObject({ orgId: m.orgId, invitationId: invitation.id, mailed: false });
    const all = lines.join('\n');
    expect(all).not.toContain(inviteUrl);
    expect(all).not.toContain(new URL(inviteUrl).searchParams.get('token')!);
    expect(all).not.toContain('guest@example.com');
  });
});

describe('readiness with Redis', () => {
  it('reports Redis ok when reachable and 503 naming it when not', async () => {
    const up = await createTestApp('postgres', { REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379' });
    try {
      await new Promise((r) => setTimeout(r, 200));
      expect(json(await up.app.inject({ url: '/ready' }))).toMatchObject({ status: 'ready', checks: { redis: { status: 'ok' } } });
    } finally {
      await up.close();
    }
    const down = await createTestApp('postgres', { REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const res = await down.app.inject({ url: '/ready' });
      expect(res.statusCode).toBe(503);
      expect(json(res)).toMatchObject({ status: 'not_ready', checks: { database: { status: 'ok' }, redis: { status: 'error' } } });
    } finally {
      await down.close();
    }
  });
});

describe('NUL characters', () => {
  it('are refused with 400 naming the field, in bodies and query strings', async () => {
    const t = await createTestApp('postgres');
    try {
      const m = await seedMember(t.ctx);
      const body = await t.app.inject({ method: 'POST', url: '/api/v1/orgs', headers: m.headers, payload: { name: 'a\u0000b' } });
      expect(expectProblem(body, 400).errors).toEqual([{ path: 'body.name', message: 'contains a NUL character' }]);
      const query = await t.app.inject({ url: '/api/v1/agents?search=a%00b', headers: m.headers });
      expect(expectProblem(query, 400).errors![0]!.path).toBe('querystring.search');
    } finally {
      await t.close();
    }
  });
});

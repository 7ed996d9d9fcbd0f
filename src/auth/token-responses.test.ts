import { SignJWT } from 'jose';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedMember, SEED_PASSWORD, type TestApp } from '../../test/helpers/app.js';
import { resolveSecretKey } from '../config/secret-key.js';
import { deriveKey } from '../shared/crypto.js';

/** Issue 12 item 7: answers that carry tokens are not cached; access tokens live no longer than configured. */
describe('token responses and access token lifetime', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('postgres', { TROUPE_ACCESS_TOKEN_TTL: '600' });
  });
  afterAll(() => t.close());

  const post = (url: string, payload: object, headers: Record<string, string> = {}) => t.app.inject({ method: 'POST', url: `/api/v1${url}`, payload, headers });
  const expectNoStore = (res: LightMyRequestResponse, status: number) => {
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.pragma).toBe('no-cache');
  };

  it('sends Cache-Control: no-store and Pragma: no-cache with every token and secret shown once', async () => {
    const signup = await post('/auth/signup', { email: 'cache@example.com', password: 'a long unusual password', name: 'Cache' });
    expectNoStore(signup, 201);
    const signin = await post('/auth/signin', { email: 'cache@example.com', password: 'a long unusual password' });
    expectNoStore(signin, 200);
    const { tokens } = json<{ tokens: { accessToken: string; refreshToken: string } }>(signin);
    const refreshed = await post('/auth/refresh', { refreshToken: tokens.refreshToken });
    expectNoStore(refreshed, 200);
    const access = { authorization: `Bearer ${json<{ accessToken: string }>(refreshed).accessToken}` };
    expectNoStore(await post('/auth/password', { currentPassword: 'a long unusual password', newPassword: 'another unusual password' }, access), 200);

    const owner = await seedMember(t.ctx);
    expectNoStore(await post('/api-keys', { name: 'ci' }, owner.headers), 201);
    expectNoStore(await post('/invitations', { email: 'invitee@example.com' }, owner.headers), 201);
    // A failed attempt is not cached either.
    expectNoStore(await post('/auth/signin', { email: 'cache@example.com', password: 'wrong password!' }), 401);
    // Ordinary reads keep their usual caching.
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers: owner.headers })).headers.pragma).toBeUndefined();
  });

  it('answers first-run setup with no-store', async () => {
    const fresh = await createTestApp('postgres');
    try {
      const boot = await fresh.ctx.services.auth.bootstrap();
      const token = (boot as { token: string }).token;
      const res = await fresh.app.inject({
        method: 'POST',
        url: '/api/v1/setup',
        payload: { token, email: 'first@example.com', password: 'first owner password', name: 'First', organizationName: 'First Org' },
      });
      expectNoStore(res, 201);
    } finally {
      await fresh.close();
    }
  });

  // Tokens signed with the server's own key (as a leaked key or a bug elsewhere could mint them).
  const key = () => deriveKey(resolveSecretKey(t.ctx.config).key, 'jwt:access');
  const me = (token: string) => t.app.inject({ url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } });
  const base = (userId: string) => new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(userId).setIssuer('troupe').setAudience('troupe-api');
  const now = () => Math.floor(Date.now() / 1000);

  it('accepts a token of its own making (the forged ones below differ only in their claims)', async () => {
    const m = await seedMember(t.ctx);
    const own = await base(m.userId).setIssuedAt().setExpirationTime('600s').sign(key());
    expect((await me(own)).statusCode).toBe(200);
  });

  it('refuses a correctly signed token without exp', async () => {
    const m = await seedMember(t.ctx);
    const noExp = await base(m.userId).setIssuedAt().sign(key());
    expect(expectProblem(await me(noExp), 401).code).toBe('invalid_token');
  });

  it('refuses a token whose exp is far ahead but whose iat is older than TROUPE_ACCESS_TOKEN_TTL', async () => {
    const m = await seedMember(t.ctx);
    const old = await base(m.userId).setIssuedAt(now() - 601 - 10).setExpirationTime(now() + 365 * 86_400).sign(key());
    expect(expectProblem(await me(old), 401).code).toBe('invalid_token');
    // Within the lifetime the same shape is fine.
    const recent = await base(m.userId).setIssuedAt(now() - 60).setExpirationTime(now() + 540).sign(key());
    expect((await me(recent)).statusCode).toBe(200);
  });

  it('refuses a token without iat, and one issued in the future', async () => {
    const m = await seedMember(t.ctx);
    const noIat = await base(m.userId).setExpirationTime('600s').sign(key());
    expectProblem(await me(noIat), 401);
    const future = await base(m.userId).setIssuedAt(now() + 3600).setExpirationTime(now() + 4200).sign(key());
    expectProblem(await me(future), 401);
  });

  it('still signs tokens that pass its own check (seeded members sign in as before)', async () => {
    const m = await seedMember(t.ctx);
    const res = await post('/auth/signin', { email: m.email, password: SEED_PASSWORD });
    const token = json<{ tokens: { accessToken: string } }>(res).tokens.accessToken;
    expect((await me(token)).statusCode).toBe(200);
  });
});

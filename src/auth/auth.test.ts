import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedMember, SEED_PASSWORD, type TestApp } from '../../test/helpers/app.js';
import { sha256 } from '../shared/crypto.js';
import { refreshTokens, signInFailures, users } from './schema.js';

interface Session {
  user: { id: string; email: string };
  organization: { id: string; name: string; role: string };
  tokens: { accessToken: string; refreshToken: string; expiresIn: number };
}

describe('auth routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('postgres', { TROUPE_LOCKOUT_THRESHOLD: '3' });
  });
  afterAll(() => t.close());

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: `/api/v1${url}`, payload: payload as object, headers });

  it('signs up: creates the user, an organization they own, and a working session', async () => {
    const res = await post('/auth/signup', { email: 'Ada@Example.com', password: 'analytical engine', name: 'Ada' });
    expect(res.statusCode).toBe(201);
    const body = json<Session>(res);
    expect(body.user.email).toBe('ada@example.com');
    expect(body.organization).toMatchObject({ name: "Ada's organization", role: 'owner' });
    const me = await t.app.inject({ url: '/api/v1/auth/me', headers: { authorization: `Bearer ${body.tokens.accessToken}` } });
    expect(me.statusCode).toBe(200);
    expect(json<{ organizations: { id: string }[] }>(me).organizations.map((o) => o.id)).toEqual([body.organization.id]);
    // The password is stored as an argon2id hash, never in clear.
    const [row] = await t.ctx.database.system((tx) => tx.select().from(users).where(eq(users.id, body.user.id)));
    expect(row!.passwordHash).toMatch(/^\$argon2id\$/);
  });

  it('rejects a duplicate email (any case) with 409', async () => {
    await post('/auth/signup', { email: 'dup@example.com', password: 'long enough pw', name: 'D' });
    const res = await post('/auth/signup', { email: 'DUP@example.com', password: 'long enough pw', name: 'D' });
    expect(expectProblem(res, 409).code).toBe('email_taken');
  });

  it('names the failing fields on bad sign-up input', async () => {
    const res = await post('/auth/signup', { email: 'not-an-email', password: 'short', name: '' });
    const problem = expectProblem(res, 400);
    expect(problem.errors!.map((e) => e.path).sort()).toEqual(['body.email', 'body.name', 'body.password']);
  });

  it('answers a body that is not JSON with 400, and an unknown route with 404 problem+json', async () => {
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/auth/signin', payload: '{nope', headers: { 'content-type': 'application/json' } });
    expect(expectProblem(bad, 400).code).toBe('invalid_json');
    expect(expectProblem(await t.app.inject({ url: '/api/v1/nothing-here' }), 404).code).toBe('route_not_found');
  });

  it('signs in; a wrong password and an unknown email get the same 401', async () => {
    const m = await seedMember(t.ctx);
    const ok = await post('/auth/signin', { email: m.email.toUpperCase(), password: SEED_PASSWORD });
    expect(ok.statusCode).toBe(200);
    const wrong = expectProblem(await post('/auth/signin', { email: m.email, password: 'wrong password!' }), 401);
    const unknown = expectProblem(await post('/auth/signin', { email: 'nobody@example.com', password: 'wrong password!' }), 401);
    expect(wrong.detail).toBe(unknown.detail);
    expect(wrong.code).toBe(unknown.code);
  });

  it('locks an account after repeated failures without saying so, then unlocks after the lock expires', async () => {
    const m = await seedMember(t.ctx);
    for (let i = 0; i < 3; i++) expectProblem(await post('/auth/signin', { email: m.email, password: 'bad password' }), 401);
    const locked = expectProblem(await post('/auth/signin', { email: m.email, password: SEED_PASSWORD }), 401);
    expect(locked.detail).toBe('Invalid email or password');
    // Locked for this client address (lockout.test.ts: other addresses are not).
    await t.ctx.database.system((tx) => tx.update(signInFailures).set({ lockedUntil: new Date(Date.now() - 1000) }).where(eq(signInFailures.userId, m.userId)));
    expect((await post('/auth/signin', { email: m.email, password: SEED_PASSWORD })).statusCode).toBe(200);
  });

  it('rotates refresh tokens; replaying a used one revokes the whole session family', async () => {
    const m = await seedMember(t.ctx);
    const first = json<{ tokens: Session['tokens'] }>(await post('/auth/signin', { email: m.email, password: SEED_PASSWORD })).tokens;
    const second = json<Session['tokens']>(await post('/auth/refresh', { refreshToken: first.refreshToken }));
    expect(second.refreshToken).not.toBe(first.refreshToken);
    // Replay of the rotated token: refused, and the newer token dies with it.
    expectProblem(await post('/auth/refresh', { refreshToken: first.refreshToken }), 401);
    expectProblem(await post('/auth/refresh', { refreshToken: second.refreshToken }), 401);
  });

  it('signs out: the refresh token stops working', async () => {
    const m = await seedMember(t.ctx);
    const tokens = json<{ tokens: Session['tokens'] }>(await post('/auth/signin', { email: m.email, password: SEED_PASSWORD })).tokens;
    expect((await post('/auth/signout', { refreshToken: tokens.refreshToken })).statusCode).toBe(204);
    expectProblem(await post('/auth/refresh', { refreshToken: tokens.refreshToken }), 401);
    const rows = await t.ctx.database.system((tx) => tx.select().from(refreshTokens).where(eq(refreshTokens.userId, m.userId)));
    expect(rows.every((r) => r.revokedAt)).toBe(true);
  });

  it('rejects expired, forged and missing access tokens with 401', async () => {
    expectProblem(await t.app.inject({ url: '/api/v1/auth/me' }), 401);
    expectProblem(await t.app.inject({ url: '/api/v1/auth/me', headers: { authorization: 'Bearer abc.def.ghi' } }), 401);
    const { AccessTokens } = await import('./tokens.js');
    const other = new AccessTokens(Buffer.alloc(32, 7), 900);
    const forged = await other.sign((await seedMember(t.ctx)).userId);
    expectProblem(await t.app.inject({ url: '/api/v1/auth/me', headers: { authorization: `Bearer ${forged}` } }), 401);
  });

  it('changes the password: old sessions end, the new password works', async () => {
    const m = await seedMember(t.ctx);
    const old = json<{ tokens: Session['tokens'] }>(await post('/auth/signin', { email: m.email, password: SEED_PASSWORD })).tokens;
    const auth = { authorization: `Bearer ${m.token}` };
    const wrong = expectProblem(await post('/auth/password', { currentPassword: 'not it at all', newPassword: 'a brand new password' }, auth), 400);
    expect(wrong.errors![0]!.path).toBe('body.currentPassword');
    const res = await post('/auth/password', { currentPassword: SEED_PASSWORD, newPassword: 'a brand new password' }, auth);
    expect(res.statusCode).toBe(200);
    expectProblem(await post('/auth/refresh', { refreshToken: old.refreshToken }), 401);
    expect((await post('/auth/refresh', { refreshToken: json<Session['tokens']>(res).refreshToken })).statusCode).toBe(200);
    expect((await post('/auth/signin', { email: m.email, password: 'a brand new password' })).statusCode).toBe(200);
    expectProblem(await post('/auth/signin', { email: m.email, password: SEED_PASSWORD }), 401);
  });

  it('updates the profile name', async () => {
    const m = await seedMember(t.ctx);
    const res = await t.app.inject({ method: 'PATCH', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${m.token}` }, payload: { name: 'Grace' } });
    expect(json(res).name).toBe('Grace');
    const bad = await t.app.inject({ method: 'PATCH', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${m.token}` }, payload: { name: '' } });
    expect(expectProblem(bad, 400).errors![0]!.path).toBe('body.name');
  });
});

describe('first-run setup', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('postgres', { TROUPE_ALLOW_SIGNUP: 'false' });
  });
  afterAll(() => t.close());

  it('issues a setup token on an empty server, accepts it once, and closes sign-up when configured', async () => {
    expect(json((await t.app.inject({ url: '/api/v1/setup' }))).required).toBe(true);
    const boot = await t.ctx.services.auth.bootstrap();
    expect(boot.kind).toBe('setup_token');
    const token = (boot as { token: string }).token;
    const body = { email: 'owner@example.com', password: 'owner password', name: 'Owner', organizationName: 'Acme' };
    expectProblem(await t.app.inject({ method: 'POST', url: '/api/v1/setup', payload: { ...body, token: 'trs_wrong' } }), 401);
    const ok = await t.app.inject({ method: 'POST', url: '/api/v1/setup', payload: { ...body, token } });
    expect(ok.statusCode).toBe(201);
    expect(json<Session>(ok).organization).toMatchObject({ name: 'Acme', role: 'owner' });
    expect(expectProblem(await t.app.inject({ method: 'POST', url: '/api/v1/setup', payload: { ...body, token } }), 409).code).toBe('already_set_up');
    expect(json((await t.app.inject({ url: '/api/v1/setup' }))).required).toBe(false);
    expect((await t.ctx.services.auth.bootstrap()).kind).toBe('ready');
    const closed = await t.app.inject({ method: 'POST', url: '/api/v1/auth/signup', payload: { email: 'x@example.com', password: 'long enough pw', name: 'X' } });
    expect(expectProblem(closed, 403).code).toBe('signup_closed');
  });
});

describe('owner from the environment', () => {
  it('creates the owner and organization on first start', async () => {
    const t = await createTestApp('postgres', { TROUPE_OWNER_EMAIL: 'boss@example.com', TROUPE_OWNER_PASSWORD: 'boss password 1', TROUPE_ORG_NAME: 'Boss Inc' });
    try {
      expect(await t.ctx.services.auth.bootstrap()).toEqual({ kind: 'owner_created', email: 'boss@example.com' });
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/signin', payload: { email: 'boss@example.com', password: 'boss password 1' } });
      expect(res.statusCode).toBe(200);
      const me = await t.app.inject({ url: '/api/v1/auth/me', headers: { authorization: `Bearer ${json<Session>(res).tokens.accessToken}` } });
      expect(json<{ organizations: { name: string; role: string }[] }>(me).organizations).toMatchObject([{ name: 'Boss Inc', role: 'owner' }]);
    } finally {
      await t.close();
    }
  });
});

describe('rate limit on authentication endpoints', () => {
  it('answers 429 past the limit per client', async () => {
    const t = await createTestApp('postgres', { TROUPE_AUTH_RATE_LIMIT: '3' });
    try {
      const codes = [];
      for (let i = 0; i < 5; i++) {
        codes.push((await t.app.inject({ method: 'POST', url: '/api/v1/auth/signin', payload: { email: 'a@b.c', password: 'x' } })).statusCode);
      }
      expect(codes).toEqual([401, 401, 401, 429, 429]);
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/signin', payload: { email: 'a@b.c', password: 'x' } });
      expect(expectProblem(res, 429).code).toBe('rate_limited');
    } finally {
      await t.close();
    }
  });
});

describe('session housekeeping', () => {
  it('prunes expired and long-revoked refresh tokens, keeping live ones', async () => {
    const t = await createTestApp('postgres');
    try {
      const m = await seedMember(t.ctx);
      const sessions = t.ctx.services.auth.sessions;
      const live = await sessions.issue(m.userId);
      const expired = await sessions.issue(m.userId);
      const revoked = await sessions.issue(m.userId);
      await sessions.revoke(revoked.refreshToken);
      const day = 86_400_000;
      await t.ctx.database.system(async (tx) => {
        await tx.update(refreshTokens).set({ expiresAt: new Date(Date.now() - day) }).where(eq(refreshTokens.tokenHash, sha256(expired.refreshToken)));
        await tx.update(refreshTokens).set({ revokedAt: new Date(Date.now() - 2 * day) }).where(eq(refreshTokens.tokenHash, sha256(revoked.refreshToken)));
      });
      expect(await sessions.prune()).toBe(2);
      expect(await sessions.prune()).toBe(0);
      const left = await t.ctx.database.system((tx) => tx.select().from(refreshTokens).where(eq(refreshTokens.userId, m.userId)));
      expect(left).toHaveLength(1);
      expect((await sessions.rotate(live.refreshToken)).refreshToken).toMatch(/^trr_/);
    } finally {
      await t.close();
    }
  });
});

import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, type TestApp } from '../../test/helpers/app.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * The per-client limit on the sign-in endpoints: whose address counts behind a reverse proxy
 * (TROUPE_TRUST_PROXY), and one shared count across API processes (Redis).
 */
describe('rate limits: client addresses behind proxies, counters shared through Redis', () => {
  const open: TestApp[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
  });

  // Each test starts its own servers (a database each): generous on a loaded machine.
  const SLOW = 120_000;

  async function app(env: Record<string, string>) {
    const t = await createTestApp('postgres', { TROUPE_AUTH_RATE_LIMIT: '2', ...env });
    open.push(t);
    const redis = t.ctx.redis;
    // Commands are refused until the connection is up (no offline queue); a refused count lets
    // the request through, so wait for it.
    if (redis && redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
    return t;
  }

  /** One failed sign-in from `forwardedFor` (as a proxy would pass it on); returns the status. */
  const signIn = async (t: TestApp, forwardedFor?: string) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/signin',
      headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
      payload: { email: 'nobody@example.com', password: 'not the password' },
    });
    if (res.statusCode === 429) expect(expectProblem(res, 429).code).toBe('rate_limited');
    return res.statusCode;
  };

  it('with TROUPE_TRUST_PROXY naming the proxy, X-Forwarded-For tells clients apart', async () => {
    // app.inject comes from 127.0.0.1: that is the proxy here.
    const t = await app({ TROUPE_TRUST_PROXY: '127.0.0.1/32, ::1' });
    expect([await signIn(t, '203.0.113.1'), await signIn(t, '203.0.113.1')]).toEqual([401, 401]);
    expect(await signIn(t, '203.0.113.1')).toBe(429);
    // Another client behind the same proxy has its own count.
    expect(await signIn(t, '203.0.113.2')).toBe(401);
  }, SLOW);

  it('with a hop count, the address that many hops back is the client, whatever a client prepends', async () => {
    const t = await app({ TROUPE_TRUST_PROXY: '1' });
    expect(await signIn(t, 'forged-1, 203.0.113.7')).toBe(401);
    expect(await signIn(t, 'forged-2, 203.0.113.7')).toBe(401);
    expect(await signIn(t, '198.51.100.9, 203.0.113.7')).toBe(429);
    expect(await signIn(t, '203.0.113.8')).toBe(401);
  }, SLOW);

  it('without TROUPE_TRUST_PROXY, X-Forwarded-For is ignored: a client cannot pick a fresh address', async () => {
    const t = await app({});
    expect([await signIn(t, '203.0.113.1'), await signIn(t, '203.0.113.2')]).toEqual([401, 401]);
    expect(await signIn(t, '203.0.113.3')).toBe(429);
  }, SLOW);

  it('two API processes sharing Redis keep one count, not one each', async () => {
    const env = { REDIS_URL, TROUPE_QUEUE_NAME: `rate-${randomBytes(6).toString('hex')}` };
    const [a, b] = [await app(env), await app(env)];
    expect(await signIn(a)).toBe(401);
    expect(await signIn(b)).toBe(401);
    expect(await signIn(a)).toBe(429);
    expect(await signIn(b)).toBe(429);
    // Another install on the same Redis (its own queue name) counts on its own.
    const other = await app({ REDIS_URL, TROUPE_QUEUE_NAME: `rate-${randomBytes(6).toString('hex')}` });
    expect(await signIn(other)).toBe(401);
  }, SLOW);
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiClient } from './client';
import type { ApiError } from './errors';
import type { SessionStore, StoredSession } from './session-store';
import type { TokenPair } from './types';

/** The parts of SessionStore the client uses, in memory (the real one needs a browser). */
function memoryStore(initial: StoredSession | null, orgId: string | null = 'org-1') {
  let session = initial;
  const store = {
    endReason: null as string | null,
    get: () => session,
    set: (t: TokenPair) => (session = { accessToken: t.accessToken, refreshToken: t.refreshToken, accessExpiresAt: Date.now() + t.expiresIn * 1000 }),
    clear: (reason = 'signed_out') => {
      session = null;
      store.endReason = reason;
    },
    orgId: () => orgId,
  };
  return store;
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const problem = (status: number, code: string, detail = code) => json(status, { type: `urn:troupe:error:${code}`, title: 'x', status, code, detail });
const pair = (n: number): TokenPair => ({ accessToken: `access-${n}`, refreshToken: `refresh-${n}`, tokenType: 'Bearer', expiresIn: 900 });

describe('ApiClient', () => {
  let calls: { url: string; init: RequestInit }[];
  let respond: (url: string, init: RequestInit) => Response | Promise<Response>;
  beforeEach(() => {
    calls = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return respond(url, init);
    });
  });
  afterEach(() => vi.unstubAllGlobals());

  const auth = (i: number) => new Headers(calls[i]!.init.headers).get('authorization');

  it('sends the token and the organization, encodes the query, parses JSON and 204', async () => {
    const store = memoryStore({ accessToken: 'a', refreshToken: 'r', accessExpiresAt: Date.now() + 600_000 });
    const client = new ApiClient(store as unknown as SessionStore);
    respond = () => json(200, { items: [] });
    expect(await client.get('/agents', { query: { search: 'a b', limit: 5, status: undefined, cursor: null } })).toEqual({ items: [] });
    expect(calls[0]!.url).toBe('/api/v1/agents?search=a+b&limit=5');
    const headers = new Headers(calls[0]!.init.headers);
    expect(headers.get('authorization')).toBe('Bearer a');
    expect(headers.get('x-org-id')).toBe('org-1');
    respond = () => new Response(null, { status: 204 });
    expect(await client.delete('/agents/1')).toBeUndefined();
  });

  it('public calls send neither token nor organization', async () => {
    const store = memoryStore({ accessToken: 'a', refreshToken: 'r', accessExpiresAt: Date.now() + 600_000 });
    const client = new ApiClient(store as unknown as SessionStore);
    respond = () => json(200, { required: false });
    await client.get('/setup', { auth: false });
    const headers = new Headers(calls[0]!.init.headers);
    expect(headers.get('authorization')).toBeNull();
    expect(headers.get('x-org-id')).toBeNull();
  });

  it('refreshes once for concurrent requests with a refused token, then retries each', async () => {
    const store = memoryStore({ accessToken: 'old', refreshToken: 'r0', accessExpiresAt: Date.now() + 600_000 });
    const client = new ApiClient(store as unknown as SessionStore);
    let refreshes = 0;
    respond = async (url, init) => {
      if (url.endsWith('/auth/refresh')) {
        refreshes++;
        expect(JSON.parse(String(init.body))).toEqual({ refreshToken: 'r0' });
        await new Promise((r) => setTimeout(r, 10));
        return json(200, pair(1));
      }
      const token = new Headers(init.headers).get('authorization');
      return token === 'Bearer access-1' ? json(200, { ok: true }) : problem(401, 'invalid_token');
    };
    const results = await Promise.all([client.get('/a'), client.get('/b'), client.get('/c')]);
    expect(results).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(refreshes).toBe(1);
    expect(store.get()).toMatchObject({ accessToken: 'access-1', refreshToken: 'refresh-1' });
  });

  it('refreshes before sending when the access token is about to expire', async () => {
    const store = memoryStore({ accessToken: 'dying', refreshToken: 'r0', accessExpiresAt: Date.now() + 5_000 });
    const client = new ApiClient(store as unknown as SessionStore);
    respond = (url) => (url.endsWith('/auth/refresh') ? json(200, pair(2)) : json(200, {}));
    await client.get('/me');
    expect(calls.map((c) => c.url)).toEqual(['/api/v1/auth/refresh', '/api/v1/me']);
    expect(auth(1)).toBe('Bearer access-2');
  });

  it('ends the session when the refresh token is refused, and throws the 401', async () => {
    const store = memoryStore({ accessToken: 'old', refreshToken: 'revoked', accessExpiresAt: Date.now() + 600_000 });
    const client = new ApiClient(store as unknown as SessionStore);
    respond = (url) => (url.endsWith('/auth/refresh') ? problem(401, 'invalid_refresh_token') : problem(401, 'invalid_token', 'expired'));
    await expect(client.get('/agents')).rejects.toMatchObject({ status: 401, code: 'invalid_token' });
    expect(store.get()).toBeNull();
    expect(store.endReason).toBe('expired');
  });

  it('keeps the session when refreshing fails for another reason (rate limit, server down)', async () => {
    const store = memoryStore({ accessToken: 'old', refreshToken: 'r0', accessExpiresAt: Date.now() + 1_000 });
    const client = new ApiClient(store as unknown as SessionStore);
    respond = () => problem(429, 'rate_limited', 'Too many requests');
    await expect(client.get('/agents')).rejects.toMatchObject({ status: 429, code: 'rate_limited' });
    expect(store.get()).not.toBeNull();
  });

  it('turns problem+json into ApiError with field errors, and network failures into network_error', async () => {
    const store = memoryStore({ accessToken: 'a', refreshToken: 'r', accessExpiresAt: Date.now() + 600_000 });
    const client = new ApiClient(store as unknown as SessionStore);
    respond = () => json(400, { type: 't', title: 'Bad Request', status: 400, code: 'validation_failed', detail: 'body.name: Required', errors: [{ path: 'body.name', message: 'Required' }] });
    const err = await client.post('/agents', {}).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ApiError', status: 400, code: 'validation_failed' });
    expect((err as ApiError).fieldErrors()).toEqual({ name: 'Required' });
    respond = () => {
      throw new TypeError('Failed to fetch');
    };
    await expect(client.get('/agents')).rejects.toMatchObject({ status: 0, code: 'network_error' });
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedMember, type Member, type TestApp } from '../../test/helpers/app.js';
import { startProviderStub, STUB_MODELS, type ProviderStub } from '../../test/helpers/provider-stub.js';
import { CREDENTIAL_TESTS_PER_MINUTE } from './credential-routes.js';
import { providerCredentials } from './schema.js';

type Result = { ok: true; latencyMs: number; models: string[]; modelCount: number } | { ok: false; latencyMs: number; status: number | null; code: string; message: string };

/**
 * "Test connection": one real, minimal call (listing models) with the stored credential or the
 * form's candidate, through the model clients' own fetch (guarded for an organization's base URL).
 * The stub listens on 127.0.0.1, which TROUPE_PRIVATE_MODEL_HOSTS allows here.
 */
describe('POST /credentials/:provider/test', () => {
  let t: TestApp;
  let stub: ProviderStub;
  let owner: Member;

  const test = (who: Member, provider: string, payload?: unknown) =>
    t.app.inject({ method: 'POST', url: `/api/v1/credentials/${provider}/test`, headers: who.headers, ...(payload === undefined ? {} : { payload: payload as object }) });

  beforeAll(async () => {
    stub = await startProviderStub();
    t = await createTestApp('postgres', { TROUPE_PRIVATE_MODEL_HOSTS: '127.0.0.1' });
    owner = await seedMember(t.ctx, 'owner');
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await stub?.close();
  });
  beforeEach(() => stub.reset());

  it('a good candidate key: ok, with the models the provider lists; nothing is saved', async () => {
    const res = await test(owner, 'openai', { apiKey: 'sk-good-candidate', baseUrl: `${stub.url}/v1` });
    expect(res.statusCode).toBe(200);
    const body = json<Result>(res);
    expect(body).toMatchObject({ ok: true, models: STUB_MODELS, modelCount: STUB_MODELS.length });
    expect(body.latencyMs).toBeGreaterThanOrEqual(0);
    expect(stub.requests.map((r) => [r.path, r.headers.authorization])).toEqual([['/v1/models', 'Bearer sk-good-candidate']]);
    const stored = json<{ items: unknown[] }>(await t.app.inject({ method: 'GET', url: '/api/v1/credentials', headers: owner.headers }));
    expect(stored.items).toEqual([]);
  });

  it('a rejected key: 200 with ok false, the status and the provider’s own message, the key cut out', async () => {
    stub.enqueue({ status: 401, text: 'Incorrect API key provided: sk-bad-key-1234567890. You can find your API key at https://platform.openai.com/account/api-keys.' });
    const res = await test(owner, 'openai', { apiKey: 'sk-bad-key-1234567890', baseUrl: `${stub.url}/v1` });
    expect(res.statusCode).toBe(200);
    const body = json<Result>(res);
    expect(body).toMatchObject({ ok: false, status: 401, code: 'provider_auth_failed' });
    expect(body.ok === false && body.message).toMatch(/^Incorrect API key provided: \[redacted\]\. You can find your API key at/);
    expect(res.body).not.toContain('sk-bad-key-1234567890');
  });

  it('speaks each provider’s dialect: Anthropic gets x-api-key and its error text is shown', async () => {
    stub.enqueue({ status: 401, text: 'invalid x-api-key' });
    const body = json<Result>(await test(owner, 'anthropic', { apiKey: 'anthropic-key-1', baseUrl: `${stub.url}/v1` }));
    expect(body).toMatchObject({ ok: false, status: 401, code: 'provider_auth_failed', message: 'invalid x-api-key' });
    expect(stub.requests[0]!.headers).toMatchObject({ 'x-api-key': 'anthropic-key-1', 'anthropic-version': '2023-06-01' });
    expect(stub.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('without a body tests the stored credential; with none stored, 404', async () => {
    const org = await seedMember(t.ctx, 'owner');
    expectProblem(await test(org, 'openai'), 404);
    const put = await t.app.inject({ method: 'PUT', url: '/api/v1/credentials/openai', headers: org.headers, payload: { apiKey: 'sk-stored-key', baseUrl: `${stub.url}/v1` } });
    expect(put.statusCode).toBe(200);
    expect(json<Result>(await test(org, 'openai'))).toMatchObject({ ok: true, modelCount: STUB_MODELS.length });
    expect(json<Result>(await test(org, 'openai', {}))).toMatchObject({ ok: true });
    expect(stub.requests.map((r) => r.headers.authorization)).toEqual(['Bearer sk-stored-key', 'Bearer sk-stored-key']);
  });

  it('an unreachable base URL: ok false with one generic message naming only the origin', async () => {
    const closed = await startProviderStub();
    const origin = closed.url;
    await closed.close();
    const body = json<Result>(await test(owner, 'openai-compatible', { baseUrl: `${origin}/v1` }));
    expect(body).toMatchObject({ ok: false, status: null, code: 'model_endpoint_failed' });
    expect(body.ok === false && body.message).toContain(`No usable answer from ${origin}`);
  });

  it('bad input is a 400 naming the field (a private address, a missing key); admins only', async () => {
    expect(expectProblem(await test(owner, 'openai-compatible', { baseUrl: 'http://10.1.2.3/v1' }), 400).errors?.map((e) => e.path)).toEqual(['body.baseUrl']);
    expect(expectProblem(await test(owner, 'openai', { baseUrl: `${stub.url}/v1` }), 400).errors?.map((e) => e.path)).toEqual(['body.apiKey']);
    expect(expectProblem(await test(owner, 'openai', { apiKey: 'has space' }), 400).errors?.map((e) => e.path)).toEqual(['body.apiKey']);
    expect(expectProblem(await test(owner, 'nope', { apiKey: 'x' }), 400).errors?.map((e) => e.path)).toEqual(['params.provider']);
    const member = await seedMember(t.ctx, 'member', owner.orgId);
    expectProblem(await test(member, 'openai', { apiKey: 'sk-x' }), 403);
    expect(stub.requests).toEqual([]);
  });

  it(`is rate-limited per organization (${CREDENTIAL_TESTS_PER_MINUTE} a minute)`, async () => {
    const org = await seedMember(t.ctx, 'owner');
    const codes: number[] = [];
    // Bad input: counted, and no outbound call is made.
    for (let i = 0; i <= CREDENTIAL_TESTS_PER_MINUTE; i++) codes.push((await test(org, 'openai-compatible', { baseUrl: 'http://10.1.2.3/v1' })).statusCode);
    expect(codes.slice(0, CREDENTIAL_TESTS_PER_MINUTE).every((c) => c === 400)).toBe(true);
    expect(codes.at(-1)).toBe(429);
    // Another organization is not held up.
    expect((await test(owner, 'openai', { apiKey: 'sk-good', baseUrl: `${stub.url}/v1` })).statusCode).toBe(200);
  });
});

describe('POST /credentials/:provider/test and the egress guard', () => {
  let t: TestApp;
  let stub: ProviderStub;

  beforeAll(async () => {
    stub = await startProviderStub();
    t = await createTestApp('postgres');
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await stub?.close();
  });

  it('a stored base URL whose name resolves to loopback is refused at the call: generic failure, nothing sent', async () => {
    const owner = await seedMember(t.ctx, 'owner');
    const port = new URL(stub.url).port;
    // Stored past the PUT check (an older version, or a name whose DNS answer changed since).
    await t.ctx.database.withOrg(owner.orgId, (tx) =>
      tx.insert(providerCredentials).values({ orgId: owner.orgId, provider: 'openai-compatible', baseUrl: `http://localhost:${port}/v1`, encryptedApiKey: null }),
    );
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/credentials/openai-compatible/test', headers: owner.headers });
    expect(res.statusCode).toBe(200);
    expect(json<Result>(res)).toMatchObject({ ok: false, status: null, code: 'model_endpoint_failed', message: expect.stringContaining(`http://localhost:${port}`) });
    expect(stub.requests).toEqual([]);
    // As a candidate, the same URL is refused before any call.
    const candidate = await t.app.inject({ method: 'POST', url: '/api/v1/credentials/openai-compatible/test', headers: owner.headers, payload: { baseUrl: `${stub.url}/v1` } });
    expect(expectProblem(candidate, 400).errors?.map((e) => e.path)).toEqual(['body.baseUrl']);
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, json, seedMember, type Member, type TestApp } from '../../test/helpers/app.js';
import { startProviderStub, type ProviderStub } from '../../test/helpers/provider-stub.js';
import { loadConfig } from '../config/load.js';
import { providerCredentials } from './schema.js';

/**
 * A base URL an organization stored goes through the tools' egress guard at every call (SSRF:
 * the server would post the organization's key, and its prompts, wherever the URL points).
 * The provider stub listens on 127.0.0.1, a loopback address.
 */
interface Run {
  status: string;
  output: string | null;
  error: { code: string; details?: { causes?: { model: string; code: string; message: string }[] } } | null;
}

async function run(t: TestApp, owner: Member, model: string): Promise<Run> {
  const agent = await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: owner.headers, payload: { name: `Agent ${randomUUID().slice(0, 8)}`, model } });
  const id = json<{ id: string }>(agent).id;
  const res = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${id}/execute?wait=true`, headers: owner.headers, payload: { task: 'Say hello' } });
  if (res.statusCode !== 200) throw new Error(`${res.statusCode}: ${res.body}`);
  return json<Run>(res);
}

describe('an organization’s base URL pointing at this machine', () => {
  let t: TestApp;
  let stub: ProviderStub;
  let owner: Member;

  beforeAll(async () => {
    stub = await startProviderStub();
    t = await createTestApp('postgres', { TROUPE_MODEL_MAX_RETRIES: '1' });
    owner = await seedMember(t.ctx, 'owner');
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await stub?.close();
  });
  beforeEach(() => stub.reset());

  it('is refused at call time when its name resolves to loopback (stored before the check, or DNS changed): one generic error, nothing sent', async () => {
    const port = new URL(stub.url).port;
    // Written past the PUT check, as a credential saved by an older version or a name whose DNS answer changed.
    await t.ctx.database.withOrg(owner.orgId, (tx) =>
      tx.insert(providerCredentials).values({ orgId: owner.orgId, provider: 'openai-compatible', baseUrl: `http://localhost:${port}/v1`, encryptedApiKey: null }),
    );
    const r = await run(t, owner, 'openai-compatible:qwen');
    expect(r.status).toBe('failed');
    expect(r.error).toMatchObject({ code: 'all_models_failed' });
    expect(r.error!.details!.causes).toEqual([
      {
        model: 'openai-compatible:qwen',
        code: 'model_endpoint_failed',
        message: `No usable answer from http://localhost:${port}, the base URL this organization stored for the provider. An administrator can check the URL and the key in the credentials settings.`,
      },
    ]);
    expect(stub.requests).toEqual([]);
  });

  it('cannot be stored with a loopback address', async () => {
    const res = await t.app.inject({ method: 'PUT', url: '/api/v1/credentials/openai', headers: owner.headers, payload: { apiKey: 'sk-own', baseUrl: `${stub.url}/v1` } });
    expect(res.statusCode).toBe(400);
    expect(json<{ errors: { path: string }[] }>(res).errors.map((e) => e.path)).toEqual(['body.baseUrl']);
  });
});

describe('TROUPE_PRIVATE_MODEL_HOSTS', () => {
  let t: TestApp;
  let stub: ProviderStub;

  beforeAll(async () => {
    stub = await startProviderStub();
    t = await createTestApp('postgres', { TROUPE_PRIVATE_MODEL_HOSTS: 'gpu-box.internal, 127.0.0.1' });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await stub?.close();
  });

  it('lets an organization store and call a private host the operator allows', async () => {
    const owner = await seedMember(t.ctx, 'owner');
    const put = await t.app.inject({ method: 'PUT', url: '/api/v1/credentials/openai-compatible', headers: owner.headers, payload: { baseUrl: `${stub.url}/v1`, apiKey: 'vllm-key' } });
    expect(put.statusCode).toBe(200);
    stub.enqueue({ text: 'Hello from the local server' });
    const r = await run(t, owner, 'openai-compatible:qwen');
    expect(r).toMatchObject({ status: 'succeeded', output: 'Hello from the local server' });
    expect(stub.requests.map((q) => [q.path, q.headers.authorization])).toEqual([['/v1/chat/completions', 'Bearer vllm-key']]);
    // A private address it does not list is still refused.
    const other = await t.app.inject({ method: 'PUT', url: '/api/v1/credentials/openai-compatible', headers: owner.headers, payload: { baseUrl: 'http://10.1.2.3/v1' } });
    expect(other.statusCode).toBe(400);
  });

  it('is validated at start, naming the setting', () => {
    expect(loadConfig({ TROUPE_PRIVATE_MODEL_HOSTS: '10.0.0.0/8, *.corp.example' }).TROUPE_PRIVATE_MODEL_HOSTS).toEqual(['10.0.0.0/8', '*.corp.example']);
    expect(() => loadConfig({ TROUPE_PRIVATE_MODEL_HOSTS: 'http://gpu-box:8000' })).toThrow(/TROUPE_PRIVATE_MODEL_HOSTS: "http:\/\/gpu-box:8000" must be a hostname/);
    expect(() => loadConfig({ TROUPE_PRIVATE_MODEL_HOSTS: '0.0.0.0/0' })).toThrow(/TROUPE_PRIVATE_MODEL_HOSTS/);
  });
});

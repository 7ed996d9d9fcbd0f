import { generateText } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, seedMember, type Member, type TestApp } from '../../test/helpers/app.js';
import { startProviderStub, type ProviderStub } from '../../test/helpers/provider-stub.js';
import type { Actor } from '../shared/roles.js';
import { AppError } from '../shared/errors.js';
import type { ModelService } from './service.js';

/** ModelService.languageModel against a real database (credentials) and the provider stub. */
describe('ModelService.languageModel', () => {
  let t: TestApp;
  let stub: ProviderStub;
  let models: ModelService;
  let owner: Member;
  let actor: Actor;

  beforeAll(async () => {
    stub = await startProviderStub();
    // The stub listens on 127.0.0.1: organizations may store it as their base URL only because the operator allows it.
    t = await createTestApp('postgres', { OPENAI_API_KEY: 'env-openai-key', OPENAI_BASE_URL: `${stub.url}/v1`, TROUPE_MODEL_MAX_RETRIES: '0', TROUPE_PRIVATE_MODEL_HOSTS: '127.0.0.1' });
    models = t.ctx.services.models;
    owner = await seedMember(t.ctx, 'owner');
    actor = { orgId: owner.orgId, role: 'owner', userId: owner.userId, apiKeyId: null };
  });
  afterAll(async () => {
    await t.close();
    await stub.close();
  });
  beforeEach(() => stub.reset());

  const hello = async (ref: string, orgId = owner.orgId) => {
    const m = await models.languageModel(orgId, ref);
    const r = await generateText({ model: m.model, prompt: 'hello', maxRetries: 0 });
    return { resolved: m, text: r.text, request: stub.requests.at(-1)! };
  };

  it('falls back to the environment key and base URL, calling Chat Completions by default', async () => {
    const { resolved, request } = await hello('openai:gpt-4o-mini');
    expect(resolved).toMatchObject({ id: 'openai:gpt-4o-mini', ref: { provider: 'openai', modelId: 'gpt-4o-mini' } });
    expect(request.path).toBe('/v1/chat/completions');
    expect(request.headers.authorization).toBe('Bearer env-openai-key');
    expect(request.body.model).toBe('gpt-4o-mini');
  });

  it('calls the Responses API for openai:responses/<model>, priced as the plain model', async () => {
    const { resolved, request } = await hello('openai:responses/gpt-4o');
    expect(resolved).toMatchObject({ id: 'openai:responses/gpt-4o', ref: { provider: 'openai', modelId: 'gpt-4o' } });
    expect(request.path).toBe('/v1/responses');
    expect(request.body.model).toBe('gpt-4o');
  });

  it('prefers the organization’s credential, and a changed or removed one takes effect at once', async () => {
    await models.putCredential(actor, 'openai', { apiKey: 'org-key-1', baseUrl: `${stub.url}/v1` });
    expect((await hello('openai:gpt-4o-mini')).request.headers.authorization).toBe('Bearer org-key-1');
    await models.putCredential(actor, 'openai', { apiKey: 'org-key-2', baseUrl: `${stub.url}/v1` });
    expect((await hello('openai:gpt-4o-mini')).request.headers.authorization).toBe('Bearer org-key-2');
    // Another organization still uses the environment.
    const other = await seedMember(t.ctx, 'owner');
    expect((await hello('openai:gpt-4o-mini', other.orgId)).request.headers.authorization).toBe('Bearer env-openai-key');
    await models.deleteCredential(owner.orgId, 'openai');
    expect((await hello('openai:gpt-4o-mini')).request.headers.authorization).toBe('Bearer env-openai-key');
  });

  it('calls Anthropic with the organization’s key', async () => {
    await models.putCredential(actor, 'anthropic', { apiKey: 'sk-ant-org', baseUrl: `${stub.url}/v1` });
    const { request, resolved } = await hello('anthropic:claude-sonnet-4-0');
    expect(resolved.model.provider).toBe('anthropic.messages');
    expect(request.path).toBe('/v1/messages');
    expect(request.headers['x-api-key']).toBe('sk-ant-org');
  });

  it('reaches OpenAI-compatible servers by base URL (Ollama gets /v1 added to a bare server URL)', async () => {
    await models.putCredential(actor, 'ollama', { baseUrl: stub.url });
    const ollama = await hello('ollama:llama3.2:3b');
    expect(ollama.request.path).toBe('/v1/chat/completions');
    expect(ollama.request.body.model).toBe('llama3.2:3b');
    expect(ollama.request.headers.authorization).toBeUndefined();

    await models.putCredential(actor, 'openai-compatible', { baseUrl: `${stub.url}/v1`, apiKey: 'vllm-key' });
    const vllm = await hello('openai-compatible:Qwen/Qwen2.5-7B-Instruct');
    expect(vllm.request.headers.authorization).toBe('Bearer vllm-key');
    expect(vllm.request.body.model).toBe('Qwen/Qwen2.5-7B-Instruct');
  });

  it('says which variable to set when a provider has no credential', async () => {
    const err = await models.languageModel(owner.orgId, 'groq:llama-3.3-70b-versatile').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({
      status: 422,
      code: 'missing_credential',
      message: 'No API key for groq: set GROQ_API_KEY or store one with PUT /api/v1/credentials/groq',
    });
    // A generic OpenAI-compatible server has no environment variable: only a stored base URL reaches it.
    const fresh = await seedMember(t.ctx, 'owner');
    await expect(models.languageModel(fresh.orgId, 'openai-compatible:x')).rejects.toThrow(
      'No base URL for openai-compatible: store one with PUT /api/v1/credentials/openai-compatible',
    );
  });

  it('rejects a malformed reference', async () => {
    await expect(models.languageModel(owner.orgId, 'nonsense')).rejects.toMatchObject({ status: 400, code: 'validation_failed' });
  });

  it('gives the rules model with the organization’s classification rules', async () => {
    await models.createClassificationRule(owner.orgId, { label: 'billing', keywords: ['invoice'] });
    const m = await models.languageModel(owner.orgId, 'rules:default');
    expect(m).toMatchObject({ id: 'rules:default', ref: { provider: 'rules', modelId: 'default' } });
    const r = await generateText({ model: m.model, prompt: 'classify: where is my invoice?' });
    expect(r.text).toBe('billing');
  });

  it('fails through the service when the model cannot be called and a provider is configured (no rules fallback)', async () => {
    const err = await models.callWithFallback(owner.orgId, ['google:gemini-2.0-flash'], (m) => generateText({ model: m.model, prompt: 'hi', maxRetries: 0 })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'all_models_failed', causes: [{ model: 'google:gemini-2.0-flash', code: 'missing_credential', message: expect.stringContaining('GOOGLE_GENERATIVE_AI_API_KEY') }] });
    const r = await models.callWithFallback(owner.orgId, ['google:gemini-2.0-flash', 'rules:default'], (m) => generateText({ model: m.model, prompt: 'hi', maxRetries: 0 }));
    expect(r.usedRulesModel).toBe(true);
    expect(r.result.text).toContain('google:gemini-2.0-flash: missing_credential');
  });
});

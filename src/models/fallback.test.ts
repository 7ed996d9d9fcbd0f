import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateText } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startProviderStub, type ProviderStub } from '../../test/helpers/provider-stub.js';
import { compileAllowlist } from '../tools/net/allowlist.js';
import { AllModelsFailedError, callWithFallback, fallbackChain, type FallbackDeps, type FallbackEvent } from './fallback.js';
import { LanguageModels, type ResolvedModel } from './language-model.js';
import type { ResolvedCredential } from './provider-status.js';

/**
 * The fallback chain with the real AI SDK clients against the stub. Credentials come from a fake
 * source (openai and anthropic point at the stub, as the operator's environment would; groq has
 * none), so no database is needed.
 */
let stub: ProviderStub;
let deps: FallbackDeps;
let sleeps: number[];
const orgId = randomUUID();

beforeAll(async () => {
  stub = await startProviderStub();
  const models = new LanguageModels({
    async resolveCredential(_org, provider): Promise<ResolvedCredential> {
      if (provider === 'openai' || provider === 'anthropic') return { apiKey: `${provider}-key`, baseUrl: `${stub.url}/v1`, source: 'environment' };
      return { apiKey: null, baseUrl: null, source: 'none' };
    },
    loadRules: async () => [],
    anyProviderConfigured: async () => true,
  });
  deps = {
    models,
    maxRetries: 3,
    retry: {
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
  };
});
afterAll(() => stub.close());
beforeEach(() => {
  stub.reset();
  sleeps = [];
});

const ask = (m: ResolvedModel) => generateText({ model: m.model, prompt: 'Hello', maxRetries: 0 }).then((r) => r.text);

async function run(refs: string[], options: { signal?: AbortSignal; deps?: FallbackDeps } = {}) {
  const events: FallbackEvent[] = [];
  const result = await callWithFallback(options.deps ?? deps, orgId, refs, ask, { signal: options.signal, onEvent: (e) => events.push(e) });
  return { ...result, events };
}

describe('callWithFallback', () => {
  it('retries a 429 once, waiting at least its Retry-After', async () => {
    stub.enqueue({ status: 429, headers: { 'retry-after': '1' } }, { text: 'Hi after waiting' });
    const r = await run(['openai:gpt-4o-mini']);
    expect(r.result).toBe('Hi after waiting');
    expect(r.attempts).toBe(2);
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(1000);
    expect(r.events).toEqual([{ type: 'retry', model: 'openai:gpt-4o-mini', attempt: 1, delayMs: 1000, error: expect.objectContaining({ code: 'provider_rate_limited' }) }]);
    expect(r.usedRulesModel).toBe(false);
    expect(r.used.id).toBe('openai:gpt-4o-mini');
    expect(r.errors.map((e) => e.code)).toEqual(['provider_rate_limited']);
  });

  it('retries 500 twice, then succeeds on the same model', async () => {
    stub.enqueue({ status: 500 }, { status: 500 }, { text: 'Third time lucky' });
    const r = await run(['anthropic:claude-sonnet-4-0', 'openai:gpt-4o-mini']);
    expect(r.result).toBe('Third time lucky');
    expect(r.attempts).toBe(3);
    expect(r.used.id).toBe('anthropic:claude-sonnet-4-0');
    expect(r.events.map((e) => e.type)).toEqual(['retry', 'retry']);
    expect(r.errors.map((e) => [e.model, e.code])).toEqual([
      ['anthropic:claude-sonnet-4-0', 'provider_unavailable'],
      ['anthropic:claude-sonnet-4-0', 'provider_unavailable'],
    ]);
    expect(stub.requests.map((q) => q.path)).toEqual(['/v1/messages', '/v1/messages', '/v1/messages']);
  });

  it('does not retry a 401 but falls back to the next model', async () => {
    stub.enqueue({ status: 401, text: 'invalid x-api-key' }, { text: 'From OpenAI' });
    const r = await run(['anthropic:claude-sonnet-4-0', 'openai:gpt-4o-mini']);
    expect(r.result).toBe('From OpenAI');
    expect(r.used.id).toBe('openai:gpt-4o-mini');
    expect(r.attempts).toBe(2);
    expect(sleeps).toEqual([]);
    expect(r.events).toEqual([
      { type: 'fallback', from: 'anthropic:claude-sonnet-4-0', to: 'openai:gpt-4o-mini', error: expect.objectContaining({ code: 'provider_auth_failed', retryable: false }) },
    ]);
  });

  it('falls back past a provider without a credential without calling it', async () => {
    const r = await run(['groq:llama-3.3-70b-versatile', 'openai:gpt-4o-mini']);
    expect(r.used.id).toBe('openai:gpt-4o-mini');
    expect(r.attempts).toBe(1);
    expect(r.errors).toEqual([expect.objectContaining({ model: 'groq:llama-3.3-70b-versatile', code: 'missing_credential', category: 'user' })]);
    expect(r.events[0]).toMatchObject({ type: 'fallback', from: 'groq:llama-3.3-70b-versatile', to: 'openai:gpt-4o-mini' });
  });

  it('fails with every model’s cause when all configured models fail (no canned reply)', async () => {
    stub.enqueue({ status: 401 }, { status: 400, text: 'bad request' });
    const err = await run(['openai:gpt-4o-mini', 'anthropic:claude-sonnet-4-0']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AllModelsFailedError);
    const failed = err as AllModelsFailedError;
    expect(failed.code).toBe('all_models_failed');
    expect(failed.category).toBe('user');
    expect(failed.causes).toEqual([
      { model: 'openai:gpt-4o-mini', code: 'provider_auth_failed', message: expect.any(String) },
      { model: 'anthropic:claude-sonnet-4-0', code: 'provider_rejected_request', message: expect.stringContaining('bad request') },
    ]);
    expect(failed.message).toContain('openai:gpt-4o-mini (provider_auth_failed), anthropic:claude-sonnet-4-0 (provider_rejected_request)');
    expect(stub.requests).toHaveLength(2);
  });

  it('ends on the rules model when the agent lists it as a fallback, its reply saying why', async () => {
    stub.enqueue({ status: 401 }, { status: 400, text: 'bad request' });
    const r = await run(['openai:gpt-4o-mini', 'anthropic:claude-sonnet-4-0', 'rules:default']);
    expect(r.usedRulesModel).toBe(true);
    expect(r.used.id).toBe('rules:default');
    expect(r.result).toContain('could not answer (openai:gpt-4o-mini: provider_auth_failed, anthropic:claude-sonnet-4-0: provider_rejected_request)');
    expect(r.errors.map((e) => e.code)).toEqual(['provider_auth_failed', 'provider_rejected_request']);
    expect(r.events.map((e) => (e.type === 'fallback' ? e.to : e.type))).toEqual(['anthropic:claude-sonnet-4-0', 'rules:default']);
    expect(fallbackChain(['rules:default', 'openai:x', 'openai:x'])).toEqual(['rules:default', 'openai:x']);
  });

  it('passes on a lost database connection while resolving a model: the run is handed back, not failed as all_models_failed', async () => {
    const cut = new LanguageModels({
      resolveCredential: async () => {
        throw Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
      },
      loadRules: async () => [],
      anyProviderConfigured: async () => true,
    });
    const err = await run(['openai:gpt-4o-mini', 'anthropic:claude-sonnet-4-5'], { deps: { ...deps, models: cut } }).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(AllModelsFailedError);
    expect(err).toMatchObject({ code: '57P01' });
    expect(stub.requests).toHaveLength(0);
  });

  it('answers with the rules model’s plain reply when no provider is configured at all (zero-config)', async () => {
    const bare = new LanguageModels({
      resolveCredential: async () => ({ apiKey: null, baseUrl: null, source: 'none' }),
      loadRules: async () => [],
      anyProviderConfigured: async () => false,
    });
    const r = await run(['openai:gpt-4o-mini'], { deps: { ...deps, models: bare } });
    expect(r).toMatchObject({ usedRulesModel: true, attempts: 1 });
    expect(r.used.id).toBe('rules:default');
    expect(r.result).toMatch(/^No language model is configured for this agent/);
    expect(r.errors).toEqual([expect.objectContaining({ model: 'openai:gpt-4o-mini', code: 'missing_credential' })]);
    expect(stub.requests).toHaveLength(0);
  });

  it('reports every failure at an organization’s own base URL as one generic error', async () => {
    const own = (baseUrl: string, allow: string[]) =>
      new LanguageModels(
        {
          resolveCredential: async () => ({ apiKey: 'org-key', baseUrl, source: 'organization' }),
          loadRules: async () => [],
          anyProviderConfigured: async () => true,
        },
        compileAllowlist(allow),
      );
    const causes = async (models: LanguageModels) => {
      const err = await run(['openai:gpt-4o-mini'], { deps: { ...deps, models, maxRetries: 0 } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AllModelsFailedError);
      // Ports differ between the servers below; the message names only the origin the organization stored.
      return (err as AllModelsFailedError).causes.map((c) => ({ ...c, message: c.message.replace(/:\d+/, ':PORT') }));
    };
    // Refused by the egress guard (127.0.0.1 is loopback): the stub hears nothing.
    const refused = await causes(own(`${stub.url}/v1`, []));
    expect(stub.requests).toHaveLength(0);
    expect(refused).toEqual([{ model: 'openai:gpt-4o-mini', code: 'model_endpoint_failed', message: expect.stringContaining('http://127.0.0.1:PORT') }]);
    // Allowed by the operator: a 401, a 500, a closed port and a body that is no model's answer look the same.
    const allowed = own(`${stub.url}/v1`, ['127.0.0.1']);
    stub.enqueue({ status: 401 });
    expect(await causes(allowed)).toEqual(refused);
    stub.enqueue({ status: 500 });
    expect(await causes(allowed)).toEqual(refused);
    expect(stub.requests).toHaveLength(2);
    const closed = await startProviderStub();
    await closed.close();
    expect(await causes(own(`${closed.url}/v1`, ['127.0.0.0/8']))).toEqual(refused);
    const junk = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('<html>not a model</html>'));
    await new Promise<void>((resolve) => junk.listen(0, '127.0.0.1', resolve));
    try {
      expect(await causes(own(`http://127.0.0.1:${(junk.address() as AddressInfo).port}/v1`, ['127.0.0.1']))).toEqual(refused);
    } finally {
      junk.closeAllConnections();
      await new Promise((resolve) => junk.close(resolve));
    }
    // Allowed and working, the call answers.
    stub.enqueue({ text: 'hello from the org’s server' });
    expect((await run(['openai:gpt-4o-mini'], { deps: { ...deps, models: allowed } })).result).toBe('hello from the org’s server');
  });

  it('retries up to the limit, then falls back', async () => {
    stub.enqueue({ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }, { text: 'Claude here' });
    const r = await run(['openai:gpt-4o-mini', 'anthropic:claude-sonnet-4-0']);
    expect(r.result).toBe('Claude here');
    expect(r.attempts).toBe(5);
    expect(r.events.map((e) => e.type)).toEqual(['retry', 'retry', 'retry', 'fallback']);
    expect(r.errors).toHaveLength(4);
  });

  it('throws the abort, promptly, when the signal aborts during a wait', async () => {
    stub.enqueue({ status: 429, headers: { 'retry-after': '20' } });
    const controller = new AbortController();
    const realSleep = { ...deps, retry: undefined };
    const onCall = vi.fn(ask);
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const err = await callWithFallback(realSleep, orgId, ['openai:gpt-4o-mini'], onCall, { signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(onCall).toHaveBeenCalledTimes(1);
  });
});

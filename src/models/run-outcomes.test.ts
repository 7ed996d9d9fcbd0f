import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, json, seedMember, type Member, type TestApp } from '../../test/helpers/app.js';
import { startProviderStub, type ProviderStub } from '../../test/helpers/provider-stub.js';
import { ledgerEntries } from '../billing/schema.js';

/**
 * How a run ends when its models fail, through the real engine and the real AI SDK clients
 * against the provider stub (OpenAI and Anthropic both point at it, from the environment).
 */
interface Run {
  id: string;
  status: string;
  output: string | null;
  usedRulesModel: boolean;
  error: { code: string; category: string; message: string; details?: { causes?: { model: string; code: string; message: string }[] } } | null;
  inputTokens: number;
  cachedInputTokens: number;
}
interface Step {
  stepKey: string;
  status: string;
  inputTokens: number;
  cachedInputTokens: number;
  output: { usage?: unknown; usageWarnings?: string[] } | null;
}

async function agentOf(t: TestApp, owner: Member, model: string, fallbackModels: string[] = []) {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: owner.headers, payload: { name: `Agent ${randomUUID().slice(0, 8)}`, model, fallbackModels } });
  if (res.statusCode !== 201) throw new Error(res.body);
  return json<{ id: string }>(res).id;
}

async function execute(t: TestApp, owner: Member, agentId: string): Promise<Run> {
  const res = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agentId}/execute?wait=true`, headers: owner.headers, payload: { task: 'Say hello' } });
  if (res.statusCode !== 200) throw new Error(`${res.statusCode}: ${res.body}`);
  return json<Run>(res);
}

const stepsOf = async (t: TestApp, owner: Member, runId: string) =>
  json<{ items: Step[] }>(await t.app.inject({ url: `/api/v1/runs/${runId}/steps`, headers: owner.headers })).items;

describe('a run whose models fail (providers configured)', () => {
  let t: TestApp;
  let stub: ProviderStub;
  let owner: Member;
  const hits = (path: string) => stub.requests.filter((r) => r.path === path).length;

  beforeAll(async () => {
    stub = await startProviderStub();
    t = await createTestApp('postgres', {
      OPENAI_API_KEY: 'sk-env',
      OPENAI_BASE_URL: `${stub.url}/v1`,
      ANTHROPIC_API_KEY: 'sk-ant-env',
      ANTHROPIC_BASE_URL: `${stub.url}/v1`,
      TROUPE_MODEL_MAX_RETRIES: '2',
    });
    owner = await seedMember(t.ctx, 'owner');
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await stub?.close();
  });
  beforeEach(() => stub.reset());

  it('fails with all_models_failed and the cause after retrying an outage, instead of succeeding with a canned reply', async () => {
    stub.enqueue({ status: 500 }, { status: 500 }, { status: 503 });
    const run = await execute(t, owner, await agentOf(t, owner, 'openai:gpt-4o-mini'));
    expect(run).toMatchObject({ status: 'failed', usedRulesModel: false, output: null });
    expect(run.error).toMatchObject({ code: 'all_models_failed', category: 'third_party' });
    expect(run.error!.details!.causes).toEqual([{ model: 'openai:gpt-4o-mini', code: 'provider_unavailable', message: expect.any(String) }]);
    expect(run.error!.message).toContain('openai:gpt-4o-mini (provider_unavailable)');
    // The first call and two retries (TROUPE_MODEL_MAX_RETRIES=2); then nothing more.
    expect(hits('/v1/chat/completions')).toBe(3);
    const steps = await stepsOf(t, owner, run.id);
    expect(steps.map((s) => [s.stepKey, s.status])).toEqual([['model:1', 'failed']]);
    const ledger = await t.ctx.database.system((tx) => tx.select().from(ledgerEntries).where(eq(ledgerEntries.runId, run.id)));
    expect(ledger).toHaveLength(0);
  });

  it('does not retry a 401 and tries the fallback model of another provider', async () => {
    stub.enqueue({ status: 401, text: 'Incorrect API key provided: sk-env' }, { text: 'Hello from Claude' });
    const run = await execute(t, owner, await agentOf(t, owner, 'openai:gpt-4o-mini', ['anthropic:claude-sonnet-4-0']));
    expect(run).toMatchObject({ status: 'succeeded', output: 'Hello from Claude', usedRulesModel: false });
    expect(hits('/v1/chat/completions')).toBe(1);
    expect(hits('/v1/messages')).toBe(1);
  });

  it('fails after a single call when the only model refuses the key, naming it without the key', async () => {
    stub.enqueue({ status: 401, text: 'Incorrect API key provided: sk-env-0123456789abcdef' });
    const run = await execute(t, owner, await agentOf(t, owner, 'openai:gpt-4o-mini'));
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ code: 'all_models_failed', category: 'user' });
    expect(run.error!.details!.causes).toEqual([{ model: 'openai:gpt-4o-mini', code: 'provider_auth_failed', message: expect.any(String) }]);
    expect(JSON.stringify(run.error)).not.toContain('0123456789abcdef');
    expect(hits('/v1/chat/completions')).toBe(1);
  });

  it('skips a provider without a credential, uncalled, for the next one', async () => {
    stub.enqueue({ text: 'Hello from OpenAI' });
    const run = await execute(t, owner, await agentOf(t, owner, 'groq:llama-3.3-70b-versatile', ['openai:gpt-4o-mini']));
    expect(run).toMatchObject({ status: 'succeeded', output: 'Hello from OpenAI' });
    expect(stub.requests).toHaveLength(1);

    const missing = await execute(t, owner, await agentOf(t, owner, 'groq:llama-3.3-70b-versatile'));
    expect(missing.status).toBe('failed');
    expect(missing.error!.details!.causes).toEqual([{ model: 'groq:llama-3.3-70b-versatile', code: 'missing_credential', message: expect.stringContaining('GROQ_API_KEY') }]);
  });

  it('answers through the rules model when the agent lists it as a fallback', async () => {
    stub.enqueue({ status: 401 });
    const run = await execute(t, owner, await agentOf(t, owner, 'openai:gpt-4o-mini', ['rules:default']));
    expect(run).toMatchObject({ status: 'succeeded', usedRulesModel: true });
    expect(run.output).toContain('openai:gpt-4o-mini: provider_auth_failed');
    expect(hits('/v1/chat/completions')).toBe(1);
  });

  it('records a call whose usage cannot be true, with clamped figures, and finishes the run', async () => {
    // 50 cached of 10 prompt tokens (OpenAI's cached tokens are part of prompt_tokens).
    stub.enqueue({ text: 'Paid for', usage: { input: 10, output: 5, cached: 50 } });
    const run = await execute(t, owner, await agentOf(t, owner, 'openai:gpt-4o-mini'));
    expect(run).toMatchObject({ status: 'succeeded', output: 'Paid for', inputTokens: 10, cachedInputTokens: 10 });
    const ledger = await t.ctx.database.system((tx) => tx.select().from(ledgerEntries).where(eq(ledgerEntries.runId, run.id)));
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({ inputTokens: 10, outputTokens: 5, cachedInputTokens: 10 });
    expect(ledger[0]!.baseCostMicros).toBeGreaterThan(0);
    const [step] = await stepsOf(t, owner, run.id);
    expect(step).toMatchObject({ status: 'succeeded', inputTokens: 10, cachedInputTokens: 10 });
    expect(step!.output!.usageWarnings).toEqual(['cachedInputTokens (50) exceeded inputTokens (10); recorded as 10']);
  });

  it('records negative and fractional usage as well (0 and rounded)', async () => {
    stub.enqueue({ text: 'Odd figures', usage: { input: 12.6, output: -3 } });
    const run = await execute(t, owner, await agentOf(t, owner, 'openai:gpt-4o-mini'));
    expect(run.status).toBe('succeeded');
    const ledger = await t.ctx.database.system((tx) => tx.select().from(ledgerEntries).where(eq(ledgerEntries.runId, run.id)));
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({ inputTokens: 13, outputTokens: 0, cachedInputTokens: 0 });
  });
});

describe('a run with no provider configured at all (the zero-config trial)', () => {
  let t: TestApp;
  let owner: Member;

  beforeAll(async () => {
    t = await createTestApp('postgres');
    owner = await seedMember(t.ctx, 'owner');
  }, 60_000);
  afterAll(() => t?.close());

  it('is answered by the rules model, which says how to configure one', async () => {
    const run = await execute(t, owner, await agentOf(t, owner, 'openai:gpt-4o-mini'));
    expect(run).toMatchObject({ status: 'succeeded', usedRulesModel: true });
    expect(run.output).toMatch(/^No language model is configured for this agent/);
  });

  it('fails once the organization stores a credential, even for another provider', async () => {
    const other = await seedMember(t.ctx, 'owner');
    const put = await t.app.inject({ method: 'PUT', url: '/api/v1/credentials/anthropic', headers: other.headers, payload: { apiKey: 'sk-ant-own' } });
    expect(put.statusCode).toBe(200);
    const run = await execute(t, other, await agentOf(t, other, 'openai:gpt-4o-mini'));
    expect(run.status).toBe('failed');
    expect(run.error!.details!.causes).toEqual([{ model: 'openai:gpt-4o-mini', code: 'missing_credential', message: expect.any(String) }]);
    // The first organization, still with nothing configured, keeps its trial.
    expect((await execute(t, owner, await agentOf(t, owner, 'openai:gpt-4o-mini'))).usedRulesModel).toBe(true);
  });
});

import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedMember, type Member, type TestApp } from '../../test/helpers/app.js';
import { startProviderStub, type ProviderStub } from '../../test/helpers/provider-stub.js';
import { ledgerEntries } from '../billing/schema.js';
import { createLogger } from '../shared/logger.js';

/**
 * The Prometheus series of the engine, through the real server, engine and AI SDK clients against
 * the provider stub: what one run (a failed call, a fallback, a tool, an approval) leaves in /metrics.
 */

/** One sample's value from the exposition text: `name{labels}` with the labels in any order; 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) {
      if (total !== undefined) throw new Error(`${name} ${JSON.stringify(labels)} matches more than one sample`);
      total = Number(m[3]);
    }
  }
  return total ?? 0;
}

interface Run {
  id: string;
  status: string;
}

async function agentOf(t: TestApp, owner: Member, body: Record<string, unknown>) {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: owner.headers, payload: { name: `Agent ${randomUUID().slice(0, 8)}`, ...body } });
  if (res.statusCode !== 201) throw new Error(res.body);
  return json<{ id: string }>(res).id;
}

async function execute(t: TestApp, owner: Member, agentId: string): Promise<Run> {
  const res = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agentId}/execute?wait=true`, headers: owner.headers, payload: { task: 'What is 6 * 7?' } });
  if (res.statusCode !== 200) throw new Error(`${res.statusCode}: ${res.body}`);
  return json<Run>(res);
}

/** A logger whose JSON lines the test reads. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('info', stream), lines };
}

describe('engine metrics after real runs', () => {
  let t: TestApp;
  let stub: ProviderStub;
  let owner: Member;
  const log = capturedLogger();
  const scrape = async () => {
    const res = await t.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    return res.body;
  };

  beforeAll(async () => {
    stub = await startProviderStub();
    t = await createTestApp('postgres', { OPENAI_API_KEY: 'sk-env', OPENAI_BASE_URL: `${stub.url}/v1`, ANTHROPIC_API_KEY: 'sk-ant-env', ANTHROPIC_BASE_URL: `${stub.url}/v1` }, { logger: log.logger });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await stub?.close();
  });
  beforeEach(async () => {
    stub.reset();
    // Each test its own organization: its series are its own.
    owner = await seedMember(t.ctx, 'owner');
  });

  it('counts the run, its steps, model calls (a provider error, a fallback), tokens and billed cost as the ledger has them, and the tool', async () => {
    const agentId = await agentOf(t, owner, { model: 'openai:gpt-4o-mini', fallbackModels: ['anthropic:claude-sonnet-4-0'], tools: ['calculator'] });
    stub.enqueue(
      { status: 401, text: 'Incorrect API key provided' },
      { toolCalls: [{ name: 'calculator', args: { expression: '6 * 7' } }], usage: { input: 200, output: 20, cached: 50 } },
      { text: 'It is 42.', usage: { input: 260, output: 6 } },
    );
    const run = await execute(t, owner, agentId);
    expect(run.status).toBe('succeeded');
    const body = await scrape();
    const org = { org_id: owner.orgId };
    const runLabels = { ...org, agent_id: agentId, source: 'api' };

    expect(sample(body, 'troupe_runs_queued_total', runLabels)).toBe(1);
    expect(sample(body, 'troupe_runs_started_total', { ...runLabels, resumed: 'false' })).toBe(1);
    expect(sample(body, 'troupe_runs_finished_total', { ...runLabels, status: 'succeeded' })).toBe(1);
    expect(sample(body, 'troupe_run_duration_seconds_count', { source: 'api', status: 'succeeded' })).toBeGreaterThanOrEqual(1);
    expect(sample(body, 'troupe_queue_wait_seconds_count', { source: 'api' })).toBeGreaterThanOrEqual(1);
    // Two model steps and one tool step, all fine (the 401 was the first model's, the step went on with the fallback).
    expect(sample(body, 'troupe_step_duration_seconds_count', { kind: 'model_call', outcome: 'ok' })).toBeGreaterThanOrEqual(2);
    expect(sample(body, 'troupe_step_duration_seconds_count', { kind: 'tool_call', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sample(body, 'troupe_tool_call_duration_seconds_count', { tool: 'calculator', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    // Calls by provider: the refused one, the fallback's answer, then the first model again on turn 2.
    expect(sample(body, 'troupe_model_call_duration_seconds_count', { provider: 'openai', model: 'gpt-4o-mini', outcome: 'error' })).toBeGreaterThanOrEqual(1);
    expect(sample(body, 'troupe_model_call_duration_seconds_count', { provider: 'anthropic', model: 'claude-sonnet-4-0', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sample(body, 'troupe_model_call_duration_seconds_count', { provider: 'openai', model: 'gpt-4o-mini', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sample(body, 'troupe_provider_errors_total', { provider: 'openai', code: 'provider_auth_failed' })).toBeGreaterThanOrEqual(1);

    // Tokens and money by organization and model are the ledger's, exactly.
    const ledger = await t.ctx.database.system((tx) => tx.select().from(ledgerEntries).where(eq(ledgerEntries.runId, run.id)));
    expect(ledger).toHaveLength(2);
    for (const row of ledger) {
      const l = { ...org, provider: row.provider, model: row.model };
      expect(sample(body, 'troupe_model_tokens_total', { ...l, type: 'input' })).toBe(row.inputTokens);
      expect(sample(body, 'troupe_model_tokens_total', { ...l, type: 'output' })).toBe(row.outputTokens);
      expect(sample(body, 'troupe_model_tokens_total', { ...l, type: 'cached_input' })).toBe(row.cachedInputTokens);
      expect(sample(body, 'troupe_model_billed_microdollars_total', l)).toBe(row.billedCostMicros);
      expect(sample(body, 'troupe_model_cost_microdollars_total', l)).toBe(row.baseCostMicros);
      expect(row.billedCostMicros).toBeGreaterThan(0);
    }
    expect(ledger.find((r) => r.provider === 'anthropic')!.cachedInputTokens).toBeGreaterThan(0);

    // Node's series, event-loop lag among them; the queue and this process's executing runs.
    expect(body).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(body).toMatch(/^nodejs_eventloop_lag_p99_seconds \d/m);
    expect(body).toMatch(/^troupe_queue_jobs\{state="waiting"\} \d+$/m);
    expect(body).toMatch(/^troupe_runs_executing \d+$/m);
    // Bounded labels: no run id anywhere.
    expect(body).not.toContain(run.id);
  });

  it('counts approvals requested, pending (from the database) and decided, and the run that waited and resumed', async () => {
    const agentId = await agentOf(t, owner, { model: 'openai:gpt-4o-mini', tools: ['calculator'], approvalTools: ['calculator'] });
    stub.enqueue({ toolCalls: [{ name: 'calculator', args: { expression: '6 * 7' } }] }, { text: 'It is 42.' });
    const run = await execute(t, owner, agentId);
    expect(run.status).toBe('waiting_approval');
    const org = { org_id: owner.orgId };
    const runLabels = { ...org, agent_id: agentId, source: 'api' };
    let body = await scrape();
    expect(sample(body, 'troupe_approvals_requested_total', org)).toBe(1);
    expect(sample(body, 'troupe_runs_finished_total', { ...runLabels, status: 'waiting_approval' })).toBe(1);
    // Read at scrape (cached a few seconds: a scrape before this run may have cached 0).
    await expect.poll(async () => sample(await scrape(), 'troupe_approvals_pending', org), { timeout: 20_000, interval: 500 }).toBe(1);

    const pending = json<{ items: { id: string }[] }>(await t.app.inject({ url: `/api/v1/approvals?runId=${run.id}`, headers: owner.headers })).items;
    const decided = await t.app.inject({ method: 'POST', url: `/api/v1/approvals/${pending[0]!.id}/approve`, headers: owner.headers, payload: {} });
    expect(decided.statusCode, decided.body).toBe(200);
    await expect.poll(async () => sample(await scrape(), 'troupe_runs_finished_total', { ...runLabels, status: 'succeeded' }), { timeout: 30_000 }).toBe(1);
    body = await scrape();
    expect(sample(body, 'troupe_approvals_decided_total', { ...org, decision: 'approved' })).toBe(1);
    expect(sample(body, 'troupe_runs_started_total', { ...runLabels, resumed: 'true' })).toBe(1);
    // The pending gauge follows the database once its cache expires; the organization's line goes.
    await expect.poll(async () => sample(await scrape(), 'troupe_approvals_pending', org), { timeout: 20_000, interval: 500 }).toBe(0);
  });

  it('counts schedule fires and their lag', async () => {
    const agentId = await agentOf(t, owner, { model: 'openai:gpt-4o-mini' });
    const actor = { orgId: owner.orgId, role: 'owner' as const, userId: owner.userId, apiKeyId: null };
    await t.ctx.services.tasks.create(actor, { agentId, title: 'Tick', instructions: 'Say the time', context: {}, priority: 'normal', schedule: { cron: '* * * * * *', timezone: 'UTC' } });
    const before = await scrape();
    const fired = sample(before, 'troupe_scheduler_fires_total', { outcome: 'fired' });
    const lagged = sample(before, 'troupe_scheduler_lag_seconds_count');
    await expect.poll(() => t.ctx.services.scheduler.checkNow(), { timeout: 10_000, interval: 300 }).toBeGreaterThan(0);
    const after = await scrape();
    expect(sample(after, 'troupe_scheduler_fires_total', { outcome: 'fired' })).toBeGreaterThan(fired);
    expect(sample(after, 'troupe_scheduler_lag_seconds_count')).toBeGreaterThan(lagged);
    // This process's scheduler loop is not running (the test app plays API and worker): not the leader.
    expect(after).toMatch(/^troupe_scheduler_leader 0$/m);
  });

  it('logs a listener that throws, with the event name, and the run still completes', async () => {
    const offs = [
      t.ctx.events.on('run:started', () => {
        throw new Error('listener boom');
      }),
      t.ctx.events.on('model:call', () => {
        throw new Error('listener boom');
      }),
    ];
    try {
      const agentId = await agentOf(t, owner, { model: 'openai:gpt-4o-mini' });
      stub.enqueue({ text: 'Hello.' });
      const run = await execute(t, owner, agentId);
      expect(run.status).toBe('succeeded');
      const failures = log.lines.filter((l) => l.msg === 'an engine event listener failed');
      expect(failures.map((l) => l.event)).toEqual(expect.arrayContaining(['run:started', 'model:call']));
      expect(JSON.stringify(failures)).toContain('listener boom');
      // The metrics listener, subscribed before, still counted the run.
      expect(sample(await scrape(), 'troupe_runs_finished_total', { org_id: owner.orgId, agent_id: agentId, source: 'api', status: 'succeeded' })).toBe(1);
    } finally {
      for (const off of offs) off();
    }
  });

  it('logs and counts a dispatch the queue refused; the run stays queued', async () => {
    const dispatcher = t.ctx.services.dispatcher;
    t.ctx.services.runs.setDispatcher({
      dispatch: () => Promise.reject(new Error('Redis is unreachable (test)')),
    });
    try {
      const before = sample(await scrape(), 'troupe_dispatch_failures_total');
      const agentId = await agentOf(t, owner, { model: 'openai:gpt-4o-mini' });
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agentId}/execute`, headers: owner.headers, payload: { task: 'Hello' } });
      expect(res.statusCode, res.body).toBe(202);
      const runId = json<Run>(res).id;
      await expect.poll(() => log.lines.find((l) => l.runId === runId && l.level === 40), { timeout: 10_000 }).toMatchObject({
        orgId: owner.orgId,
        error: 'Redis is unreachable (test)',
        msg: expect.stringContaining('handing a run to the queue failed'),
      });
      expect(sample(await scrape(), 'troupe_dispatch_failures_total')).toBe(before + 1);
      const row = json<Run>(await t.app.inject({ url: `/api/v1/runs/${runId}`, headers: owner.headers }));
      expect(row.status).toBe('queued');
    } finally {
      t.ctx.services.runs.setDispatcher(dispatcher);
    }
  });
});

describe('/metrics with TROUPE_METRICS_TOKEN', () => {
  let t: TestApp;
  const token = 'metrics-token-0123456789abcdef';

  beforeAll(async () => {
    t = await createTestApp('postgres', { TROUPE_METRICS_TOKEN: token });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('answers 401 problem+json without the bearer token or with a wrong one, and the series with it', async () => {
    const none = await t.app.inject({ url: '/metrics' });
    expect(expectProblem(none, 401).code).toBe('metrics_token_required');
    expect(none.headers['www-authenticate']).toContain('Bearer');
    expect(none.body).not.toContain('nodejs_');
    for (const authorization of [`Bearer ${token}x`, `Bearer ${token.slice(0, -1)}`, token, `Basic ${token}`, 'Bearer ']) {
      expectProblem(await t.app.inject({ url: '/metrics', headers: { authorization } }), 401);
    }
    const ok = await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${token}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('troupe_runs_started_total');
    expect(ok.body).toContain('http_requests_total');
    // Health and readiness stay open for probes.
    expect((await t.app.inject({ url: '/health' })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/ready' })).statusCode).toBe(200);
  });

  it('refuses a token shorter than 16 characters at start, without echoing it', async () => {
    const { loadConfig } = await import('../config/load.js');
    expect(() => loadConfig({ TROUPE_METRICS_TOKEN: 'short-secret' })).toThrow(/TROUPE_METRICS_TOKEN: must be at least 16 characters/);
    expect(() => loadConfig({ TROUPE_METRICS_TOKEN: 'short-secret' })).not.toThrow(/short-secret/);
  });
});

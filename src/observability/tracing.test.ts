import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, json, seedMember, type Member, type TestApp } from '../../test/helpers/app.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../test/helpers/otlp-receiver.js';
import { startProviderStub, type ProviderStub } from '../../test/helpers/provider-stub.js';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../shared/logger.js';
import { EngineEvents, type EngineEventName } from './events.js';
import { parseTraceparent } from './tracing-http.js';
import { parseOtlpHeaders, startTracing, tracesUrl } from './tracing.js';

const ALL_EVENTS: EngineEventName[] = ['run:queued', 'run:started', 'run:finished', 'run:released', 'model:call', 'tool:call', 'step:finished'];
const SERVER = 2;
const CLIENT = 3;
const INTERNAL = 1;
const ERROR = 2;

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

describe('tracing settings', () => {
  it('is off without an endpoint: no provider, nothing subscribed', () => {
    const events = new EngineEvents();
    expect(startTracing(loadConfig({ TROUPE_DATA_DIR: 'memory://' }), events)).toBeNull();
    expect(ALL_EVENTS.some((name) => events.has(name))).toBe(false);
    // OTEL_SDK_DISABLED wins over an endpoint, as the OpenTelemetry spec says.
    expect(startTracing(loadConfig({ TROUPE_DATA_DIR: 'memory://', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' }), events)).toBeNull();
    expect(ALL_EVENTS.some((name) => events.has(name))).toBe(false);
  });

  it('builds the traces URL as the OTLP exporter spec does', () => {
    const url = (env: Record<string, string>) => tracesUrl(loadConfig({ TROUPE_DATA_DIR: 'memory://', ...env }));
    expect(url({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe('http://collector:4318/v1/traces');
    expect(url({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector/otlp/' })).toBe('https://collector/otlp/v1/traces');
    expect(url({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/custom' })).toBe('http://b:4318/custom');
    expect(url({})).toBeNull();
    expect(() => url({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });

  it('reads OTLP headers as key=value pairs, URL-decoded, skipping malformed ones', () => {
    expect(parseOtlpHeaders('x-api-key=abc%3D%3D, tenant = blue ,broken,=nokey,bad=%E0%A4%A')).toEqual({ 'x-api-key': 'abc==', tenant: 'blue' });
    expect(parseOtlpHeaders(undefined)).toEqual({});
  });

  it('accepts a valid W3C traceparent and refuses malformed ones', () => {
    const traceId = hex(16);
    const spanId = hex(8);
    expect(parseTraceparent(`00-${traceId}-${spanId}-01`)).toMatchObject({ traceId, spanId, traceFlags: 1, isRemote: true });
    expect(parseTraceparent(`00-${traceId}-${spanId}-00`)).toMatchObject({ traceFlags: 0 });
    expect(parseTraceparent(`00-${'0'.repeat(32)}-${spanId}-01`)).toBeUndefined();
    expect(parseTraceparent(`00-${traceId}-${'0'.repeat(16)}-01`)).toBeUndefined();
    expect(parseTraceparent(`ff-${traceId}-${spanId}-01`)).toBeUndefined();
    expect(parseTraceparent(`00-${traceId}-${spanId}-01-extra`)).toBeUndefined();
    expect(parseTraceparent(`00-${traceId.toUpperCase()}-${spanId}-01`)).toBeUndefined();
    expect(parseTraceparent(undefined)).toBeUndefined();
  });
});

describe('traces exported over OTLP (a local receiver)', () => {
  let receiver: OtlpReceiver;
  let stub: ProviderStub;
  let t: TestApp;
  let owner: Member;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    stub = await startProviderStub();
    t = await createTestApp('postgres', {
      OPENAI_API_KEY: 'sk-env',
      OPENAI_BASE_URL: `${stub.url}/v1`,
      TROUPE_MODEL_MAX_RETRIES: '0',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=s3cret',
      OTEL_SERVICE_NAME: 'troupe-under-test',
    });
    owner = await seedMember(t.ctx, 'owner');
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await stub?.close();
    await receiver?.close();
  });
  beforeEach(() => stub.reset());

  async function agent(tools: string[] = []) {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: owner.headers, payload: { name: `Tracer ${hex(3)}`, model: 'openai:gpt-4o-mini', tools } });
    expect(res.statusCode).toBe(201);
    return json<{ id: string; name: string }>(res);
  }

  /** Flushes the batch and waits until the receiver has the spans `ready` looks for. */
  async function spansOf(runId: string, ready: (spans: ReceivedSpan[]) => boolean) {
    let spans: ReceivedSpan[] = [];
    await expect
      .poll(
        async () => {
          await t.ctx.tracing!.forceFlush();
          spans = receiver.spans.filter((s) => s.attributes['troupe.run.id'] === runId);
          return ready(spans);
        },
        { timeout: 20_000, interval: 100 },
      )
      .toBe(true);
    return spans;
  }

  it('sends a request span, its run, the model calls and the tool call as one trace with the GenAI attributes', async () => {
    const a = await agent(['calculator']);
    stub.enqueue(
      { toolCalls: [{ id: 'call_mul', name: 'calculator', args: { expression: '6 * 7' } }], usage: { input: 120, output: 14 } },
      { text: 'It is 42.', usage: { input: 160, output: 6 } },
    );
    const callerTrace = hex(16);
    const callerSpan = hex(8);
    // Over a real socket (not inject), the body in two chunks apart: it arrives in stream events,
    // which must not lose the request's scope (or the run would not be the request's child).
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const bytes = new TextEncoder().encode(JSON.stringify({ task: 'What is 6 times 7?' }));
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(bytes.slice(0, 8));
        await new Promise((resolve) => setTimeout(resolve, 50));
        controller.enqueue(bytes.slice(8));
        controller.close();
      },
    });
    const res = await fetch(`${base}/api/v1/agents/${a.id}/execute?wait=true`, {
      method: 'POST',
      headers: { ...owner.headers, 'content-type': 'application/json', traceparent: `00-${callerTrace}-${callerSpan}-01` },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(200);
    const run = (await res.json()) as { id: string; status: string };
    expect(run.status).toBe('succeeded');

    const spans = await spansOf(run.id, (s) => s.filter((x) => x.name.startsWith('chat ')).length === 2 && s.some((x) => x.name.startsWith('invoke_agent')));
    let http: ReceivedSpan | undefined;
    await expect
      .poll(async () => {
        await t.ctx.tracing!.forceFlush();
        http = receiver.spans.find((s) => s.name === 'POST /api/v1/agents/:id/execute' && s.traceId === callerTrace);
        return http !== undefined;
      }, { timeout: 20_000 })
      .toBe(true);

    // The HTTP span continues the caller's trace.
    expect(http).toMatchObject({ kind: SERVER, parentSpanId: callerSpan, status: { code: 0 } });
    expect(http!.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/api/v1/agents/:id/execute',
      'url.path': `/api/v1/agents/${a.id}/execute`,
      'http.response.status_code': 200,
    });
    expect(http!.resource).toMatchObject({ 'service.name': 'troupe-under-test', 'troupe.process.role': 'serve', 'service.version': expect.any(String) });

    // The run is the request's child (same process), named after the agent.
    const runSpan = spans.find((s) => s.name.startsWith('invoke_agent'))!;
    expect(runSpan).toMatchObject({ name: `invoke_agent ${a.name}`, kind: INTERNAL, traceId: callerTrace, parentSpanId: http!.spanId });
    expect(runSpan.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.id': a.id,
      'gen_ai.agent.name': a.name,
      'troupe.run.id': run.id,
      'troupe.org.id': owner.orgId,
      'troupe.run.status': 'succeeded',
      'troupe.run.source': 'api',
    });
    expect(runSpan.endNs).toBeLessThanOrEqual(http!.endNs);

    // Two model calls and one tool call, children of the run, in order.
    const children = spans.filter((s) => s.parentSpanId === runSpan.spanId).sort((x, y) => (x.startNs < y.startNs ? -1 : 1));
    expect(children.map((s) => s.name)).toEqual(['chat gpt-4o-mini', 'execute_tool calculator', 'chat gpt-4o-mini']);
    expect(children.every((s) => s.traceId === callerTrace && s.startNs >= runSpan.startNs && s.endNs <= runSpan.endNs && s.startNs <= s.endNs)).toBe(true);
    const [first, tool, second] = children as [ReceivedSpan, ReceivedSpan, ReceivedSpan];
    expect(first.kind).toBe(CLIENT);
    expect(first.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 14,
      'gen_ai.response.finish_reasons': ['tool-calls'],
    });
    expect(second.attributes).toMatchObject({ 'gen_ai.usage.input_tokens': 160, 'gen_ai.usage.output_tokens': 6, 'gen_ai.response.finish_reasons': ['stop'] });
    expect(tool.attributes).toMatchObject({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'calculator', 'gen_ai.tool.call.id': 'call_mul' });
    expect(tool.status.code).toBe(0);

    // OTLP/HTTP JSON, with the configured headers.
    const sent = receiver.requests.at(-1)!;
    expect(sent).toMatchObject({ path: '/v1/traces', contentType: 'application/json' });
    expect(sent.headers['x-collector-key']).toBe('s3cret');
  });

  it('marks a failed model call and its run as errors with error.type', async () => {
    const a = await agent();
    stub.enqueue({ status: 401, text: 'Incorrect API key provided' });
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${a.id}/execute?wait=true`, headers: owner.headers, payload: { task: 'Hello' } });
    const run = json<{ id: string; status: string }>(res);
    expect(run.status).toBe('failed');

    const spans = await spansOf(run.id, (s) => s.some((x) => x.name.startsWith('chat ')) && s.some((x) => x.name.startsWith('invoke_agent')));
    const runSpan = spans.find((s) => s.name.startsWith('invoke_agent'))!;
    const call = spans.find((s) => s.name === 'chat gpt-4o-mini')!;
    expect(call.parentSpanId).toBe(runSpan.spanId);
    expect(call.status.code).toBe(ERROR);
    expect(call.attributes['error.type']).toBe('provider_auth_failed');
    expect(runSpan.status.code).toBe(ERROR);
    expect(runSpan.attributes).toMatchObject({ 'troupe.run.status': 'failed', 'error.type': 'all_models_failed' });
    // Without a caller's traceparent, the request starts the trace.
    const http = receiver.spans.find((s) => s.spanId === runSpan.parentSpanId);
    expect(http).toMatchObject({ name: 'POST /api/v1/agents/:id/execute', parentSpanId: '' });
  });

  it('names an unmatched API request by its method, and does not trace the dashboard or probes', async () => {
    const marker = hex(8);
    expect((await t.app.inject({ url: `/api/v1/no-such-thing-${marker}`, headers: owner.headers })).statusCode).toBe(404);
    await t.app.inject({ url: '/health' });
    await t.app.inject({ url: `/dashboard-page-${marker}`, headers: { accept: 'text/html' } });
    let span: ReceivedSpan | undefined;
    await expect
      .poll(async () => {
        await t.ctx.tracing!.forceFlush();
        span = receiver.spans.find((s) => s.attributes['url.path'] === `/api/v1/no-such-thing-${marker}`);
        return span !== undefined;
      }, { timeout: 20_000 })
      .toBe(true);
    // A 404 is the caller's mistake: not an error of the server span.
    expect(span).toMatchObject({ name: 'GET', kind: SERVER, status: { code: 0 } });
    expect(span!.attributes['http.response.status_code']).toBe(404);
    expect(span!.attributes['http.route']).toBeUndefined();
    expect(receiver.spans.some((s) => String(s.attributes['url.path']).includes(`dashboard-page-${marker}`) || s.attributes['url.path'] === '/health')).toBe(false);
  });
});

describe('run spans from the event port', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(() => receiver?.close());
  afterEach(() => {
    receiver.spans.length = 0;
  });

  const config = () => loadConfig({ TROUPE_DATA_DIR: 'memory://', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
  const ids = () => ({ orgId: crypto.randomUUID(), runId: crypto.randomUUID(), agentId: crypto.randomUUID(), source: 'task' });

  it('ends the span of a run that parks; its resumed span links back to it', async () => {
    const events = new EngineEvents();
    const tracing = startTracing(config(), events, { role: 'worker' })!;
    const run = ids();
    const t0 = Date.now() - 10_000;
    events.emit('run:started', { ...run, queuedAt: new Date(t0), at: new Date(t0 + 5), resumed: false });
    events.emit('run:finished', { ...run, status: 'waiting_approval', startedAt: new Date(t0 + 5), at: new Date(t0 + 50) });
    expect(tracing.openRuns).toBe(0);
    events.emit('run:started', { ...run, queuedAt: new Date(t0), at: new Date(t0 + 5000), resumed: true });
    events.emit('tool:call', { ...run, tool: 'send_email', toolCallId: 'call_1', startedAt: new Date(t0 + 5001), at: new Date(t0 + 5100), ok: false, errorCode: 'rejected' });
    events.emit('run:finished', { ...run, status: 'succeeded', startedAt: new Date(t0 + 5), at: new Date(t0 + 5200) });
    await tracing.close();

    const spans = receiver.spans.filter((s) => s.attributes['troupe.run.id'] === run.runId);
    const [parked, resumed] = spans.filter((s) => s.name === `invoke_agent ${run.agentId}`).sort((x, y) => (x.startNs < y.startNs ? -1 : 1));
    expect(parked!.attributes).toMatchObject({ 'troupe.run.status': 'waiting_approval', 'troupe.run.resumed': false, 'troupe.queue.wait_ms': 5 });
    expect(parked!.endNs - parked!.startNs).toBe(45_000_000n);
    expect(parked!.resource['troupe.process.role']).toBe('worker');
    expect(resumed!.attributes).toMatchObject({ 'troupe.run.status': 'succeeded', 'troupe.run.resumed': true });
    expect(resumed!.links).toEqual([{ traceId: parked!.traceId, spanId: parked!.spanId, attributes: { 'troupe.link': 'resumed_from' } }]);
    const tool = spans.find((s) => s.name === 'execute_tool send_email')!;
    expect(tool).toMatchObject({ parentSpanId: resumed!.spanId, traceId: resumed!.traceId, status: { code: ERROR } });
    expect(tool.attributes['error.type']).toBe('rejected');
  });

  it('logs a failed export (without the headers) instead of dropping it silently', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const events = new EngineEvents();
    const tracing = startTracing(
      loadConfig({ TROUPE_DATA_DIR: 'memory://', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/not-traces`, OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=s3cret' }),
      events,
      { logger },
    )!;
    const run = ids();
    events.emit('run:started', { ...run, queuedAt: new Date(), at: new Date(), resumed: false });
    events.emit('run:finished', { ...run, status: 'succeeded', startedAt: new Date(), at: new Date() });
    await tracing.close();
    const warning = lines.find((l) => l.msg === 'could not export traces to the OTLP endpoint; spans were dropped');
    expect(warning).toMatchObject({ level: 40, url: `${receiver.url}/not-traces`, spans: 1 });
    expect(JSON.stringify(lines)).not.toContain('s3cret');
  });

  it('keeps open run spans bounded and ends those still open when it closes', async () => {
    const events = new EngineEvents();
    const tracing = startTracing(config(), events)!;
    const released = ids();
    events.emit('run:started', { ...released, queuedAt: new Date(), at: new Date(), resumed: false });
    events.emit('run:released', { orgId: released.orgId, runId: released.runId, reason: 'shutdown', at: new Date() });
    const open = ids();
    events.emit('run:started', { ...open, queuedAt: new Date(), at: new Date(), resumed: false });
    expect(tracing.openRuns).toBe(1);
    await tracing.close();
    expect(ALL_EVENTS.some((name) => events.has(name))).toBe(false);
    const status = (runId: string) => receiver.spans.find((s) => s.attributes['troupe.run.id'] === runId)?.attributes;
    expect(status(released.runId)).toMatchObject({ 'troupe.run.status': 'released', 'troupe.run.release_reason': 'shutdown' });
    expect(status(open.runId)).toMatchObject({ 'troupe.run.status': 'interrupted' });
  });
});

describe('with tracing off', () => {
  // Without an endpoint startTracing subscribes nothing (above); OTEL_SDK_DISABLED turns off even a configured one.
  it('creates no tracing and exports nothing, even for a request carrying a traceparent', async () => {
    const receiver = await startOtlpReceiver();
    const stub = await startProviderStub();
    const t = await createTestApp('postgres', { OPENAI_API_KEY: 'sk-env', OPENAI_BASE_URL: `${stub.url}/v1`, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SDK_DISABLED: 'true' });
    try {
      expect(t.ctx.tracing).toBeNull();
      const owner = await seedMember(t.ctx, 'owner');
      const a = json<{ id: string }>(await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: owner.headers, payload: { name: 'Quiet', model: 'openai:gpt-4o-mini' } }));
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${a.id}/execute?wait=true`, headers: { ...owner.headers, traceparent: `00-${hex(16)}-${hex(8)}-01` }, payload: { task: 'Hi' } });
      expect(json<{ status: string }>(res).status).toBe('succeeded');
    } finally {
      // Closing would flush any exporter there were.
      await t.close();
      await stub.close();
    }
    expect(receiver.requests).toHaveLength(0);
    await receiver.close();
  }, 60_000);
});

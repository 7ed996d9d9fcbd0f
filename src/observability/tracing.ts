import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Link,
  type Span,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { VERSION } from '../shared/version.js';
import { ATTR_ERROR_TYPE, ATTR_SERVICE_INSTANCE_ID, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Config } from '../config/load.js';
import type { Logger } from '../shared/logger.js';
import type { EngineEventMap, EngineEvents } from './events.js';

/**
 * OpenTelemetry traces (decision 48): spans for HTTP requests (tracing-http.ts), runs, model calls
 * and tool calls, built from the engine's event port and exported over OTLP/HTTP (JSON) when
 * OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set. Off otherwise: no
 * provider, no listeners, no hooks.
 *
 * The engine's events carry their start and end times, so spans are created after the fact with
 * explicit times; only a run's own span is open while the run executes (its model and tool calls
 * become its children). No global tracer provider or context manager is installed: two servers
 * in one process (tests) each keep their own.
 */

/** What this process does: `troupe serve` is all roles; distributed installs split them. */
export type ProcessRole = 'serve' | 'api' | 'worker' | 'scheduler';

// GenAI semantic conventions are still "development" status, so their constants live in the
// package's `incubating` entry, which it asks applications to copy rather than import.
const GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
const GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
/** Deprecated for gen_ai.provider.name; still what many backends (and older dashboards) group by. */
const GEN_AI_SYSTEM = 'gen_ai.system';
const GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
const GEN_AI_AGENT_ID = 'gen_ai.agent.id';
const GEN_AI_AGENT_NAME = 'gen_ai.agent.name';
const GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
const GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
const GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = 'gen_ai.usage.cache_read.input_tokens';
const GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons';
const GEN_AI_TOOL_NAME = 'gen_ai.tool.name';
const GEN_AI_TOOL_CALL_ID = 'gen_ai.tool.call.id';

/** Troupe's provider names → the conventions' well-known `gen_ai.provider.name` values. */
const PROVIDER_NAMES: Record<string, string> = { google: 'gcp.gemini' };

const FINAL_STATUSES = new Set(['succeeded', 'failed', 'canceled']);

/** Open run spans kept at most; past it the oldest is ended (marked) so memory stays bounded. */
const MAX_OPEN_RUNS = 10_000;
/** Remembered links (HTTP parent per queued run, last span per parked run), each at most. */
const MAX_REMEMBERED = 10_000;

/** The traces URL from the settings, as the OTLP exporter spec builds it; null when tracing is off. */
export function tracesUrl(config: Pick<Config, 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' | 'OTEL_SDK_DISABLED'>): string | null {
  if (config.OTEL_SDK_DISABLED) return null;
  if (config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (config.OTEL_EXPORTER_OTLP_ENDPOINT) return `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
  return null;
}

/** `key=value,key2=value2` (values URL-encoded), the OTEL_EXPORTER_OTLP_HEADERS format; malformed pairs are skipped. */
export function parseOtlpHeaders(raw: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (raw ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    try {
      const key = decodeURIComponent(pair.slice(0, at).trim());
      if (key) headers[key] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      // A stray % in one pair drops that pair only.
    }
  }
  return headers;
}


/** A Map that forgets its oldest entry past `max` (Maps iterate in insertion order). */
class BoundedMap<K, V> extends Map<K, V> {
  constructor(
    private readonly max: number,
    private readonly onEvict?: (key: K, value: V) => void,
  ) {
    super();
  }
  override set(key: K, value: V): this {
    if (!this.has(key) && this.size >= this.max) {
      const oldest = this.keys().next().value as K;
      const evicted = this.get(oldest) as V;
      this.delete(oldest);
      this.onEvict?.(oldest, evicted);
    }
    return super.set(key, value);
  }
}

/** Logs failed exports (at most once a minute) instead of dropping them silently; never logs headers. */
class LoggingExporter implements SpanExporter {
  private lastWarning = 0;
  constructor(
    private readonly inner: SpanExporter,
    private readonly logger: Logger | undefined,
    private readonly url: string,
  ) {}
  export(spans: ReadableSpan[], done: Parameters<SpanExporter['export']>[1]): void {
    this.inner.export(spans, (result) => {
      if (result.code !== 0 && Date.now() - this.lastWarning > 60_000) {
        this.lastWarning = Date.now();
        this.logger?.warn({ url: this.url, spans: spans.length, err: result.error?.message }, 'could not export traces to the OTLP endpoint; spans were dropped');
      }
      done(result);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** What an HTTP request leaves for the runs it queues: its span, while the request lasts. */
export interface RequestScope {
  span: SpanContext;
  open: boolean;
}

export interface TracingOptions {
  role?: ProcessRole;
  logger?: Logger;
  /** Replaces the OTLP exporter (benchmarks); tests use a real OTLP receiver instead. */
  exporter?: SpanExporter;
}

interface OpenRun {
  span: Span;
  orgId: string;
}

/**
 * Starts tracing when an OTLP endpoint is configured; returns null (and subscribes to nothing)
 * otherwise. `close()` flushes what is buffered.
 */
export function startTracing(config: Config, events: EngineEvents, options: TracingOptions = {}): Tracing | null {
  const url = tracesUrl(config);
  if (!url) return null;
  return new Tracing(config, events, url, options);
}

export class Tracing {
  readonly tracer: Tracer;
  /** The HTTP request (if any) the current code runs for; lets a run started by a request be its child. */
  readonly requests = new AsyncLocalStorage<RequestScope>();
  private readonly provider: TracerProvider;
  private readonly runs = new BoundedMap<string, OpenRun>(MAX_OPEN_RUNS, (_runId, run) => {
    run.span.setAttribute('troupe.run.span_evicted', true);
    run.span.end();
  });
  /** Run id → the span of the HTTP request that queued it (started by the same process). */
  private readonly queuedBy = new BoundedMap<string, SpanContext>(MAX_REMEMBERED);
  /** Run id → its last span, when the run parked: the resumed run's span links to it. */
  private readonly parked = new BoundedMap<string, SpanContext>(MAX_REMEMBERED);
  private readonly unsubscribe: (() => void)[];

  constructor(config: Config, events: EngineEvents, url: string, options: TracingOptions) {
    const role = options.role ?? 'serve';
    const exporter = options.exporter ?? new OTLPTraceExporter({ url, headers: parseOtlpHeaders(config.OTEL_EXPORTER_OTLP_HEADERS) });
    this.provider = new TracerProvider({
      resource: resourceFromAttributes({
        [ATTR_SERVICE_NAME]: config.OTEL_SERVICE_NAME,
        [ATTR_SERVICE_VERSION]: VERSION,
        [ATTR_SERVICE_INSTANCE_ID]: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
        'troupe.process.role': role,
      }),
      spanProcessors: [new BatchSpanProcessor({ exporter: new LoggingExporter(exporter, options.logger, url) })],
    });
    this.tracer = this.provider.getTracer('troupe', VERSION);
    this.unsubscribe = [
      events.on('run:queued', (e) => this.onQueued(e)),
      events.on('run:started', (e) => this.onStarted(e)),
      events.on('run:finished', (e) => this.onFinished(e)),
      events.on('run:released', (e) => this.onReleased(e)),
      events.on('model:call', (e) => this.onModelCall(e)),
      events.on('tool:call', (e) => this.onToolCall(e)),
    ];
    options.logger?.info({ url, serviceName: config.OTEL_SERVICE_NAME, role }, 'exporting traces over OTLP');
  }

  /** Runs whose span is open now (bounded by MAX_OPEN_RUNS). */
  get openRuns(): number {
    return this.runs.size;
  }

  /** Sends what is buffered now (tests; otherwise the batch goes out every few seconds). */
  forceFlush(): Promise<void> {
    return this.provider.forceFlush();
  }

  /** Stops listening, ends the spans of runs still open (their process is going away) and flushes. */
  async close(): Promise<void> {
    for (const off of this.unsubscribe) off();
    const now = new Date();
    for (const run of this.runs.values()) {
      run.span.setAttribute('troupe.run.status', 'interrupted');
      run.span.end(now);
    }
    this.runs.clear();
    // A failed export was logged by the exporter wrapper already.
    await this.provider.shutdown().catch(() => {});
  }

  private parentContext(span: SpanContext | undefined) {
    return span ? trace.setSpanContext(ROOT_CONTEXT, span) : ROOT_CONTEXT;
  }

  private onQueued(e: EngineEventMap['run:queued']) {
    // Emitted inside the request that wrote the run (when one did), so the request scope is here.
    const scope = this.requests.getStore();
    if (scope?.open) this.queuedBy.set(e.runId, scope.span);
  }

  private onStarted(e: EngineEventMap['run:started']) {
    const parent = this.queuedBy.get(e.runId);
    this.queuedBy.delete(e.runId);
    const previous = this.parked.get(e.runId);
    this.parked.delete(e.runId);
    const links: Link[] = previous ? [{ context: previous, attributes: { 'troupe.link': 'resumed_from' } }] : [];
    const name = e.agentName ?? e.agentId;
    const attributes: Attributes = {
      [GEN_AI_OPERATION_NAME]: 'invoke_agent',
      [GEN_AI_AGENT_ID]: e.agentId,
      'troupe.run.id': e.runId,
      'troupe.org.id': e.orgId,
      'troupe.run.source': e.source,
      'troupe.run.resumed': e.resumed,
      'troupe.queue.wait_ms': Math.max(0, e.at.getTime() - e.queuedAt.getTime()),
    };
    if (e.agentName) attributes[GEN_AI_AGENT_NAME] = e.agentName;
    // A run taken over from another holder may still have a span here: end it first.
    this.runs.get(e.runId)?.span.end(e.at);
    const span = this.tracer.startSpan(`invoke_agent ${name}`, { kind: SpanKind.INTERNAL, startTime: e.at, attributes, links }, this.parentContext(parent));
    this.runs.set(e.runId, { span, orgId: e.orgId });
  }

  private onFinished(e: EngineEventMap['run:finished']) {
    const run = this.runs.get(e.runId);
    this.runs.delete(e.runId);
    // Finished without a start seen here (tracing began mid-run, or the span was evicted): a
    // span of its own still tells how it ended.
    const span =
      run?.span ??
      this.tracer.startSpan(`invoke_agent ${e.agentId}`, {
        kind: SpanKind.INTERNAL,
        startTime: e.startedAt,
        attributes: { [GEN_AI_OPERATION_NAME]: 'invoke_agent', [GEN_AI_AGENT_ID]: e.agentId, 'troupe.run.id': e.runId, 'troupe.org.id': e.orgId, 'troupe.run.source': e.source },
      }, ROOT_CONTEXT);
    span.setAttribute('troupe.run.status', e.status);
    if (e.status === 'failed') {
      span.setAttribute(ATTR_ERROR_TYPE, e.errorCode ?? 'failed');
      span.setStatus({ code: SpanStatusCode.ERROR, message: e.errorCode });
    } else if (e.errorCode) {
      span.setAttribute('troupe.run.error_code', e.errorCode);
    }
    // A run that parks (waiting for a person, children or a delay) ends its span; when it
    // resumes, the new span links back to this one.
    if (!FINAL_STATUSES.has(e.status)) this.parked.set(e.runId, span.spanContext());
    span.end(e.at);
  }

  private onReleased(e: EngineEventMap['run:released']) {
    const run = this.runs.get(e.runId);
    if (!run) return;
    this.runs.delete(e.runId);
    run.span.setAttributes({ 'troupe.run.status': 'released', 'troupe.run.release_reason': e.reason });
    this.parked.set(e.runId, run.span.spanContext());
    run.span.end(e.at);
  }

  private onModelCall(e: EngineEventMap['model:call']) {
    const provider = PROVIDER_NAMES[e.provider] ?? e.provider;
    const model = e.model.startsWith(`${e.provider}:`) ? e.model.slice(e.provider.length + 1) : e.model;
    const attributes: Attributes = {
      [GEN_AI_OPERATION_NAME]: 'chat',
      [GEN_AI_PROVIDER_NAME]: provider,
      [GEN_AI_SYSTEM]: provider,
      [GEN_AI_REQUEST_MODEL]: model,
      [GEN_AI_AGENT_ID]: e.agentId,
      [GEN_AI_USAGE_INPUT_TOKENS]: e.inputTokens,
      [GEN_AI_USAGE_OUTPUT_TOKENS]: e.outputTokens,
      'troupe.run.id': e.runId,
      'troupe.org.id': e.orgId,
      'troupe.cost.billed_micros': e.billedCostMicros,
    };
    if (e.cachedInputTokens) attributes[GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = e.cachedInputTokens;
    if (e.finishReason) attributes[GEN_AI_RESPONSE_FINISH_REASONS] = [e.finishReason];
    const span = this.tracer.startSpan(`chat ${model}`, { kind: SpanKind.CLIENT, startTime: e.startedAt, attributes }, this.parentContext(this.runs.get(e.runId)?.span.spanContext()));
    if (!e.ok) {
      span.setAttribute(ATTR_ERROR_TYPE, e.errorCode ?? 'error');
      span.setStatus({ code: SpanStatusCode.ERROR, message: e.errorCode });
    }
    span.end(e.at);
  }

  private onToolCall(e: EngineEventMap['tool:call']) {
    const attributes: Attributes = {
      [GEN_AI_OPERATION_NAME]: 'execute_tool',
      [GEN_AI_TOOL_NAME]: e.tool,
      [GEN_AI_TOOL_CALL_ID]: e.toolCallId,
      [GEN_AI_AGENT_ID]: e.agentId,
      'troupe.run.id': e.runId,
      'troupe.org.id': e.orgId,
    };
    const span = this.tracer.startSpan(`execute_tool ${e.tool}`, { kind: SpanKind.INTERNAL, startTime: e.startedAt, attributes }, this.parentContext(this.runs.get(e.runId)?.span.spanContext()));
    if (!e.ok) {
      span.setAttribute(ATTR_ERROR_TYPE, e.errorCode ?? 'error');
      span.setStatus({ code: SpanStatusCode.ERROR, message: e.errorCode });
    }
    span.end(e.at);
  }
}

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from '../shared/logger.js';
import type { EngineEvents } from './events.js';

/**
 * What the engine series are made of: the event port (counters and histograms, updated as things
 * happen) and a few figures read when Prometheus scrapes (gauges).
 */
export interface MetricsSources {
  events: EngineEvents;
  logger?: Logger;
  /** Pending approvals per organization: read at scrape from the database, cached `cacheMs`. */
  pendingApprovals?: () => Promise<{ orgId: string; count: number }[]>;
  /** The run queue's counts (the dispatcher's stats): read at scrape, cached `cacheMs`. */
  queue?: () => Promise<{ waiting: number; active: number; delayed: number; failed: number }>;
  /** Runs this process executes now. */
  executing?: () => number;
  /** Whether this process's scheduler runs and leads. */
  schedulerLeader?: () => boolean;
  /** How long a figure read at scrape is reused (default 5 s): several Prometheus servers scraping cost one query. */
  cacheMs?: number;
}

/** Seconds, for latencies from a few milliseconds (a tool, a fast model) to minutes (a slow model, a long tool). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** Seconds a run lasts, from a one-call answer to a long agentic loop. */
const RUN_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
/** Seconds a run waits for a worker: milliseconds when workers are free, minutes in a backlog. */
const WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];
/** Seconds a schedule fires after its due time: a tick is 500 ms. */
const LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

const seconds = (from: Date, to: Date) => Math.max(0, (to.getTime() - from.getTime()) / 1000);

/**
 * The process's Prometheus registry: Node's default series (event-loop lag
 * `nodejs_eventloop_lag_seconds` and its percentiles, heap, GC, CPU, handles) and the engine's
 * series, fed by the event port (decision 47). Labels are bounded by the install's own data:
 * organization, agent, provider, model, tool, step kind, status, error code; never a run id.
 * One registry per process context, so tests can hold several in one process.
 */
export function createMetrics(sources: MetricsSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const { events } = sources;

  const queued = new Counter({ name: 'troupe_runs_queued_total', help: 'Runs created and handed to the queue, by organization, agent and source', labelNames: ['org_id', 'agent_id', 'source'] as const, registers });
  const started = new Counter({
    name: 'troupe_runs_started_total',
    help: 'Runs a worker started, by organization, agent and source; resumed="true": a run going on after an approval, a restart or a takeover',
    labelNames: ['org_id', 'agent_id', 'source', 'resumed'] as const,
    registers,
  });
  const finished = new Counter({
    name: 'troupe_runs_finished_total',
    help: 'Runs that stopped, by organization, agent, source and status (succeeded, failed, canceled; waiting_approval: parked for a person)',
    labelNames: ['org_id', 'agent_id', 'source', 'status'] as const,
    registers,
  });
  const runDuration = new Histogram({ name: 'troupe_run_duration_seconds', help: 'From a run\'s first start to where it stopped, by source and status', labelNames: ['source', 'status'] as const, buckets: RUN_BUCKETS, registers });
  const released = new Counter({ name: 'troupe_runs_released_total', help: 'Started runs this process stopped executing without ending them (shutdown, lease_lost, connection_lost); they go on elsewhere', labelNames: ['reason'] as const, registers });
  const queueWait = new Histogram({ name: 'troupe_queue_wait_seconds', help: 'From a run\'s creation to its first start by a worker, by source', labelNames: ['source'] as const, buckets: WAIT_BUCKETS, registers });
  const steps = new Histogram({ name: 'troupe_step_duration_seconds', help: 'Durable steps and their latency, by kind (model_call, tool_call) and outcome (ok, error)', labelNames: ['kind', 'outcome'] as const, buckets: LATENCY_BUCKETS, registers });
  const modelCalls = new Histogram({
    name: 'troupe_model_call_duration_seconds',
    help: 'Model calls (each attempt, retries and fallbacks included) and their latency, by provider, model and outcome',
    labelNames: ['provider', 'model', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const providerErrors = new Counter({ name: 'troupe_provider_errors_total', help: 'Failed model calls, by provider and error code (rate_limited, provider_unavailable, auth_failed, ...)', labelNames: ['provider', 'code'] as const, registers });
  const tokens = new Counter({ name: 'troupe_model_tokens_total', help: 'Tokens of successful model calls, by organization, provider, model and type (input, output, cached_input)', labelNames: ['org_id', 'provider', 'model', 'type'] as const, registers });
  const billed = new Counter({ name: 'troupe_model_billed_microdollars_total', help: 'Billed cost of model calls in micro-dollars (the ledger\'s billed cost), by organization, provider and model', labelNames: ['org_id', 'provider', 'model'] as const, registers });
  const baseCost = new Counter({ name: 'troupe_model_cost_microdollars_total', help: 'Provider (base) cost of model calls in micro-dollars, by organization, provider and model', labelNames: ['org_id', 'provider', 'model'] as const, registers });
  const toolCalls = new Histogram({ name: 'troupe_tool_call_duration_seconds', help: 'Tool calls and their latency, by tool and outcome', labelNames: ['tool', 'outcome'] as const, buckets: LATENCY_BUCKETS, registers });
  const approvalsRequested = new Counter({ name: 'troupe_approvals_requested_total', help: 'Tool calls that asked a person, by organization', labelNames: ['org_id'] as const, registers });
  const approvalsDecided = new Counter({ name: 'troupe_approvals_decided_total', help: 'Approvals decided, by organization and decision', labelNames: ['org_id', 'decision'] as const, registers });
  const fires = new Counter({ name: 'troupe_scheduler_fires_total', help: 'Schedule fires, by outcome (fired, skipped, failed, budget_exceeded)', labelNames: ['outcome'] as const, registers });
  const lag = new Histogram({ name: 'troupe_scheduler_lag_seconds', help: 'How late after its due time a schedule fired (misfire catch-ups after downtime not counted)', buckets: LAG_BUCKETS, registers });
  const dispatchFailed = new Counter({ name: 'troupe_dispatch_failures_total', help: 'Runs the queue did not accept (they stay queued; the recovery sweep sends them again)', registers });

  events.on('run:queued', (e) => queued.inc({ org_id: e.orgId, agent_id: e.agentId, source: e.source }));
  events.on('run:started', (e) => {
    started.inc({ org_id: e.orgId, agent_id: e.agentId, source: e.source, resumed: String(e.resumed) });
    // A resumed run's wait is an approval or a restart, not the queue's.
    if (!e.resumed) queueWait.observe({ source: e.source }, seconds(e.queuedAt, e.at));
  });
  events.on('run:finished', (e) => {
    finished.inc({ org_id: e.orgId, agent_id: e.agentId, source: e.source, status: e.status });
    runDuration.observe({ source: e.source, status: e.status }, seconds(e.startedAt, e.at));
  });
  events.on('run:released', (e) => released.inc({ reason: e.reason }));
  events.on('step:finished', (e) => steps.observe({ kind: e.kind, outcome: e.ok ? 'ok' : 'error' }, seconds(e.startedAt, e.at)));
  events.on('model:call', (e) => {
    modelCalls.observe({ provider: e.provider, model: e.model, outcome: e.ok ? 'ok' : 'error' }, seconds(e.startedAt, e.at));
    if (!e.ok) {
      providerErrors.inc({ provider: e.provider, code: e.errorCode ?? 'unknown' });
      return;
    }
    const l = { org_id: e.orgId, provider: e.provider, model: e.model };
    tokens.inc({ ...l, type: 'input' }, e.inputTokens);
    tokens.inc({ ...l, type: 'output' }, e.outputTokens);
    tokens.inc({ ...l, type: 'cached_input' }, e.cachedInputTokens);
    billed.inc(l, e.billedCostMicros);
    baseCost.inc(l, e.baseCostMicros);
  });
  events.on('tool:call', (e) => {
    // A name the model made up is not a label (it could be anything).
    const tool = e.errorCode === 'unknown_tool' ? '(unknown)' : e.tool;
    toolCalls.observe({ tool, outcome: e.ok ? 'ok' : 'error' }, seconds(e.startedAt, e.at));
  });
  events.on('approval:requested', (e) => approvalsRequested.inc({ org_id: e.orgId }));
  events.on('approval:decided', (e) => approvalsDecided.inc({ org_id: e.orgId, decision: e.decision }));
  events.on('scheduler:fire', (e) => {
    fires.inc({ outcome: e.outcome });
    if (!e.misfired) lag.observe(e.lagMs / 1000);
  });
  events.on('dispatch:failed', () => dispatchFailed.inc());

  const cacheMs = sources.cacheMs ?? 5000;
  const warn = (what: string) => (err: unknown) => sources.logger?.warn({ err }, `metrics: could not read ${what}; the gauge keeps its last value`);
  if (sources.pendingApprovals) {
    const read = cached(cacheMs, sources.pendingApprovals);
    new Gauge({
      name: 'troupe_approvals_pending',
      help: 'Tool calls waiting for a person, by organization (read from the database at scrape, cached a few seconds)',
      labelNames: ['org_id'] as const,
      registers,
      async collect() {
        const rows = await read().catch(warn('pending approvals'));
        if (!rows) return;
        this.reset();
        for (const r of rows) this.set({ org_id: r.orgId }, r.count);
      },
    });
  }
  if (sources.queue) {
    const read = cached(cacheMs, sources.queue);
    new Gauge({
      name: 'troupe_queue_jobs',
      help: 'Jobs in the run queue by state (waiting, active, delayed, failed): BullMQ\'s counts across the install, or this process\'s in-process queue',
      labelNames: ['state'] as const,
      registers,
      async collect() {
        const s = await read().catch(warn('the queue counts'));
        if (!s) return;
        for (const state of ['waiting', 'active', 'delayed', 'failed'] as const) this.set({ state }, s[state]);
      },
    });
  }
  if (sources.executing) {
    const executing = sources.executing;
    new Gauge({
      name: 'troupe_runs_executing',
      help: 'Runs this process executes now',
      registers,
      collect() {
        this.set(executing());
      },
    });
  }
  if (sources.schedulerLeader) {
    const leader = sources.schedulerLeader;
    new Gauge({
      name: 'troupe_scheduler_leader',
      help: '1 when this process\'s scheduler holds the leader lease (fires schedules), else 0',
      registers,
      collect() {
        this.set(leader() ? 1 : 0);
      },
    });
  }
  return registry;
}

/** `load`, reused for `ttlMs`; concurrent callers share one read. A failure is not kept. */
export function cached<T>(ttlMs: number, load: () => Promise<T>): () => Promise<T> {
  let value: { at: number; p: Promise<T> } | null = null;
  return () => {
    const now = Date.now();
    if (value && now - value.at < ttlMs) return value.p;
    const p = load();
    const entry = { at: now, p };
    value = entry;
    p.catch(() => {
      if (value === entry) value = null;
    });
    return p;
  };
}

/**
 * bench/workflow: workflow runs end to end as a user starts them: over HTTP with an API key to a
 * `troupe api` process, executed by `troupe worker` processes through BullMQ and PostgreSQL, with
 * default settings (issue 15). In one run, next to their floors:
 *
 *  1. Added time per node. A 13-node workflow (trigger, 5 transforms, 2 conditions, a parallel
 *     fan-out of 3 agent nodes, a join) run one at a time with `POST /workflows/:id/run?wait=true`,
 *     against the same agent run alone (`POST /agents/:id/execute?wait=true`, one model call to a
 *     zero-latency stub). Added per node = (workflow median − agent run median) / the 10 nodes that
 *     are not agents. Target: ≤ 1.5 ms.
 *  2. Throughput. `--runs` runs of a 5-node transform-only workflow started with
 *     `POST /workflows/:id/run` (200 requests in flight), runs/s from the first request to the last
 *     finish. Floor: a bare BullMQ queue with no-op workers, same processes and concurrency.
 *     Target: ≥ 300/s.
 *  3. Parked runs. `--parked` runs of a workflow that waits on a one-hour delay: all parked
 *     (`waiting`), the queue's active jobs, the executors' runs in hand and the workers' memory.
 *
 * Usage: npx tsx bench/workflow.ts [--runs 3000] [--parked 10000] [--sequential 200] [--workers 2] [--concurrency N (default: the workers' default, TROUPE_WORKER_CONCURRENCY)]
 * PostgreSQL: BENCH_DATABASE_URL (default the local server; a scratch database is created and
 * dropped). Redis: REDIS_URL (default redis://127.0.0.1:6379; queues removed afterwards).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Queue, Worker } from 'bullmq';
import { and, count, eq, isNull } from 'drizzle-orm';
import { createContext, type AppContext } from '../src/app.js';
import { loadConfig } from '../src/config/load.js';
import { runs } from '../src/runs/schema.js';
import type { Actor } from '../src/shared/roles.js';
import { createLogger } from '../src/shared/logger.js';
import { startProviderStub } from '../test/helpers/provider-stub.js';
import { scratchDatabase, seedBenchAgent } from './seed.js';
import type { WorkflowDefinition } from '../src/workflows/definition.js';
import { compile, plan, type ExecutionState } from '../src/workflows/engine/plan.js';
import { pool, start, stop, until, type Proc } from './harness.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3000' },
    parked: { type: 'string', default: '10000' },
    sequential: { type: 'string', default: '200' },
    workers: { type: 'string', default: '2' },
    concurrency: { type: 'string' },
    'bare-worker': { type: 'string' },
  },
});
const RUNS = Number(args.runs);
const PARKED = Number(args.parked);
const SEQUENTIAL = Number(args.sequential);
const WORKERS = Number(args.workers);
// The workers' default (config/schema.ts TROUPE_WORKER_CONCURRENCY) unless asked otherwise.
const CONCURRENCY = args.concurrency ? Number(args.concurrency) : 200;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROOT = path.resolve(import.meta.dirname, '..');
const IN_FLIGHT = 200;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

const trigger = { id: 'start', type: 'trigger', config: { kind: 'manual' } };
const edge = (source: string, target: string, sourceHandle?: string) => ({ source, target, ...(sourceHandle ? { sourceHandle } : {}) });

/** 5 transforms in a row. */
const transformsOnly = {
  name: 'Five transforms',
  graph: {
    nodes: [trigger, ...[1, 2, 3, 4, 5].map((i) => ({ id: `t${i}`, type: 'transform', config: { value: { step: i, n: `{{ input.n + ${i} }}` } } }))],
    edges: [edge('start', 't1'), edge('t1', 't2'), edge('t2', 't3'), edge('t3', 't4'), edge('t4', 't5')],
  },
};

/** trigger, 5 transforms, 2 conditions, a fan-out of 3 agents and a join. */
function mixed(agentId: string) {
  const agent = (id: string) => ({ id, type: 'agent', config: { agentId, task: 'Say hi to {{ input.name }}' } });
  return {
    name: 'Mixed',
    graph: {
      nodes: [
        trigger,
        { id: 't1', type: 'transform', config: { value: { name: '{{ input.name }}', n: 1 } } },
        { id: 'c1', type: 'condition', config: { expression: 'nodes.t1.output.n = 1' } },
        { id: 't2', type: 'transform', config: { value: '{{ nodes.t1.output.name }}' } },
        { id: 'fan', type: 'parallel', config: {} },
        agent('a1'),
        agent('a2'),
        agent('a3'),
        { id: 'join', type: 'join', config: { mode: 'all' } },
        { id: 'c2', type: 'condition', config: { expression: '$count($keys(nodes.join.output)) = 3' } },
        { id: 't3', type: 'transform', config: { value: '{{ nodes.a1.output }}' } },
        { id: 't4', type: 'transform', config: { value: { all: '{{ nodes.join.output }}' } } },
        { id: 't5', type: 'transform', config: { value: 'done' } },
      ],
      edges: [
        edge('start', 't1'),
        edge('t1', 'c1'),
        edge('c1', 't2', 'true'),
        edge('t2', 'fan'),
        edge('fan', 'a1'),
        edge('fan', 'a2'),
        edge('fan', 'a3'),
        edge('a1', 'join'),
        edge('a2', 'join'),
        edge('a3', 'join'),
        edge('join', 'c2'),
        edge('c2', 't3', 'true'),
        edge('t3', 't4'),
        edge('t4', 't5'),
      ],
    },
  };
}

const delayed = {
  name: 'Wait an hour',
  graph: { nodes: [trigger, { id: 'wait', type: 'delay', config: { seconds: 3600 } }, { id: 'after', type: 'transform', config: { value: 'late' } }], edges: [edge('start', 'wait'), edge('wait', 'after')] },
};

async function bare(queueName: string): Promise<number> {
  const workers = await Promise.all(Array.from({ length: WORKERS }, () => start(['bench/workflow.ts', '--bare-worker', queueName, '--concurrency', String(CONCURRENCY)], {}, /bare worker ready/)));
  const queue = new Queue(queueName, { connection: { url: REDIS_URL } });
  const ids = Array.from({ length: RUNS }, (_, i) => `bare-${i}`);
  const t0 = performance.now();
  await pool(ids, IN_FLIGHT, (id) => queue.add('run', { orgId: 'o', runId: id }, { priority: 3, deduplication: { id }, removeOnComplete: { age: 3600, count: 100_000 } }));
  await until(async () => (await queue.getJobCountByTypes('completed')) >= RUNS, 'the bare queue');
  const wall = performance.now() - t0;
  await stop(workers);
  await queue.obliterate({ force: true });
  await queue.close();
  return (RUNS * 1000) / wall;
}

async function finishedCount(ctx: AppContext, orgId: string, workflowId: string): Promise<number> {
  const [row] = await ctx.database.system((tx) =>
    tx.select({ n: count() }).from(runs).where(and(eq(runs.orgId, orgId), eq(runs.workflowId, workflowId), isNull(runs.agentId), eq(runs.status, 'succeeded'))),
  );
  return row!.n;
}

async function main() {
  if (args['bare-worker']) {
    const worker = new Worker(args['bare-worker'], async () => {}, { connection: { url: REDIS_URL }, concurrency: Number(args.concurrency) });
    await worker.waitUntilReady();
    console.log('bare worker ready');
    process.on('SIGTERM', () => void worker.close().then(() => process.exit(0)));
    return;
  }
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  const stub = await startProviderStub({ record: false, defaultReply: { text: 'Hi!', usage: { input: 20, output: 3 } } });
  const db = await scratchDatabase('troupe_bench_wf');
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  const env = { DATABASE_URL: db.url, REDIS_URL, TROUPE_QUEUE_NAME: `bench-wf-${tag}`, TROUPE_SECRET_KEY: 'b'.repeat(64), TROUPE_PRIVATE_MODEL_HOSTS: '127.0.0.1' };
  let ctx: AppContext | undefined;
  let workers: Proc[] = [];
  let api: Proc | undefined;
  try {
    console.log(`bench/workflow: HTTP API (troupe api) + ${WORKERS} worker process(es) x concurrency ${CONCURRENCY}${args.concurrency ? '' : ' (default)'}, BullMQ + PostgreSQL; node ${process.version}, ${(await import('node:os')).cpus().length} cores`);
    // 0. The planner alone (pure, in this process): a 500-node chain, half of it done.
    const chain = {
      graph: {
        nodes: [trigger, ...Array.from({ length: 499 }, (_, i) => ({ id: `n${i}`, type: 'transform', config: { value: i } }))],
        edges: Array.from({ length: 499 }, (_, i) => edge(i === 0 ? 'start' : `n${i - 1}`, `n${i}`)),
      },
    } as unknown as WorkflowDefinition;
    const c0 = performance.now();
    const compiled = compile(chain);
    const compileMs = performance.now() - c0;
    const state = new Map<string, ExecutionState>([['start', { status: 'succeeded', output: {} }], ...Array.from({ length: 249 }, (_, i) => [`n${i}`, { status: 'succeeded', output: i }] as [string, ExecutionState])]);
    const planStart = performance.now();
    for (let i = 0; i < 1000; i++) plan(compiled, state, Date.now());
    console.log(`\n0. The planner: a 500-node graph compiles in ${compileMs.toFixed(1)} ms and plans in ${(performance.now() - planStart).toFixed(0)} µs (half of it done)`);

    const bareRate = await bare(`bench-wf-bare-${tag}`);

    ctx = await createContext(loadConfig({ ...env, DATABASE_POOL_SIZE: '20' }), { logger: createLogger('error') });
    const { actor, agentId } = await seedBenchAgent(ctx, stub.url);
    const system: Actor = actor;
    const workerEnv = { ...env, ...(args.concurrency ? { TROUPE_WORKER_CONCURRENCY: args.concurrency } : {}) };
    workers = await Promise.all(Array.from({ length: WORKERS }, () => start(['dist/cli/main.js', 'worker'], workerEnv, /worker started/)));
    // The public API: a `troupe api` process, an API key, HTTP keep-alive (fetch's pool).
    api = await start(['dist/cli/main.js', 'api'], { ...env, HOST: '127.0.0.1', PORT: '0' }, /Troupe is running at \S+/);
    const base = /Troupe is running at (\S+)/.exec(api.out())![1]!;
    const { key } = await ctx.services.auth.apiKeys.create(system, { name: 'bench', role: 'owner' });
    const post = async <T>(url: string, body: unknown): Promise<{ status: number; body: T }> => {
      const res = await fetch(`${base}/api/v1${url}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const out = { status: res.status, body: (await res.json()) as T };
      if (res.status >= 300 && res.status !== 202) throw new Error(`POST ${url}: ${res.status} ${JSON.stringify(out.body)}`);
      return out;
    };
    const w = ctx.services.workflows;
    const create = async (definition: unknown) => (await w.create(system, { definition })).id;
    const startRun = (workflowId: string, input: unknown) => post<{ id: string }>(`/workflows/${workflowId}/run`, { input });

    // 1. Added time per node, one run at a time: what a client waiting for the result waits.
    const mixedId = await create(mixed(agentId));
    type Rested = { status: string; error: unknown };
    const timeOne = async (call: () => Promise<{ status: number; body: Rested }>) => {
      const t0 = performance.now();
      const res = await call();
      if (res.status !== 200 || res.body.status !== 'succeeded') throw new Error(`a run ended ${res.status} ${res.body.status}: ${JSON.stringify(res.body.error)}`);
      return performance.now() - t0;
    };
    const alone = () => post<Rested>(`/agents/${agentId}/execute?wait=true`, { task: 'Say hi to Ann' });
    const flow = () => post<Rested>(`/workflows/${mixedId}/run?wait=true`, { input: { name: 'Ann' } });
    const agentAlone: number[] = [];
    const workflowRuns: number[] = [];
    for (let i = 0; i < 20; i++) await timeOne(alone);
    for (let i = 0; i < 20; i++) await timeOne(flow);
    for (let i = 0; i < SEQUENTIAL; i++) {
      agentAlone.push(await timeOne(alone));
      workflowRuns.push(await timeOne(flow));
    }
    const perNode = (median(workflowRuns) - median(agentAlone)) / 10;
    console.log('\n1. Added time per node (13 nodes: 10 that are not agents, 3 agent nodes in parallel), one run at a time');
    console.log(`   agent run alone, POST /agents/:id/execute?wait=true (1 model call, zero-latency stub): median ${median(agentAlone).toFixed(2)} ms`);
    console.log(`   workflow run, POST /workflows/:id/run?wait=true: median ${median(workflowRuns).toFixed(2)} ms`);
    console.log(`   added per node: ${perNode.toFixed(2)} ms  (target ≤ 1.5: ${perNode <= 1.5 ? 'met' : 'NOT met'})`);

    // 2. Throughput of a 5-node transform workflow.
    const fiveId = await create(transformsOnly);
    const warm = Array.from({ length: 500 }, (_, i) => i);
    await pool(warm, IN_FLIGHT, (n) => startRun(fiveId, { n }));
    await until(async () => (await finishedCount(ctx!, system.orgId, fiveId)) >= warm.length, 'the warm-up runs');
    const before = await finishedCount(ctx, system.orgId, fiveId);
    const t0 = performance.now();
    await pool(Array.from({ length: RUNS }, (_, i) => i), IN_FLIGHT, (n) => startRun(fiveId, { n }));
    const created = performance.now() - t0;
    await until(async () => (await finishedCount(ctx!, system.orgId, fiveId)) >= before + RUNS, 'the runs');
    const rate = (RUNS * 1000) / (performance.now() - t0);
    console.log(`\n2. Throughput, ${RUNS} runs of a 5-node transform workflow started at once (${IN_FLIGHT} in flight)`);
    console.log(`   bare BullMQ queue (no-op jobs, same processes and concurrency): ${bareRate.toFixed(0)} jobs/s`);
    console.log(`   Troupe: ${rate.toFixed(0)} workflow runs/s end to end (all created in ${(created / 1000).toFixed(1)} s)  (target ≥ 300: ${rate >= 300 ? 'met' : 'NOT met'})`);

    // 3. Parked runs.
    const delayId = await create(delayed);
    const rssBefore = workers.map((p) => rssMb(p.child.pid!));
    const p0 = performance.now();
    await pool(Array.from({ length: PARKED }, (_, i) => i), IN_FLIGHT, () => startRun(delayId, {}));
    const parkedCount = async () => {
      const [row] = await ctx!.database.system((tx) => tx.select({ n: count() }).from(runs).where(and(eq(runs.workflowId, delayId), eq(runs.status, 'waiting'))));
      return row!.n;
    };
    await until(async () => (await parkedCount()) >= PARKED, 'the runs to park', 900_000, 200);
    const parkSeconds = (performance.now() - p0) / 1000;
    await new Promise((r) => setTimeout(r, 2000));
    const stats = await ctx.services.dispatcher.stats();
    const rssAfter = workers.map((p) => rssMb(p.child.pid!));
    console.log(`\n3. ${PARKED} workflow runs waiting on a one-hour delay`);
    console.log(`   parked: ${await parkedCount()} runs with status waiting, in ${parkSeconds.toFixed(1)} s`);
    console.log(`   queue: ${stats.active} active jobs, ${stats.delayed} delayed (the timers), ${stats.waiting} waiting: no worker slot held`);
    console.log(`   worker memory (RSS): ${rssBefore.map((m) => m.toFixed(0)).join(' + ')} MB before, ${rssAfter.map((m) => m.toFixed(0)).join(' + ')} MB with the runs parked`);
  } finally {
    await stop(api ? [...workers, api] : workers);
    await ctx?.close();
    await stub.close();
    const q = new Queue(env.TROUPE_QUEUE_NAME, { connection: { url: REDIS_URL } });
    await q.obliterate({ force: true }).catch(() => {});
    await q.close();
    await db.drop();
  }
}

await main();

/**
 * bench/agent-loop: what durable runs cost over a bare AI SDK loop.
 *
 * Each run: 3 model calls and 2 tool calls (calculator) against a local stub speaking the OpenAI
 * wire format, through the real AI SDK client in both cases.
 *  1. Zero model latency, runs one after another: median ms per run and per step, bare vs the
 *     engine with every step persisted (PostgreSQL and PGlite). Target on PostgreSQL: at most
 *     1.5 ms added per step at the median, for runs nobody watches (the engine makes plain
 *     calls, like the bare generateText loop). Also printed: the same with a live subscriber, where
 *     the engine streams tokens, against a bare streamText loop.
 *  2. 200 ms model latency, 200 runs at once: wall time of both, the median of several rounds
 *     taken in turns (one round varies by ±15% on this machine). Target: engine within 1.3x bare.
 *     Also the peak heap per in-flight run.
 *
 * Usage: npx tsx bench/agent-loop.ts [--runs 300] [--concurrent 200] [--latency 200] [--db both|postgres|pglite]
 * [--rounds 5] (--runs 0: only the concurrent part). BENCH_PROFILE=/tmp/p writes CPU profiles of
 * the last concurrent round of each loop.
 * PostgreSQL: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; a scratch database is created and dropped).
 */
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import inspector from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createContext, type AppContext } from '../src/app.js';
import type { Actor } from '../src/shared/roles.js';
import { loadConfig } from '../src/config/load.js';
import { scratchDatabase, seedBenchAgent } from './seed.js';
import { createLogger } from '../src/shared/logger.js';
import { startProviderStub, type StubReply } from '../test/helpers/provider-stub.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '300' },
    concurrent: { type: 'string', default: '200' },
    latency: { type: 'string', default: '200' },
    db: { type: 'string', default: 'both' },
    rounds: { type: 'string', default: '5' },
  },
});
const RUNS = Number(args.runs);
const CONCURRENT = Number(args.concurrent);
const LATENCY = Number(args.latency);
const ROUNDS = Number(args.rounds);
const STEPS_PER_RUN = 5;

/** 3 model calls: tool call, tool call, text; decided from how many tool results the request carries. */
function respond(latencyMs: number) {
  return ({ body }: { body: Record<string, unknown> }): StubReply => {
    const messages = (body.messages ?? []) as { role: string }[];
    const results = messages.filter((m) => m.role === 'tool').length;
    const base = { usage: { input: 200, output: 20 }, delayMs: latencyMs || undefined };
    return results < 2 ? { ...base, toolCalls: [{ name: 'calculator', args: { expression: `${results + 1} * 7` } }] } : { ...base, text: 'Done: 14.' };
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)]!;

const bareTools = {
  calculator: tool({
    description: 'Evaluates arithmetic',
    inputSchema: z.object({ expression: z.string() }),
    execute: async ({ expression }) => ({ value: expression.length }),
  }),
};

/** The bare loop: the AI SDK runs the tools itself, nothing is stored. Plain responses, as the engine makes them when nobody watches. */
async function bareRun(baseURL: string) {
  const openai = createOpenAI({ apiKey: 'bench', baseURL });
  const result = await generateText({ model: openai.chat('gpt-4o-mini'), prompt: 'Compute things', tools: bareTools, stopWhen: stepCountIs(10), maxRetries: 0 });
  if (result.steps.length !== 3) throw new Error(`bare loop made ${result.steps.length} model calls, expected 3`);
}

/** The bare loop streaming tokens, as the engine does when someone follows the run. */
async function bareStreamRun(baseURL: string) {
  const openai = createOpenAI({ apiKey: 'bench', baseURL });
  const result = streamText({
    model: openai.chat('gpt-4o-mini'),
    prompt: 'Compute things',
    tools: bareTools,
    stopWhen: stepCountIs(10),
    maxRetries: 0,
  });
  for await (const _ of result.fullStream) void _;
  const steps = await result.steps;
  if (steps.length !== 3) throw new Error(`bare loop made ${steps.length} model calls, expected 3`);
}

interface Engine {
  label: string;
  ctx: AppContext;
  actor: Actor;
  agentId: string;
  cleanup(): Promise<void>;
}

async function engine(label: string, env: Record<string, string>, stubUrl: string, cleanup: () => Promise<void>): Promise<Engine> {
  // TROUPE_PRIVATE_MODEL_HOSTS: the stub (127.0.0.1) is stored as the organization's base URL (bench/seed.ts).
  const ctx = await createContext(loadConfig({ TROUPE_SECRET_KEY: 'b'.repeat(64), DATABASE_POOL_SIZE: '20', TROUPE_PRIVATE_MODEL_HOSTS: '127.0.0.1', ...env }), { logger: createLogger('error') });
  // Runs are driven by the benchmark, not dispatched in the background.
  ctx.services.runs.setDispatcher({ dispatch() {} });
  const { actor, agentId } = await seedBenchAgent(ctx, stubUrl);
  return {
    label,
    ctx,
    actor,
    agentId,
    async cleanup() {
      await ctx.close();
      await cleanup();
    },
  };
}

/** One run through the engine; `watched`: a live subscriber follows it (so the engine streams tokens). */
async function engineRun(e: Engine, watched = false) {
  const { run } = await e.ctx.services.runs.create(e.actor, e.agentId, { task: 'Compute things' }, { source: 'api' });
  const off = watched ? e.ctx.services.runBus.subscribe(run.id, () => {}) : () => {};
  await e.ctx.services.executor.execute(e.actor.orgId, run.id);
  off();
  return run.id;
}

async function checkRun(e: Engine, runId: string) {
  const run = await e.ctx.services.runs.get(e.actor, runId);
  if (run.status !== 'succeeded' || run.stepCount !== 3) throw new Error(`${e.label}: run ${runId} ended ${run.status} after ${run.stepCount} model calls: ${JSON.stringify(run.error)}`);
  const steps = await e.ctx.services.runs.steps(e.actor, runId);
  if (steps.length !== STEPS_PER_RUN) throw new Error(`${e.label}: ${steps.length} steps persisted, expected ${STEPS_PER_RUN}`);
}

async function timeEach(n: number, fn: () => Promise<unknown>) {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times;
}

async function concurrent(n: number, fn: () => Promise<unknown>) {
  global.gc?.();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 10);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, fn));
  const wall = performance.now() - t0;
  clearInterval(sampler);
  return { wall, perRunKiB: (peak - base) / n / 1024 };
}

async function main() {
  const zero = await startProviderStub({ record: false, respond: respond(0) });
  const slow = await startProviderStub({ record: false, respond: respond(LATENCY) });
  const engines: Engine[] = [];
  if (args.db === 'both' || args.db === 'postgres') {
    const scratch = await scratchDatabase('troupe_bench');
    engines.push(await engine('PostgreSQL', { DATABASE_URL: scratch.url }, zero.url, scratch.drop));
  }
  if (args.db === 'both' || args.db === 'pglite') engines.push(await engine('PGlite', { TROUPE_DATA_DIR: 'memory://' }, zero.url, async () => {}));

  console.log(`bench/agent-loop: ${STEPS_PER_RUN} steps per run (3 model calls, 2 tool calls); node ${process.version}; ${RUNS} sequential runs each\n`);
  const warm = Math.min(30, RUNS);
  const header = ['loop', 'runs/s', 'median ms/run', 'p95 ms/run', 'ms/step', 'added ms/step', 'ratio'];
  for (const watched of RUNS > 0 ? [false, true] : []) {
    const bareLoop = watched ? bareStreamRun : bareRun;
    console.log(watched ? '\nStreamed (someone follows the run: a chat or an SSE client); for information' : 'Nobody watching (tasks, API runs): the target');
    await timeEach(warm, () => bareLoop(`${zero.url}/v1`));
    const bare = await timeEach(RUNS, () => bareLoop(`${zero.url}/v1`));
    const bareMedian = median(bare);
    const rows: string[][] = [header];
    rows.push([watched ? 'bare AI SDK (streamText)' : 'bare AI SDK (generateText)', (1000 / (bare.reduce((a, b) => a + b, 0) / bare.length)).toFixed(1), bareMedian.toFixed(2), p95(bare).toFixed(2), (bareMedian / STEPS_PER_RUN).toFixed(3), '-', '1.00']);
    for (const e of engines) {
      await timeEach(warm, () => engineRun(e, watched));
      const ids: string[] = [];
      const times = await timeEach(RUNS, async () => ids.push(await engineRun(e, watched)));
      for (const id of ids.slice(-5)) await checkRun(e, id);
      const m = median(times);
      rows.push([
        `engine, ${e.label}`,
        (1000 / (times.reduce((a, b) => a + b, 0) / times.length)).toFixed(1),
        m.toFixed(2),
        p95(times).toFixed(2),
        (m / STEPS_PER_RUN).toFixed(3),
        ((m - bareMedian) / STEPS_PER_RUN).toFixed(3),
        (m / bareMedian).toFixed(2),
      ]);
    }
    printTable(rows);
  }

  console.log(`\n${CONCURRENT} runs at once, ${LATENCY} ms model latency; median of ${ROUNDS} rounds (bare and engines taking turns), after one warm-up round`);
  for (const e of engines) await e.ctx.services.models.putCredential(e.actor, 'openai', { apiKey: 'sk-bench', baseUrl: `${slow.url}/v1` });
  const loops: { label: string; run: () => Promise<unknown>; check?: (ids: string[]) => Promise<void> }[] = [
    { label: 'bare AI SDK', run: () => bareRun(`${slow.url}/v1`) },
    ...engines.map((e) => ({
      label: `engine, ${e.label}`,
      run: () => engineRun(e),
      check: async (ids: string[]) => {
        for (const id of ids.slice(0, 5)) await checkRun(e, id);
      },
    })),
  ];
  const walls = new Map<string, number[]>(loops.map((l) => [l.label, []]));
  const heaps = new Map<string, number[]>(loops.map((l) => [l.label, []]));
  for (let round = 0; round <= ROUNDS; round++) {
    for (const l of loops) {
      const ids: string[] = [];
      const c = await profiled(round === ROUNDS ? l.label : null, () => concurrent(CONCURRENT, async () => {
        const id = await l.run();
        if (typeof id === 'string') ids.push(id); // engine runs: checked below
      }));
      await l.check?.(ids);
      if (round === 0) continue; // warm-up
      walls.get(l.label)!.push(c.wall);
      heaps.get(l.label)!.push(c.perRunKiB);
    }
  }
  const bareWall = median(walls.get('bare AI SDK')!);
  const rowsC: string[][] = [['loop', 'wall ms (median)', 'min-max', 'ratio to bare', 'peak heap KiB per in-flight run']];
  for (const l of loops) {
    const w = walls.get(l.label)!;
    rowsC.push([l.label, median(w).toFixed(0), `${Math.min(...w).toFixed(0)}-${Math.max(...w).toFixed(0)}`, (median(w) / bareWall).toFixed(2), median(heaps.get(l.label)!).toFixed(1)]);
  }
  printTable(rowsC);

  for (const e of engines) await e.cleanup();
  await zero.close();
  await slow.close();
}

/** With BENCH_PROFILE=prefix, writes a CPU profile of fn to `<prefix>.<label>.cpuprofile` (for "where the time goes"). */
async function profiled<T>(label: string | null, fn: () => Promise<T>): Promise<T> {
  const prefix = process.env.BENCH_PROFILE;
  if (!prefix || !label) return fn();
  const session = new inspector.Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(`${prefix}.${label.replace(/[^a-zA-Z0-9]+/g, '-')}.cpuprofile`, JSON.stringify(profile));
    session.disconnect();
  }
}

function printTable(rows: string[][]) {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
}

await main();

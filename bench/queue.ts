/**
 * bench/queue: tasks end to end through BullMQ and PostgreSQL, with worker processes.
 *
 * Each task: its run is created (a durable row) and dispatched to BullMQ by this process (the API
 * role); a `troupe worker` process claims it, calls the model (a local stub speaking the OpenAI
 * wire format, zero latency, through the real AI SDK client), runs one tool call (calculator),
 * calls the model again, and finishes. Every step is written to PostgreSQL as in production.
 *
 *  1. A bare BullMQ queue with no-op workers (same number of worker processes and concurrency,
 *     same job options), measured in the same run: the floor a queue on this machine gives.
 *  2. Troupe: `--tasks` tasks started at once; tasks/s from the first start to the last finish.
 *     Target: at least 500 tasks/s on this 2-core machine.
 *  3. Where the time goes: CPU used per task by PostgreSQL, Redis, the workers and this process
 *     (from /proc), and within the workers by what their code was doing (from a CPU profile of a
 *     second, smaller pass: database client, queue client, model client, tool, engine, ...).
 *  4. The scheduler's fire delay, median and max over `--fires` fires of a per-second schedule,
 *     while the workers run what it fires.
 *
 * Usage: npx tsx bench/queue.ts [--tasks 10000] [--workers 2] [--concurrency 50] [--profile 3000] [--fires 60]
 * PostgreSQL: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; a scratch
 * database is created and dropped). Redis: REDIS_URL (default redis://127.0.0.1:6379; the
 * queues are removed afterwards).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Queue, Worker } from 'bullmq';
import { and, count, eq } from 'drizzle-orm';
import pg from 'pg';
import { createContext, type AppContext } from '../src/app.js';
import { TableMaintenance } from '../src/db/maintenance.js';
import type { Actor } from '../src/shared/roles.js';
import { ledgerEntries } from '../src/billing/schema.js';
import { loadConfig } from '../src/config/load.js';
import { seedBenchAgent } from './seed.js';
import { pool, start, stop, until, type Proc } from './harness.js';
import { runs, runSteps } from '../src/runs/schema.js';
import { scheduleFires } from '../src/schedules/schema.js';
import { createLogger } from '../src/shared/logger.js';
import { startProviderStub, type StubReply } from '../test/helpers/provider-stub.js';

const { values: args } = parseArgs({
  options: {
    tasks: { type: 'string', default: '10000' },
    workers: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '50' },
    profile: { type: 'string', default: '3000' },
    fires: { type: 'string', default: '60' },
    // Internal: this file as a bare BullMQ worker process.
    'bare-worker': { type: 'string' },
  },
});
const TASKS = Number(args.tasks);
const WORKERS = Number(args.workers);
const CONCURRENCY = Number(args.concurrency);
const PROFILE_TASKS = Number(args.profile);
const FIRES = Number(args.fires);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROOT = path.resolve(import.meta.dirname, '..');
/** Starts kept in flight by the producer, as many API requests at once would. */
const PRODUCER_IN_FLIGHT = 200;

/** Model: a tool call first, then (once the tool result is in) the answer. */
function respond({ body }: { body: Record<string, unknown> }): StubReply {
  const messages = (body.messages ?? []) as { role: string }[];
  const usage = { input: 150, output: 12 };
  return messages.some((m) => m.role === 'tool') ? { text: 'It is 42.', usage } : { toolCalls: [{ name: 'calculator', args: { expression: '6 * 7' } }], usage };
}


/** Troupe's workers run from the build, as `npm start` runs them (main() builds it first). */
const WORKER = 'dist/cli/main.js';



/** CPU time (ms) used so far by these processes, from /proc (utime + stime). */
function cpuMs(pids: number[]): number {
  const tick = 100; // USER_HZ on Linux
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += ((Number(fields[11]) + Number(fields[12])) * 1000) / tick;
    } catch {
      // exited
    }
  }
  return total;
}

/** Pids of the PostgreSQL and Redis servers (every process of theirs on this machine). */
/** Read and write system calls (reads, recvs / writes, sends, writevs) the processes made so far, from /proc/<pid>/io. */
function syscalls(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const io = readFileSync(`/proc/${pid}/io`, 'utf8');
      total += Number(/syscr: (\d+)/.exec(io)?.[1] ?? 0) + Number(/syscw: (\d+)/.exec(io)?.[1] ?? 0);
    } catch {
      // exited
    }
  }
  return total;
}

function serverPids(name: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/comm`, 'utf8').trim().startsWith(name);
      } catch {
        return false;
      }
    })
    .map(Number);
}



async function bare(queueName: string): Promise<{ wall: number }> {
  const workers = await Promise.all(Array.from({ length: WORKERS }, () => start(['bench/queue.ts', '--bare-worker', queueName, '--concurrency', String(CONCURRENCY)], {}, /bare worker ready/)));
  const queue = new Queue(queueName, { connection: { url: REDIS_URL } });
  const ids = Array.from({ length: TASKS }, (_, i) => `bare-${i}`);
  const t0 = performance.now();
  // The same job options as Troupe's dispatcher: a priority and a deduplication id.
  await pool(ids, PRODUCER_IN_FLIGHT, (id) => queue.add('run', { orgId: 'o', runId: id }, { priority: 3, deduplication: { id }, removeOnComplete: { age: 3600, count: 100_000 } }));
  await until(async () => (await queue.getJobCountByTypes('completed')) >= TASKS, 'the bare queue');
  const wall = performance.now() - t0;
  await stop(workers);
  await queue.obliterate({ force: true });
  await queue.close();
  return { wall };
}

interface Troupe {
  ctx: AppContext;
  actor: Actor;
  agentId: string;
  env: Record<string, string>;
}

async function setUp(databaseUrl: string, queueName: string, stubUrl: string): Promise<Troupe> {
  // The stub listens on 127.0.0.1, which an organization's stored base URL may reach only when the operator allows it.
  const env = { DATABASE_URL: databaseUrl, REDIS_URL, TROUPE_QUEUE_NAME: queueName, TROUPE_SECRET_KEY: 'b'.repeat(64), TROUPE_PRIVATE_MODEL_HOSTS: '127.0.0.1' };
  const ctx = await createContext(loadConfig({ ...env, DATABASE_POOL_SIZE: '20' }), { logger: createLogger('error') });
  const { actor, agentId } = await seedBenchAgent(ctx, stubUrl);
  return { ctx, actor, agentId, env };
}

async function createTasks(t: Troupe, n: number): Promise<string[]> {
  const ids: string[] = [];
  await pool(
    Array.from({ length: n }, (_, i) => i),
    50,
    async (i) => {
      const task = await t.ctx.services.tasks.create(t.actor, { agentId: t.agentId, title: `Task ${i}`, instructions: 'What is 6 * 7?', context: {}, priority: 'normal' });
      ids.push(task.id);
    },
  );
  return ids;
}

const succeeded = async (t: Troupe) => {
  const [row] = await t.ctx.database.system((tx) => tx.select({ n: count() }).from(runs).where(and(eq(runs.orgId, t.actor.orgId), eq(runs.status, 'succeeded'))));
  return row!.n;
};

/**
 * Starts every task and waits until all have succeeded; ms from the first start to the last
 * finish. Polling PostgreSQL every few ms would itself be a good part of the database's load,
 * so the wait first watches Redis (the queue's completed jobs, a cheap count) and only then
 * PostgreSQL. Completed jobs can run ahead of finished runs: a run the recovery sweep dispatched
 * again while it was queued gets a second job, which finds the run taken and completes at once.
 */
async function runTasks(t: Troupe, taskIds: string[]): Promise<{ wall: number; created: number }> {
  const [jobs, runsDone] = [await completedJobs(t), await succeeded(t)];
  const t0 = performance.now();
  await pool(taskIds, PRODUCER_IN_FLIGHT, (id) => t.ctx.services.tasks.execute(t.actor, id));
  // Until here the producer (the API role) competes with the workers for the cores.
  const created = performance.now() - t0;
  await until(async () => (await completedJobs(t)) >= jobs + taskIds.length, 'the jobs to complete');
  await until(async () => (await succeeded(t)) >= runsDone + taskIds.length, 'the runs to succeed');
  return { wall: performance.now() - t0, created };
}

async function completedJobs(t: Troupe): Promise<number> {
  return (await t.ctx.services.dispatcher.stats()).completed;
}

const CATEGORIES: [string, RegExp][] = [
  ['database client (pg, drizzle, batcher)', /node_modules\/(pg|pg-protocol|pg-pool|pg-types|drizzle-orm)\/|\/(src|dist)\/db\//],
  ['queue client (bullmq, ioredis)', /node_modules\/(bullmq|ioredis|msgpackr|cluster-key-slot|redis-parser)\//],
  ['model client (AI SDK, its HTTP client)', /node_modules\/(ai|@ai-sdk|@opentelemetry|eventsource-parser)\/|\/(src|dist)\/models\/(generate|http-fetch)\.|node:_http_(client|agent|common|outgoing|incoming)/],
  ['tools', /\/(src|dist)\/tools\//],
  ['engine (runs)', /\/(src|dist)\/runs\//],
  ['validation (zod)', /node_modules\/zod\//],
  ['other Troupe code', /\/(src|dist)\//],
  ['logging (pino)', /node_modules\/(pino|pino-std-serializers|sonic-boom)\//],
  ['other libraries', /node_modules\//],
];

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

/** Now on the clock V8 stamps profile samples with (CLOCK_MONOTONIC, µs), the same in every process. */
const monoUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * CPU time (ms) per category over the workers' profiles, counting only samples taken between
 * `fromUs` and `toUs`: each sample goes to its nearest categorised frame. Also the time per
 * package within "other libraries".
 */
function breakdown(dir: string, fromUs: number, toUs: number): { totals: Map<string, number>; packages: Map<string, number> } {
  const totals = new Map<string, number>();
  const packages = new Map<string, number>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const prof = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number };
    const parent = new Map<number, number>();
    const byId = new Map<number, ProfileNode>();
    for (const n of prof.nodes) {
      byId.set(n.id, n);
      for (const c of n.children ?? []) parent.set(c, n.id);
    }
    const memo = new Map<number, string>();
    const category = (id: number): string => {
      const cached = memo.get(id);
      if (cached) return cached;
      const node = byId.get(id)!;
      const { functionName, url } = node.callFrame;
      let cat: string | undefined;
      if (functionName === '(garbage collector)') cat = 'garbage collection';
      else if (functionName === '(idle)') cat = '(idle)';
      else if (functionName === '(program)') cat = 'Node itself (program)';
      else cat = CATEGORIES.find(([, re]) => re.test(url))?.[0];
      if (!cat) {
        const up = parent.get(id);
        cat = up === undefined ? 'Node itself (program)' : category(up);
      }
      memo.set(id, cat);
      return cat;
    };
    let at = prof.startTime;
    prof.samples.forEach((id, i) => {
      const delta = prof.timeDeltas[i] ?? 0;
      at += delta;
      if (at < fromUs || at > toUs) return;
      const cat = category(id);
      totals.set(cat, (totals.get(cat) ?? 0) + delta / 1000);
      if (cat === 'other libraries') {
        // The package of the nearest frame that has one.
        let n: number | undefined = id;
        let pkg: string | undefined;
        while (n !== undefined && !pkg) {
          pkg = byId.get(n)!.callFrame.url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1];
          n = parent.get(n);
        }
        packages.set(pkg ?? '?', (packages.get(pkg ?? '?') ?? 0) + delta / 1000);
      }
    });
  }
  totals.delete('(idle)');
  return { totals, packages };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (n: number, d = 1) => n.toFixed(d);
const table = (rows: (string | number)[][]) => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const r of rows) console.log(r.map((c, i) => String(c).padEnd(widths[i]!)).join('  ').trimEnd());
};

async function main() {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  const stub = await startProviderStub({ record: false, respond });
  const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbName = `troupe_bench_q_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  const queueName = `bench-troupe-${tag}`;
  let t: Troupe | undefined;
  let workers: Proc[] = [];
  // BENCH_PROFILE_DIR keeps the workers' CPU profiles there (open them in Chrome's DevTools).
  const keepProfiles = process.env.BENCH_PROFILE_DIR;
  const profileDir = keepProfiles ?? mkdtempSync(path.join(tmpdir(), 'troupe-bench-queue-'));
  try {
    console.log(`bench/queue: ${TASKS} tasks, ${WORKERS} worker process(es) x concurrency ${CONCURRENCY}; each task 2 model calls (zero-latency stub) + 1 tool call, every step written to PostgreSQL; node ${process.version}, ${(await import('node:os')).cpus().length} cores`);
    // 1. The bare queue.
    const bareRun = await bare(`bench-bare-${tag}`);

    // 2. Troupe.
    t = await setUp(url.toString(), queueName, stub.url);
    const workerEnv = { ...t.env, TROUPE_WORKER_CONCURRENCY: String(CONCURRENCY), DATABASE_POOL_SIZE: '10' };
    const taskIds = await createTasks(t, TASKS);
    workers = await Promise.all(Array.from({ length: WORKERS }, () => start([WORKER, 'worker'], workerEnv, /worker started/)));
    // Warm-up: each worker's first runs compile code paths and open connections.
    const warm = await createTasks(t, WORKERS * CONCURRENCY);
    await runTasks(t, warm);
    // Steady state: a live install's statistics are current after its first maintenance pass
    // (decision 22), which the workers make within TROUPE_MAINTENANCE_SECONDS. This database is
    // minutes old; make that pass now (after the backends have published their counters, ~1 s)
    // rather than time the seconds before it, when the engine's plans are made without statistics.
    await new Promise((r) => setTimeout(r, 1_500));
    await new TableMaintenance(t.ctx.database, createLogger('error'), 0).pass();
    const done0 = await succeeded(t);

    const pgPids = serverPids('postgres');
    const redisPids = serverPids('redis-server');
    const workerPids = workers.map((w) => w.child.pid!);
    const cpu0 = { redis: cpuMs(redisPids), workers: cpuMs(workerPids), self: process.cpuUsage() };
    const sys0 = { redis: syscalls(redisPids), workers: syscalls(workerPids), self: syscalls([process.pid]) };
    // PostgreSQL's CPU by kind of process (backends serving queries, autovacuum, WAL, checkpoints),
    // sampled as it goes, since autovacuum workers come and go.
    const pgKinds = new Map<number, { kind: string; first: number; last: number; sysFirst: number; sysLast: number }>();
    const samplePg = () => {
      for (const pid of serverPids('postgres')) {
        let kind = 'other';
        try {
          const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
          kind = /autovacuum/.test(cmd) ? 'autovacuum' : /walwriter|checkpointer|background writer|wal/.test(cmd) ? 'WAL, checkpoints' : /postgres: \S+ \S+ /.test(cmd) ? 'backends (queries)' : 'other';
        } catch {
          continue;
        }
        const now = cpuMs([pid]);
        const sys = syscalls([pid]);
        const e = pgKinds.get(pid);
        // Kind as of the latest look: a backend just forked still shows the postmaster's command line.
        if (e) Object.assign(e, { last: now, sysLast: sys, kind });
        else pgKinds.set(pid, { kind, first: pgPids.includes(pid) ? now : 0, last: now, sysFirst: pgPids.includes(pid) ? sys : 0, sysLast: sys });
      }
    };
    samplePg();
    const sampler = setInterval(samplePg, 100);
    const { wall, created } = await runTasks(t, taskIds);
    clearInterval(sampler);
    samplePg();
    // From the samples, not from the pids at the start: workers open connections as they go.
    const pgBy = new Map<string, number>();
    for (const e of pgKinds.values()) pgBy.set(e.kind, (pgBy.get(e.kind) ?? 0) + e.last - e.first);
    const pgTotal = [...pgBy.values()].reduce((a, v) => a + v, 0);
    const self = process.cpuUsage(cpu0.self);
    const sys = {
      pg: [...pgKinds.values()].reduce((a, e) => a + e.sysLast - e.sysFirst, 0),
      redis: syscalls(redisPids) - sys0.redis,
      workers: syscalls(workerPids) - sys0.workers,
      self: syscalls([process.pid]) - sys0.self,
    };
    const cpu = {
      pg: pgTotal,
      redis: cpuMs(redisPids) - cpu0.redis,
      workers: cpuMs(workerPids) - cpu0.workers,
      self: (self.user + self.system) / 1000,
    };

    // Everything durable and complete: each run succeeded with its 3 steps and 2 ledger rows.
    const [steps] = await t.ctx.database.system((tx) => tx.select({ n: count() }).from(runSteps).where(eq(runSteps.orgId, t!.actor.orgId)));
    const [ledger] = await t.ctx.database.system((tx) => tx.select({ n: count() }).from(ledgerEntries).where(eq(ledgerEntries.orgId, t!.actor.orgId)));
    const total = done0 + TASKS;
    if ((await succeeded(t)) !== total) throw new Error(`expected ${total} succeeded runs, found ${await succeeded(t)}`);
    if (steps!.n !== total * 3 || ledger!.n !== total * 2) throw new Error(`expected ${total * 3} steps and ${total * 2} ledger rows, found ${steps!.n} and ${ledger!.n}`);

    const rate = TASKS / (wall / 1000);
    const bareRate = TASKS / (bareRun.wall / 1000);
    console.log('');
    table([
      ['queue', 'tasks', 'wall s', 'tasks/s', 'ratio to bare'],
      ['bare BullMQ (no-op jobs)', TASKS, fmt(bareRun.wall / 1000, 2), fmt(bareRate, 0), '1.00'],
      ['Troupe (BullMQ + PostgreSQL)', TASKS, fmt(wall / 1000, 2), fmt(rate, 0), fmt(bareRun.wall / wall, 3)],
    ]);
    console.log(`target: at least 500 tasks/s: ${rate >= 500 ? 'met' : 'NOT met'}`);
    const later = (wall - created) / 1000;
    console.log(
      `runs created and dispatched by the producer in ${fmt(created / 1000)} s (${fmt(TASKS / (created / 1000), 0)}/s) while workers ran; ` +
        `the last run finished ${fmt(later)} s after that`,
    );

    // 3. Where the time goes.
    const cpuTotal = cpu.pg + cpu.redis + cpu.workers + cpu.self;
    console.log('');
    console.log(`Where the time goes: CPU per task by process (the machine has ${(await import('node:os')).cpus().length} cores; wall ${fmt((wall / TASKS) * 1000, 0)} µs per task)`);
    const perTask = (n: number) => fmt(n / TASKS, 1);
    table([
      ['process', 'CPU µs/task', 'share', 'syscalls/task (read, write)'],
      ['PostgreSQL (database)', fmt((cpu.pg / TASKS) * 1000, 0), `${fmt((cpu.pg / cpuTotal) * 100)}%`, perTask(sys.pg)],
      ...[...pgBy.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => [`  PostgreSQL: ${k}`, fmt((v / TASKS) * 1000, 0), `${fmt((v / cpuTotal) * 100)}%`, '']),
      ['Redis (queue)', fmt((cpu.redis / TASKS) * 1000, 0), `${fmt((cpu.redis / cpuTotal) * 100)}%`, perTask(sys.redis)],
      [`workers (${WORKERS} Node processes)`, fmt((cpu.workers / TASKS) * 1000, 0), `${fmt((cpu.workers / cpuTotal) * 100)}%`, perTask(sys.workers)],
      ['this process (API role: creates and dispatches runs; model stub)', fmt((cpu.self / TASKS) * 1000, 0), `${fmt((cpu.self / cpuTotal) * 100)}%`, perTask(sys.self)],
      ['total', fmt((cpuTotal / TASKS) * 1000, 0), '100%', perTask(sys.pg + sys.redis + sys.workers + sys.self)],
    ]);

    if (PROFILE_TASKS > 0) {
      await stop(workers);
      workers = await Promise.all(
        Array.from({ length: WORKERS }, () => start(['--cpu-prof', `--cpu-prof-dir=${profileDir}`, WORKER, 'worker'], workerEnv, /worker started/)),
      );
      const ids = await createTasks(t, PROFILE_TASKS);
      await runTasks(t, await createTasks(t, WORKERS * CONCURRENCY));
      const from = monoUs();
      await runTasks(t, ids);
      const to = monoUs();
      await stop(workers);
      workers = [];
      const { totals, packages } = breakdown(profileDir, from, to);
      const sum = [...totals.values()].reduce((a, v) => a + v, 0);
      console.log('');
      console.log(`Within the workers: CPU by what the code was doing (CPU profiles over a second pass of ${PROFILE_TASKS} tasks; a sample counts for the nearest frame of a known kind; "Node itself" is native work: I/O, timers, promises)`);
      table([
        ['component', 'share', 'µs/task'],
        ...[...totals.entries()].sort((x, y) => y[1] - x[1]).map(([k, v]) => [k, `${fmt((v / sum) * 100)}%`, fmt((v / PROFILE_TASKS) * 1000, 0)]),
      ]);
      const top = [...packages.entries()].sort((x, y) => y[1] - x[1]).slice(0, 6);
      console.log(`other libraries, by package: ${top.map(([k, v]) => `${k} ${fmt((v / PROFILE_TASKS) * 1000, 0)} µs`).join(', ')}`);
      workers = await Promise.all(Array.from({ length: WORKERS }, () => start([WORKER, 'worker'], workerEnv, /worker started/)));
    }

    // 4. Scheduler fire delay: a per-second schedule, fired by this process's scheduler.
    if (FIRES > 0) {
      t.ctx.startRoles({ worker: false, scheduler: true });
      const task = await t.ctx.services.tasks.create(t.actor, { agentId: t.agentId, title: 'Every second', instructions: 'What is 6 * 7?', context: {}, priority: 'normal', schedule: { cron: '* * * * * *', timezone: 'UTC' } });
      const fires = () => t!.ctx.database.system((tx) => tx.select().from(scheduleFires).where(eq(scheduleFires.orgId, t!.actor.orgId)).orderBy(scheduleFires.fireAt));
      await until(async () => (await fires()).length >= FIRES, 'the fires', FIRES * 2000 + 30_000, 200);
      const fired = (await fires()).slice(0, FIRES);
      await t.ctx.services.tasks.update(t.actor, task.id, { schedule: null });
      const delays = fired.map((f) => f.delayMs ?? Number.NaN);
      const times = fired.map((f) => f.fireAt.getTime());
      const gaps = times.slice(1).filter((x, i) => x - times[i]! !== 1000).length;
      console.log('');
      console.log(`Scheduler: a per-second schedule over ${FIRES} fires (workers running what it fires): fire delay median ${fmt(median(delays), 0)} ms, max ${fmt(Math.max(...delays), 0)} ms; ${gaps} gaps or duplicates`);
    }
  } finally {
    await stop(workers);
    if (t) {
      const q = new Queue(queueName, { connection: { url: REDIS_URL } });
      await q.obliterate({ force: true }).catch(() => {});
      await q.close();
      await t.ctx.close();
    }
    await stub.close();
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
    if (!keepProfiles) rmSync(profileDir, { recursive: true, force: true });
  }
}

if (args['bare-worker']) {
  // A no-op BullMQ worker: what a queue alone costs.
  const worker = new Worker(args['bare-worker'], async () => {}, { connection: { url: REDIS_URL, maxRetriesPerRequest: null }, concurrency: CONCURRENCY });
  await worker.waitUntilReady();
  process.stdout.write('bare worker ready\n');
  process.on('SIGTERM', () => void worker.close().then(() => process.exit(0)));
} else {
  await main();
}

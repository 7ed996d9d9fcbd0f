import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';

/** What the benchmarks that start processes share: starting and stopping them, a bounded pool, a poll. */
const ROOT = path.resolve(import.meta.dirname, '..');

export interface Proc {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

export function start(argv: string[], env: Record<string, string>, ready: RegExp): Promise<Proc> {
  // This file (the bare workers) runs through tsx; the build runs as plain JavaScript.
  const loader = argv.some((a) => a.endsWith('.ts')) ? ['--import', 'tsx'] : [];
  // BENCH_NODE_ARGS: node flags for the built processes, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
  const nodeArgs = loader.length ? [] : (process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []);
  const child = spawn(process.execPath, [...nodeArgs, ...loader, ...argv], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'error', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (ready.test(out)) resolve({ child, out: () => out, exited });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`${argv.join(' ')} exited (${code}) before it was ready:\n${out}`)));
  });
}

export async function stop(procs: Proc[]) {
  for (const p of procs) p.child.kill('SIGTERM');
  await Promise.all(procs.map((p) => p.exited));
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

export async function until(cond: () => Promise<boolean>, what: string, ms = 600_000, every = 20) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

export const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

export interface LoadOptions {
  method?: string;
  /** The body of request number `i` (a POST's), with its content type in `headers`. */
  body?: (i: number) => string;
  /** Statuses that count as success (default 200). */
  ok?: readonly number[];
  /** Requests per second across all connections (paced: each connection sends on its own beat); default as fast as answers come. */
  rate?: number;
}

/**
 * The benchmarks' load generator, no library: `connections` loops, each one request at a time on
 * its own keep-alive socket, for `ms`. Requests per second, p50 and p99 in ms, how many, and how
 * many failed (another status, or no answer).
 */
export async function load(url: string, headers: Record<string, string>, connections: number, ms: number, options: LoadOptions = {}) {
  const loadAgent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const ok = options.ok ?? [200];
  const times: number[] = [];
  let errors = 0;
  let sent = 0;
  const t0 = performance.now();
  const end = t0 + ms;
  const one = () =>
    new Promise<number>((resolve) => {
      const payload = options.body?.(sent++);
      const req = http.request(url, { agent: loadAgent, method: options.method ?? 'GET', headers: { ...headers, ...(payload === undefined ? {} : { 'content-length': String(Buffer.byteLength(payload)) }) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', () => resolve(0));
      req.end(payload);
    });
  const beat = options.rate ? (connections * 1000) / options.rate : 0;
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      let next = t0 + (beat * c) / connections;
      while (performance.now() < end) {
        if (beat) {
          const wait = next - performance.now();
          next += beat;
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        const s = performance.now();
        const status = await one();
        times.push(performance.now() - s);
        if (!ok.includes(status)) errors++;
      }
    }),
  );
  const wall = performance.now() - t0;
  loadAgent.destroy();
  return { rps: times.length / (wall / 1000), p50: pct(times, 0.5), p99: pct(times, 0.99), n: times.length, errors };
}

import { spawn, type ChildProcess } from 'node:child_process';
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
  const child = spawn(process.execPath, [...loader, ...argv], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'error', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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

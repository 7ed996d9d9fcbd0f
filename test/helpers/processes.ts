import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface TroupeProcess {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the first output line matching `re` (rejects if the process exits first or after `ms`). */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** The exit code, or null when killed by a signal. */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL if it has not exited after `ms`. */
  stop(ms?: number): Promise<number | null>;
}

/**
 * Starts `troupe <args>` as its own process (through tsx, from the sources), as an operator
 * would: configuration only from `env` (on top of this process's environment).
 */
export function startTroupe(args: string[], env: Record<string, string>): TroupeProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const watchers = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of watchers) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let done = false;
  void exited.then(() => {
    done = true;
    for (const w of watchers) w();
  });
  return {
    child,
    output: () => out,
    exited,
    waitFor(re, ms = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`troupe ${args.join(' ')} printed no ${re} within ${ms} ms:\n${out}`)), ms);
        const check = () => {
          const m = out.match(re);
          if (m) finish(undefined, m);
          else if (done) finish(new Error(`troupe ${args.join(' ')} exited before printing ${re}:\n${out}`));
        };
        const finish = (err?: Error, m?: RegExpMatchArray) => {
          clearTimeout(timer);
          watchers.delete(check);
          if (err) reject(err);
          else resolve(m!);
        };
        watchers.add(check);
        check();
      });
    },
    async stop(ms = 15_000) {
      if (done) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), ms);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

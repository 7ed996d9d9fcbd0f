import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** What the crash tests share: a script of this folder run as a child process, and a poll. */
const ROOT = path.resolve(import.meta.dirname, '../..');

/** Runs `test/crash/<script>` with `args` through tsx; its output is printed if it exits with an error. */
export function spawnScript(script: string, args: string[], env: Record<string, string>): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', `test/crash/${script}`, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  void exited.then((code) => {
    if (code !== 0 && code !== null) console.error(`${script} exited ${code}:\n${out}`);
  });
  return { child, exited };
}

/** Waits until `cond` holds, checking every 25 ms; throws after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

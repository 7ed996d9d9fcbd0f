import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT, staleReason } from './build-inputs.js';
import { ensureServerBuild } from './server-build.js';

const LOCK_DIR = path.join(ROOT, 'dist', '.web-build.lock');
const VITE_BIN = path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Holds a directory lock while `fn` runs, so parallel test workers build once; steals a dead holder's lock. */
async function withLock<T>(fn: () => T, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  mkdirSync(path.dirname(LOCK_DIR), { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(path.join(LOCK_DIR, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder = 0;
      try {
        holder = Number(readFileSync(path.join(LOCK_DIR, 'pid'), 'utf8'));
      } catch {
        // being created or removed right now
      }
      if (holder && !alive(holder)) rmSync(LOCK_DIR, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`Waited ${timeoutMs} ms for another dashboard build (lock ${LOCK_DIR})`);
      else await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return fn();
  } finally {
    rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

/**
 * Builds the dashboard into dist/web unless it was built from exactly the current sources
 * (hashes recorded by the build; checking them takes milliseconds). Safe to call from several
 * processes at once. Returns what it did.
 */
export async function ensureWebBuild(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<'fresh' | 'built'> {
  if (staleReason() === null) return 'fresh';
  return withLock(() => {
    const reason = staleReason();
    if (reason === null) return 'fresh';
    log(`Building the dashboard (${reason})…`);
    const result = spawnSync(process.execPath, [VITE_BIN, 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
      cwd: ROOT,
      encoding: 'utf8',
      // Vite honours NODE_ENV, and test runners set it to "test": that would build React's development bundle.
      env: { ...process.env, NODE_ENV: 'production' },
    });
    if (result.status !== 0) {
      throw new Error(`npm run build:web failed (exit ${result.status ?? result.signal}):\n${result.stdout}${result.stderr}${result.error?.message ?? ''}`);
    }
    return 'built';
  });
}

// `node --import tsx web/tools/ensure-build.ts` (npm start, npm install): compile a stale server and
// rebuild a stale dashboard, say nothing otherwise. Not the tsx CLI, which starts a second node.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  (async () => {
    ensureServerBuild();
    await ensureWebBuild();
  })().catch((err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}

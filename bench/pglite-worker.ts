/**
 * Prototype for decision 55: PGlite behind a worker thread. The worker (bench/pglite-worker-thread.ts)
 * owns the PGlite instance; this side is a stand-in PGlite client (query, exec, transaction: what
 * Drizzle's PGlite driver and the migrator use) that sends each call over the worker's
 * MessagePort, and a `Database` like src/db/client.ts's openPglite built on it, so the real server
 * can run on it (bench/embedded-db.ts). Not the product: no data-folder lock, no round-trip
 * counting beyond statements, and an error comes back as a plain Error with the DatabaseError's
 * fields (code, detail, constraint…) copied onto it.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PGlite, QueryOptions, Results, Transaction } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import type { Database, DbStats, Db, Tx } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import * as schema from '../src/schema.js';
import { UUID_RE } from '../src/shared/ids.js';
import type { Reply, Request } from './pglite-worker-thread.js';

type Body = Request extends infer R ? (R extends Request ? Omit<R, 'id'> : never) : never;

/** The main thread's end of the worker: one promise per message, answered by id. */
class WorkerLink {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private next = 1;
  readonly ready: Promise<void>;

  constructor(dataDir: string) {
    // Run as TypeScript (npx tsx bench/…): the worker registers tsx itself first, since tsx's CLI
    // registers its loader in the main thread only.
    const file = new URL(`./pglite-worker-thread${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url);
    this.worker = file.pathname.endsWith('.ts')
      ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => (m.register(), import(${JSON.stringify(file.href)})))`, { eval: true, workerData: { dataDir } })
      : new Worker(file, { workerData: { dataDir } });
    let started!: () => void;
    let failed!: (e: Error) => void;
    this.ready = new Promise<void>((resolve, reject) => ((started = resolve), (failed = reject)));
    this.worker.on('error', (err) => {
      failed(err);
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    });
    this.worker.on('message', (r: Reply) => {
      if (r.id === 0) return started();
      const w = this.waiting.get(r.id);
      if (!w) return;
      this.waiting.delete(r.id);
      if (r.ok) w.resolve(r.value);
      else w.reject(Object.assign(new Error(String(r.error.message)), r.error));
    });
  }

  call<T>(body: Body): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...body, id } as Request);
    });
  }

  async terminate() {
    await this.worker.terminate();
  }
}

/** Only the parsers Drizzle passes: identity functions by type oid, which the worker rebuilds. */
const rawTypes = (options?: QueryOptions) => (options?.parsers ? Object.keys(options.parsers).map(Number) : undefined);

/** What Drizzle and the migrator call on a PGlite client, answered by the worker. */
function remoteClient(link: WorkerLink, stats: DbStats) {
  const count = () => {
    stats.roundTrips++;
    stats.statements++;
  };
  const on = (tx?: number) => ({
    query<T>(text: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>> {
      count();
      return link.call({ op: 'query', tx, text, params, rowMode: options?.rowMode, rawTypes: rawTypes(options) });
    },
    exec(text: string): Promise<Results[]> {
      count();
      return link.call({ op: 'exec', tx, text });
    },
  });
  let txIds = 0;
  return {
    ...on(),
    async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
      const id = ++txIds;
      count();
      await link.call({ op: 'begin', tx: id });
      const tx = {
        ...on(id),
        async rollback() {
          await link.call({ op: 'rollback', tx: id });
        },
        closed: false,
      } as unknown as Transaction;
      let result: T;
      try {
        result = await fn(tx);
      } catch (err) {
        await link.call({ op: 'rollback', tx: id }).catch(() => {});
        throw err;
      }
      count();
      await link.call({ op: 'commit', tx: id });
      return result;
    },
  };
}

const orgScope = (orgId: string) => {
  if (!UUID_RE.test(orgId)) throw new Error(`withOrg: not an organization id: ${orgId}`);
  return `select set_config('app.org_id', '${orgId}', true)`;
};
const SQL_FUNCTION = /^troupe_[a-z_]+$/;
const callText = (fn: string, n: number) => {
  if (!SQL_FUNCTION.test(fn)) throw new Error(`call: not a Troupe SQL function: ${fn}`);
  return `select ${fn}(${Array.from({ length: n }, (_, i) => `$${i + 1}`).join(', ')}) as r`;
};

export interface WorkerDatabase extends Database {
  /** CPU time the worker thread has used so far, in ms (10 ms resolution). */
  workerCpuMs(): Promise<number>;
}

/**
 * Opens the embedded database in `<dataDir>/pgdata` (or `memory://`) in a worker thread and
 * applies the migrations, as openPglite does in process. afterCommit hooks are not run (nothing in
 * the bench's paths needs them to be exact: they forget cached rows).
 */
export async function openPgliteWorker(dataDir: string): Promise<WorkerDatabase> {
  const link = new WorkerLink(dataDir === 'memory://' ? dataDir : path.join(dataDir, 'pgdata'));
  await link.ready;
  const stats: DbStats = { roundTrips: 0, statements: 0 };
  const client = remoteClient(link, stats);
  const migrated = await migrate({
    async exec(text) {
      await client.exec(text);
    },
    async rows<T>(text: string, params?: unknown[]) {
      return (await client.query<T>(text, params)).rows;
    },
  });
  await client.exec('set role troupe_app');
  const db = drizzle(client as unknown as PGlite, { schema }) as unknown as Db;
  async function scoped<T>(opening: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return db.transaction(async (tx) => {
      await tx.execute(sql.raw(opening));
      return fn(tx);
    });
  }
  return {
    kind: 'pglite',
    embedded: true,
    stats,
    migrated,
    db,
    withOrg: (orgId, fn) => scoped(orgScope(orgId), fn),
    readOrg: (orgId, fn) => scoped(orgScope(orgId), fn),
    // Not relayed from the worker: never live, so caches of hot reads stay off in this variant.
    watch: () => async () => {},
    system: (fn) => scoped(`select set_config('role', 'none', true)`, fn),
    async call<T>(fn: string, args: unknown[], tx?: Tx) {
      if (tx) {
        callText(fn, args.length);
        const { rows } = await tx.execute(sql`select ${sql.raw(fn)}(${sql.join(args.map((a) => sql`${a}`), sql`, `)}) as r`);
        return rows[0]!.r as T;
      }
      const { rows } = await client.query<{ r: T }>(callText(fn, args.length), args);
      return rows[0]!.r;
    },
    async vacuum(tables) {
      for (const table of tables) await client.exec(`vacuum ${table}`);
    },
    async ping() {
      await client.query('select 1');
    },
    async close() {
      await link.call({ op: 'close' });
      await link.terminate();
    },
    workerCpuMs: () => link.call<number>({ op: 'cpu' }),
  };
}

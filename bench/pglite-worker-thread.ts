/**
 * The worker side of bench/pglite-worker.ts (a prototype for decision 55): this thread owns the
 * PGlite instance, so the WASM engine's CPU runs beside the main thread's event loop, not on it.
 * Messages come through the worker's MessagePort (`parentPort`): one request, one answer by id.
 * A transaction is held open here by id between its `begin` and its `commit`/`rollback`, inside
 * PGlite's own `transaction()`, so PGlite's lock keeps other statements out as it does in process.
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, type Transaction } from '@electric-sql/pglite';

export type Request =
  | { id: number; op: 'query'; tx?: number; text: string; params?: unknown[]; rowMode?: 'array' | 'object'; rawTypes?: number[] }
  | { id: number; op: 'exec'; tx?: number; text: string }
  | { id: number; op: 'begin' | 'commit' | 'rollback'; tx: number }
  | { id: number; op: 'close' | 'cpu' };

export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: Record<string, unknown> };

const port = parentPort!;
const { dataDir } = workerData as { dataDir: string };
const db = dataDir === 'memory://' ? new PGlite() : new PGlite(dataDir);
const open = new Map<number, { tx: Transaction; commit: () => void; rollback: (e: Error) => void; done: Promise<unknown> }>();

/** Identity parsers for the types the caller wants as text (Drizzle keeps dates and intervals as strings). */
const keepText = (oids: number[] | undefined) => (oids?.length ? Object.fromEntries(oids.map((oid) => [oid, (v: string) => v])) : undefined);

/** This thread's CPU time in ms (utime + stime of /proc/thread-self/stat, clock ticks of 10 ms). */
function threadCpuMs(): number {
  const stat = readFileSync('/proc/thread-self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** An error as plain fields (a DatabaseError's code, detail, constraint… survive the copy). */
function plain(err: unknown): Record<string, unknown> {
  const e = err as Error & Record<string, unknown>;
  const out: Record<string, unknown> = { name: e?.name, message: e?.message ?? String(err) };
  for (const [k, v] of Object.entries(e ?? {})) if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) out[k] = v;
  return out;
}

async function handle(m: Request): Promise<unknown> {
  switch (m.op) {
    case 'query': {
      const on = m.tx === undefined ? db : open.get(m.tx)!.tx;
      return on.query(m.text, m.params, { rowMode: m.rowMode, parsers: keepText(m.rawTypes) });
    }
    case 'exec':
      return (m.tx === undefined ? db : open.get(m.tx)!.tx).exec(m.text);
    case 'begin':
      return new Promise<void>((started, failed) => {
        const done = db.transaction(
          (tx) =>
            new Promise<void>((commit, rollback) => {
              open.set(m.tx, { tx, commit, rollback, done });
              started();
            }),
        );
        done.catch(failed);
      });
    case 'commit': {
      const t = open.get(m.tx)!;
      open.delete(m.tx);
      t.commit();
      return t.done.then(() => undefined);
    }
    case 'rollback': {
      const t = open.get(m.tx);
      if (!t) return undefined;
      open.delete(m.tx);
      t.rollback(new Error('rolled back'));
      return t.done.then(
        () => undefined,
        () => undefined,
      );
    }
    case 'cpu':
      return threadCpuMs();
    case 'close':
      await db.close();
      return undefined;
  }
}

await db.waitReady;
port.on('message', (m: Request) => {
  handle(m).then(
    (value) => port.postMessage({ id: m.id, ok: true, value } satisfies Reply),
    (err: unknown) => port.postMessage({ id: m.id, ok: false, error: plain(err) } satisfies Reply),
  );
});
port.postMessage({ id: 0, ok: true, value: 'ready' } satisfies Reply);

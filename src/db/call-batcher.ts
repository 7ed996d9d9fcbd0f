import type { Database } from './client.js';

/** One kind of call the batcher merges: a SQL function for one item and its set form for many. */
export interface BatchedCall<I> {
  /** `troupe_x(args...)`: the call for one item. */
  one: string;
  args(item: I): unknown[];
  /** `troupe_xs(items jsonb)`: the same for many items in one transaction, answers in order. */
  many: string;
  /** Batches are sorted by this key, so two batches take row locks in the same order. */
  lockKey(item: I): string;
}

interface Pending<I> {
  item: I;
  resolve: (r: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * The most items one call carries, and how many calls may be out at once. Two calls of at most 48
 * keep both sides busy (the database applies one batch while this process handles the answers
 * to the other); one call of everything left the engine idle while the database worked. Chosen
 * in bench/agent-loop (200 runs at once): 256 x 1 gave 1.36-1.44x the bare loop, 48 x 2 1.20-1.24x.
 */
export const MAX_BATCH = 48;
export const MAX_IN_FLIGHT = 2;

/**
 * Merges concurrent calls of one SQL function into one call of its set form. While
 * `maxInFlight` calls are out, the items that arrive wait and then go together (one round trip,
 * one transaction, one commit); a lone item goes at once as a call of its own, so a single caller
 * pays nothing for this.
 *
 * Why: when 200 runs start or 200 model calls return at once, the database would otherwise spend
 * more on calls (bind, execute, transaction, commit, a backend woken per call) than on the rows,
 * on the same cores as the engine (docs/runs.md "Write path", bench/agent-loop).
 *
 * Only for items whose order does not matter among themselves (each run keeps its own writes in
 * order and has at most one in flight). A batch the database refused as a whole (one item's
 * error, a deadlock with another process) is retried item by item, so each item gets its own
 * answer and one bad item fails only its own caller.
 */
export class CallBatcher<I, R> {
  private queue: Pending<I>[] = [];
  private inFlight = 0;

  constructor(
    private readonly database: Database,
    private readonly kind: BatchedCall<I>,
    private readonly maxInFlight = MAX_IN_FLIGHT,
  ) {}

  call(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve: resolve as (r: unknown) => void, reject });
      this.pump();
    });
  }

  private pump() {
    while (this.inFlight < this.maxInFlight && this.queue.length) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.inFlight++;
      void this.send(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async send(batch: Pending<I>[]) {
    if (batch.length === 1) return this.one(batch[0]!);
    const keyed = batch.map((p) => ({ p, key: this.kind.lockKey(p.item) })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    let results: unknown[];
    try {
      results = await this.database.call<unknown[]>(this.kind.many, [JSON.stringify(keyed.map((k) => k.p.item))]);
    } catch (err) {
      // Only an error the server answered (a SQLSTATE) proves the batch rolled back; after a lost
      // connection it may have committed, and its items must not be applied twice.
      if (!hasSqlState(err)) {
        for (const p of batch) p.reject(err);
        return;
      }
      await Promise.all(batch.map((p) => this.one(p)));
      return;
    }
    keyed.forEach((k, i) => k.p.resolve(results[i]));
  }

  private async one({ item, resolve, reject }: Pending<I>) {
    try {
      resolve(await this.database.call(this.kind.one, this.kind.args(item)));
    } catch (err) {
      reject(err);
    }
  }
}

function hasSqlState(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

const batchers = new WeakMap<Database, Map<BatchedCall<unknown>, CallBatcher<unknown, unknown>>>();

/** This process's batcher of `kind` on this database (one per open database and kind). */
export function batcher<I, R>(database: Database, kind: BatchedCall<I>): CallBatcher<I, R> {
  let byKind = batchers.get(database);
  if (!byKind) batchers.set(database, (byKind = new Map()));
  let b = byKind.get(kind as BatchedCall<unknown>);
  if (!b) byKind.set(kind as BatchedCall<unknown>, (b = new CallBatcher(database, kind as BatchedCall<unknown>)));
  return b as CallBatcher<I, R>;
}

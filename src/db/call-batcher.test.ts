import { describe, expect, it } from 'vitest';
import { CallBatcher, MAX_BATCH, type BatchedCall } from './call-batcher.js';
import type { Database } from './client.js';

/** A database whose `call` answers from a function and records what it was asked. */
function fakeDatabase(answer: (fn: string, args: unknown[]) => Promise<unknown>) {
  const calls: { fn: string; args: unknown[] }[] = [];
  const database = {
    call: (fn: string, args: unknown[]) => {
      calls.push({ fn, args });
      return answer(fn, args);
    },
  } as unknown as Database;
  return { database, calls };
}

const DOUBLE: BatchedCall<{ n: number }> = { one: 'troupe_double', args: (i) => [i.n], many: 'troupe_doubles', lockKey: (i) => String(i.n).padStart(5, '0') };
const later = <T>(v: T) => new Promise<T>((r) => setTimeout(() => r(v), 5));

describe('CallBatcher', () => {
  it('sends a lone item alone, merges what arrives meanwhile, and answers each item its own', async () => {
    const { database, calls } = fakeDatabase(async (fn, args) => {
      if (fn === 'troupe_double') return later((args[0] as number) * 2);
      return later((JSON.parse(args[0] as string) as { n: number }[]).map((i) => i.n * 2));
    });
    const b = new CallBatcher<{ n: number }, number>(database, DOUBLE, 1);
    const items = Array.from({ length: 100 }, (_, i) => 99 - i);
    const answers = await Promise.all(items.map((n) => b.call({ n })));
    expect(answers).toEqual(items.map((n) => n * 2));
    // The first alone, then at most MAX_BATCH per call.
    expect(calls[0]).toEqual({ fn: 'troupe_double', args: [99] });
    expect(calls.slice(1).every((c) => c.fn === 'troupe_doubles')).toBe(true);
    expect(calls).toHaveLength(1 + Math.ceil(99 / MAX_BATCH));
    // Each batch is sent in lock-key order.
    for (const c of calls.slice(1)) {
      const ns = (JSON.parse(c.args[0] as string) as { n: number }[]).map((i) => i.n);
      expect(ns).toEqual([...ns].sort((a, z) => a - z));
    }
  });

  it('retries a batch the database refused item by item, so only the bad item fails', async () => {
    const refused = Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' });
    const { database, calls } = fakeDatabase(async (fn, args) => {
      if (fn === 'troupe_doubles') throw refused;
      if (args[0] === 13) throw refused;
      return later((args[0] as number) * 2);
    });
    const b = new CallBatcher<{ n: number }, number>(database, DOUBLE, 1);
    const results = await Promise.allSettled([1, 2, 13, 4].map((n) => b.call({ n })));
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : 'failed'))).toEqual([2, 4, 'failed', 8]);
    expect(calls.filter((c) => c.fn === 'troupe_doubles')).toHaveLength(1);
  });

  it('does not retry after a lost connection (the batch may have committed): every item fails', async () => {
    const { database, calls } = fakeDatabase(async (fn, args) => {
      if (fn === 'troupe_doubles') throw new Error('Connection terminated unexpectedly');
      return later((args[0] as number) * 2);
    });
    const b = new CallBatcher<{ n: number }, number>(database, DOUBLE, 1);
    const results = await Promise.allSettled([1, 2, 3].map((n) => b.call({ n })));
    // The first went alone and succeeded; the two merged behind it failed together, not retried.
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect(calls.map((c) => c.fn)).toEqual(['troupe_double', 'troupe_doubles']);
  });
});

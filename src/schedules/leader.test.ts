import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPgDatabase } from '../../test/helpers/databases.js';
import { openPglite, openPostgres, type Database } from '../db/client.js';
import { createLogger } from '../shared/logger.js';
import { Leadership } from './leader.js';
import { sleep } from '../../test/helpers/schedule-fixtures.js';

const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

const leaseRow = async (db: Database) => {
  const { rows } = await db.system((tx) => tx.execute(sql`select holder, expires_at > now() as valid from scheduler_leader where id = 1`));
  return rows[0] as { holder: string; valid: boolean } | undefined;
};

/** Calls `fn` until it answers true (every 50 ms, up to `ms`); answers how long that took. */
async function until(fn: () => Promise<boolean>, ms: number): Promise<number> {
  const start = Date.now();
  while (!(await fn())) {
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms`);
    await sleep(50);
  }
  return Date.now() - start;
}

describe('Leadership: the scheduler lease on PostgreSQL', () => {
  let drop: () => Promise<void>;
  // Two pools, as two scheduler processes would have.
  let db1: Database;
  let db2: Database;
  beforeAll(async () => {
    const created = await createPgDatabase();
    drop = created.drop;
    db1 = await openPostgres(created.url, 3, { migrate: false });
    db2 = await openPostgres(created.url, 3, { migrate: false });
  });
  beforeEach(() => db1.system((tx) => tx.execute(sql`delete from scheduler_leader`)));
  afterAll(async () => {
    await db1?.close();
    await db2?.close();
    await drop?.();
  });

  const pair = (leaseMs: number) =>
    [new Leadership(db1, 'a', logger, { leaseMs, solo: false }), new Leadership(db2, 'b', logger, { leaseMs, solo: false })] as const;

  it('a follower takes over only once the lease has lapsed; the old leader then steps down before claiming', async () => {
    const [a, b] = pair(1_500);
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(false);
    // Renewed by a pass: still a's.
    await sleep(700);
    expect(await db1.system((tx) => a.renew(tx))).toBe(true);
    const renewedAt = Date.now();
    expect(await b.acquire()).toBe(false);
    expect(b.isLeader).toBe(false);

    // a stops renewing (frozen): b takes over after the lease, not before.
    await until(() => b.acquire(), 5_000);
    expect(Date.now() - renewedAt).toBeGreaterThanOrEqual(1_400);
    expect(await leaseRow(db1)).toEqual({ holder: 'b', valid: true });

    // a wakes up believing it leads; its renewal in the claim transaction finds the lease gone.
    expect(await db1.system((tx) => a.renew(tx))).toBe(false);
    expect(a.isLeader).toBe(false);
    expect(await a.acquire()).toBe(false);
    expect(await leaseRow(db1)).toEqual({ holder: 'b', valid: true });

    // A released lease is free at once.
    await b.release();
    expect(await leaseRow(db1)).toBeUndefined();
    expect(await a.acquire()).toBe(true);
  });

  it("the fence: a takeover waits for the leader's claim transaction, then finds the lease renewed", async () => {
    const [a, b] = pair(2_000);
    expect(await a.acquire()).toBe(true);
    // The lease has just lapsed (a was slow), and a's next pass renews it while b tries to take it.
    await db1.system((tx) => tx.execute(sql`update scheduler_leader set expires_at = now() - interval '1 second'`));
    let commit!: () => void;
    const committed = new Promise<void>((r) => (commit = r));
    let renewed!: (ok: boolean) => void;
    const renewal = new Promise<boolean>((r) => (renewed = r));
    const pass = db1.system(async (tx) => {
      renewed(await a.renew(tx));
      await committed; // the claims of the pass would be here
    });
    expect(await renewal).toBe(true);
    let settled = false;
    const takeover = b.acquire().finally(() => (settled = true));
    await sleep(500);
    expect(settled).toBe(false); // blocked on the lease row
    commit();
    await pass;
    expect(await takeover).toBe(false);
    expect(await leaseRow(db1)).toEqual({ holder: 'a', valid: true });
  });

  it('a leader frozen inside its claim transaction loses its session after the lease; the follower takes over', async () => {
    const [a, b] = pair(1_000);
    expect(await a.acquire()).toBe(true);
    // The pass renews, then its process stops (SIGSTOP) with the transaction open: the lease row stays locked.
    const frozen = db1.system(async (tx) => {
      expect(await a.renew(tx)).toBe(true);
      await sleep(4_000);
      await tx.execute(sql`select 1`);
    });
    frozen.catch(() => {});
    const took = await until(() => b.acquire(), 10_000);
    // PostgreSQL ended a's idle session after a lease (idle_in_transaction_session_timeout); b took the lapsed lease.
    expect(took).toBeLessThan(3_500);
    await expect(frozen).rejects.toThrow();
    expect((await leaseRow(db2))?.holder).toBe('b');
    // a's pool replaced the connection the server ended.
    expect(await db1.system((tx) => a.renew(tx))).toBe(false);
  });
});

describe('Leadership on PGlite (solo)', () => {
  it("always takes the lease, even over a previous process's unexpired one, and never steps down", async () => {
    const db = await openPglite('memory://');
    try {
      // The process before this one (the data-folder lock says it is gone) left its lease.
      await db.system((tx) => tx.execute(sql`insert into scheduler_leader (id, holder, expires_at) values (1, 'gone', now() + interval '1 hour')`));
      const solo = new Leadership(db, 'solo', logger, { leaseMs: 10_000, solo: true });
      expect(await solo.acquire()).toBe(true);
      expect(await leaseRow(db)).toEqual({ holder: 'solo', valid: true });
      expect(await db.system((tx) => solo.renew(tx))).toBe(true);
      expect(solo.isLeader).toBe(true);
    } finally {
      await db.close();
    }
  }, 120_000);
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPgDatabase } from '../../test/helpers/databases.js';
import { openPostgres, type Database, type Tx } from '../db/client.js';
import { createLogger } from '../shared/logger.js';
import { Scheduler } from './scheduler.js';
import { firesOf, parkAll, recorder, seedSchedule, sleep } from '../../test/helpers/schedule-fixtures.js';
import { until } from '../../test/crash/spawn.js';

const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const LEASE_MS = 2_000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * A database handle whose calls wait while it is frozen, as a SIGSTOPped process's would: before
 * a transaction starts, or (`inTransaction`) after its work, with the transaction left open.
 */
function freezable(database: Database) {
  let gate: Promise<void> | null = null;
  let inTransaction = false;
  let open = () => {};
  const wait = async () => {
    while (gate) await gate;
  };
  const through = async <T>(run: (fn: (tx: Tx) => Promise<T>) => Promise<T>, fn: (tx: Tx) => Promise<T>) => {
    if (!inTransaction) await wait();
    return run(async (tx) => {
      const result = await fn(tx);
      if (inTransaction) await wait();
      return result;
    });
  };
  const db: Database = {
    ...database,
    system: (fn) => through((f) => database.system(f), fn),
    withOrg: (orgId, fn) => through((f) => database.withOrg(orgId, f), fn),
  };
  return {
    db,
    freeze(options: { inTransaction?: boolean } = {}) {
      inTransaction = options.inTransaction ?? false;
      gate = new Promise((r) => (open = r));
    },
    thaw() {
      gate = null;
      open();
    },
  };
}

/** Fire times of a schedule must be consecutive seconds: no gaps, no duplicates. */
function expectEverySecond(times: Date[]) {
  const ms = times.map((t) => t.getTime());
  expect(new Set(ms).size).toBe(ms.length);
  for (let i = 1; i < ms.length; i++) expect(ms[i]! - ms[i - 1]!).toBe(1000);
}

describe('Scheduler with two processes on one PostgreSQL database', () => {
  let url: string;
  let drop: () => Promise<void>;
  let db1: Database;
  let db2: Database;
  const running: Scheduler[] = [];
  beforeAll(async () => {
    ({ url, drop } = await createPgDatabase());
    // Two pools, as two Troupe processes would have.
    db1 = await openPostgres(url, 5, { migrate: false });
    db2 = await openPostgres(url, 5, { migrate: false });
  });
  afterEach(() => parkAll(db1));
  afterAll(async () => {
    await Promise.all(running.map((s) => s.stop()));
    await db1?.close();
    await db2?.close();
    await drop?.();
  });

  const pair = (onFire: ReturnType<typeof recorder>, first: Database = db1) => {
    const a = new Scheduler(first, onFire.as('a'), logger, { holder: 'a', tickMs: 500, leaseMs: LEASE_MS });
    const b = new Scheduler(db2, onFire.as('b'), logger, { holder: 'b', tickMs: 500, leaseMs: LEASE_MS });
    running.push(a, b);
    return [a, b] as const;
  };

  it('fires a per-second schedule once per second for 5 s, with one leader and delays under a second', async () => {
    const rec = recorder();
    const s = await seedSchedule(db1, { cron: '* * * * * *' });
    const [a, b] = pair(rec);
    a.start();
    b.start();
    await sleep(5_500);
    expect([a.isLeader, b.isLeader].filter(Boolean)).toHaveLength(1);
    await Promise.all([a.stop(), b.stop()]);

    const fires = await firesOf(db1, s.id);
    expect(fires.length).toBeGreaterThanOrEqual(4);
    expectEverySecond(fires.map((f) => f.fireAt));
    // onFire ran exactly once per fire time, and each fire row holds its run id.
    expect(rec.calls.filter((c) => c.scheduleId === s.id).map((c) => c.fireAt.getTime())).toEqual(fires.map((f) => f.fireAt.getTime()));
    expect(fires.every((f) => f.outcome === 'fired' && f.runId)).toBe(true);
    expect(new Set(rec.calls.map((c) => c.by)).size).toBe(1);

    const delays = fires.map((f) => f.delayMs!);
    expect(Math.max(...delays)).toBeLessThan(1000);
    const leader = a.recentDelays().length ? a : b;
    expect(leader.fireDelays().count).toBe(fires.length);
    console.info(`[scheduler] two processes, ${fires.length} fires: delay median ${median(delays)} ms, max ${Math.max(...delays)} ms`);
  }, 30_000);

  for (const inTransaction of [false, true]) {
    it(`hands over when the leader freezes${inTransaction ? ' inside its claim transaction' : ''} or stops, without duplicates; the woken leader steps down`, async () => {
      const rec = recorder();
      const s = await seedSchedule(db1, { cron: '* * * * * *' });
      const frozen = freezable(db1);
      const [a, b] = pair(rec, frozen.db);
      a.start();
      // a leads first. On a loaded machine its first claim can take longer than any fixed head start,
      // so b starts once a holds the lease, and is checked well inside that lease.
      await until(() => a.isLeader, 10_000);
      b.start();
      await sleep(1_000);
      expect([a.isLeader, b.isLeader]).toEqual([true, false]);

      // The leader stops (SIGSTOP, a VM pause) for three leases: the follower takes over once the lease lapses.
      frozen.freeze({ inTransaction });
      const frozenAt = Date.now();
      await sleep(3 * LEASE_MS);
      expect(b.isLeader).toBe(true);
      const byB = rec.calls.filter((c) => c.scheduleId === s.id && c.by === 'b');
      expect(byB.length).toBeGreaterThan(0);
      // The first fire b made came within a lease and two ticks (plus slack for a loaded machine) of the freeze.
      expect(byB[0]!.at - frozenAt).toBeLessThan(LEASE_MS + 1_000 + 1_000);
      // It wakes up: its renewal fails (or its ended session does), it claims nothing and follows.
      frozen.thaw();
      await sleep(1_500);
      expect([a.isLeader, b.isLeader]).toEqual([false, true]);

      // A clean stop gives the lease up; the other process (trying every tick) takes over at once.
      await b.stop();
      await sleep(1_500);
      expect(a.isLeader).toBe(true);
      await a.stop();

      const fires = await firesOf(db1, s.id);
      expectEverySecond(fires.map((f) => f.fireAt));
      const calls = rec.calls.filter((c) => c.scheduleId === s.id);
      expect(calls.map((c) => c.fireAt.getTime())).toEqual(fires.map((f) => f.fireAt.getTime()));
      const by = calls.map((c) => c.by).join('');
      expect(by).toMatch(/^a+b+a+$/); // a, then b while a was frozen, then a again
      // Fires due while nobody renewed were caught up by b, late by at most about a lease.
      const delays = fires.map((f) => f.delayMs!);
      expect(Math.max(...delays)).toBeLessThan(LEASE_MS + 2_000);
      console.info(`[scheduler] frozen leader${inTransaction ? ' (in its transaction)' : ''}, ${fires.length} fires by ${by}: delay median ${median(delays)} ms, max ${Math.max(...delays)} ms`);
    }, 40_000);
  }
});

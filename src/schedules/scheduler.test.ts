import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPgDatabase } from '../../test/helpers/databases.js';
import { openPostgres, type Database } from '../db/client.js';
import { createLogger } from '../shared/logger.js';
import { Scheduler } from './scheduler.js';
import { firesOf, parkAll, recorder, seedSchedule, sleep } from './test-fixtures.js';

const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

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

  const pair = (onFire: ReturnType<typeof recorder>) => {
    const a = new Scheduler(db1, onFire.as('a'), logger, { url, holder: 'a', tickMs: 500 });
    const b = new Scheduler(db2, onFire.as('b'), logger, { url, holder: 'b', tickMs: 500 });
    running.push(a, b);
    return [a, b] as const;
  };

  it('fires a per-second schedule once per second for 10 s, with one leader and delays under a second', async () => {
    const rec = recorder();
    const s = await seedSchedule(db1, { cron: '* * * * * *' });
    const [a, b] = pair(rec);
    a.start();
    b.start();
    await sleep(10_500);
    expect([a.isLeader, b.isLeader].filter(Boolean)).toHaveLength(1);
    await Promise.all([a.stop(), b.stop()]);

    const fires = await firesOf(db1, s.id);
    expect(fires.length).toBeGreaterThanOrEqual(9);
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

  it("hands over when the leader's lock connection dies or the leader stops, without gaps or duplicates", async () => {
    const rec = recorder();
    const s = await seedSchedule(db1, { cron: '* * * * * *' });
    const [a, b] = pair(rec);
    a.start();
    await sleep(300);
    b.start();
    await sleep(2_000);
    expect(a.isLeader).toBe(true);
    expect(b.isLeader).toBe(false);

    // The leader's session dies (crash, network, operator): PostgreSQL releases its lock.
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query('select pg_terminate_backend($1)', [a.lockBackendPid]);
    await admin.end();
    await sleep(2_500);
    expect(b.isLeader).toBe(true);
    expect(a.isLeader).toBe(false);

    // A clean stop releases the lock too; the other process (still retrying) takes over again.
    await b.stop();
    await sleep(2_500);
    expect(a.isLeader).toBe(true);
    await a.stop();

    const fires = await firesOf(db1, s.id);
    expectEverySecond(fires.map((f) => f.fireAt));
    const calls = rec.calls.filter((c) => c.scheduleId === s.id);
    expect(calls).toHaveLength(fires.length);
    const by = calls.map((c) => c.by).join('');
    expect(by).toMatch(/^a+b+a+$/); // a, then b after the kill, then a again
    const delays = fires.map((f) => f.delayMs!);
    expect(Math.max(...delays)).toBeLessThan(1000);
    console.info(`[scheduler] handovers, ${fires.length} fires by ${by}: delay median ${median(delays)} ms, max ${Math.max(...delays)} ms`);
  }, 30_000);
});

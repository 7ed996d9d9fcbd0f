import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPgDatabase } from '../../test/helpers/databases.js';
import type { Actor } from '../shared/roles.js';
import { openPglite, openPostgres, type Database } from '../db/client.js';
import { createLogger } from '../shared/logger.js';
import { latestFireAtOrBefore } from './cron.js';
import { Scheduler } from './scheduler.js';
import { ScheduleService } from './service.js';
import { firesOf, parkAll, recorder, scheduleRow, seedSchedule, setNextFire, sleep } from '../../test/helpers/schedule-fixtures.js';

const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const admin = (orgId: string): Actor => ({ orgId, role: 'admin', userId: null, apiKeyId: null });
const TEN_MINUTES = 10 * 60_000;

describe('Scheduler: misfires, stopped organizations, one-offs (PostgreSQL)', () => {
  let url: string;
  let drop: () => Promise<void>;
  let db: Database;
  let scheduler: Scheduler;
  const rec = recorder();
  const callsOf = (scheduleId: string) => rec.calls.filter((c) => c.scheduleId === scheduleId);
  beforeAll(async () => {
    ({ url, drop } = await createPgDatabase());
    db = await openPostgres(url, 5, { migrate: false });
    // Not started: each test drives passes with checkNow().
    scheduler = new Scheduler(db, rec.as('s'), logger);
  });
  afterEach(() => parkAll(db));
  afterAll(async () => {
    await scheduler?.stop();
    await db?.close();
    await drop?.();
  });

  /** A schedule whose next fire is a real cron time at least 10 minutes ago, as after downtime. */
  async function behind(misfire: 'skip' | 'run_once', orgId?: string) {
    // Hourly, so that no regular fire comes due during a test (unless it runs across the top of an hour).
    const s = await seedSchedule(db, { cron: '0 * * * *', misfire }, orgId);
    const missed = latestFireAtOrBefore(s, new Date(Date.now() - TEN_MINUTES))!;
    await setNextFire(db, s.id, missed);
    return s;
  }

  it('run_once: a schedule 10+ minutes behind fires once, for the latest missed time, then moves to the future', async () => {
    const s = await behind('run_once');
    expect(await scheduler.checkNow()).toBe(1);
    expect(await scheduler.checkNow()).toBe(0);
    const latest = latestFireAtOrBefore(s, new Date())!;
    expect(callsOf(s.id).map((c) => c.fireAt)).toEqual([latest]);
    const row = await scheduleRow(db, s.id);
    expect(row.nextFireAt!.getTime()).toBeGreaterThan(Date.now());
    expect(row.lastFireAt).toEqual(latest);
    expect(await firesOf(db, s.id)).toMatchObject([{ fireAt: latest, outcome: 'fired', runId: expect.any(String) }]);
  });

  it('skip: a schedule 10+ minutes behind does not fire; the missed time is recorded as skipped', async () => {
    const s = await behind('skip');
    expect(await scheduler.checkNow()).toBe(0);
    expect(callsOf(s.id)).toEqual([]);
    const row = await scheduleRow(db, s.id);
    expect(row.nextFireAt!.getTime()).toBeGreaterThan(Date.now());
    expect(row.lastFireAt).toBeNull();
    expect(await firesOf(db, s.id)).toMatchObject([{ outcome: 'skipped', runId: null }]);
  });

  it('a stopped organization fires nothing; after start each misfire policy decides', async () => {
    const service = new ScheduleService(db);
    const once = await behind('run_once');
    const skip = await behind('skip', once.orgId);
    const other = await behind('run_once'); // another organization, not stopped
    await service.stop(admin(once.orgId));
    expect((await service.status(admin(once.orgId))).running).toBe(false);
    expect(await scheduler.checkNow()).toBe(1);
    expect(callsOf(other.id)).toHaveLength(1);
    expect([...callsOf(once.id), ...callsOf(skip.id)]).toEqual([]);
    expect((await scheduleRow(db, once.id)).nextFireAt!.getTime()).toBeLessThan(Date.now()); // still waiting

    await service.start(admin(once.orgId));
    expect(await scheduler.checkNow()).toBe(1);
    expect(callsOf(once.id)).toHaveLength(1);
    expect(callsOf(skip.id)).toHaveLength(0);
    for (const id of [once.id, skip.id]) expect((await scheduleRow(db, id)).nextFireAt!.getTime()).toBeGreaterThan(Date.now());
  });

  it('a short stop (within the grace) catches up the missed fires one by one', async () => {
    const s = await seedSchedule(db, { cron: '* * * * * *' });
    await setNextFire(db, s.id, new Date(Math.floor(Date.now() / 1000) * 1000 - 3000));
    while ((await scheduler.checkNow()) > 0);
    const fires = await firesOf(db, s.id);
    expect(fires.length).toBeGreaterThanOrEqual(4);
    expect(fires.every((f, i) => i === 0 || f.fireAt.getTime() - fires[i - 1]!.fireAt.getTime() === 1000)).toBe(true);
  });

  it('a one-off fires once, on time, with the loop running; then has no next fire', async () => {
    const at = new Date(Date.now() + 1_200);
    const s = await seedSchedule(db, { onceAt: at });
    expect(s.nextFireAt).toEqual(at);
    scheduler.start();
    await sleep(2_500);
    await scheduler.stop();
    expect(callsOf(s.id).map((c) => c.fireAt)).toEqual([at]);
    expect(callsOf(s.id)[0]!.at - at.getTime()).toBeLessThan(1000);
    const row = await scheduleRow(db, s.id);
    expect([row.nextFireAt, row.lastFireAt]).toEqual([null, at]);
    expect(await scheduler.checkNow()).toBe(0);
  });

  it('paused schedules do not fire; onFire answering null or failing is recorded as skipped or failed', async () => {
    const service = new ScheduleService(db);
    const p = await seedSchedule(db, { cron: '* * * * * *', paused: true });
    expect(p.nextFireAt).toBeNull();
    const due = new Date(Date.now() - 1000);
    const quiet = await seedSchedule(db, { onceAt: due });
    const broken = await seedSchedule(db, { onceAt: due });
    const s2 = new Scheduler(db, async (f) => {
      if (f.scheduleId === broken.id) throw new Error('no run for you');
      return f.scheduleId === quiet.id ? null : crypto.randomUUID();
    }, logger);
    await scheduler.stop(); // gives the lease up, so s2 leads at once
    try {
      expect(await s2.checkNow()).toBe(2);
    } finally {
      await s2.stop();
    }
    expect(await firesOf(db, quiet.id)).toMatchObject([{ outcome: 'skipped', runId: null }]);
    expect(await firesOf(db, broken.id)).toMatchObject([{ outcome: 'failed', runId: null }]);
    expect(await firesOf(db, p.id)).toEqual([]);
    expect((await service.get(admin(p.orgId), p.id)).paused).toBe(true);
  });

  it('parks a schedule whose cron cannot be read, and keeps firing the others', async () => {
    const bad = await seedSchedule(db, { onceAt: new Date(Date.now() + 60_000) });
    const good = await seedSchedule(db, { onceAt: new Date(Date.now() - 500) });
    await db.system((tx) => tx.execute(sql`update schedules set cron = 'not a cron', next_fire_at = now() - interval '1 second' where id = ${bad.id}`));
    expect(await scheduler.checkNow()).toBe(1);
    expect(callsOf(good.id)).toHaveLength(1);
    expect((await scheduleRow(db, bad.id)).nextFireAt).toBeNull();
  });

  it('a second scheduler does not fire while the lease is held, and leads once it is given up', async () => {
    const s = await seedSchedule(db, { onceAt: new Date(Date.now() - 1000) });
    expect(await scheduler.checkNow()).toBe(1);
    const other = new Scheduler(db, rec.as('other'), logger);
    try {
      await setNextFire(db, s.id, new Date(Date.now() - 1000));
      expect(await other.checkNow()).toBe(0);
      expect(other.isLeader).toBe(false);
      await scheduler.stop();
      expect(await other.checkNow()).toBe(1);
      expect(other.isLeader).toBe(true);
    } finally {
      await other.stop();
    }
    expect(callsOf(s.id).map((c) => c.by)).toEqual(['s', 'other']);
  });
});

describe('Scheduler on PGlite', () => {
  it('always leads (one process) and fires due schedules', async () => {
    const db = await openPglite('memory://');
    const rec = recorder();
    const scheduler = new Scheduler(db, rec.as('solo'), logger);
    try {
      const s = await seedSchedule(db, { onceAt: new Date(Date.now() + 300) });
      scheduler.start();
      for (let i = 0; i < 100 && rec.calls.length === 0; i++) await sleep(100);
      await sleep(200);
      expect(scheduler.isLeader).toBe(true);
      expect(rec.calls.map((c) => c.scheduleId)).toEqual([s.id]);
      expect(await firesOf(db, s.id)).toMatchObject([{ outcome: 'fired', runId: expect.any(String) }]);
    } finally {
      await scheduler.stop();
      await db.close();
    }
  }, 120_000);
});

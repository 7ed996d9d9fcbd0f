import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/helpers/databases.js';
import type { Actor } from '../shared/roles.js';
import type { Database } from '../db/client.js';
import { AppError } from '../shared/errors.js';
import { scheduleFires } from './schema.js';
import { ScheduleService, type ScheduleInput } from './service.js';
import { firesOf, seedSchedule, seedTask } from '../../test/helpers/schedule-fixtures.js';

const actor = (orgId: string): Actor => ({ orgId, role: 'owner', userId: null, apiKeyId: null });

describe('ScheduleService', () => {
  let db: Database;
  let service: ScheduleService;
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    service = new ScheduleService(db);
  });
  afterAll(() => db?.close());

  const set = (orgId: string, taskId: string, spec: ScheduleInput | null, now?: Date) =>
    db.withOrg(orgId, (tx) => service.setForTask(tx, orgId, taskId, spec, { now }));
  const fieldOf = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    if (!(err instanceof AppError)) throw new Error(`expected an AppError, got ${String(err)}`);
    return { status: err.status, ...err.errors![0]! };
  };

  it('sets a cron schedule with its next fire; changing it keeps the fields not given', async () => {
    const { orgId, taskId } = await seedTask(db);
    const now = new Date('2026-03-26T12:00:00Z');
    const v = await set(orgId, taskId, { cron: ' 0 9 * * 1-5 ', timezone: 'Europe/Berlin', misfire: 'skip' }, now);
    expect(v).toMatchObject({ taskId, cron: '0 9 * * 1-5', timezone: 'Europe/Berlin', misfire: 'skip', paused: false, onceAt: null, description: 'At 09:00, Monday through Friday' });
    expect(v!.nextFireAt!.toISOString()).toBe('2026-03-27T08:00:00.000Z');

    const paused = await set(orgId, taskId, { cron: '30 7 * * *', paused: true }, now);
    expect(paused).toMatchObject({ id: v!.id, cron: '30 7 * * *', timezone: 'Europe/Berlin', misfire: 'skip', paused: true, nextFireAt: null });
    const again = await set(orgId, taskId, { cron: '30 7 * * *', paused: false }, now);
    expect(again!.nextFireAt!.toISOString()).toBe('2026-03-27T06:30:00.000Z');

    const map = await db.withOrg(orgId, (tx) => service.forTasks(tx, orgId, [taskId, crypto.randomUUID()]));
    expect([...map.keys()]).toEqual([taskId]);
    expect(map.get(taskId)).toMatchObject({ id: v!.id, cron: '30 7 * * *' });

    expect(await set(orgId, taskId, null)).toBeNull();
    expect((await db.withOrg(orgId, (tx) => service.forTasks(tx, orgId, [taskId]))).size).toBe(0);
  });

  it('refuses bad specs naming the field', async () => {
    const { orgId, taskId } = await seedTask(db);
    expect(await fieldOf(set(orgId, taskId, { cron: '0 25 * * *' }))).toMatchObject({ status: 400, path: 'body.schedule.cron', message: expect.stringContaining('hour field') });
    expect(await fieldOf(set(orgId, taskId, { cron: '0 9 * * *', timezone: 'Berlin' }))).toMatchObject({ path: 'body.schedule.timezone' });
    expect(await fieldOf(set(orgId, taskId, { cron: '0 9 * * *', onceAt: new Date() }))).toMatchObject({ path: 'body.schedule', message: 'give exactly one of cron and onceAt' });
    expect(await fieldOf(set(orgId, taskId, {}))).toMatchObject({ path: 'body.schedule' });
    expect(await fieldOf(set(orgId, taskId, { onceAt: new Date(Date.now() - 3_600_000) }))).toMatchObject({ path: 'body.schedule.onceAt', message: 'must not be in the past' });
    expect(await fieldOf(set(orgId, taskId, { onceAt: new Date('nope') }))).toMatchObject({ path: 'body.schedule.onceAt' });
    const custom = db.withOrg(orgId, (tx) => service.setForTask(tx, orgId, taskId, { cron: 'x' }, { path: 'args' }));
    expect(await fieldOf(custom)).toMatchObject({ path: 'args.cron' });
  });

  it('a one-off that fired stays done when set again with the same time, and on resume', async () => {
    const at = new Date(Date.now() + 60_000);
    const s = await seedSchedule(db, { onceAt: at });
    expect(s.nextFireAt).toEqual(at);
    expect(s.description).toBe(`Once, at ${at.toISOString()}`);
    // As the scheduler does when it fires.
    await db.system(async (tx) => {
      await tx.insert(scheduleFires).values({ orgId: s.orgId, scheduleId: s.id, fireAt: at });
      await tx.execute(sql`update schedules set next_fire_at = null, last_fire_at = ${at.toISOString()} where id = ${s.id}`);
    });
    expect((await set(s.orgId, s.taskId!, { onceAt: at }))!.nextFireAt).toBeNull();
    await service.pause(actor(s.orgId), s.id);
    expect((await service.resume(actor(s.orgId), s.id)).nextFireAt).toBeNull();
    const later = new Date(at.getTime() + 60_000);
    expect((await set(s.orgId, s.taskId!, { onceAt: later }))!.nextFireAt).toEqual(later);
  });

  it("prunes recurring schedules' fire records past the retention, and keeps a one-off's", async () => {
    const hour = 3_600_000;
    const recurring = await seedSchedule(db, { cron: '0 * * * *' });
    const once = await seedSchedule(db, { onceAt: new Date(Date.now() + hour) });
    const ago = (h: number) => new Date(Date.now() - h * hour);
    await db.system((tx) =>
      tx.insert(scheduleFires).values([
        ...[50, 49, 2, 1].map((h) => ({ orgId: recurring.orgId, scheduleId: recurring.id, fireAt: ago(h) })),
        { orgId: once.orgId, scheduleId: once.id, fireAt: ago(72) },
      ]),
    );
    const fireHours = async (id: string) => (await firesOf(db, id)).map((f) => Math.round((Date.now() - f.fireAt.getTime()) / hour));
    expect(await service.pruneFires(24 * hour, 1)).toBe(1);
    expect(await service.pruneFires(24 * hour)).toBeGreaterThanOrEqual(1);
    expect(await fireHours(recurring.id)).toEqual([2, 1]);
    expect(await fireHours(once.id)).toEqual([72]);
  });

  it('pause clears the next fire; resume computes it from now; other organizations get 404', async () => {
    const s = await seedSchedule(db, { cron: '*/10 * * * * *' });
    const paused = await service.pause(actor(s.orgId), s.id);
    expect([paused.paused, paused.nextFireAt]).toEqual([true, null]);
    expect((await service.pause(actor(s.orgId), s.id)).paused).toBe(true); // idempotent
    const before = Date.now();
    const resumed = await service.resume(actor(s.orgId), s.id);
    expect(resumed.paused).toBe(false);
    expect(resumed.nextFireAt!.getTime()).toBeGreaterThan(before);
    expect(resumed.nextFireAt!.getTime()).toBeLessThanOrEqual(before + 10_000);
    const stranger = actor((await seedTask(db)).orgId);
    for (const call of [() => service.get(stranger, s.id), () => service.pause(stranger, s.id), () => service.resume(stranger, s.id)]) {
      await expect(call()).rejects.toMatchObject({ status: 404, message: 'Schedule not found' });
    }
  });

  it('status: running flag, the next 10 fires across schedules, and no leader without an unexpired lease', async () => {
    const a = await seedSchedule(db, { cron: '*/2 * * * * *' });
    const b = await seedSchedule(db, { cron: '*/3 * * * * *' }, a.orgId);
    await seedSchedule(db, { cron: '* * * * * *', paused: true }, a.orgId);
    const st = await service.status(actor(a.orgId));
    expect(st.running).toBe(true);
    expect(st.nextFires).toHaveLength(10);
    const times = st.nextFires.map((f) => f.at.getTime());
    expect(times).toEqual([...times].sort((x, y) => x - y));
    expect(new Set(st.nextFires.map((f) => f.scheduleId))).toEqual(new Set([a.id, b.id]));
    expect(st.nextFires.every((f) => (f.scheduleId === a.id ? f.taskId === a.taskId : f.taskId === b.taskId))).toBe(true);
    expect(st.leader).toBeNull();

    // A lapsed lease: nobody leads, whatever the row says.
    await db.system((tx) =>
      tx.execute(sql`insert into scheduler_leader (id, holder, since, heartbeat_at, expires_at) values (1, 'old', now() - interval '1 hour', now() - interval '11 seconds', now() - interval '1 second')`),
    );
    expect((await service.status(actor(a.orgId))).leader).toBeNull();
    // An unexpired one leads, even with a heartbeat a few seconds old (no other process may take it yet).
    await db.system((tx) => tx.execute(sql`update scheduler_leader set heartbeat_at = now() - interval '5 seconds', expires_at = now() + interval '5 seconds'`));
    expect((await service.status(actor(a.orgId))).leader).toMatchObject({ holder: 'old', expiresAt: expect.any(Date) });

    const stopped = await service.stop(actor(a.orgId));
    expect([stopped.running, stopped.stoppedAt instanceof Date]).toEqual([false, true]);
    expect((await service.stop(actor(a.orgId))).running).toBe(false); // idempotent
    expect((await service.start(actor(a.orgId))).running).toBe(true);
  });

  it('lists soonest first with keyset pages, filters, and a 400 for a foreign cursor', async () => {
    const { orgId } = await seedTask(db);
    const soon = await seedSchedule(db, { onceAt: new Date(Date.now() + 60_000) }, orgId);
    const later = await seedSchedule(db, { onceAt: new Date(Date.now() + 120_000) }, orgId);
    const paused = await seedSchedule(db, { cron: '0 9 * * *', paused: true }, orgId);
    const all = await service.list(actor(orgId), { limit: 20, sortOrder: 'asc' });
    expect(all.items.map((i) => i.id)).toEqual([soon.id, later.id, paused.id]);
    const first = await service.list(actor(orgId), { limit: 2, sortOrder: 'asc' });
    const rest = await service.list(actor(orgId), { limit: 2, sortOrder: 'asc', cursor: first.nextCursor! });
    expect([...first.items, ...rest.items].map((i) => i.id)).toEqual([soon.id, later.id, paused.id]);
    expect(rest.nextCursor).toBeNull();
    for (const sortOrder of ['asc', 'desc'] as const) {
      // One per page, through the cursor of a schedule with no next fire too.
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await service.list(actor(orgId), { limit: 1, sortOrder, cursor });
        ids.push(...page.items.map((i) => i.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(ids).toEqual(sortOrder === 'asc' ? [soon.id, later.id, paused.id] : [paused.id, later.id, soon.id]);
    }
    expect((await service.list(actor(orgId), { limit: 20, sortOrder: 'desc' })).items[0]!.id).toBe(paused.id);
    expect((await service.list(actor(orgId), { limit: 20, sortOrder: 'asc', paused: true })).items.map((i) => i.id)).toEqual([paused.id]);
    expect((await service.list(actor(orgId), { limit: 20, sortOrder: 'asc', taskId: later.taskId! })).total).toBe(1);
    const foreign = Buffer.from(JSON.stringify([42, soon.id])).toString('base64url');
    await expect(service.list(actor(orgId), { limit: 2, sortOrder: 'asc', cursor: foreign })).rejects.toMatchObject({ status: 400 });
  });
});

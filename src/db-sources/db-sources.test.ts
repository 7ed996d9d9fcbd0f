import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, json, seedRoles, type Member, type TestApp } from '../../test/helpers/app.js';
import { createPgDatabase } from '../../test/helpers/databases.js';
import { adminUrl } from '../../test/helpers/pg-url.js';
import { createLogger } from '../shared/logger.js';
import { Follower, type FollowerState } from './follower.js';
import { DbSourceRunner } from './runner.js';

/**
 * Database sources for real (issue 16): the source is a PostgreSQL database made for this file;
 * Troupe's own database is PostgreSQL too, and the app's worker role runs the sources' runner, as
 * `troupe serve` does. Rows inserted, updated and deleted there become events here.
 */
interface Event {
  id: string;
  type: string;
  source: string;
  payload: { sourceId: string; table: string; op: string; old: Record<string, unknown> | null; new: Record<string, unknown> | null; changedAt: string };
  dedupeKey: string | null;
}
interface Source {
  id: string;
  status: string;
  lastError: string | null;
  enabled: boolean;
  eventTypePrefix: string | null;
}

describe('database sources on PostgreSQL', () => {
  let t: TestApp;
  let roles: Awaited<ReturnType<typeof seedRoles>>;
  let source: { url: string; drop: () => Promise<void> };
  let sql: pg.Client;
  let dbName: string;

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, who: Member, payload?: unknown) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { ...who.headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }) });
  const eventsOf = async (type: string) => json<{ items: Event[] }>(await call('GET', `/events?type=${encodeURIComponent(type)}&source=database&limit=100`, roles.admin)).items.reverse();
  const sourceOf = async (id: string) => json<Source>(await call('GET', `/db-sources/${id}`, roles.admin));
  const create = async (body: Record<string, unknown>) => {
    const res = await call('POST', '/db-sources', roles.admin, { name: 'Shop', connectionString: source.url, ...body });
    expect(res.statusCode, res.body).toBe(201);
    return json<Source>(res);
  };

  beforeAll(async () => {
    source = await createPgDatabase();
    dbName = new URL(source.url).pathname.slice(1);
    sql = new pg.Client({ connectionString: source.url });
    await sql.connect();
    await sql.query(`create table orders (id serial primary key, customer text not null, total int not null, updated_at timestamptz not null default now())`);
    await sql.query(`create schema sales; create table sales."line-items" (id bigint primary key, sku text, updated_at timestamptz not null default clock_timestamp())`);
    t = await createTestApp('postgres', { TROUPE_PRIVATE_DATABASE_HOSTS: '127.0.0.1' });
    roles = await seedRoles(t.ctx);
  });
  afterAll(async () => {
    await t?.close();
    await sql?.end();
    await source?.drop();
  });

  it('trigger mode: a row inserted, updated and deleted becomes db.orders.insert, .update and .delete, with old and new', async () => {
    const s = await create({ tableName: 'orders', enabled: true });
    expect(s).toMatchObject({ status: 'active', enabled: true, eventTypePrefix: 'db.orders' });
    const { rows } = await sql.query<{ id: number }>(`insert into orders (customer, total) values ('Ann', 120) returning id`);
    const id = rows[0]!.id;
    await expect.poll(async () => (await eventsOf('db.orders.insert')).map((e) => e.payload.new?.id)).toEqual([id]);
    const [inserted] = await eventsOf('db.orders.insert');
    expect(inserted).toMatchObject({ type: 'db.orders.insert', source: 'database', payload: { sourceId: s.id, table: 'public.orders', op: 'insert', old: null, new: { id, customer: 'Ann', total: 120 } } });
    expect(inserted!.dedupeKey).toMatch(new RegExp(`^dbsrc:${s.id}:\\d+$`));
    await sql.query(`update orders set total = 150 where id = $1`, [id]);
    await expect.poll(async () => (await eventsOf('db.orders.update')).length).toBe(1);
    expect((await eventsOf('db.orders.update'))[0]!.payload).toMatchObject({ op: 'update', old: { id, total: 120 }, new: { id, total: 150 } });
    await sql.query(`delete from orders where id = $1`, [id]);
    await expect.poll(async () => (await eventsOf('db.orders.delete')).length).toBe(1);
    expect((await eventsOf('db.orders.delete'))[0]!.payload).toMatchObject({ op: 'delete', old: { id, customer: 'Ann', total: 150 }, new: null });
    // Emitted rows leave the change log; the cursor moved.
    await expect.poll(async () => (await sql.query(`select count(*)::int as n from troupe_change_log where source_id = $1`, [s.id])).rows[0].n).toBe(0);

    // Switched off: the trigger is gone, changes make no events.
    const off = await call('PATCH', `/db-sources/${s.id}`, roles.admin, { enabled: false });
    expect(json<Source & { warning: string | null }>(off)).toMatchObject({ enabled: false, status: 'disabled', warning: null });
    expect((await sql.query(`select 1 from pg_trigger where tgname like 'troupe_src_%'`)).rows).toHaveLength(0);
  });

  it('only the chosen operations make events', async () => {
    const s = await create({ tableName: 'public.orders', operations: ['delete'], enabled: true });
    const { rows } = await sql.query<{ id: number }>(`insert into orders (customer, total) values ('Bo', 5) returning id`);
    await sql.query(`delete from orders where id = $1`, [rows[0]!.id]);
    await expect.poll(async () => (await eventsOf('db.orders.delete')).filter((e) => e.payload.sourceId === s.id).length).toBe(1);
    expect((await eventsOf('db.orders.insert')).filter((e) => e.payload.sourceId === s.id)).toEqual([]);
    // Operations changed while on: the trigger is made again with them.
    expect(json<Source>(await call('PATCH', `/db-sources/${s.id}`, roles.admin, { operations: ['insert', 'delete'] }))).toMatchObject({ status: 'active', enabled: true });
    await sql.query(`insert into orders (customer, total) values ('Cy', 6)`);
    await expect.poll(async () => (await eventsOf('db.orders.insert')).filter((e) => e.payload.sourceId === s.id).map((e) => e.payload.new!.customer)).toEqual(['Cy']);
    // Another table while on: the old table's trigger goes, the new one's comes.
    await sql.query(`create table refunds (id serial primary key, amount int)`);
    expect(json<Source>(await call('PATCH', `/db-sources/${s.id}`, roles.admin, { tableName: 'refunds' }))).toMatchObject({ tableName: 'public.refunds', status: 'active', eventTypePrefix: 'db.refunds' });
    const triggers = await sql.query<{ table: string }>(`select c.relname as table from pg_trigger t join pg_class c on c.oid = t.tgrelid where t.tgname = $1`, [`troupe_src_${s.id.replace(/-/g, '')}`]);
    expect(triggers.rows.map((r) => r.table)).toEqual(['refunds']);
    await sql.query(`insert into refunds (amount) values (6)`);
    await expect.poll(async () => (await eventsOf('db.refunds.insert')).map((e) => e.payload.new!.amount)).toEqual([6]);
    expect(json<{ triggerDropped: boolean }>(await call('DELETE', `/db-sources/${s.id}`, roles.admin))).toMatchObject({ deleted: true, triggerDropped: true, warning: null });
  });

  it('each change exactly once across a listener restart (stopped, rows inserted, started again)', async () => {
    const s = await create({ tableName: 'orders', operations: ['insert'], enabled: true });
    const mine = async () => (await eventsOf('db.orders.insert')).filter((e) => e.payload.sourceId === s.id);
    await sql.query(`insert into orders (customer, total) values ('before', 1)`);
    await expect.poll(async () => (await mine()).length).toBe(1);
    await t.ctx.services.dbSourceRunner.stop();
    await sql.query(`insert into orders (customer, total) select 'while stopped ' || g, g from generate_series(1, 5) g`);
    // Nothing listens: the changes wait in the log.
    expect((await sql.query(`select count(*)::int as n from troupe_change_log where source_id = $1`, [s.id])).rows[0].n).toBe(5);
    t.ctx.services.dbSourceRunner.start();
    await expect.poll(async () => (await mine()).length).toBe(6);
    await sql.query(`insert into orders (customer, total) values ('after', 7)`);
    // Each once (dedupe keys by log id), in the log's order.
    await expect.poll(async () => (await mine()).length).toBe(7);
    const all = await mine();
    expect(new Set(all.map((e) => e.dedupeKey)).size).toBe(7);
    const byLogId = all.sort((a, b) => Number(a.dedupeKey!.split(':').pop()) - Number(b.dedupeKey!.split(':').pop()));
    expect(byLogId.map((e) => e.payload.new!.customer)).toEqual(['before', 'while stopped 1', 'while stopped 2', 'while stopped 3', 'while stopped 4', 'while stopped 5', 'after']);
    await call('DELETE', `/db-sources/${s.id}`, roles.admin);
  });

  it('a follower that dies between the emit and the cursor emits again on restart, and the event is stored once', async () => {
    const s = await create({ tableName: 'orders', operations: ['insert'] });
    const mine = async () => (await eventsOf('db.orders.insert')).filter((e) => e.payload.sourceId === s.id);
    // Installed by hand (no runner follows a source that is off): this test drives its own follower.
    const row = await t.ctx.services.dbSources.get({ orgId: roles.admin.orgId, role: 'admin', userId: roles.admin.userId, apiKeyId: null }, s.id);
    const client = await t.ctx.services.dbSources.connect(row, 'troupe-test');
    const { installTrigger } = await import('./source-sql.js');
    await installTrigger(client, s.id, { schema: 'public', table: 'orders' }, ['insert']);
    await client.end();
    await sql.query(`insert into orders (customer, total) values ('crash 1', 1), ('crash 2', 2)`);
    let failures = 1;
    const cursors: number[] = [];
    const state: FollowerState = {
      status: async () => true,
      logCursor: async (id) => {
        // The process "dies" after emitting, before the cursor: the write fails, the connection is dropped.
        if (failures-- > 0) throw new Error('killed before the cursor moved');
        cursors.push(id);
        return true;
      },
      pollCursor: async () => true,
    };
    const emitted: string[] = [];
    const sink = { emit: (orgId: string, e: Parameters<typeof t.ctx.services.events.emit>[1] & { dedupeKey: string }) => (emitted.push(e.dedupeKey), t.ctx.services.events.emit(orgId, e)) };
    const follower = new Follower(row, t.ctx.services.dbSources, sink, state, createLogger('silent'), { safetyMs: 100, minBackoffMs: 10, maxBackoffMs: 50 });
    try {
      await expect.poll(() => cursors.length).toBeGreaterThan(0);
      await expect.poll(async () => (await sql.query(`select count(*)::int as n from troupe_change_log where source_id = $1`, [s.id])).rows[0].n).toBe(0);
    } finally {
      await follower.stop();
    }
    // Emitted twice (before and after the "crash"), stored once each.
    expect(emitted).toHaveLength(4);
    expect(new Set(emitted).size).toBe(2);
    expect((await mine()).map((e) => e.payload.new!.customer).sort()).toEqual(['crash 1', 'crash 2']);
    await call('DELETE', `/db-sources/${s.id}`, roles.admin);
  });

  it('one process follows a source at a time; another takes it over once it is given up', async () => {
    const s = await create({ tableName: 'orders', operations: ['insert'], enabled: true });
    const mine = async () => (await eventsOf('db.orders.insert')).filter((e) => e.payload.sourceId === s.id);
    await expect.poll(() => t.ctx.services.dbSourceRunner.following).toContain(s.id);
    const other = new DbSourceRunner(t.ctx.database, t.ctx.services.dbSources, t.ctx.services.events, createLogger('silent'), { owner: 'another-worker', tickMs: 60_000 });
    try {
      await other.tick();
      expect(other.following).not.toContain(s.id);
      await t.ctx.services.dbSourceRunner.stop();
      await other.tick();
      expect(other.following).toContain(s.id);
      await sql.query(`insert into orders (customer, total) values ('taken over', 3)`);
      await expect.poll(async () => (await mine()).map((e) => e.payload.new!.customer)).toEqual(['taken over']);
      // The first process is back: the source stays with its holder.
      t.ctx.services.dbSourceRunner.start();
      await t.ctx.services.dbSourceRunner.tick();
      expect(t.ctx.services.dbSourceRunner.following).not.toContain(s.id);
    } finally {
      await other.stop();
    }
    await t.ctx.services.dbSourceRunner.tick();
    expect(t.ctx.services.dbSourceRunner.following).toContain(s.id);
    await call('DELETE', `/db-sources/${s.id}`, roles.admin);
  });

  it("a holder that died keeps its sources until its lease lapses; then another process takes them", async () => {
    const s = await create({ tableName: 'orders', operations: ['insert'] });
    const runner = t.ctx.services.dbSourceRunner;
    // On, held by a worker that is gone (it never renews), its lease still running.
    await t.ctx.database.system((tx) => tx.execute(`update db_sources set enabled = true, status = 'error', last_error = 'left by the dead worker', lease_owner = 'dead-worker', lease_until = now() + interval '1 hour' where id = '${s.id}'`));
    await runner.tick();
    expect(runner.following).not.toContain(s.id);
    await t.ctx.database.system((tx) => tx.execute(`update db_sources set lease_until = now() - interval '1 second' where id = '${s.id}'`));
    await runner.tick();
    expect(runner.following).toContain(s.id);
    // Its writes pass the fence: it installs the trigger and says so.
    await expect.poll(async () => sourceOf(s.id)).toMatchObject({ status: 'active', lastError: null });
    await call('DELETE', `/db-sources/${s.id}`, roles.admin);
  });

  it('a terminated connection: status error while the database is unreachable, then it reconnects and loses nothing', async () => {
    const s = await create({ tableName: 'orders', operations: ['insert'], enabled: true });
    const mine = async () => (await eventsOf('db.orders.insert')).filter((e) => e.payload.sourceId === s.id);
    await expect.poll(() => t.ctx.services.dbSourceRunner.following).toContain(s.id);
    const admin = new pg.Client({ connectionString: adminUrl() });
    await admin.connect();
    try {
      await expect.poll(async () => (await admin.query(`select count(*)::int as n from pg_stat_activity where application_name = $1`, [`troupe-db-source:${s.id}`])).rows[0].n).toBe(1);
      // No new connections to the source database (the test's own stays open), then the listener's is cut.
      await admin.query(`alter database ${dbName} with allow_connections false`);
      await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1`, [`troupe-db-source:${s.id}`]);
      await expect.poll(async () => (await sourceOf(s.id)).status).toBe('error');
      expect((await sourceOf(s.id)).lastError).toBeTruthy();
      await sql.query(`insert into orders (customer, total) values ('during the outage', 9)`);
      await admin.query(`alter database ${dbName} with allow_connections true`);
      await expect.poll(async () => (await mine()).map((e) => e.payload.new!.customer)).toEqual(['during the outage']);
      await expect.poll(async () => (await sourceOf(s.id)).status).toBe('active');
      expect((await sourceOf(s.id)).lastError).toBeNull();
    } finally {
      await admin.query(`alter database ${dbName} with allow_connections true`).catch(() => {});
      await admin.end();
    }
    await call('DELETE', `/db-sources/${s.id}`, roles.admin);
  });

  it('poll mode: rows after the cursor become db.<table>.change events, in cursor order, each once', async () => {
    await sql.query(`insert into sales."line-items" (id, sku) values (1, 'old')`);
    const s = await create({ tableName: 'sales.line-items', mode: 'poll', pollSeconds: 1, enabled: true });
    expect(s).toMatchObject({ status: 'active', eventTypePrefix: 'db.sales.line-items' });
    await sql.query(`insert into sales."line-items" (id, sku) values (2, 'a'), (3, 'b')`);
    // In cursor order (events of one read are stored together: the log's own order may tie).
    const cursorOrder = (e: Event) => `${String(e.payload.new!.updated_at)}:${String(e.payload.new!.id).padStart(6, '0')}`;
    const mine = async () => (await eventsOf('db.sales.line-items.change')).filter((e) => e.payload.sourceId === s.id).sort((a, b) => cursorOrder(a).localeCompare(cursorOrder(b)));
    await expect.poll(async () => (await mine()).map((e) => e.payload.new!.id)).toEqual([2, 3]);
    // An update moves the row's cursor: one more event for it (insert and update cannot be told apart).
    await sql.query(`update sales."line-items" set sku = 'b2', updated_at = clock_timestamp() where id = 3`);
    await expect.poll(async () => (await mine()).map((e) => `${e.payload.new!.id}:${e.payload.new!.sku}`)).toEqual(['2:a', '3:b', '3:b2']);
    expect((await mine())[0]).toMatchObject({ type: 'db.sales.line-items.change', payload: { op: 'change', old: null, table: 'sales.line-items' } });
    await call('DELETE', `/db-sources/${s.id}`, roles.admin);
  });
});

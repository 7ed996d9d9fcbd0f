import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedRoles, type Member, type TestApp } from '../../test/helpers/app.js';
import { createPgDatabase, type DbKind } from '../../test/helpers/databases.js';

/**
 * The database sources' API (issue 16) on either kind of Troupe database: CRUD, the connection
 * test and the table list against a real source database, the write-only connection string, other
 * organizations, roles, bad input and the egress guard.
 */
interface Source {
  id: string;
  name: string;
  connection: { host: string; port: number; database: string; user: string; sslmode: string; masked: string };
  mode: string;
  tableName: string | null;
  operations: string[];
  enabled: boolean;
  status: string;
  lastError: string | null;
  eventTypePrefix: string | null;
}

const PASSWORD = 'hunter2-very-secret';

describe.each(['postgres', 'pglite'] as DbKind[])('database sources API on %s', (kind) => {
  let t: TestApp;
  let roles: Awaited<ReturnType<typeof seedRoles>>;
  let source: { url: string; drop: () => Promise<void> };
  let withPassword: string;

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, who: Member, payload?: unknown) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { ...who.headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }) });

  beforeAll(async () => {
    source = await createPgDatabase();
    const c = new pg.Client({ connectionString: source.url });
    await c.connect();
    await c.query(`create table customers (id serial primary key, email text, updated_at timestamptz default now())`);
    await c.end();
    // The local server trusts every connection, so the password is never checked: it only has to stay secret here.
    const u = new URL(source.url);
    u.password = PASSWORD;
    withPassword = u.toString();
    t = await createTestApp(kind, { TROUPE_PRIVATE_DATABASE_HOSTS: '127.0.0.1' });
    roles = await seedRoles(t.ctx);
  });
  afterAll(async () => {
    await t?.close();
    await source?.drop();
  });

  it('creates, lists, tests, lists tables, changes and deletes a source; the connection string never comes back', async () => {
    const res = await call('POST', '/db-sources', roles.admin, { name: 'CRM', connectionString: withPassword });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.body).not.toContain(PASSWORD);
    const s = json<Source>(res);
    expect(s).toMatchObject({ name: 'CRM', mode: 'trigger', tableName: null, enabled: false, status: 'disabled', operations: ['insert', 'update', 'delete'], connection: { host: '127.0.0.1', port: 5432, user: 'postgres', sslmode: 'disable' } });
    expect(s.connection.masked).toMatch(/^postgres:\/\/postgres:••••@127\.0\.0\.1:5432\//);
    expect(s).not.toHaveProperty('connectionString');
    expect(s).not.toHaveProperty('connectionEnc');
    // The audit log records the change with the names of the fields sent, never the string.
    await expect.poll(async () => (await call('GET', '/audit', roles.owner)).body).toContain('db_source.created');
    expect((await call('GET', '/audit', roles.owner)).body).not.toContain(PASSWORD);

    const list = await call('GET', '/db-sources', roles.admin);
    expect(list.body).not.toContain(PASSWORD);
    expect(json<{ items: Source[] }>(list).items.map((x) => x.id)).toContain(s.id);
    const one = await call('GET', `/db-sources/${s.id}`, roles.admin);
    expect(one.body).not.toContain(PASSWORD);

    const tested = json<{ ok: boolean; tables: { schema: string; name: string; columns: { name: string }[] }[] }>(await call('POST', `/db-sources/${s.id}/test`, roles.admin));
    expect(tested.ok).toBe(true);
    expect(tested.tables).toEqual(expect.arrayContaining([expect.objectContaining({ schema: 'public', name: 'customers', columns: expect.arrayContaining([expect.objectContaining({ name: 'email' })]) })]));
    const tables = json<{ items: { name: string }[] }>(await call('GET', `/db-sources/${s.id}/tables`, roles.admin));
    expect(tables.items.map((x) => x.name)).toContain('customers');

    // A table, then switched on: the trigger is installed in the source database.
    const on = await call('PATCH', `/db-sources/${s.id}`, roles.admin, { tableName: 'customers', operations: ['insert', 'insert', 'update'], enabled: true });
    expect(on.statusCode, on.body).toBe(200);
    expect(json<Source>(on)).toMatchObject({ tableName: 'public.customers', operations: ['insert', 'update'], enabled: true, status: 'active', eventTypePrefix: 'db.customers' });
    const c = new pg.Client({ connectionString: source.url });
    await c.connect();
    try {
      expect((await c.query(`select tgname from pg_trigger where tgname = $1`, [`troupe_src_${s.id.replace(/-/g, '')}`])).rows).toHaveLength(1);
      const del = await call('DELETE', `/db-sources/${s.id}`, roles.admin);
      expect(json(del)).toEqual({ deleted: true, triggerDropped: true, warning: null });
      expect((await c.query(`select tgname from pg_trigger where tgname like 'troupe_src_%'`)).rows).toHaveLength(0);
    } finally {
      await c.end();
    }
    expect((await call('GET', `/db-sources/${s.id}`, roles.admin)).statusCode).toBe(404);
  });

  it('a table that is not there: the source is on with status error and the reason', async () => {
    const res = await call('POST', '/db-sources', roles.admin, { name: 'Missing', connectionString: source.url, tableName: 'nope', enabled: true });
    expect(res.statusCode, res.body).toBe(201);
    expect(json<Source>(res)).toMatchObject({ enabled: true, status: 'error', lastError: expect.stringContaining('nope') });
    await call('DELETE', `/db-sources/${json<Source>(res).id}`, roles.admin);
  });

  it('an unreachable database: the test says why, tables answer 502, switching off warns that the trigger stays', async () => {
    const s = json<Source>(await call('POST', '/db-sources', roles.admin, { name: 'Gone', connectionString: source.url.replace(':5432/', ':1/'), tableName: 'customers' }));
    const tested = json<{ ok: boolean; error: string }>(await call('POST', `/db-sources/${s.id}/test`, roles.admin));
    expect(tested.ok).toBe(false);
    expect(tested.error).toMatch(/ECONNREFUSED|connect/);
    expectProblem(await call('GET', `/db-sources/${s.id}/tables`, roles.admin), 502);
    const on = json<Source>(await call('PATCH', `/db-sources/${s.id}`, roles.admin, { enabled: true }));
    expect(on).toMatchObject({ enabled: true, status: 'error' });
    const off = json<Source & { warning: string }>(await call('PATCH', `/db-sources/${s.id}`, roles.admin, { enabled: false }));
    expect(off).toMatchObject({ enabled: false, status: 'disabled' });
    expect(off.warning).toMatch(/could not be dropped.*DROP TRIGGER IF EXISTS troupe_src_/);
    const del = json<{ triggerDropped: boolean; warning: string | null }>(await call('DELETE', `/db-sources/${s.id}`, roles.admin));
    expect(del.triggerDropped).toBe(false);
    expect(del.warning).toMatch(/could not be dropped/);
  });

  it('bad input is a 400 naming the field', async () => {
    const bad = async (body: Record<string, unknown>, path: string) => {
      const p = expectProblem(await call('POST', '/db-sources', roles.admin, { name: 'x', connectionString: source.url, ...body }), 400);
      expect(JSON.stringify(p), JSON.stringify(body)).toContain(path);
    };
    await bad({ connectionString: 'mysql://u@h/db' }, 'body.connectionString');
    await bad({ connectionString: 'postgres://u@127.0.0.1:5432/' }, 'body.connectionString');
    await bad({ connectionString: `${source.url}?sslrootcert=/etc/passwd` }, 'body.connectionString');
    await bad({ connectionString: `${source.url}?sslmode=prefer` }, 'body.connectionString');
    await bad({ connectionString: 'postgres://u@%2Fvar%2Frun%2Fpostgresql/db' }, 'body.connectionString');
    await bad({ tableName: 'a.b.c' }, 'body.tableName');
    await bad({ tableName: 'x"; drop table y; --' }, 'body.tableName');
    await bad({ cursorColumn: 'a b' }, 'body.cursorColumn');
    await bad({ operations: [] }, 'body.operations');
    await bad({ operations: ['truncate'] }, 'body.operations');
    await bad({ mode: 'cdc' }, 'body.mode');
    await bad({ enabled: true }, 'body.tableName');
    await bad({ pollSeconds: 0 }, 'body.pollSeconds');
  });

  it('another organization gets 404; only admins (and owners) may see or change sources', async () => {
    const s = json<Source>(await call('POST', '/db-sources', roles.owner, { name: 'Mine', connectionString: source.url }));
    for (const [method, url] of [
      ['GET', `/db-sources/${s.id}`],
      ['PATCH', `/db-sources/${s.id}`],
      ['POST', `/db-sources/${s.id}/test`],
      ['GET', `/db-sources/${s.id}/tables`],
      ['DELETE', `/db-sources/${s.id}`],
    ] as const) {
      expect((await call(method, url, roles.stranger, method === 'PATCH' ? { name: 'theirs' } : undefined)).statusCode, `${method} ${url}`).toBe(404);
    }
    expect(json<{ items: Source[] }>(await call('GET', '/db-sources', roles.stranger)).items).toEqual([]);
    for (const who of [roles.member, roles.viewer]) {
      expect((await call('GET', '/db-sources', who)).statusCode).toBe(403);
      expect((await call('GET', `/db-sources/${s.id}`, who)).statusCode).toBe(403);
      expect((await call('POST', '/db-sources', who, { name: 'x', connectionString: source.url })).statusCode).toBe(403);
    }
    expect((await call('GET', `/db-sources/${s.id}`, roles.admin)).statusCode).toBe(200);
    expect((await call('DELETE', `/db-sources/${s.id}`, roles.admin)).statusCode).toBe(200);
  });
});

describe('database sources and the egress guard', () => {
  let t: TestApp;
  let admin: Member;
  beforeAll(async () => {
    // No TROUPE_PRIVATE_DATABASE_HOSTS: private and loopback hosts are refused.
    t = await createTestApp('pglite');
    admin = (await seedRoles(t.ctx)).admin;
  });
  afterAll(() => t?.close());

  it('refuses a loopback or private host unless the operator allows it', async () => {
    for (const host of ['127.0.0.1', 'localhost', '10.1.2.3', '192.168.0.10', '169.254.169.254', '[::1]']) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/db-sources', headers: admin.headers, payload: { name: 'x', connectionString: `postgres://u:p@${host}:5432/db` } });
      const p = expectProblem(res, 400);
      expect(p.code, host).toBe('host_not_allowed');
      expect(p.errors?.[0]?.path).toBe('body.connectionString');
      expect(p.detail).toContain('TROUPE_PRIVATE_DATABASE_HOSTS');
      expect(res.body).not.toContain(':p@');
    }
    const unknown = expectProblem(await t.app.inject({ method: 'POST', url: '/api/v1/db-sources', headers: admin.headers, payload: { name: 'x', connectionString: 'postgres://u@no-such-host.invalid/db' } }), 400);
    expect(unknown).toMatchObject({ code: 'host_unresolved', errors: [{ path: 'body.connectionString' }] });
  });
});
